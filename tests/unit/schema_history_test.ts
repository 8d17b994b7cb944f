/**
 * SchemaHistory: which statements it takes, the definitions and versions they leave, how it is
 * taken back to a position, and provisional definitions (today's catalog taken at a position the
 * binlog had moved past).
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { DdlContext } from "../../src/schema/ddl/changes.ts";
import { type DdlApplied, SchemaHistory } from "../../src/schema/history.ts";
import { type SourceTable, tableKey } from "../../src/schema/table.ts";

const context: DdlContext = { defaultSchema: "app", flavor: "mariadb" };

/** app.t (id int, a int, b varchar(20), c int), primary key id. */
function tableT(): SourceTable {
  const int = (name: string) => ({
    name,
    columnType: "int(11)",
    dataType: "int",
    unsigned: false,
    charset: null,
    nullable: name !== "id",
  });
  return {
    schema: "app",
    table: "t",
    primaryKey: ["id"],
    columns: [
      int("id"),
      int("a"),
      {
        name: "b",
        columnType: "varchar(20)",
        dataType: "varchar",
        unsigned: false,
        charset: "utf8mb4",
        nullable: true,
      },
      int("c"),
    ],
    indexes: [],
    defaultCharset: "utf8mb4",
  };
}

/** A history of app.t, following app.t and app.new_* (as `[[source]]` would name them). */
function history(provisional = false): SchemaHistory {
  return new SchemaHistory(
    {
      definitions: [tableT()],
      provisional: provisional ? [tableKey("app", "t")] : [],
      schemaCharset: () => "utf8mb4",
    },
    {
      covers: (name) =>
        name.schema === "app" && (name.table === "t" || name.table.startsWith("new_")),
      coversSchema: (schema) => schema === "app",
    },
  );
}

function columns(h: SchemaHistory, table = "t"): string[] {
  return h.definition("app", table)?.columns.map((c) => `${c.name} ${c.columnType}`) ?? [];
}

function understood(result: DdlApplied | null): Extract<DdlApplied, { understood: true }> {
  assert(result !== null && result.understood, `not understood: ${JSON.stringify(result)}`);
  return result;
}

Deno.test("DDL on tables nobody follows gives null and changes nothing", () => {
  const h = history();
  assertEquals(h.applyStatement("ALTER TABLE other ADD COLUMN x int", context), null);
  assertEquals(h.applyStatement("CREATE TABLE app.other (id int)", context), null);
  assertEquals(
    h.applyStatement("ALTER TABLE t ADD COLUMN x int", { ...context, defaultSchema: "x" }),
    null,
  );
  assertEquals(h.applyStatement("CREATE VIEW v AS SELECT 1", context), null);
  assertEquals(columns(h), ["id int(11)", "a int(11)", "b varchar(20)", "c int(11)"]);
});

Deno.test("the issue's ALTERs: reorder, drop, then add and retype, each a version", () => {
  const h = history();
  const moved = understood(
    h.applyStatement("ALTER TABLE t MODIFY b VARCHAR(20) AFTER id", context),
  );
  assertEquals(moved.versions.length, 1);
  assertEquals(moved.versions[0].definition?.columns.map((c) => c.name), ["id", "b", "a", "c"]);
  understood(h.applyStatement("ALTER TABLE `app`.`t` DROP COLUMN a", context));
  understood(
    h.applyStatement("ALTER TABLE t ADD COLUMN d date NOT NULL, MODIFY c bigint", context),
  );
  assertEquals(columns(h), ["id int(11)", "b varchar(20)", "c bigint(20)", "d date"]);
  // TRUNCATE touches a followed table but changes no definition
  const truncate = understood(h.applyStatement("TRUNCATE t", context));
  assertEquals([truncate.changes[0].kind, truncate.versions], ["truncate-table", []]);
});

Deno.test("a statement it cannot read, or that does not fit, is not understood and changes nothing", () => {
  const h = history();
  const result = h.applyStatement("ALTER TABLE t FROBNICATE a", context);
  assert(result !== null && !result.understood);
  assertEquals(result.tables, [{ schema: "app", table: "t" }]);
  const misfit = h.applyStatement("ALTER TABLE t DROP COLUMN nothere", context);
  assert(misfit !== null && !misfit.understood);
  assertMatch(misfit.reason, /does not fit the schema history/);
  assertEquals(columns(h), ["id int(11)", "a int(11)", "b varchar(20)", "c int(11)"]);
});

Deno.test("an online schema change: shadow table followed through LIKE, swapped in by RENAME", () => {
  const h = history();
  const like = understood(h.applyStatement("CREATE TABLE _t_gho LIKE t", context));
  assertEquals(like.versions.map((v) => v.table), ["_t_gho"]);
  understood(h.applyStatement("ALTER TABLE _t_gho ADD COLUMN e int", context));
  const swap = understood(
    h.applyStatement("RENAME TABLE t TO _t_del, _t_gho TO t", context),
  );
  const byTable = new Map(swap.versions.map((v) => [v.table, v]));
  assertEquals(byTable.get("t")?.renamedFrom, { schema: "app", table: "_t_gho" });
  assertEquals(byTable.get("_t_del")?.renamedFrom, { schema: "app", table: "t" });
  assertEquals(byTable.get("_t_gho")?.definition, null);
  assertEquals(columns(h).at(-1), "e int(11)");
  const dropped = understood(h.applyStatement("DROP TABLE _t_del", context));
  assertEquals(dropped.versions, [{ schema: "app", table: "_t_del", definition: null }]);
});

Deno.test("a covered table created later is known from its CREATE TABLE", () => {
  const h = history();
  const created = understood(
    h.applyStatement("CREATE TABLE new_one (id int PRIMARY KEY, v text)", context),
  );
  assertEquals(created.versions.map((v) => v.table), ["new_one"]);
  assertEquals(columns(h, "new_one"), ["id int(11)", "v text"]);
});

Deno.test("a provisional definition: its CREATE TABLE replaces it; the binlog's layout is adopted", () => {
  const created = history(true);
  understood(
    created.applyStatement("CREATE TABLE t (id int PRIMARY KEY, z int)", context),
  );
  assertEquals(columns(created), ["id int(11)", "z int(11)"]);
  assertEquals(created.isProvisional("app", "t"), false);

  const adopted = history(true);
  const binlog = [
    {
      name: "id",
      columnType: "int",
      dataType: "int",
      unsigned: false,
      charset: null,
      nullable: true,
    },
    {
      name: "x",
      columnType: "int",
      dataType: "int",
      unsigned: false,
      charset: null,
      nullable: true,
    },
  ];
  assert(adopted.adoptBinlogLayout("app", "t", binlog, () => true));
  // The known column keeps what the catalog told of it; the unknown one is the binlog's.
  assertEquals(adopted.definition("app", "t")?.columns.map((c) => [c.name, c.nullable]), [
    ["id", false],
    ["x", true],
  ]);
  assertEquals(adopted.definition("app", "t")?.primaryKey, ["id"]);
  assertEquals(adopted.adoptBinlogLayout("app", "t", binlog, () => true), false);

  // Not provisional: the same disagreement is not papered over.
  assertEquals(history().adoptBinlogLayout("app", "t", binlog, () => true), false);
});

Deno.test("a statement that does not fit a provisional definition says why", () => {
  const h = history(true);
  const result = h.applyStatement("ALTER TABLE t DROP COLUMN gone", context);
  assert(result !== null && !result.understood);
  assertMatch(
    result.reason,
    /app\.t is today's catalog, taken at a position before this statement/,
  );
});
