/**
 * What the statement of a binlog query event means to the reader: a transaction's BEGIN, COMMIT,
 * ROLLBACK or savepoint, or a standalone statement (DDL, TRUNCATE); and the error for a statement
 * that comes inside a transaction where none can be followed.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";

/** What a query event does to the transaction being read. */
export type QueryAction =
  | { kind: "begin" | "commit" | "rollback" | "statement" }
  | { kind: "savepoint" | "rollbackTo"; name: string };

const BEGIN: QueryAction = { kind: "begin" };
const COMMIT: QueryAction = { kind: "commit" };
const ROLLBACK: QueryAction = { kind: "rollback" };
const STATEMENT: QueryAction = { kind: "statement" };

/** The savepoint statements a transaction's binlog holds (MySQL and MariaDB quote the name). */
const SAVEPOINT = /^SAVEPOINT\s+`?([^`]*)`?$/i;
const ROLLBACK_TO = /^ROLLBACK\s+TO\s+(?:SAVEPOINT\s+)?`?([^`]*)`?$/i;

/** What the query event of statement `sql` (trimmed) does. */
export function queryAction(sql: string): QueryAction {
  const word = sql.slice(0, 9).toUpperCase();
  if (word.startsWith("BEGIN")) return BEGIN;
  if (word.startsWith("COMMIT")) return COMMIT;
  if (word.startsWith("SAVEPOINT")) return savepoint("savepoint", SAVEPOINT, sql);
  if (word.startsWith("ROLLBACK")) {
    return ROLLBACK_TO.test(sql) ? savepoint("rollbackTo", ROLLBACK_TO, sql) : ROLLBACK;
  }
  return STATEMENT;
}

function savepoint(kind: "savepoint" | "rollbackTo", pattern: RegExp, sql: string): QueryAction {
  const match = pattern.exec(sql);
  if (!match) throw new Error(`cannot read the savepoint name of: ${sql.slice(0, 100)}`);
  return { kind, name: match[1] };
}

/**
 * The error for statement `sql` inside the transaction after `after`: inside a transaction only
 * its control statements are logged, and a statement unit would carry the rows read so far off
 * (statements apply no rows).
 */
export function statementInsideTransaction(sql: string, after: BinlogPosition): Error {
  const at = `the transaction after ${formatPosition(after)}`;
  if (/^XA\b/i.test(sql)) {
    // Its rows belong to the XA COMMIT that may come much later, after other transactions.
    return new UserError(
      `${at} is an XA transaction on a followed table (${sql.slice(0, 60)}), which cannot be ` +
        `followed: do not use XA on followed tables, and reload the tables it changed with ` +
        `"mysql-gp-sync snapshot"`,
      1,
    );
  }
  return new Error(`unexpected statement inside ${at}: ${sql.slice(0, 100)}`);
}
