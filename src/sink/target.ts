/**
 * The target's catalog: a table's columns and indexes as PostgreSQL describes them, and what they
 * allow (index lookups by key, refusal of duplicate keys, the column receiving a source column).
 *
 * @module
 */
import type { TargetColumn } from "../convert/types.ts";
import type { Queryable } from "./postgres.ts";

/** A PostgreSQL table as its catalog describes it now. */
export interface TargetTable {
  schema: string;
  table: string;
  columns: TargetColumn[];
  /** The first column of each valid, non-partial index: a lookup by one of them can use it. */
  indexLeads: string[];
  /**
   * The columns of each unique index that PostgreSQL checks at once (not deferred to commit):
   * valid, without predicate or expression.
   */
  uniqueKeys: string[][];
}

/** Reads the columns and indexes of `schema.table`; null when there is no such table. */
export async function describeTarget(
  sql: Queryable,
  schema: string,
  table: string,
): Promise<TargetTable | null> {
  const rows = await sql<{ name: string; type: string }[]>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table}
       AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`;
  if (rows.length === 0) return null;
  // Expression columns (attnum 0) come back as NULL names.
  const indexes = await sql<{ names: (string | null)[]; unique: boolean }[]>`
    SELECT array(
             SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              ORDER BY k.n) AS names,
           i.indisunique AND i.indimmediate AS unique
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table}
       AND i.indpred IS NULL AND i.indisvalid`;
  return {
    schema,
    table,
    columns: rows.map((r) => ({ name: r.name, type: r.type })),
    indexLeads: indexes.flatMap((i) => i.names[0] ?? []),
    uniqueKeys: indexes.filter((i) => i.unique && !i.names.includes(null))
      .map((i) => i.names as string[]),
  };
}

/** Whether a lookup by `keyColumns` (target names) can use one of the table's indexes. */
export function keyIndexed(target: TargetTable, keyColumns: readonly string[]): boolean {
  return target.indexLeads.some((name) => keyColumns.includes(name));
}

/**
 * Whether a row whose `keyColumns` (target names) equal those of a stored row is refused at once:
 * some unique index covers nothing but key columns.
 */
export function duplicateKeysRefused(
  target: TargetTable,
  keyColumns: readonly string[],
): boolean {
  return target.uniqueKeys.some((columns) => columns.every((name) => keyColumns.includes(name)));
}

/**
 * The target column that receives the source column `name`: the same name, else the same name in
 * another case (MySQL column names are case-insensitive, quoted PostgreSQL names are not).
 */
export function targetColumnFor<T extends { name: string }>(
  target: { columns: readonly T[] },
  name: string,
): T | undefined {
  const lower = name.toLowerCase();
  return target.columns.find((c) => c.name === name) ??
    target.columns.find((c) => c.name.toLowerCase() === lower);
}
