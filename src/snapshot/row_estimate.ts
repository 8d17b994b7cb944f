/**
 * How many rows a source table has, for the progress of its load: counted when that is cheap,
 * otherwise the storage engine's estimate.
 *
 * @module
 */
import { qualifiedMySql } from "../convert/ident.ts";
import type { SourceConnection } from "../source/mysql.ts";

/**
 * Below this estimate the rows are counted: COUNT(*) walks the whole table, a few milliseconds
 * per hundred thousand rows, while InnoDB's TABLE_ROWS may be off by half either way.
 */
const COUNT_BELOW = 200_000;

/** The row count of `schema.table`: exact when small, else information_schema's estimate. */
export async function estimateRows(
  connection: SourceConnection,
  schema: string,
  table: string,
): Promise<number> {
  const [stats] = await connection.query(
    "SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
    [schema, table],
  );
  const estimate = Number((stats as { n: number | string | null }[])[0]?.n ?? 0);
  if (estimate >= COUNT_BELOW) return estimate;
  const [counted] = await connection.query(
    `SELECT COUNT(*) AS n FROM ${qualifiedMySql(schema, table)}`,
  );
  return Number((counted as { n: number | string }[])[0].n);
}
