/**
 * The PostgreSQL expression that gives the existing rows of a target the value MySQL gave the
 * existing rows of its table in a column an ALTER TABLE added (`existingRowsValue`): the column is
 * added with it as DEFAULT, which fills every row, and the DEFAULT is dropped again (values always
 * come with the rows). Values as the sync writes them: zero dates become NULL, NUL bytes go.
 *
 * @module
 */
import { quoteLiteral } from "../convert/ident.ts";
import { describeSource } from "../convert/source_kind.ts";
import type { TableColumn } from "../schema/table.ts";
import { existingRowsValue } from "../schema/ddl/existing_rows.ts";

/** The fill of an added column: an SQL expression (null: NULL), or why it cannot be told. */
export type ExistingRowsFill = { sql: string | null } | { unknown: string };

/**
 * The expression of type `pgType` (the target column's) holding what MySQL put in the existing
 * rows when `column` was added by a statement run at `executedAt` (ms since epoch).
 */
export function existingRowsFill(
  column: TableColumn,
  pgType: string,
  executedAt: number,
): ExistingRowsFill {
  const value = existingRowsValue(column);
  const kind = describeSource(column);
  switch (value.kind) {
    case "null":
      return { sql: null };
    case "unknown":
      return { unknown: value.reason };
    case "generated":
      return {
        unknown: `generated column ${column.name} is computed by MySQL (${value.expression})`,
      };
    case "current-timestamp":
      // The Query event's time has whole seconds, and a DATETIME takes the session's time zone.
      if (kind.kind === "timestamp" && value.fsp === 0) {
        return { sql: `to_timestamp(${Math.floor(executedAt / 1000)})` };
      }
      return { unknown: `column ${column.name} takes the time of the ALTER TABLE` };
    case "bytes":
      return bytesFill(column, value.hex, pgType);
    case "literal":
      return literalFill(column, value.value, pgType);
  }
}

function literalFill(column: TableColumn, value: string, pgType: string): ExistingRowsFill {
  const kind = describeSource(column);
  const cast = (text: string) => ({ sql: `${quoteLiteral(text.replaceAll("\0", ""))}::${pgType}` });
  const unknown = { unknown: `column ${column.name} defaults to ${JSON.stringify(value)}` };
  switch (kind.kind) {
    case "int":
    case "decimal":
    case "float":
    case "double":
    case "year":
      return NUMBER.test(value.trim()) ? cast(value.trim()) : unknown;
    case "bit":
      return /^\d+$/.test(value.trim()) ? { sql: bits(BigInt(value.trim()), kind.width) } : unknown;
    case "date":
    case "datetime":
      return ZERO_DATE.test(value) ? { sql: null } : cast(value);
    case "timestamp":
      // Read in the session's time zone, which the binlog does not tell.
      return ZERO_DATE.test(value) ? { sql: null } : unknown;
    case "binary":
      return { sql: hexBytes(toHex(new TextEncoder().encode(value)), column) };
    case "text":
    case "enum":
    case "set":
    case "time":
    case "json":
    case "uuid":
    case "inet4":
    case "inet6":
      return cast(value);
    default:
      return unknown;
  }
}

function bytesFill(column: TableColumn, hex: string, pgType: string): ExistingRowsFill {
  const kind = describeSource(column);
  const number = BigInt(`0x${hex || "0"}`);
  switch (kind.kind) {
    case "binary":
      return { sql: hexBytes(hex, column) };
    case "bit":
      return { sql: bits(number, kind.width) };
    case "int":
    case "decimal":
      return { sql: `${number}::${pgType}` };
    case "text": {
      const bytes = new Uint8Array(hex.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
      const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
      return column.charset?.startsWith("utf8") || column.charset === "ascii"
        ? { sql: `${quoteLiteral(text.replaceAll("\0", ""))}::${pgType}` }
        : { unknown: `column ${column.name} defaults to bytes in ${column.charset}` };
    }
    default:
      return { unknown: `column ${column.name} defaults to bytes x'${hex}'` };
  }
}

/** A number as MySQL stores it in BIT(width): the low `width` bits. */
function bits(value: bigint, width: number): string {
  return `B'${value.toString(2).padStart(width, "0").slice(-width)}'`;
}

/** Bytes as bytea; BINARY(n) pads them with zero bytes to n, as MySQL does. */
function hexBytes(hex: string, column: TableColumn): string {
  const fixed = /^binary\((\d+)\)/.exec(column.columnType.toLowerCase());
  const padded = fixed ? hex.padEnd(Number(fixed[1]) * 2, "0") : hex;
  return `decode('${padded}', 'hex')`;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** A date MySQL keeps but PostgreSQL cannot: year, month or day zero. */
const ZERO_DATE = /^(0000|\d{4}-00|\d{4}-\d{2}-00)/;
