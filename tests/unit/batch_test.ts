/**
 * The merge rules of a batch: final state per key, key changes, the insert-only list, layout
 * conflicts and the counts/position bookkeeping, with a hand-built encoder and plan stand-in.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { Batch, TableBatch } from "../../src/pipeline/batch.ts";
import type { RowEncoder, TablePlan } from "../../src/pipeline/plan.ts";
import type { ZongJiColumnSchema } from "../../src/convert/types.ts";
import type {
  EventTable,
  Row,
  RowsChange,
  SourceTransaction,
} from "../../src/source/transaction.ts";

/** Text of a value: byte arrays in hex (objects, so `sameKey` cannot vouch for them). */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return [...value].map((b) => b.toString(16)).join("");
  return String(value);
}

/** An encoder of the columns `names`, the first `keyCount` of them the key. */
function encoder(names: string[], keyCount = 1): RowEncoder {
  const keyIndexes = names.slice(0, keyCount).map((_, i) => i);
  return {
    layout: names.join(","),
    columns: names,
    keyIndexes,
    keyColumns: names.slice(0, keyCount),
    encode: (row: Row) => names.map((name) => text(row[name])),
    encodeKey: (row: Row) => keyIndexes.map((i) => text(row[names[i]])),
    sameKey: (a: Row, b: Row) =>
      keyIndexes.every((i) => a[names[i]] === b[names[i]] && typeof a[names[i]] !== "object"),
    softDeleted: null,
  };
}

const layoutV1: readonly ZongJiColumnSchema[] = [];
const layoutV2: readonly ZongJiColumnSchema[] = [];

/** A plan whose encoder depends on the column layout (the array's identity, here). */
function plan(name: string, byLayout: Map<readonly ZongJiColumnSchema[], RowEncoder>): TablePlan {
  return {
    sourceName: `s.${name}`,
    targetName: `"public"."${name}"`,
    route: { sourceTag: null },
    encoderFor: (columns: readonly ZongJiColumnSchema[]) => byLayout.get(columns)!,
  } as unknown as TablePlan;
}

const items = plan("items", new Map([[layoutV1, encoder(["id", "v"])]]));
const pairs = plan("pairs", new Map([[layoutV1, encoder(["a", "b", "v"], 2)]]));
const evolving = plan(
  "evolving",
  new Map([[layoutV1, encoder(["id", "v"])], [layoutV2, encoder(["id", "v", "w"])]]),
);
const plans = new Map([["items", items], ["pairs", pairs], ["evolving", evolving]]);
const planFor = (change: RowsChange) => plans.get(change.table.table);

function table(name: string, columns = layoutV1): EventTable {
  return { schema: "s", table: name, columns };
}
const itemsTable = table("items");

let nextPos = 100;
function tx(changes: RowsChange[], fields: Partial<SourceTransaction> = {}): SourceTransaction {
  let rowCount = 0;
  for (const change of changes) rowCount += change.rows.length;
  return {
    changes,
    rowCount,
    bytes: 10 * rowCount,
    position: { file: "bin.000001", pos: nextPos++ },
    timestamp: 1_700_000_000_000,
    ...fields,
  };
}
const insert = (rows: Row[], on = itemsTable): RowsChange => ({ kind: "insert", table: on, rows });
const remove = (rows: Row[], on = itemsTable): RowsChange => ({ kind: "delete", table: on, rows });
const update = (rows: { before: Row; after: Row }[], on = itemsTable): RowsChange => ({
  kind: "update",
  table: on,
  rows,
});

function itemsOf(batch: Batch): TableBatch {
  const found = batch.tables.get(items);
  assert(found instanceof TableBatch, "no keyed rows for s.items");
  return found;
}

Deno.test("inserts only are kept as a list of rows", () => {
  const batch = new Batch();
  batch.add(tx([insert([{ id: 1, v: "a" }, { id: 2, v: null }])]), planFor);
  batch.add(tx([insert([{ id: 3, v: "c" }])]), planFor);
  const rows = itemsOf(batch);
  assertEquals(rows.insertedRows, [["1", "a"], ["2", null], ["3", "c"]]);
  assertEquals(rows.size, 3);
  assertEquals(rows.ops, { insert: 3, update: 0, delete: 0 });
});

Deno.test("the first update turns the list into the final state per key", () => {
  const batch = new Batch();
  batch.add(tx([insert([{ id: 1, v: "a" }, { id: 2, v: "b" }])]), planFor);
  batch.add(tx([update([{ before: { id: 1, v: "a" }, after: { id: 1, v: "A" } }])]), planFor);
  batch.add(tx([insert([{ id: 3, v: "c" }])]), planFor);
  const rows = itemsOf(batch);
  assertEquals(rows.insertedRows, null);
  assertEquals([...rows.states], [["1", ["1", "A"]], ["2", ["2", "b"]], ["3", ["3", "c"]]]);
  assertEquals(rows.ops, { insert: 3, update: 1, delete: 0 });
});

Deno.test("a delete leaves the key deleted, a later insert brings it back", () => {
  const batch = new Batch();
  batch.add(
    tx([insert([{ id: 1, v: "a" }]), remove([{ id: 1, v: "a" }, { id: 9, v: "z" }])]),
    planFor,
  );
  const rows = itemsOf(batch);
  assertEquals(rows.insertedRows, null);
  assertEquals([...rows.states], [["1", null], ["9", null]]);
  batch.add(tx([insert([{ id: 1, v: "again" }])]), planFor);
  assertEquals(rows.states.get("1"), ["1", "again"]);
  assertEquals(rows.ops, { insert: 2, update: 0, delete: 2 });
});

Deno.test("an update changing the key deletes the old key and holds the new row", () => {
  const batch = new Batch();
  batch.add(tx([update([{ before: { id: 1, v: "a" }, after: { id: 2, v: "a" } }])]), planFor);
  assertEquals([...itemsOf(batch).states], [["1", null], ["2", ["2", "a"]]]);
});

Deno.test("an update whose key values differ as objects but not as text deletes nothing", () => {
  const batch = new Batch();
  const before = { id: new Uint8Array([1, 2]), v: "a" };
  const after = { id: new Uint8Array([1, 2]), v: "b" };
  batch.add(tx([update([{ before, after }])]), planFor);
  assertEquals([...itemsOf(batch).states], [["12", ["12", "b"]]]);
});

Deno.test("composite keys are joined by NUL and split back into their fields", () => {
  const batch = new Batch();
  const on = table("pairs");
  batch.add(tx([insert([{ a: 1, b: "x", v: "first" }], on)]), planFor);
  batch.add(tx([remove([{ a: 1, b: "x", v: "first" }], on)]), planFor);
  const rows = batch.tables.get(pairs)!;
  assertEquals([...rows.states.keys()], ["1\u0000x"]);
  assertEquals(rows.keyFields("1\u0000x"), ["1", "x"]);
});

Deno.test("rows of another column layout of a table conflict with those held", () => {
  const batch = new Batch();
  const before = table("evolving", layoutV1);
  const after = table("evolving", layoutV2);
  const other = table("unfollowed");
  assert(!batch.conflicts(tx([insert([{ id: 1 }], after)]), planFor), "nothing held yet");
  batch.add(tx([insert([{ id: 1, v: "a" }], before)]), planFor);
  assert(!batch.conflicts(tx([insert([{ id: 2 }], before)]), planFor));
  assert(!batch.conflicts(tx([insert([{ id: 2 }], other)]), planFor));
  assert(!batch.conflicts(tx([insert([{ id: 2 }])]), planFor), "another table");
  assert(batch.conflicts(tx([insert([{ id: 2, v: "b", w: "c" }], after)]), planFor));
});

Deno.test("counts, bytes, position and gtid follow the transactions added", () => {
  const batch = new Batch();
  assert(batch.empty);
  assertEquals(batch.position, null);
  const before = Date.now();
  batch.add(tx([insert([{ id: 1, v: "a" }, { id: 2, v: "b" }])], { gtid: "0-1-5" }), planFor);
  const startedAt = batch.startedAt;
  assert(startedAt >= before && startedAt <= Date.now());
  const last = tx([insert([{ id: 3, v: "c" }], table("unfollowed"))], {
    bytes: 7,
    timestamp: 1_700_000_001_000,
  });
  batch.add(last, planFor);
  assert(!batch.empty);
  assertEquals(batch.transactions, 2);
  assertEquals(batch.changes, 3, "row changes of tables not followed count too");
  assertEquals(batch.bytes, 27);
  assertEquals(batch.position, last.position);
  assertEquals(batch.gtid, null, "the last transaction had no GTID");
  assertEquals(batch.sourceTimestamp, 1_700_000_001_000);
  assertEquals(batch.startedAt, startedAt, "set by the first transaction only");
  assertEquals([...batch.tables.keys()], [items]);
});

Deno.test("a transaction of unfollowed tables only advances the position", () => {
  const batch = new Batch();
  const unit = tx([insert([{ id: 1 }], table("unfollowed"))], { gtid: "0-1-7" });
  batch.add(unit, planFor);
  assertEquals(batch.tables.size, 0);
  assertEquals(batch.transactions, 1);
  assertEquals(batch.position, unit.position);
  assertEquals(batch.gtid, "0-1-7");
});
