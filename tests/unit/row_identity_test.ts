/**
 * Row identity and the one column pairing: the sync's row encoder (TablePlan) and the snapshot and
 * verify codec (makeRowCodec) fill the same target columns with the same text and agree on the key.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { UserError } from "../../src/config/errors.ts";
import { dataTypeOf, type SourceColumn, type ZongJiColumnSchema } from "../../src/convert/types.ts";
import { TablePlan } from "../../src/pipeline/plan.ts";
import type { SourceTable, TableIndex } from "../../src/schema/table.ts";
import type { TargetTable } from "../../src/sink/target.ts";
import { pairColumns } from "../../src/tables/column_pairing.ts";
import { makeRowCodec } from "../../src/tables/row_codec.ts";
import { keyLookup, rowIdentity } from "../../src/tables/row_identity.ts";
import type { Route } from "../../src/tables/routes.ts";
import { routeOf } from "../../src/tables/routes.ts";

const column = (name: string, columnType: string): SourceColumn => ({
  name,
  columnType,
  dataType: dataTypeOf(columnType),
  unsigned: false,
  charset: columnType.startsWith("varchar") ? "utf8mb4" : null,
  nullable: true,
});

const SOURCE: SourceTable = {
  schema: "shop",
  table: "line",
  primaryKey: ["Region", "id"],
  columns: [column("note", "varchar(20)"), column("id", "int"), column("region", "varchar(4)")],
};

const TARGET: TargetTable = {
  schema: "public",
  table: "line",
  // Another order and another case: pairing goes by name, ignoring case when it must.
  columns: [
    { name: "region", type: "text" },
    { name: "ID", type: "integer" },
    { name: "note", type: "text" },
  ],
  indexLeads: [],
  uniqueKeys: [],
};

function route(source: SourceTable = SOURCE): Route {
  return { ...routeOf(source, [], "test"), identity: rowIdentity(source) };
}

const schemaOf = (columns: readonly SourceColumn[]): ZongJiColumnSchema[] =>
  columns.map((c) => ({
    COLUMN_NAME: c.name,
    COLUMN_TYPE: c.columnType,
    CHARACTER_SET_NAME: c.charset,
  }));

const notNull = (c: SourceColumn): SourceColumn => ({ ...c, nullable: false });

/** SOURCE without its primary key, with `indexes`; `note` and `id` NOT NULL. */
const KEYLESS: SourceTable = {
  ...SOURCE,
  primaryKey: [],
  columns: [notNull(SOURCE.columns[0]), notNull(SOURCE.columns[1]), SOURCE.columns[2]],
  indexes: [],
};

Deno.test("a table's rows are identified by its primary key first", () => {
  const unique = { name: "u", columns: ["id"], unique: true };
  assertEquals(rowIdentity({ ...SOURCE, indexes: [unique] }), {
    kind: "primary-key",
    columns: ["Region", "id"],
  });
});

Deno.test("without a primary key, by the narrowest unique key whose columns are all NOT NULL", () => {
  const table = (indexes: TableIndex[]) => rowIdentity({ ...KEYLESS, indexes });
  assertEquals(
    table([
      { name: "wide", columns: ["note", "id"], unique: true },
      { name: "plain", columns: ["id"], unique: false },
      { name: "narrow", columns: ["ID"], unique: true },
    ]),
    { kind: "unique-key", columns: ["ID"] },
  );
  // A nullable column lets NULLs repeat; an expression part does not make the columns unique.
  assertEquals(table([{ name: "n", columns: ["region"], unique: true }]).kind, "whole-row");
  assertEquals(
    table([{ name: "f", columns: ["id"], unique: true, functional: true }]).kind,
    "whole-row",
  );
});

Deno.test("without either, by the whole row: every column, and no entry for the decoder", () => {
  const identity = rowIdentity(KEYLESS);
  assertEquals(identity, { kind: "whole-row", columns: ["note", "id", "region"] });
  const keyless = { ...route(KEYLESS), source: { ...KEYLESS, table: "log" } };
  const lookup = keyLookup([route(), keyless]);
  assertEquals(lookup("shop", "log"), undefined, "before images decoded whole");
});

Deno.test("keyLookup hands the decoder each route's identity columns in lower case", () => {
  const lookup = keyLookup([route()]);
  assertEquals(lookup("shop", "line"), new Set(["region", "id"]));
  assertEquals(lookup("shop", "other"), undefined);
});

Deno.test("a whole-row identity takes every column of the layout at hand, NULLs encoded", () => {
  const plan = new TablePlan(route(KEYLESS), TARGET, () => {});
  assert(plan.wholeRow);
  // A layout that has lost a column (DDL since) is still a whole row, of what it has
  const encoder = plan.encoderFor(schemaOf(KEYLESS.columns.slice(0, 2)));
  assertEquals(encoder.keyIndexes, [0, 1]);
  assertEquals(encoder.encode({ note: null, id: 3 }), [null, "3"]);
  const codec = makeRowCodec(route(KEYLESS), TARGET, () => {});
  assertEquals(codec.keyIndexes, [0, 1, 2]);
});

Deno.test("pairColumns pairs by name and finds the identity columns, in key order", () => {
  const pairing = pairColumns(route(), TARGET, SOURCE.columns, () => {}, () => new Error("none"));
  assertEquals(pairing.targetColumns.map((c) => c.name), ["note", "ID", "region"]);
  assertEquals(pairing.keyIndexes, [2, 1]);
  assertEquals(pairing.encoders.map((encode, i) => encode(["n", 7, "eu"][i])), ["n", "7", "eu"]);
});

Deno.test("a column without a home, or a layout without a key column, is refused with the fix", () => {
  const narrow = { ...TARGET, columns: TARGET.columns.slice(0, 2) };
  const err = assertThrows(() => makeRowCodec(route(), narrow, () => {}), UserError);
  assertMatch(err.message, /column "note" of MySQL table shop\.line has no column .*ADD COLUMN/);
  const plan = new TablePlan(route(), TARGET, () => {});
  const keyless = assertThrows(
    () => plan.encoderFor(schemaOf(SOURCE.columns.slice(0, 2))),
    UserError,
  );
  assertMatch(keyless.message, /lack primary key column "Region".*binlog_row_image=FULL/);
});

Deno.test("the sync's row encoder and the snapshot/verify codec write the same fields", () => {
  const codec = makeRowCodec(route(), TARGET, () => {});
  const encoder = new TablePlan(route(), TARGET, () => {}).encoderFor(schemaOf(SOURCE.columns));
  assertEquals(encoder.columns, codec.targetColumns.map((c) => c.name));
  assertEquals(encoder.keyIndexes, codec.keyIndexes);
  assertEquals(encoder.keyColumns, ["region", "ID"]);
  assertEquals(codec.sourceKeyList, "`Region`, `id`");
  const values = ["a\u0000b", 42, "eu"];
  const fields = codec.encode(values);
  assertEquals(encoder.encode({ note: values[0], id: values[1], region: values[2] }), fields);
  assertEquals(encoder.encodeKey({ note: "other", id: 42, region: "eu" }), ["eu", "42"]);
});
