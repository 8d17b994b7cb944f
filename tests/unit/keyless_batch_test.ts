/**
 * The merge rules of a keyless table (rows identified by their whole value): a batch keeps the
 * copies of each distinct row it adds or removes; identical rows count as copies, inserts and
 * deletes of one row cancel out in any order, an update moves one copy, NULL is not the empty
 * string; a table loaded as of a later position skips the changes it holds.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { Batch } from "../../src/pipeline/batch.ts";
import { KeylessTableBatch, rowText } from "../../src/pipeline/keyless_batch.ts";
import type { RowEncoder, TablePlan } from "../../src/pipeline/plan.ts";
import type { BinlogPosition } from "../../src/offsets/position.ts";
import type { Row, RowsChange, SourceTransaction } from "../../src/source/transaction.ts";

const NAMES = ["a", "b"];

/** The whole-row encoder of columns a, b: every column is the key. */
const ENCODER: RowEncoder = {
  layout: "a,b",
  columns: NAMES,
  keyIndexes: [0, 1],
  keyColumns: NAMES,
  encode: (row: Row) => NAMES.map((name) => row[name] === null ? null : String(row[name])),
  encodeKey: (row: Row) => NAMES.map((name) => row[name] === null ? null : String(row[name])),
  sameKey: () => false,
  softDeleted: null,
};

function plan(rowsAsOf: BinlogPosition | null = null): TablePlan {
  return {
    sourceName: "s.log",
    targetName: '"public"."log"',
    route: { sourceTag: null },
    wholeRow: true,
    rowsAsOf,
    encoderFor: () => ENCODER,
  } as unknown as TablePlan;
}

const TABLE = { schema: "s", table: "log", columns: [] };
const insert = (...rows: Row[]): RowsChange => ({ kind: "insert", table: TABLE, rows });
const remove = (...rows: Row[]): RowsChange => ({ kind: "delete", table: TABLE, rows });
const update = (before: Row, after: Row): RowsChange => ({
  kind: "update",
  table: TABLE,
  rows: [{ before, after }],
});

let nextPos = 1000;
function tx(...changes: RowsChange[]): SourceTransaction {
  return {
    changes,
    rowCount: changes.reduce((n, c) => n + c.rows.length, 0),
    bytes: 0,
    position: { file: "bin.000002", pos: nextPos++ },
    timestamp: 0,
  };
}

/** The batch's counts of the one table, as `fields -> copies`, sorted. */
function counts(batch: Batch): [string, number][] {
  const table = batch.tables.values().next().value;
  assert(table instanceof KeylessTableBatch, "no keyless share");
  return [...table.rowCounts.values()]
    .map((row): [string, number] => [JSON.stringify(row.fields), row.count])
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

function merged(...transactions: SourceTransaction[]): Batch {
  const batch = new Batch();
  const keyless = plan();
  for (const t of transactions) batch.add(t, () => keyless);
  return batch;
}

const X = { a: 1, b: "x" };
const Y = { a: 2, b: "y" };

Deno.test("inserts only: a list of rows, identical ones kept as copies", () => {
  const batch = merged(tx(insert(X, X, Y)));
  const table = batch.tables.values().next().value!;
  assertEquals(table.insertedRows, [["1", "x"], ["1", "x"], ["2", "y"]]);
  assertEquals(table.size, 3);
  assertEquals(counts(batch), [['["1","x"]', 2], ['["2","y"]', 1]]);
});

Deno.test("a delete removes one copy of identical rows, not all of them", () => {
  assertEquals(counts(merged(tx(remove(X)))), [['["1","x"]', -1]]);
  assertEquals(counts(merged(tx(insert(X, X, X)), tx(remove(X)))), [['["1","x"]', 2]]);
});

Deno.test("an insert and a delete of one row cancel out, in either order", () => {
  assertEquals(counts(merged(tx(insert(X)), tx(remove(X)))), []);
  assertEquals(counts(merged(tx(remove(X)), tx(insert(X)))), []);
  const batch = merged(tx(insert(X, Y), remove(X)));
  assertEquals(counts(batch), [['["2","y"]', 1]]);
  assertEquals(batch.tables.values().next().value!.size, 1);
});

Deno.test("an update moves one copy from the old row to the new one", () => {
  assertEquals(counts(merged(tx(update(X, Y)))), [['["1","x"]', -1], ['["2","y"]', 1]]);
  // Updated back within the batch: nothing left to do
  assertEquals(counts(merged(tx(update(X, Y)), tx(update(Y, X)))), []);
  // One of two identical rows updated, then the other deleted: two copies of X gone, one Y
  assertEquals(
    counts(merged(tx(update(X, Y), remove(X)))),
    [['["1","x"]', -2], ['["2","y"]', 1]],
  );
});

Deno.test("NULL and the empty string are different rows; NULLs are equal to each other", () => {
  const nullB = { a: 1, b: null };
  const emptyB = { a: 1, b: "" };
  assertEquals(counts(merged(tx(insert(nullB), remove(emptyB), insert(nullB)))), [
    ['["1",""]', -1],
    ['["1",null]', 2],
  ]);
  assert(rowText(["1", null]) !== rowText(["1", ""]));
  assert(rowText(["1", "2"]) !== rowText(["12", null]));
  assert(rowText([null, "V"]) !== rowText(["N", "V"]));
});

Deno.test("a table loaded as of a later position skips the changes it already holds", () => {
  const batch = new Batch();
  const loaded = plan({ file: "bin.000002", pos: 5000 });
  const early = { ...tx(insert(X)), position: { file: "bin.000002", pos: 5000 } };
  const late = { ...tx(insert(Y)), position: { file: "bin.000002", pos: 5001 } };
  batch.add(early, () => loaded);
  assertEquals(batch.tables.size, 0, "a change up to the load position is in the target");
  batch.add(late, () => loaded);
  assertEquals(counts(batch), [['["2","y"]', 1]]);
  assertEquals(batch.changes, 2, "both were read");
});
