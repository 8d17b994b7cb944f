/**
 * node-sql-parser 5.4 (MariaDB dialect) as a second opinion: where it reads a statement, it names
 * the same operations and columns as our reader; and the misreadings that keep it out of the
 * product (parse.ts) are pinned here, so a version that fixes them shows.
 */
import nodeSqlParser from "node-sql-parser";
import { assert, assertEquals } from "../support/assert.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";

const parser = new nodeSqlParser.Parser();
const MARIADB = { database: "MariaDB" };

/** The parts of its ALTER TABLE tree read here. */
interface TheirAlter {
  type: string;
  table: { db: string | null; table: string }[];
  expr: {
    action?: string;
    resource?: string;
    column?: { column: string };
    old_column?: { column: string };
    default_val?: { value: { value: unknown } };
  }[];
}

/** `action resource column` of each operation node-sql-parser reads in `sql`. */
function theirs(sql: string): string[] {
  const tree = parser.astify(sql, MARIADB) as unknown as TheirAlter;
  return tree.expr.filter((e) => e.action !== undefined)
    .map((e) =>
      `${e.action} ${e.resource} ${e.old_column?.column ?? e.column?.column ?? ""}`.trim()
    );
}

/** The same for our reader. */
function ours(sql: string): string[] {
  const outcome = parseDdl(sql, { defaultSchema: "app", flavor: "mariadb" });
  if (!outcome.understood || outcome.changes[0].kind !== "alter-table") throw new Error(sql);
  return outcome.changes[0].operations.map((o) => {
    switch (o.kind) {
      case "add-column":
        return `add column ${o.column.name}`;
      case "drop-column":
        return `drop column ${o.name}`;
      case "change-column":
        return `${o.column.name === o.name ? "modify" : "change"} column ${o.name}`;
      case "rename-column":
        return `rename column ${o.name}`;
      case "rename-table":
        return "rename table";
      default:
        return o.kind;
    }
  });
}

Deno.test("where node-sql-parser reads an ALTER TABLE, it agrees on operations and columns", () => {
  for (
    const sql of [
      "ALTER TABLE t ADD COLUMN a int(10) unsigned NOT NULL DEFAULT 5 AFTER b",
      "ALTER TABLE t ADD COLUMN a int FIRST, DROP c, DROP COLUMN d",
      "ALTER TABLE t MODIFY a bigint NOT NULL, CHANGE b c varchar(3) NULL AFTER a",
      "ALTER TABLE t ADD COLUMN c int AS (a + b) STORED",
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int",
      "ALTER TABLE t RENAME COLUMN a TO b",
      "ALTER TABLE t RENAME TO u",
      "ALTER TABLE db.t ADD x int, ALGORITHM=INPLACE, LOCK=NONE",
      "ALTER TABLE t ADD e enum('a','b') NOT NULL DEFAULT 'a', ADD d decimal(12,2) unsigned zerofill",
    ]
  ) {
    assertEquals(theirs(sql), ours(sql), sql);
  }
});

Deno.test("node-sql-parser's misreadings, which our reader gets right", () => {
  // a statement that is all version comment comes back as nothing at all: a silent skip
  assertEquals(parser.astify("/*!40000 ALTER TABLE t DISABLE KEYS */", MARIADB), []);
  // doubled back quotes stay doubled
  const quoted = parser.astify("ALTER TABLE `we``ird` ADD a int", MARIADB) as unknown as TheirAlter;
  assertEquals(quoted.table[0].table, "we``ird");
  // backslash escapes stay in string values
  const escaped = parser.astify("ALTER TABLE t ADD d varchar(3) DEFAULT 'a\\'b'", MARIADB);
  assertEquals((escaped as unknown as TheirAlter).expr[0].default_val?.value.value, "a\\'b");
  // and these do not parse at all
  for (
    const sql of [
      "ALTER TABLE t /*!50100 ADD COLUMN x int */",
      "ALTER TABLE t DROP COLUMN IF EXISTS c",
      "ALTER TABLE t MODIFY COLUMN IF EXISTS a int",
      "ALTER TABLE t ADD INDEX IF NOT EXISTS ix (a)",
      "ALTER TABLE t ALTER COLUMN a SET DEFAULT 3",
      "ALTER TABLE t ALTER a DROP DEFAULT",
      "ALTER TABLE t ADD (a int, b int)",
      "ALTER TABLE t ADD PRIMARY KEY (a)",
      "ALTER TABLE t ADD UNIQUE (a)",
      "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4",
      "ALTER TABLE t ADD n char(3) binary",
      "ALTER TABLE t DROP PARTITION p1",
      "ALTER TABLE t REORGANIZE PARTITION p1 INTO (PARTITION a VALUES LESS THAN (5))",
      "ALTER TABLE t RENAME INDEX a TO b",
      "CREATE OR REPLACE TABLE t (a int)",
    ]
  ) {
    let failed = false;
    try {
      parser.astify(sql, MARIADB);
    } catch {
      failed = true;
    }
    assert(failed, `node-sql-parser now reads: ${sql}`);
    assertEquals(parseDdl(sql, { defaultSchema: "app", flavor: "mariadb" }).understood, true, sql);
  }
});
