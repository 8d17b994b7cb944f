/**
 * Source rows read by SELECT -> PostgreSQL text fields, with the very encoders the sync uses for
 * row events (`makeEncoder`), so a row loaded or compared here is byte for byte what the sync would
 * have written.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { type Encoder, makeEncoder } from "../convert/encode.ts";
import { quoteIdent, quoteMySqlIdent } from "../convert/ident.ts";
import { pgTypeFor } from "../convert/mapping.ts";
import { selectList } from "../convert/source.ts";
import type { LossHandler, SourceColumn, TargetColumn } from "../convert/types.ts";
import { UserError } from "../config/errors.ts";
import type { Route } from "./routes.ts";
import { targetColumnFor, type TargetTable } from "../sink/target.ts";
import { sourceName } from "./followed.ts";

/** How the rows of one followed table are read from MySQL and written to PostgreSQL. */
export interface RowCodec {
  route: Route;
  target: TargetTable;
  /** Source columns in SELECT order (the table's order). */
  sourceColumns: SourceColumn[];
  /** The target column each source column fills, same order. */
  targetColumns: TargetColumn[];
  /** Positions of the primary key columns within the column lists, in key order. */
  keyIndexes: number[];
  /** The SELECT list reading the source columns exactly (`selectList`). */
  selectList: string;
  /** `ORDER BY` list of the key on the source, quoted. */
  sourceKeyList: string;
  /** Encodes one row (values in SELECT order) into PostgreSQL text fields. */
  encode(values: readonly unknown[]): (string | null)[];
  /** Encodes rows into COPY text lines. */
  copyLines(rows: readonly (readonly unknown[])[]): string;
}

/**
 * Pairs every source column with its target column (by name, then case-insensitively, as the sync
 * does) and builds their encoders. Throws UserError when a column has no home or cannot be
 * converted, with the fix.
 */
export function makeRowCodec(route: Route, target: TargetTable, onLoss: LossHandler): RowCodec {
  const source = route.source;
  const pairs = matchColumns(route, target, source.columns);
  const encoders = pairEncoders(route, target, pairs, onLoss);
  const names = source.columns.map((c) => c.name.toLowerCase());
  const keyIndexes = source.primaryKey.map((key) => names.indexOf(key.toLowerCase()));
  const count = encoders.length;
  const encode = (values: readonly unknown[]): (string | null)[] => {
    const fields = new Array<string | null>(count);
    for (let i = 0; i < count; i++) fields[i] = encoders[i](values[i]);
    return fields;
  };
  return {
    route,
    target,
    sourceColumns: source.columns,
    targetColumns: pairs.map(([, t]) => t),
    keyIndexes,
    selectList: selectList(source.columns),
    sourceKeyList: source.primaryKey.map(quoteMySqlIdent).join(", "),
    encode,
    copyLines(rows) {
      let text = "";
      for (const row of rows) text += copyText(encode(row));
      return text;
    },
  };
}

/** The encoder of every (source, target) column pair; UserError naming both for an impossible one. */
export function pairEncoders(
  route: Route,
  target: TargetTable,
  pairs: readonly [SourceColumn, TargetColumn][],
  onLoss: LossHandler,
): Encoder[] {
  return pairs.map(([s, t]) => {
    try {
      return makeEncoder(s, t, onLoss);
    } catch (err) {
      throw new UserError(
        `MySQL ${sourceName(route)}.${s.name} (${s.columnType}) cannot be written to ` +
          `PostgreSQL ${target.schema}.${target.table}.${t.name} (${t.type}): ${
            (err as Error).message
          }`,
        1,
      );
    }
  });
}

/**
 * Each source column with its target column, found the way the sync finds it (`targetColumnFor`),
 * so both fill the same columns.
 */
export function matchColumns(
  route: Route,
  target: TargetTable,
  sources: readonly SourceColumn[],
): [SourceColumn, TargetColumn][] {
  return sources.map((s) => {
    const t = targetColumnFor(target, s.name);
    if (!t) {
      const table = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
      throw new UserError(
        `column "${s.name}" of MySQL table ${sourceName(route)} has no column in PostgreSQL ` +
          `table ${target.schema}.${target.table}; add it: ALTER TABLE ${table} ADD COLUMN ` +
          `${quoteIdent(s.name)} ${typeHint(s)}`,
        1,
      );
    }
    return [s, t];
  });
}

/** The type `snapshot` would give the column, or a placeholder for a type it cannot map. */
function typeHint(column: SourceColumn): string {
  try {
    return pgTypeFor(column);
  } catch {
    return "<type>";
  }
}
