/**
 * diffTables over definitions from DDL and from the catalog: both servers' type spellings compare
 * equal, charset changes and unique keys held as indexes are reported.
 */
import { assertEquals } from "../support/assert.ts";
import type { DdlContext } from "../../src/schema/ddl/changes.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { applySchemaChanges } from "../../src/schema/ddl/apply_tables.ts";
import { comparableColumnType, diffTables } from "../../src/schema/diff.ts";
import { type SourceTable, type TableColumn, tableKey } from "../../src/schema/table.ts";

const KEY = tableKey("app", "t");

/** The definition of app.t after `statements`, read as `flavor` writes them. */
function fromDdl(flavor: DdlContext["flavor"], ...statements: string[]): SourceTable {
  let tables = new Map<string, SourceTable>();
  for (const sql of statements) {
    const outcome = parseDdl(sql, { defaultSchema: "app", flavor });
    if (!outcome.understood) throw new Error(outcome.reason);
    tables = applySchemaChanges(tables, outcome.changes, { schemaCharset: () => "utf8mb4" });
  }
  return tables.get(KEY)!;
}

/** A column as INFORMATION_SCHEMA gives it (no default, no collation known). */
function catalogColumn(
  name: string,
  columnType: string,
  charset: string | null,
  nullable = true,
): TableColumn {
  return {
    name,
    columnType,
    dataType: columnType.replace(/[( ].*$/, ""),
    unsigned: columnType.includes("unsigned"),
    charset,
    nullable,
  };
}

Deno.test("comparableColumnType: widths MySQL 8 drops, MariaDB's year(4), geomcollection", () => {
  const same: [string, string][] = [
    ["int(11)", "int"],
    ["int(10) unsigned", "int unsigned"],
    ["bigint(20) unsigned", "bigint unsigned"],
    ["TINYINT(4)", "tinyint"],
    ["year(4)", "year"],
    ["geomcollection", "geometrycollection"],
  ];
  for (const [a, b] of same) assertEquals(comparableColumnType(a), comparableColumnType(b), a);
  const different: [string, string][] = [
    ["tinyint(1)", "tinyint"],
    ["int(10) unsigned zerofill", "int unsigned zerofill"],
    ["int unsigned", "int"],
    ["decimal(10,2)", "decimal(10,0)"],
    ["varchar(10)", "varchar(11)"],
  ];
  for (const [a, b] of different) {
    assertEquals(comparableColumnType(a) === comparableColumnType(b), false, `${a} ${b}`);
  }
});

Deno.test("a MySQL 8 DDL definition equals the MariaDB-style catalog definition", () => {
  const ddl = fromDdl(
    "mysql",
    "CREATE TABLE t (id int unsigned NOT NULL PRIMARY KEY, flag tinyint(1), y year, " +
      "n bigint, v varchar(3), UNIQUE KEY uv (v))",
  );
  const catalog: SourceTable = {
    schema: "app",
    table: "t",
    primaryKey: ["id"],
    columns: [
      catalogColumn("id", "int(10) unsigned", null, false),
      catalogColumn("flag", "tinyint(1)", null),
      catalogColumn("y", "year(4)", null),
      catalogColumn("n", "bigint(20)", null),
      catalogColumn("v", "varchar(3)", "utf8mb4"),
    ],
    indexes: [{ name: "uv", columns: ["v"], unique: true }],
  };
  assertEquals(diffTables(catalog, ddl), []);
  assertEquals(diffTables(ddl, catalog), []);
});

Deno.test("CONVERT TO CHARACTER SET shows as charset (and TEXT type) changes", () => {
  const create =
    "CREATE TABLE t (id int PRIMARY KEY, a tinytext, b varchar(3), n int) CHARSET latin1";
  const before = fromDdl("mariadb", create);
  const after = fromDdl("mariadb", create, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4");
  assertEquals(diffTables(before, after), [
    { kind: "column-type-changed", column: "a", from: "tinytext", to: "text" },
    { kind: "column-charset-changed", column: "a", from: "latin1", to: "utf8mb4" },
    { kind: "column-charset-changed", column: "b", from: "latin1", to: "utf8mb4" },
  ]);
});

Deno.test("unique keys held as indexes: added, dropped; plain and functional ones do not count", () => {
  const create = "CREATE TABLE t (id int PRIMARY KEY, a int, b int, KEY kb (b))";
  const before = fromDdl("mysql", create);
  const after = fromDdl(
    "mysql",
    create,
    "ALTER TABLE t ADD UNIQUE (a, b), ADD INDEX (a), ADD UNIQUE INDEX fx ((a + b))",
  );
  assertEquals(diffTables(before, after), [{ kind: "unique-key-added", columns: ["a", "b"] }]);
  assertEquals(diffTables(after, before), [{ kind: "unique-key-dropped", columns: ["a", "b"] }]);
});
