/**
 * The value MySQL gives the existing rows of a table in a column that ALTER TABLE adds: its
 * DEFAULT, or without one NULL for a nullable column and the type's implicit value for a NOT NULL
 * one (0, '', the first ENUM label, the zero date...: measured on MariaDB 10.11). What the sink
 * needs to add the column on the target with a default that fills the same values.
 *
 * @module
 */
import { describeSource } from "../../convert/source_kind.ts";
import type { TableColumn } from "../table.ts";

/** What existing rows hold in an added column. */
export type ExistingRowsValue =
  | { kind: "null" }
  /** A string (`quoted`) or a number, as text. */
  | { kind: "literal"; value: string; quoted: boolean }
  | { kind: "bytes"; hex: string }
  /** The time of the ALTER TABLE (the Query event's timestamp), with fractional digits. */
  | { kind: "current-timestamp"; fsp: number }
  /** A generated column: its expression over the row's other columns. */
  | { kind: "generated"; expression: string }
  /** Not known without the server (an expression default, a type without a plain zero value). */
  | { kind: "unknown"; reason: string };

/** The value the existing rows get in `column` when it is added. */
export function existingRowsValue(column: TableColumn): ExistingRowsValue {
  if (column.generated) {
    const expression = column.generation?.expression;
    return expression === undefined
      ? { kind: "unknown", reason: `generated column ${column.name} has no known expression` }
      : { kind: "generated", expression };
  }
  const given = column.default;
  if (given === undefined) {
    return { kind: "unknown", reason: `the default of column ${column.name} is not known` };
  }
  switch (given.kind) {
    case "none":
      return column.nullable ? { kind: "null" } : implicitValue(column);
    case "expression":
      return {
        kind: "unknown",
        reason: `column ${column.name} defaults to an expression (${given.text})`,
      };
    default:
      return given;
  }
}

/** The value MySQL fills a NOT NULL column without a default with. */
function implicitValue(column: TableColumn): ExistingRowsValue {
  const kind = describeSource(column);
  const literal = (value: string, quoted = true): ExistingRowsValue => ({
    kind: "literal",
    value,
    quoted,
  });
  switch (kind.kind) {
    case "int":
    case "decimal":
    case "float":
    case "double":
    case "bit":
    case "year":
      return literal("0", false);
    case "text":
    case "binary":
    case "set":
      return literal("");
    case "enum":
      return kind.labels.length > 0 ? literal(kind.labels[0]) : literal("");
    case "date":
      return literal("0000-00-00");
    case "datetime":
    case "timestamp":
      return literal("0000-00-00 00:00:00");
    case "time":
      return literal("00:00:00");
    case "uuid":
      return literal("00000000-0000-0000-0000-000000000000");
    case "inet4":
      return literal("0.0.0.0");
    case "inet6":
      return literal("::");
    default:
      // JSON gets '' on MariaDB (not JSON at all), geometry an empty value
      return {
        kind: "unknown",
        reason: `NOT NULL ${column.columnType} column ${column.name} has no default`,
      };
  }
}
