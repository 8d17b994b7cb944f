/**
 * Row-by-row equality of a MariaDB table and its PostgreSQL copy for tests, independent of the
 * sync's own `verify`: both sides are read in ranges of an integer key column through
 * `mysqlRows` / `pgRows`, and what differs is described in a few lines (counts and examples)
 * rather than as a diff of a million rows.
 *
 * @module
 */
import type mysql from "mysql2/promise";
import type postgres from "postgres";
import { mysqlRows, pgRows } from "./fixture.ts";

/** A table pair to compare. */
export interface ComparedTable {
  /** `schema.table` in MariaDB. */
  mysqlTable: string;
  /** `schema.table` in PostgreSQL. */
  pgTable: string;
  /** Select list, the same text on both sides. */
  columns: string;
  /** Integer column the comparison walks in ranges. */
  rangeColumn: string;
}

/** Key values per range read at once: bounds the rows held in memory. */
const RANGE_SPAN = 50_000;
const EXAMPLES = 3;
/** Characters of an example row shown (long text columns would drown the message). */
const EXAMPLE_CHARS = 160;

/** What differs between the two sides, one line per kind of difference; empty when equal. */
export async function tableDifferences(
  my: mysql.Connection,
  pg: postgres.Sql,
  table: ComparedTable,
): Promise<string[]> {
  const { mysqlTable, pgTable, rangeColumn: column } = table;
  const [[myMin, myMax, myCount]] = await mysqlRows(
    my,
    `SELECT min(${column}), max(${column}), count(*) FROM ${mysqlTable}`,
  );
  const [[pgMin, pgMax, pgCount]] = await pgRows(
    pg,
    `SELECT min(${column}), max(${column}), count(*) FROM ${pgTable}`,
  );
  const bounds = [myMin, myMax, pgMin, pgMax].filter((v) => v !== null).map(Number);
  if (bounds.length === 0) return [];
  const onlyInMysql: string[] = [];
  const onlyInPg: string[] = [];
  let onlyInMysqlCount = 0;
  let onlyInPgCount = 0;
  const low = Math.min(...bounds);
  const high = Math.max(...bounds);
  for (let from = low; from <= high; from += RANGE_SPAN) {
    const where = `WHERE ${column} >= ${from} AND ${column} < ${from + RANGE_SPAN}`;
    const [mine, theirs] = await Promise.all([
      mysqlRows(my, `SELECT ${table.columns} FROM ${mysqlTable} ${where}`),
      pgRows(pg, `SELECT ${table.columns} FROM ${pgTable} ${where}`),
    ]);
    const mineSet = new Set(mine.map((row) => JSON.stringify(row)));
    const theirSet = new Set(theirs.map((row) => JSON.stringify(row)));
    for (const row of mineSet) {
      if (theirSet.has(row)) continue;
      if (onlyInMysqlCount++ < EXAMPLES) onlyInMysql.push(shorten(row));
    }
    for (const row of theirSet) {
      if (mineSet.has(row)) continue;
      if (onlyInPgCount++ < EXAMPLES) onlyInPg.push(shorten(row));
    }
  }
  const problems: string[] = [];
  if (onlyInMysqlCount > 0) {
    problems.push(
      `${mysqlTable}: ${onlyInMysqlCount} rows missing or different in ${pgTable}, ` +
        `e.g. ${onlyInMysql.join(" ")}`,
    );
  }
  if (onlyInPgCount > 0) {
    problems.push(
      `${pgTable}: ${onlyInPgCount} rows not in ${mysqlTable} (stale, extra or different), ` +
        `e.g. ${onlyInPg.join(" ")}`,
    );
  }
  // Sets hide a row held twice; the counts do not.
  if (problems.length > 0 || myCount !== pgCount) {
    problems.unshift(`${mysqlTable}: ${myCount} rows in MariaDB, ${pgCount} in PostgreSQL`);
  }
  return problems;
}

function shorten(row: string): string {
  return row.length <= EXAMPLE_CHARS ? row : `${row.slice(0, EXAMPLE_CHARS)}...`;
}
