/**
 * The #17 rule keys on the sync path, without servers: column selection, the source tag and soft
 * delete in the one column pairing (sync encoder and snapshot/verify codec alike), soft-deleted
 * and merged-target batches, and the target `snapshot`/`run` create for such a rule.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import type { Config, RuleConfig } from "../../src/config/config.ts";
import { UserError } from "../../src/config/errors.ts";
import { DEFAULT_SOURCE_VALUE } from "../../src/config/table_rules.ts";
import { dataTypeOf, type SourceColumn, type ZongJiColumnSchema } from "../../src/convert/types.ts";
import { Batch, commitTime, TableBatch } from "../../src/pipeline/batch.ts";
import { TablePlan } from "../../src/pipeline/plan.ts";
import { recordApplied } from "../../src/pipeline/applied_stats.ts";
import { newStats } from "../../src/observe/stats.ts";
import type { SourceTable } from "../../src/schema/table.ts";
import { DOUBLE, LONG } from "../../src/source/zongji/column_types.ts";
import { imageReaders, prepareRowReaders } from "../../src/source/zongji/row_readers.ts";
import type { ZongJiTableMapEntry } from "../../src/source/zongji/shapes.ts";
import type { FinalState } from "../../src/sink/input.ts";
import { GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";
import type { TargetTable } from "../../src/sink/target.ts";
import type { Row, RowsChange, SourceTransaction } from "../../src/source/transaction.ts";
import { createTableStatements } from "../../src/tables/create_table.ts";
import { newTableRoute } from "../../src/tables/followed.ts";
import { makeRowCodec } from "../../src/tables/row_codec.ts";
import { keyLookup, rowIdentity } from "../../src/tables/row_identity.ts";
import { type Route, routeOf } from "../../src/tables/routes.ts";
import { Logger } from "../../src/util/log.ts";

const column = (name: string, columnType: string): SourceColumn => ({
  name,
  columnType,
  dataType: dataTypeOf(columnType),
  unsigned: false,
  charset: columnType.startsWith("varchar") ? "utf8mb4" : null,
  nullable: true,
});

const ORDERS: SourceTable = {
  schema: "shop",
  table: "orders_1",
  primaryKey: ["id"],
  columns: [
    column("id", "int"),
    column("Secret", "varchar(20)"),
    column("total", "int"),
    column("note", "varchar(20)"),
  ],
};

function rule(fields: Partial<RuleConfig> = {}): RuleConfig {
  return {
    schema: "shop",
    table: "orders_\\d+",
    pgSchema: "public",
    pgTable: "orders",
    columns: null,
    sourceColumn: null,
    sourceValue: DEFAULT_SOURCE_VALUE,
    softDelete: null,
    distributedBy: null,
    tableOptions: null,
    ...fields,
  };
}

function route(fields: Partial<RuleConfig> = {}, source = ORDERS): Route {
  return { ...routeOf(source, [rule(fields)], "east"), identity: rowIdentity(source) };
}

/** The target the rule's `snapshot` would create, as the catalog would describe it. */
function target(names: string[]): TargetTable {
  return {
    schema: "public",
    table: "orders",
    columns: names.map((name) => ({
      name,
      type: name === "deleted" ? "boolean" : name === "deleted_at" ? "timestamptz" : "text",
    })),
    indexLeads: [],
    uniqueKeys: [],
  };
}

const schemaOf = (columns: readonly SourceColumn[]): ZongJiColumnSchema[] =>
  columns.map((c) => ({
    COLUMN_NAME: c.name,
    COLUMN_TYPE: c.columnType,
    CHARACTER_SET_NAME: c.charset,
  }));
const LAYOUT = schemaOf(ORDERS.columns);

const SELECTED = { columns: ["TOTAL"] };
const TAGGED = { sourceColumn: "shard" };
const SOFT = { softDelete: { column: "deleted", timeColumn: "deleted_at" } };

Deno.test("columns: unselected source columns are not paired, and need no target column", () => {
  const narrow = target(["id", "total"]);
  const plan = new TablePlan(route(SELECTED), narrow, () => {});
  const encoder = plan.encoderFor(LAYOUT);
  // The key is replicated whether listed or not; case does not matter
  assertEquals(encoder.columns, ["id", "total"]);
  assertEquals(encoder.encode({ id: 1, Secret: "x", total: 5, note: "n" }), ["1", "5"]);
  const codec = makeRowCodec(route(SELECTED), narrow, () => {});
  assertEquals(codec.sourceColumns.map((c) => c.name), ["id", "total"]);
  assertEquals(codec.selectList.includes("Secret"), false);
  assertEquals(codec.encode([1, 5]), ["1", "5"]);
  // Without the selection, the missing column is the usual error with its fix
  const err = assertThrows(() => new TablePlan(route(), narrow, () => {}), UserError);
  assertMatch(err.message, /column "Secret" of MySQL table shop\.orders_1 has no column/);
});

Deno.test("source tag and soft delete: appended fields, the tag in the key", () => {
  const full = target(["id", "Secret", "total", "note", "shard", "deleted", "deleted_at"]);
  const plan = new TablePlan(route({ ...TAGGED, ...SOFT }), full, () => {});
  const encoder = plan.encoderFor(LAYOUT);
  assertEquals(encoder.columns.slice(4), ["shard", "deleted", "deleted_at"]);
  assertEquals(encoder.keyIndexes, [0, 4]);
  assertEquals(encoder.keyColumns, ["id", "shard"]);
  const row = { id: 7, Secret: "s", total: 3, note: null };
  assertEquals(encoder.encode(row), ["7", "s", "3", null, "east.shop.orders_1", "f", null]);
  assertEquals(encoder.encodeKey({ id: 7 }), ["7", "east.shop.orders_1"]);
  assert(encoder.sameKey(row, { ...row, total: 4 }));
  assertEquals(
    encoder.softDeleted!(row, "2024-01-02T03:04:05.000Z"),
    ["7", "s", "3", null, "east.shop.orders_1", "t", "2024-01-02T03:04:05.000Z"],
  );
  // The snapshot/verify codec writes the same fields and knows where they are
  const codec = makeRowCodec(route({ ...TAGGED, ...SOFT }), full, () => {});
  assertEquals(codec.encode([7, "s", 3, null]), encoder.encode(row));
  assertEquals(codec.keyIndexes, [0]);
  assertEquals(codec.appended, { tag: 4, deleted: 5, deletedAt: 6 });
  assertEquals(codec.targetColumns.map((c) => c.name), encoder.columns);
});

Deno.test("a whole-row identity takes the selected columns and the tag as its row", () => {
  const keyless = { ...ORDERS, primaryKey: [] };
  const plan = new TablePlan(
    route({ ...TAGGED, columns: ["total"] }, keyless),
    target(["total", "shard"]),
    () => {},
  );
  const encoder = plan.encoderFor(LAYOUT);
  assertEquals(encoder.columns, ["total", "shard"]);
  assertEquals(encoder.keyIndexes, [0, 1]);
});

Deno.test("a target without the tag or soft-delete column is refused with the ALTER TABLE", () => {
  const tag = assertThrows(
    () => new TablePlan(route(TAGGED), target(["id", "Secret", "total", "note"]), () => {}),
    UserError,
  );
  assertMatch(
    tag.message,
    /no column "shard", which the \[\[rule\]\]'s source_column names; add it: ALTER TABLE "public"\."orders" ADD COLUMN "shard" text NOT NULL; put it in the primary key/,
  );
  const flag = assertThrows(
    () => makeRowCodec(route(SOFT), target(["id", "Secret", "total", "note"]), () => {}),
    UserError,
  );
  assertMatch(flag.message, /ADD COLUMN "deleted" boolean NOT NULL DEFAULT false$/);
  const time = assertThrows(
    () => makeRowCodec(route(SOFT), target(["id", "Secret", "total", "note", "deleted"]), () => {}),
    UserError,
  );
  assertMatch(
    time.message,
    /soft_delete_time_column names; .*ADD COLUMN "deleted_at" timestamptz$/,
  );
});

Deno.test("soft delete decodes whole before images, and is refused without a key", () => {
  const lookup = keyLookup([route(), { ...route(SOFT), source: { ...ORDERS, table: "soft" } }]);
  assertEquals(lookup("shop", "orders_1"), new Set(["id"]));
  assertEquals(lookup("shop", "soft"), undefined);
  const config = {
    file: "sync.toml",
    rules: [rule(SOFT)],
    instanceName: "east",
    skipNoPkTable: false,
  } as unknown as Config;
  const log = new Logger("error", { quiet: true });
  assert(newTableRoute(ORDERS, config, log)?.softDelete);
  const err = assertThrows(
    () => newTableRoute({ ...ORDERS, primaryKey: [] }, config, log),
    UserError,
  );
  assertMatch(
    err.message,
    /^sync\.toml: the \[\[rule\]\] for shop\.orders_1 sets soft_delete_column.*add a primary key/,
  );
});

// --- batches ---------------------------------------------------------------------------------

const FULL = target(["id", "Secret", "total", "note", "shard", "deleted", "deleted_at"]);

function planOf(table: string, fields: Partial<RuleConfig>, onto = FULL): TablePlan {
  return new TablePlan(route(fields, { ...ORDERS, table }), onto, () => {});
}

let nextPos = 4;
function tx(changes: RowsChange[], timestamp = 1_700_000_000_000): SourceTransaction {
  return {
    changes,
    rowCount: changes.reduce((n, c) => n + c.rows.length, 0),
    bytes: 0,
    position: { file: "bin.000001", pos: nextPos++ },
    timestamp,
  };
}
const on = (table: string) => ({ schema: "shop", table, columns: LAYOUT });
const insert = (table: string, ...rows: Row[]): RowsChange => ({
  kind: "insert",
  table: on(table),
  rows,
});
const remove = (table: string, ...rows: Row[]): RowsChange => ({
  kind: "delete",
  table: on(table),
  rows,
});
const row = (id: number, total = 1): Row => ({ id, Secret: "s", total, note: null });

/** The final states of the batch's shares: target key text -> row, by the share's first plan. */
function states(batch: Batch): Map<string, [string, FinalState][]> {
  return new Map(
    [...batch.tables].map(([plan, share]) => [plan.sourceName, [...share.states.entries()]]),
  );
}

Deno.test("a soft delete keeps the row flagged with the commit time; a re-insert revives it", () => {
  const plan = planOf("orders_1", { ...TAGGED, ...SOFT });
  const planFor = () => plan;
  const batch = new Batch();
  batch.add(tx([insert("orders_1", row(1), row(2))]), planFor);
  batch.add(tx([remove("orders_1", row(1), row(2))], 1_700_000_123_000), planFor);
  const at = "2023-11-14T22:15:23.000Z";
  assertEquals(commitTime(1_700_000_123_000), at);
  const tag = "east.shop.orders_1";
  assertEquals(states(batch).get("shop.orders_1"), [
    [`1\u0000${tag}`, ["1", "s", "1", null, tag, "t", at]],
    [`2\u0000${tag}`, ["2", "s", "1", null, tag, "t", at]],
  ]);
  batch.add(tx([insert("orders_1", row(2, 9))]), planFor);
  assertEquals(states(batch).get("shop.orders_1")![1][1], ["2", "s", "9", null, tag, "f", null]);
});

Deno.test("merged target without a tag: the last change of a key wins across source tables", () => {
  const a = planOf("orders_1", {}, target(["id", "Secret", "total", "note"]));
  const b = planOf("orders_2", {}, target(["id", "Secret", "total", "note"]));
  const plans = new Map([["orders_1", a], ["orders_2", b]]);
  const planFor = (change: RowsChange) => plans.get(change.table.table);
  // Key 1 moves from orders_1 to orders_2 within one transaction, key 2 the other way
  const batch = new Batch();
  batch.add(tx([insert("orders_1", row(1)), insert("orders_2", row(2))]), planFor);
  batch.add(
    tx([
      remove("orders_1", row(1)),
      insert("orders_2", row(1, 5)),
      insert("orders_1", row(2, 6)),
      remove("orders_2", row(2)),
    ]),
    planFor,
  );
  // One share for the target, holding each key's last state
  assertEquals([...batch.tables.keys()], [a]);
  assertEquals(states(batch).get("shop.orders_1"), [
    ["1", ["1", "s", "5", null]],
    ["2", null],
  ]);
  // Equal inserted keys from two tables are kept by key, not as a list that would repeat them
  const inserts = new Batch();
  inserts.add(tx([insert("orders_1", row(3))]), planFor);
  inserts.add(tx([insert("orders_2", row(3, 8))]), planFor);
  const share = inserts.tables.get(a);
  assert(share instanceof TableBatch);
  assertEquals(share.insertedRows, null);
  assertEquals([...share.states.values()], [["3", "s", "8", null]]);
});

Deno.test("merged target with distinct tags: inserts stay a list, keys apart", () => {
  const a = planOf("orders_1", TAGGED, target(["id", "Secret", "total", "note", "shard"]));
  const b = planOf("orders_2", TAGGED, target(["id", "Secret", "total", "note", "shard"]));
  const plans = new Map([["orders_1", a], ["orders_2", b]]);
  const planFor = (change: RowsChange) => plans.get(change.table.table);
  const batch = new Batch();
  batch.add(tx([insert("orders_1", row(1)), insert("orders_2", row(1))]), planFor);
  const share = batch.tables.get(a)!;
  assertEquals(share.insertedRows?.map((r) => r[4]), ["east.shop.orders_1", "east.shop.orders_2"]);
  batch.add(tx([remove("orders_2", row(1))]), planFor);
  assertEquals([...share.states.entries()].map(([key, state]) => [key, state === null]), [
    ["1\u0000east.shop.orders_1", false],
    ["1\u0000east.shop.orders_2", true],
  ]);
});

Deno.test("a merged share credits each source table with its own changes in the stats", () => {
  const a = planOf("orders_1", TAGGED, target(["id", "Secret", "total", "note", "shard"]));
  const b = planOf("orders_2", TAGGED, target(["id", "Secret", "total", "note", "shard"]));
  const alone = planOf("orders_9", {}, target(["id", "Secret", "total", "note"]));
  const plans = new Map([["orders_1", a], ["orders_2", b], ["orders_9", alone]]);
  const planFor = (change: RowsChange) => plans.get(change.table.table);
  const batch = new Batch();
  batch.add(tx([insert("orders_1", row(1), row(2)), insert("orders_2", row(1))]), planFor);
  batch.add(tx([remove("orders_2", row(1)), insert("orders_9", row(1), row(2))]), planFor);
  batch.add(tx([remove("orders_9", row(2))]), planFor);
  const stats = newStats();
  recordApplied(stats, new Logger("error"), batch);
  assertEquals(Object.fromEntries(stats.perTableOps), {
    "shop.orders_1": { insert: 2, update: 0, delete: 0 },
    "shop.orders_2": { insert: 1, update: 0, delete: 1 },
    "shop.orders_9": { insert: 2, update: 0, delete: 1 },
  });
  // Rows written: a table alone in its share counts them after merging (2 keys), merged ones
  // their changes
  assertEquals(Object.fromEntries(stats.perTable), {
    "shop.orders_1": 2,
    "shop.orders_2": 2,
    "shop.orders_9": 2,
  });
});

Deno.test("another table's rows of other fields into the same target wait for the next batch", () => {
  const a = planOf("orders_1", {}, target(["id", "Secret", "total", "note"]));
  const b = planOf("orders_2", { columns: ["total"] }, target(["id", "Secret", "total", "note"]));
  const c = planOf("orders_3", {}, target(["id", "Secret", "total", "note"]));
  const plans = new Map([["orders_1", a], ["orders_2", b], ["orders_3", c]]);
  const planFor = (change: RowsChange) => plans.get(change.table.table);
  const batch = new Batch();
  batch.add(tx([insert("orders_1", row(1))]), planFor);
  assertEquals(batch.conflicts(tx([insert("orders_3", row(2))]), planFor), false);
  assertEquals(batch.conflicts(tx([insert("orders_2", row(2))]), planFor), true);
});

// --- the created target ----------------------------------------------------------------------

Deno.test("the created target: selected columns, tag in the key, soft-delete columns", () => {
  const made = createTableStatements(route({ ...SELECTED, ...TAGGED, ...SOFT }), {
    postgis: false,
  });
  assertEquals(
    made[1],
    [
      `CREATE TABLE "public"."orders" (`,
      `  "id" integer,`,
      `  "total" integer,`,
      `  "shard" text NOT NULL,`,
      `  "deleted" boolean NOT NULL DEFAULT false,`,
      `  "deleted_at" timestamptz,`,
      `  PRIMARY KEY ("id", "shard")`,
      `)`,
    ].join("\n"),
  );
  const gp = createTableStatements(route({ ...TAGGED, tableOptions: "appendoptimized=true" }), {
    postgis: false,
    dialect: GREENPLUM,
  });
  assertMatch(
    gp[1],
    /PRIMARY KEY \("id", "shard"\)\n\) WITH \(appendoptimized=true\) DISTRIBUTED BY \("id", "shard"\)$/,
  );
});

Deno.test("distributed_by: key columns, randomly, and what Greenplum would refuse", () => {
  const gp = (fields: Partial<RuleConfig>) =>
    createTableStatements(route(fields), { postgis: false, dialect: GREENPLUM })[1];
  assertMatch(
    gp({ ...TAGGED, distributedBy: ["ID"] }),
    /PRIMARY KEY \("id", "shard"\)\n\) DISTRIBUTED BY \("id"\)$/,
  );
  // Greenplum refuses a primary key on a randomly spread table: the table gets none
  const random = gp({ distributedBy: "randomly" });
  assertMatch(random, /"note" character varying\(20\)\n\) DISTRIBUTED RANDOMLY$/);
  const keyless = createTableStatements(route({}, { ...ORDERS, primaryKey: [] }), {
    postgis: false,
    dialect: GREENPLUM,
  })[1];
  assertMatch(keyless, /\) DISTRIBUTED RANDOMLY$/);
  const outside = assertThrows(() => gp({ distributedBy: ["total"] }), UserError);
  assertMatch(
    outside.message,
    /sets distributed_by = \["total"\]: Greenplum requires the distribution key of public\.orders to be within its primary key \(id\), and total is not/,
  );
  const unknown = assertThrows(() => gp({ distributedBy: ["nope"] }), UserError);
  assertMatch(unknown.message, /would have no column nope/);
  // PostgreSQL has no distribution: the rule's distributed_by is Greenplum's alone
  assertEquals(
    createTableStatements(route({ distributedBy: ["total"] }), {
      postgis: false,
      dialect: POSTGRES,
    })[1].endsWith(`PRIMARY KEY ("id")\n)`),
    true,
  );
});

// --- decoding only what is used ----------------------------------------------------------------

Deno.test("a selection narrows what the binlog decoder decodes, by name", () => {
  const lookup = keyLookup([route(SELECTED), route(SOFT, { ...ORDERS, table: "soft" })]);
  assertEquals(lookup("shop", "orders_1"), {
    key: new Set(["id"]),
    values: new Set(["total", "id"]),
  });
  const entry: ZongJiTableMapEntry = {
    parentSchema: "shop",
    tableName: "orders_1",
    columnSchemas: [
      { COLUMN_NAME: "id", COLUMN_TYPE: "int", CHARACTER_SET_NAME: null },
      { COLUMN_NAME: "Secret", COLUMN_TYPE: "double", CHARACTER_SET_NAME: null },
    ],
    columns: [
      { name: "id", type: LONG, metadata: {}, charset: null },
      { name: "Secret", type: DOUBLE, metadata: {}, charset: null },
    ],
  };
  const zongji = { tableMap: { 7: entry } };
  prepareRowReaders(zongji, { tableId: 7 }, () => ({ values: new Set(["id"]) }));
  // The DOUBLE is not decoded: our reader takes its 8 bytes as they are
  const [read] = imageReaders(entry, "insert")!;
  const bytes = [0x00, 0x03, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8];
  assertEquals(read({ _buffer: Uint8Array.from(bytes), _offset: 0 }, Uint8Array.of(0b11)), {
    id: 3,
    Secret: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
  });
  // Without a selection, zongji decodes the DOUBLE itself
  prepareRowReaders(zongji, { tableId: 7 }, () => new Set(["id"]));
  assertEquals(imageReaders(entry, "insert"), undefined);
});
