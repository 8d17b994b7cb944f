/**
 * applyAlterTable and applySchemaChanges: the definitions DDL leaves. Each expectation is what
 * MariaDB 10.11's catalog showed after the same statements (compared column by column, key by
 * key, by a throwaway script while this was written).
 */
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import {
  type DdlContext,
  type SchemaChange,
  SchemaChangeError,
} from "../../src/schema/ddl/changes.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { applySchemaChanges, type TableDefinitions } from "../../src/schema/ddl/apply_tables.ts";
import { type SourceTable, tableKey } from "../../src/schema/table.ts";

const context: DdlContext = { defaultSchema: "app", flavor: "mariadb" };
const utf8mb4 = { schemaCharset: () => "utf8mb4" };

function parsed(sql: string): SchemaChange[] {
  const outcome = parseDdl(sql, context);
  if (!outcome.understood) throw new Error(`not understood: ${outcome.reason}`);
  return outcome.changes;
}

/** The definitions after `statements`, run in order from none. */
function run(...statements: string[]): TableDefinitions {
  return statements.reduce<TableDefinitions>(
    (tables, sql) => applySchemaChanges(tables, parsed(sql), utf8mb4),
    new Map(),
  );
}

/** A table as short lines: columns `name type [NOT NULL] [charset]`, then keys. */
function shown(table: SourceTable | undefined): string[] {
  if (table === undefined) return ["(unknown)"];
  return [
    ...table.columns.map((c) =>
      `${c.name} ${c.columnType}${c.nullable ? "" : " NOT NULL"}${c.charset ? ` ${c.charset}` : ""}`
    ),
    ...(table.primaryKey.length > 0 ? [`PRIMARY (${table.primaryKey.join(",")})`] : []),
    ...(table.indexes ?? []).map((i) =>
      `${i.unique ? "UNIQUE " : ""}${i.name} (${i.columns.join(",")})`
    ),
  ];
}

/** `t` after `alter`, from `create`. */
function altered(create: string, ...alters: string[]): string[] {
  return shown(run(create, ...alters).get(tableKey("app", "t")));
}

const T = "CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(10))";

Deno.test("CREATE TABLE gives the catalog's definition", () => {
  assertEquals(
    altered("CREATE TABLE t (id serial, v varchar(3) CHARSET latin1, j json, KEY (v))"),
    [
      "id bigint(20) unsigned NOT NULL",
      "v varchar(3) latin1",
      "j longtext utf8mb4",
      "UNIQUE id (id)",
      "v (v)",
    ],
  );
  const table = run("CREATE TABLE t (a int) CHARSET=latin1 COLLATE=latin1_bin").get(
    tableKey("app", "t"),
  );
  assertEquals([table?.defaultCharset, table?.defaultCollation], ["latin1", "latin1_bin"]);
});

Deno.test("ADD at positions; AFTER names a column of the new list, in statement order", () => {
  assertEquals(altered(T, "ALTER TABLE t ADD c int FIRST, ADD d int AFTER c, DROP a"), [
    "c int(11)",
    "d int(11)",
    "id int(11) NOT NULL",
    "b varchar(10) utf8mb4",
    "PRIMARY (id)",
  ]);
  assertEquals(
    altered(T, "ALTER TABLE t ADD c int AFTER a, ADD d int AFTER c, MODIFY a int FIRST"),
    [
      "a int(11)",
      "id int(11) NOT NULL",
      "c int(11)",
      "d int(11)",
      "b varchar(10) utf8mb4",
      "PRIMARY (id)",
    ],
  );
  assertEquals(altered(T, "ALTER TABLE t MODIFY a int AFTER b, MODIFY b varchar(10) FIRST"), [
    "b varchar(10) utf8mb4",
    "id int(11) NOT NULL",
    "a int(11)",
    "PRIMARY (id)",
  ]);
});

Deno.test("CHANGE and RENAME COLUMN name old columns: a swap of names works; keys follow", () => {
  assertEquals(altered(T, "ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a"), [
    "id int(11) NOT NULL",
    "b int(11)",
    "a varchar(10) utf8mb4",
    "PRIMARY (id)",
  ]);
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(10), UNIQUE KEY ua (a, b))",
      "ALTER TABLE t CHANGE a aa bigint FIRST, CHANGE COLUMN b bb varchar(20) AFTER id",
    ),
    [
      "aa bigint(20)",
      "id int(11) NOT NULL",
      "bb varchar(20) utf8mb4",
      "PRIMARY (id)",
      "UNIQUE ua (aa,bb)",
    ],
  );
});

Deno.test("MODIFY redefines fully; a primary key column stays NOT NULL", () => {
  assertEquals(
    altered(
      T,
      "ALTER TABLE t MODIFY a varchar(10) CHARACTER SET latin1 NOT NULL AFTER b, MODIFY id bigint NULL",
    ),
    [
      "id bigint(20) NOT NULL",
      "b varchar(10) utf8mb4",
      "a varchar(10) NOT NULL latin1",
      "PRIMARY (id)",
    ],
  );
});

Deno.test("ALTER COLUMN SET/DROP DEFAULT keeps the rest of the column", () => {
  const table = run(T, "ALTER TABLE t ALTER COLUMN a SET DEFAULT 3, ALTER b DROP DEFAULT")
    .get(tableKey("app", "t"))!;
  assertEquals(table.columns.map((c) => [c.name, c.columnType, c.default]), [
    ["id", "int(11)", { kind: "none" }],
    ["a", "int(11)", { kind: "literal", value: "3", quoted: false }],
    ["b", "varchar(10)", { kind: "none" }],
  ]);
});

Deno.test("ALTER COLUMN twice on one column: the last counts; IF EXISTS skips a missing one", () => {
  const table = run(
    T,
    "ALTER TABLE t ALTER COLUMN a SET DEFAULT 1, ALTER COLUMN a DROP DEFAULT, " +
      "ALTER COLUMN IF EXISTS nosuch SET DEFAULT 2",
  ).get(tableKey("app", "t"))!;
  assertEquals(table.columns[1].default, { kind: "none" });
  assertThrows(
    () => run(T, "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x', MODIFY a varchar(4)"),
    SchemaChangeError,
  );
});

Deno.test("keys: drops before adds, generated names, primary key columns NOT NULL", () => {
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(10), KEY a (a))",
      "ALTER TABLE t ADD UNIQUE (a), ADD UNIQUE KEY uk (b, a), ADD INDEX (b), DROP KEY a",
    ),
    [
      "id int(11) NOT NULL",
      "a int(11)",
      "b varchar(10) utf8mb4",
      "PRIMARY (id)",
      "UNIQUE a (a)",
      "UNIQUE uk (b,a)",
      "b (b)",
    ],
  );
  assertEquals(
    altered("CREATE TABLE t (a int, KEY a (a))", "ALTER TABLE t ADD UNIQUE (a), ADD UNIQUE (a)"),
    ["a int(11)", "a (a)", "UNIQUE a_2 (a)", "UNIQUE a_3 (a)"],
  );
  assertEquals(altered("CREATE TABLE t (id int, a int)", "ALTER TABLE t ADD PRIMARY KEY (id, a)"), [
    "id int(11) NOT NULL",
    "a int(11) NOT NULL",
    "PRIMARY (id,a)",
  ]);
  assertEquals(altered(T, "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a)"), [
    "id int(11) NOT NULL",
    "a int(11) NOT NULL",
    "b varchar(10) utf8mb4",
    "PRIMARY (a)",
  ]);
  assertEquals(altered(T, "ALTER TABLE t DROP INDEX `PRIMARY`"), [
    "id int(11) NOT NULL",
    "a int(11)",
    "b varchar(10) utf8mb4",
  ]);
  assertEquals(
    altered(
      "CREATE TABLE t (a int, b int)",
      "ALTER TABLE t ADD d int PRIMARY KEY FIRST, ADD c int UNIQUE",
    ),
    ["d int(11) NOT NULL", "a int(11)", "b int(11)", "c int(11)", "PRIMARY (d)", "UNIQUE c (c)"],
  );
});

Deno.test("a dropped column leaves its keys; one dropped and added again keeps them", () => {
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY, a int, UNIQUE KEY ua (a))",
      "ALTER TABLE t DROP a",
    ),
    [
      "id int(11) NOT NULL",
      "PRIMARY (id)",
    ],
  );
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY, a int, b int, UNIQUE KEY (a))",
      "ALTER TABLE t DROP a, ADD a text",
    ),
    ["id int(11) NOT NULL", "b int(11)", "a text utf8mb4", "PRIMARY (id)", "UNIQUE a (a)"],
  );
});

Deno.test("DROP CONSTRAINT drops a unique key of that name; RENAME INDEX; FOREIGN KEY index", () => {
  assertEquals(
    altered(
      "CREATE TABLE t (a int, b int, UNIQUE KEY u1 (a), CONSTRAINT sym UNIQUE (b))",
      "ALTER TABLE t DROP CONSTRAINT sym, RENAME INDEX u1 TO u2",
    ),
    ["a int(11)", "b int(11)", "UNIQUE u2 (a)"],
  );
  assertEquals(
    altered(
      "CREATE TABLE t (x int, y int, KEY kx (x, y), CONSTRAINT fz FOREIGN KEY (x) REFERENCES p (id), CONSTRAINT fy FOREIGN KEY (y) REFERENCES p (id))",
    ),
    ["x int(11)", "y int(11)", "kx (x,y)", "fy (y)"],
  );
});

Deno.test("charsets: the table default for new columns, CONVERT TO for all (TEXT grows)", () => {
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY) DEFAULT CHARSET latin1",
      "ALTER TABLE t DEFAULT CHARSET latin2, ADD k varchar(3), ADD l text COLLATE utf8mb4_unicode_ci, ADD m text(100)",
    ),
    [
      "id int(11) NOT NULL",
      "k varchar(3) latin2",
      "l text utf8mb4",
      "m tinytext latin2",
      "PRIMARY (id)",
    ],
  );
  assertEquals(
    altered(
      "CREATE TABLE t (a tinytext, b text, c varchar(10), d enum('x'), f mediumtext, g varbinary(3), i json) DEFAULT CHARSET latin1",
      "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4, ADD x varchar(3) CHARACTER SET latin2",
    ),
    [
      "a text utf8mb4",
      "b mediumtext utf8mb4",
      "c varchar(10) utf8mb4",
      "d enum('x') utf8mb4",
      "f longtext utf8mb4",
      "g varbinary(3)",
      "i longtext utf8mb4",
      "x varchar(3) utf8mb4",
    ],
  );
  const json = run(
    "CREATE TABLE t (i json) DEFAULT CHARSET latin1",
    "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb3",
  );
  assertEquals(json.get(tableKey("app", "t"))?.columns[0].json, true);
});

Deno.test("IF [NOT] EXISTS skips what is (not) there, with its inline keys", () => {
  assertEquals(
    altered(
      "CREATE TABLE t (id int PRIMARY KEY, a int, b varchar(10), KEY ka (a))",
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS a bigint UNIQUE, ADD COLUMN IF NOT EXISTS c int, " +
        "DROP COLUMN IF EXISTS nosuch, MODIFY COLUMN IF EXISTS nosuch int, " +
        "ADD UNIQUE KEY IF NOT EXISTS ka (b), DROP INDEX IF EXISTS nokey",
    ),
    [
      "id int(11) NOT NULL",
      "a int(11)",
      "b varchar(10) utf8mb4",
      "c int(11)",
      "PRIMARY (id)",
      "ka (a)",
    ],
  );
});

Deno.test("RENAME TABLE swaps (gh-ost), CREATE LIKE and ALTER of the shadow table", () => {
  const tables = run(
    T,
    "CREATE TABLE `app`.`_t_gho` LIKE `app`.`t`",
    "ALTER TABLE `app`.`_t_gho` ADD COLUMN c int NOT NULL DEFAULT 0, DROP b",
    "RENAME TABLE `app`.`t` TO `app`.`_t_del`, `app`.`_t_gho` TO `app`.`t`",
    "DROP TABLE IF EXISTS `_t_del` /* generated by server */",
  );
  assertEquals([...tables.keys()], [tableKey("app", "t")]);
  assertEquals(shown(tables.get(tableKey("app", "t"))), [
    "id int(11) NOT NULL",
    "a int(11)",
    "c int(11) NOT NULL",
    "PRIMARY (id)",
  ]);
  assertEquals(tables.get(tableKey("app", "t"))?.table, "t");
});

Deno.test("a table renamed from, or created like, an unknown one leaves the known set", () => {
  const start = run(T);
  const swapped = applySchemaChanges(start, parsed("RENAME TABLE t TO t_old, t_new TO t"));
  assertEquals([...swapped.keys()], [tableKey("app", "t_old")]);
  const liked = applySchemaChanges(start, parsed("CREATE TABLE n LIKE unknown"));
  assertEquals(liked.has(tableKey("app", "n")), false);
  const moved = applySchemaChanges(start, parsed("ALTER TABLE t RENAME TO other.u, ADD z int"));
  assertEquals(shown(moved.get(tableKey("other", "u"))).at(-2), "z int(11)");
  assertEquals(moved.get(tableKey("other", "u"))?.schema, "other");
});

Deno.test("DROP TABLE, DROP DATABASE, TRUNCATE and CREATE IF NOT EXISTS", () => {
  const start = run(T, "CREATE TABLE other.u (a int)");
  assertEquals(applySchemaChanges(start, parsed("DROP TABLE IF EXISTS t, nosuch")).size, 1);
  assertEquals([...applySchemaChanges(start, parsed("DROP DATABASE app")).keys()], [
    tableKey("other", "u"),
  ]);
  assertEquals(applySchemaChanges(start, parsed("TRUNCATE t")), new Map(start));
  assertEquals(
    applySchemaChanges(start, parsed("CREATE TABLE IF NOT EXISTS t (x int)")),
    new Map(start),
  );
  assertEquals(altered(T, "CREATE OR REPLACE TABLE t (x int)"), ["x int(11)"]);
});

Deno.test("changes that do not fit the definition are errors (it is out of step)", () => {
  const start = run(T);
  const misfit = (sql: string) =>
    assertThrows(() => applySchemaChanges(start, parsed(sql)), SchemaChangeError).message;
  assertMatch(misfit("ALTER TABLE t DROP nosuch"), /nosuch to drop is not there/);
  assertMatch(misfit("ALTER TABLE t MODIFY nosuch int"), /nosuch to change is not there/);
  assertMatch(misfit("ALTER TABLE t ADD a int"), /a would be there twice/);
  assertMatch(misfit("ALTER TABLE t ADD x int AFTER nosuch"), /AFTER is not there/);
  assertMatch(misfit("ALTER TABLE t ADD PRIMARY KEY (a)"), /already has a primary key/);
  assertMatch(misfit("ALTER TABLE t DROP INDEX nosuch"), /to drop is not there/);
  assertMatch(misfit("ALTER TABLE t MODIFY a int, CHANGE a b int"), /changed twice/);
  assertMatch(misfit("CREATE TABLE t (x int)"), /already there/);
  const two = run(T, "CREATE TABLE u (x int)");
  assertMatch(
    assertThrows(() => applySchemaChanges(two, parsed("RENAME TABLE t TO u")), SchemaChangeError)
      .message,
    /u to rename to is already there/,
  );
  // a text column needs a default charset someone knows
  const unknownCharset = new Map([[tableKey("app", "t"), {
    schema: "app",
    table: "t",
    primaryKey: [],
    columns: [],
  }]]);
  assertMatch(
    assertThrows(
      () => applySchemaChanges(unknownCharset, parsed("ALTER TABLE t ADD v varchar(3)")),
      SchemaChangeError,
    ).message,
    /default character set, which is not known/,
  );
  assertThrows(
    () => applySchemaChanges(new Map(), parsed("CREATE TABLE n (v text)")),
    SchemaChangeError,
  );
});

Deno.test("a definition without known indexes keeps them unknown", () => {
  const catalog = new Map([[tableKey("app", "t"), {
    schema: "app",
    table: "t",
    primaryKey: ["id"],
    columns: run(T).get(tableKey("app", "t"))!.columns,
    defaultCharset: "utf8mb4",
  }]]);
  const after = applySchemaChanges(
    catalog,
    parsed("ALTER TABLE t ADD UNIQUE (a), DROP INDEX whatever"),
  );
  assertEquals(after.get(tableKey("app", "t"))?.indexes, undefined);
});
