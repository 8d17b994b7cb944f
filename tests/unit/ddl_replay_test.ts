/**
 * The statements a DDL replay sends to a target (sink/ddl_replay.ts): per kind of change, what is
 * recognised as done already, the values existing rows get in an added column, the drop policy,
 * and the changes Greenplum refuses with the fix.
 */
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { applySchemaChanges } from "../../src/schema/ddl/apply_tables.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { type SourceTable, tableKey } from "../../src/schema/table.ts";
import {
  alterTargetStatements,
  type ColumnRename,
  renameTargetStatements,
  ReplayRefused,
  type ReplayTarget,
} from "../../src/sink/ddl_replay.ts";
import { GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";

const CONTEXT = { defaultSchema: "s", flavor: "mariadb" as const };
const T = `"public"."t"`;
const EXECUTED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

/** The definitions after `statements`, each run on the previous ones. */
function definitions(...statements: string[]): SourceTable {
  let tables = new Map<string, SourceTable>();
  for (const sql of statements) {
    const outcome = parseDdl(sql, CONTEXT);
    if (!outcome.understood) throw new Error(`not understood: ${outcome.reason}`);
    tables = applySchemaChanges(tables, outcome.changes, { schemaCharset: () => "utf8mb4" });
  }
  return tables.get(tableKey("s", "t"))!;
}

const BASE = "CREATE TABLE t (id int PRIMARY KEY, a varchar(10), b int)";

/** The target snapshot makes for BASE. */
function target(extra: Partial<ReplayTarget> = {}): ReplayTarget {
  return {
    schema: "public",
    table: "t",
    columns: [
      { name: "id", type: "integer" },
      { name: "a", type: "character varying(10)" },
      { name: "b", type: "integer" },
    ],
    primaryKey: { constraint: "t_pkey", columns: ["id"] },
    distributionKey: [],
    ...extra,
  };
}

/** The replay of `alter` (statements after BASE) on `on`. */
function replay(
  alter: string[],
  on = target(),
  options: { renames?: ColumnRename[]; dropColumn?: "drop" | "keep"; greenplum?: boolean } = {},
) {
  const before = definitions(BASE);
  const after = definitions(BASE, ...alter);
  const change = {
    before,
    after,
    key: after.primaryKey,
    keyBefore: before.primaryKey,
    renames: options.renames ?? [],
  };
  return alterTargetStatements(on, change, {
    dropColumn: options.dropColumn ?? "drop",
    dialect: options.greenplum ? GREENPLUM : POSTGRES,
    postgis: false,
    executedAt: EXECUTED_AT,
  });
}

Deno.test("an added column gets, in the rows already there, the value MySQL gave them", () => {
  assertEquals(replay(["ALTER TABLE t ADD c int NOT NULL"]).statements, [
    `ALTER TABLE ${T} ADD COLUMN "c" integer DEFAULT E'0'::integer`,
    `ALTER TABLE ${T} ALTER COLUMN "c" DROP DEFAULT`,
  ]);
  assertEquals(replay(["ALTER TABLE t ADD c int"]).statements, [
    `ALTER TABLE ${T} ADD COLUMN "c" integer`,
  ]);
  const list = replay([
    "ALTER TABLE t ADD (c varchar(5) NOT NULL DEFAULT 'it''s', d enum('x','y') NOT NULL) , " +
    "ADD e date NOT NULL FIRST, ADD f bit(4) DEFAULT b'101' AFTER id, ADD g binary(3) NOT NULL",
  ]);
  assertEquals(list.statements.filter((s) => s.includes("ADD COLUMN")), [
    `ALTER TABLE ${T} ADD COLUMN "e" date`,
    `ALTER TABLE ${T} ADD COLUMN "f" bit(4) DEFAULT B'0101'`,
    `ALTER TABLE ${T} ADD COLUMN "c" character varying(5) DEFAULT E'it''s'::character varying(5)`,
    `ALTER TABLE ${T} ADD COLUMN "d" text DEFAULT E'x'::text`,
    `ALTER TABLE ${T} ADD COLUMN "g" bytea DEFAULT decode('000000', 'hex')`,
  ]);
  assertEquals(list.warnings, []);
});

Deno.test("time defaults: a TIMESTAMP takes the statement's time, what cannot be told is said", () => {
  const now = replay(["ALTER TABLE t ADD ts timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP"]);
  assertEquals(
    now.statements[0],
    `ALTER TABLE ${T} ADD COLUMN "ts" timestamp(0) with time zone ` +
      `DEFAULT to_timestamp(${EXECUTED_AT / 1000})`,
  );
  const local = replay(["ALTER TABLE t ADD dt datetime NOT NULL DEFAULT CURRENT_TIMESTAMP"]);
  assertEquals(local.statements, [
    `ALTER TABLE ${T} ADD COLUMN "dt" timestamp(0) without time zone`,
  ]);
  assertMatch(local.warnings[0], /rows already in "public"."t" get NULL in its new column dt/);
  const generated = replay(["ALTER TABLE t ADD g int AS (id * 2) STORED"]);
  assertMatch(generated.warnings[0], /generated column g is computed by MySQL \(id \* 2\)/);
});

Deno.test("a column already on the target is recognised, not added twice", () => {
  const on = target({ columns: [...target().columns, { name: "C", type: "text" }] });
  const done = replay(["ALTER TABLE t ADD c int NOT NULL"], on);
  assertEquals(done.statements, []);
  assertEquals(done.done, ["column C kept as text"]);
});

Deno.test("DROP COLUMN drops or keeps by policy; columns the user added stay", () => {
  const on = target({ columns: [...target().columns, { name: "mine", type: "text" }] });
  assertEquals(replay(["ALTER TABLE t DROP COLUMN b"], on).statements, [
    `ALTER TABLE ${T} DROP COLUMN "b"`,
  ]);
  assertEquals(replay(["ALTER TABLE t DROP b"], on, { dropColumn: "keep" }).statements, [
    `ALTER TABLE ${T} ALTER COLUMN "b" DROP NOT NULL`,
  ]);
  const gone = target({ columns: target().columns.filter((c) => c.name !== "b") });
  assertEquals(replay(["ALTER TABLE t DROP b"], gone).statements, []);
});

Deno.test("a type change retypes a column of ours, and leaves one the user typed", () => {
  assertEquals(replay(["ALTER TABLE t MODIFY b bigint"]).statements, [
    `ALTER TABLE ${T} ALTER COLUMN "b" TYPE bigint USING "b"::bigint`,
  ]);
  assertEquals(replay(["ALTER TABLE t MODIFY a varbinary(10)"]).statements, [
    `ALTER TABLE ${T} ALTER COLUMN "a" TYPE bytea USING convert_to("a", 'UTF8')`,
  ]);
  // same PostgreSQL type: nothing to do
  assertEquals(replay(["ALTER TABLE t MODIFY b int NOT NULL DEFAULT 3"]).statements, []);
  const mine = target({
    columns: [target().columns[0], { name: "a", type: "text" }, target().columns[2]],
  });
  assertEquals(replay(["ALTER TABLE t MODIFY a varchar(20)"], mine).statements, []);
  const done = target({
    columns: [target().columns[0], target().columns[1], { name: "b", type: "bigint" }],
  });
  assertEquals(replay(["ALTER TABLE t MODIFY b bigint"], done).statements, []);
});

Deno.test("column renames: done, found done, and swapped through temporary names", () => {
  assertEquals(
    replay(["ALTER TABLE t CHANGE a a2 varchar(10)"], target(), {
      renames: [{ from: "a", to: "a2" }],
    }).statements,
    [`ALTER TABLE ${T} RENAME COLUMN "a" TO "a2"`],
  );
  const renamed = target({
    columns: [
      target().columns[0],
      { name: "a2", type: "character varying(10)" },
      target().columns[2],
    ],
  });
  assertEquals(
    replay(["ALTER TABLE t RENAME COLUMN a TO a2"], renamed, { renames: [{ from: "a", to: "a2" }] })
      .statements,
    [],
  );
  assertEquals(
    replay(
      ["ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a"],
      target({
        columns: [target().columns[0], { name: "a", type: "integer" }, {
          name: "b",
          type: "integer",
        }],
      }),
      { renames: [{ from: "a", to: "b" }, { from: "b", to: "a" }] },
    ).statements.slice(0, 4),
    [
      `ALTER TABLE ${T} RENAME COLUMN "a" TO "mysql_gp_sync_rename_0"`,
      `ALTER TABLE ${T} RENAME COLUMN "b" TO "mysql_gp_sync_rename_1"`,
      `ALTER TABLE ${T} RENAME COLUMN "mysql_gp_sync_rename_0" TO "b"`,
      `ALTER TABLE ${T} RENAME COLUMN "mysql_gp_sync_rename_1" TO "a"`,
    ],
  );
});

Deno.test("a primary key change replaces the target's key; an equal one is left", () => {
  assertEquals(
    replay(["ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)"]).statements,
    [`ALTER TABLE ${T} DROP CONSTRAINT "t_pkey"`, `ALTER TABLE ${T} ADD PRIMARY KEY ("id", "b")`],
  );
  const keyed = target({ primaryKey: { constraint: "mine", columns: ["id", "b"] } });
  assertEquals(
    replay(["ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)"], keyed).statements,
    [],
  );
  assertEquals(replay(["ALTER TABLE t ADD UNIQUE KEY u (a), ADD INDEX i (b)"]).statements, []);
  // A key the user gave the target (or took from it) stays through other changes.
  const unkeyed = target({ primaryKey: null });
  assertEquals(replay(["ALTER TABLE t COMMENT 'x'"], unkeyed).statements, []);
});

Deno.test("Greenplum refuses a key without the distribution key and a retype of it: the fix", () => {
  const spread = target({ distributionKey: ["id"] });
  const key = assertThrows(
    () =>
      replay(["ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (b)"], spread, { greenplum: true }),
    ReplayRefused,
  );
  assertEquals(
    key.message,
    `Greenplum refuses a primary key (b) on ${T} that does not contain its distribution key (id); ` +
      `redistribute the table by the new key yourself: ALTER TABLE ${T} DROP CONSTRAINT "t_pkey"; ` +
      `ALTER TABLE ${T} SET DISTRIBUTED BY ("b"); ALTER TABLE ${T} ADD PRIMARY KEY ("b")`,
  );
  const retype = assertThrows(
    () => replay(["ALTER TABLE t MODIFY id bigint"], spread, { greenplum: true }),
    ReplayRefused,
  );
  assertEquals(
    retype.message,
    `Greenplum cannot change the type of column id of ${T}, which is in its distribution key; ` +
      `change it yourself: ALTER TABLE ${T} DROP CONSTRAINT "t_pkey"; ALTER TABLE ${T} SET ` +
      `DISTRIBUTED RANDOMLY; ALTER TABLE ${T} ALTER COLUMN "id" TYPE bigint USING "id"::bigint; ` +
      `ALTER TABLE ${T} SET DISTRIBUTED BY ("id"); ALTER TABLE ${T} ADD PRIMARY KEY ("id")`,
  );
  // PostgreSQL takes both; Greenplum takes a key that contains the distribution key
  assertEquals(replay(["ALTER TABLE t MODIFY id bigint"], spread).statements.length, 1);
  assertEquals(
    replay(["ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b)"], spread, { greenplum: true })
      .statements.length,
    2,
  );
  assertEquals(GREENPLUM.distributionKeyQuery?.includes("gp_distribution_policy"), true);
  assertEquals(POSTGRES.distributionKeyQuery, null);
});

Deno.test("a target follows its table to another name and schema", () => {
  assertEquals(renameTargetStatements({ schema: "a", table: "t" }, { schema: "a", table: "u" }), [
    `ALTER TABLE "a"."t" RENAME TO "u"`,
  ]);
  assertEquals(renameTargetStatements({ schema: "a", table: "t" }, { schema: "b", table: "t" }), [
    `CREATE SCHEMA IF NOT EXISTS "b"`,
    `ALTER TABLE "a"."t" SET SCHEMA "b"`,
  ]);
});
