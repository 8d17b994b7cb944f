/**
 * The transaction the binlog reader is in the middle of: whole units, pieces of a large one,
 * savepoints, and the query events that steer it.
 */
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { OpenTransaction, PIECE_BYTES } from "../../src/source/open_transaction.ts";
import { queryAction, statementInsideTransaction } from "../../src/source/query_events.ts";
import type { RowsChange } from "../../src/source/transaction.ts";
import { UserError } from "../../src/config/errors.ts";

const table = { schema: "app", table: "t", columns: [] };
const at = (pos: number) => ({ file: "mysql-bin.000001", pos });

function inserts(...ids: number[]): RowsChange {
  return { kind: "insert", table, rows: ids.map((id) => ({ id })) };
}

function ids(changes: RowsChange[]): unknown[] {
  return changes.flatMap((change) => change.rows.map((row) => "id" in row ? row.id : row));
}

Deno.test("a committed unit takes the rows, their estimate and the group's GTID", () => {
  const open = new OpenTransaction();
  open.begin("0-1-7");
  open.add(inserts(1, 2), 100);
  open.add(inserts(3), 50);
  const unit = open.take(at(900), 5, undefined);
  assertEquals([ids(unit.changes), unit.rowCount, unit.bytes], [[1, 2, 3], 3, 150]);
  assertEquals([unit.position, unit.gtid, unit.partial], [at(900), "0-1-7", undefined]);
  // The next transaction starts empty and without that GTID.
  const next = open.take(at(950), 6, undefined);
  assertEquals([next.changes, next.rowCount, next.bytes, next.gtid], [[], 0, 0, undefined]);
});

Deno.test("a piece is due at the piece size and leaves the transaction open", () => {
  const open = new OpenTransaction();
  open.begin("0-1-8");
  assertEquals(open.add(inserts(1), PIECE_BYTES - 1), false);
  assertEquals(open.add(inserts(2), 1), true);
  const piece = open.take(at(0), 5, undefined, { partial: true });
  assertEquals([ids(piece.changes), piece.partial, piece.gtid], [[1, 2], true, "0-1-8"]);
  assertEquals(open.touched, true);
  open.add(inserts(3), 10);
  const last = open.take(at(990), 6, undefined);
  assertEquals([ids(last.changes), last.gtid, open.touched], [[3], "0-1-8", false]);
});

Deno.test("a new group drops uncommitted rows, but never after pieces of them went out", () => {
  const open = new OpenTransaction();
  open.add(inserts(1), 10);
  open.begin("0-1-9");
  assertEquals(open.touched, false);
  open.add(inserts(2), PIECE_BYTES);
  open.take(at(0), 5, undefined, { partial: true });
  assertMatch(assertThrows(() => open.begin("0-1-10"), Error).message, /ended without a commit/);
});

Deno.test("ROLLBACK TO a savepoint drops the rows since it, and only those", () => {
  const open = new OpenTransaction();
  open.add(inserts(1), 10);
  open.savepoint("S");
  open.add(inserts(2), 20);
  open.add(inserts(3), 30);
  open.rollbackTo("s");
  open.add(inserts(4), 40);
  const unit = open.take(at(900), 5, undefined);
  assertEquals([ids(unit.changes), unit.rowCount, unit.bytes], [[1, 4], 2, 50]);
  // Savepoints end with their transaction.
  assertThrows(() => open.rollbackTo("s"), Error);
});

Deno.test("ROLLBACK TO cannot undo rows that went out in a piece", () => {
  const open = new OpenTransaction();
  open.savepoint("s");
  open.add(inserts(1), PIECE_BYTES);
  open.take(at(0), 5, undefined, { partial: true });
  assertMatch(assertThrows(() => open.rollbackTo("s"), Error).message, /applied in a piece/);
});

Deno.test("ROLLBACK ends the transaction without its rows, pieces or not", () => {
  const open = new OpenTransaction();
  open.add(inserts(1), PIECE_BYTES);
  open.take(at(0), 5, undefined, { partial: true });
  open.add(inserts(2), 10);
  const unit = open.rollback(at(990), 6, undefined);
  assertEquals([unit.changes, unit.rowCount, unit.rolledBack], [[], 0, true]);
  assertEquals(open.touched, false);
});

Deno.test("query events: transaction control, savepoints and standalone statements", () => {
  assertEquals(queryAction("BEGIN"), { kind: "begin" });
  assertEquals(queryAction("COMMIT"), { kind: "commit" });
  assertEquals(queryAction("ROLLBACK"), { kind: "rollback" });
  assertEquals(queryAction("SAVEPOINT `a b`"), { kind: "savepoint", name: "a b" });
  assertEquals(queryAction("ROLLBACK TO `s`"), { kind: "rollbackTo", name: "s" });
  assertEquals(queryAction("rollback to savepoint s1"), { kind: "rollbackTo", name: "s1" });
  assertEquals(queryAction("TRUNCATE TABLE t"), { kind: "statement" });
  assertEquals(queryAction("XA END X'7831',X'',1"), { kind: "statement" });
});

Deno.test("a statement inside a transaction is an error; XA says what to do", () => {
  const xa = statementInsideTransaction("XA END X'7831',X'',1", at(638));
  assertEquals(xa instanceof UserError, true);
  assertMatch(xa.message, /^the transaction after mysql-bin\.000001:638 is an XA transaction/);
  assertMatch(xa.message, /mysql-gp-sync snapshot/);
  const other = statementInsideTransaction("CREATE TABLE x (a int)", at(638));
  assertEquals(other instanceof UserError, false);
});
