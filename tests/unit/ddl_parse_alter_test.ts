/** parseDdl on ALTER TABLE: each form and its tricky cases, statement -> operations. */
import { assertEquals, assertMatch } from "../support/assert.ts";
import type { AlterOperation, ColumnSpec, DdlContext } from "../../src/schema/ddl/changes.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";

const context: DdlContext = { defaultSchema: "app", flavor: "mariadb" };

/** The operations of the one ALTER TABLE `sql` is, on app.t. */
function ops(sql: string, extra: Partial<DdlContext> = {}): AlterOperation[] {
  const outcome = parseDdl(sql, { ...context, ...extra });
  if (!outcome.understood) throw new Error(`not understood: ${outcome.reason}`);
  assertEquals(outcome.changes.length, 1);
  const [change] = outcome.changes;
  if (change.kind !== "alter-table") throw new Error(change.kind);
  assertEquals(change.table, { schema: "app", table: "t" });
  return change.operations;
}

/** Why `sql` is not understood. */
function refusal(sql: string, extra: Partial<DdlContext> = {}): string {
  const outcome = parseDdl(sql, { ...context, ...extra });
  if (outcome.understood) throw new Error(`understood: ${JSON.stringify(outcome.changes)}`);
  return outcome.reason;
}

/** A nullable `int(11)` spec, or another type with `type`; `extra` overrides. */
function int(name: string, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return {
    name,
    columnType: "int(11)",
    dataType: "int",
    unsigned: false,
    charset: null,
    nullable: true,
    default: { kind: "none" },
    ...extra,
  };
}

/** A nullable `varchar(n)` spec in the table's charset. */
function varchar(name: string, length: number, extra: Partial<ColumnSpec> = {}): ColumnSpec {
  return {
    name,
    columnType: `varchar(${length})`,
    dataType: "varchar",
    unsigned: false,
    nullable: true,
    default: { kind: "none" },
    ...extra,
  };
}

const add = (
  column: ColumnSpec,
  more: Partial<Extract<AlterOperation, { kind: "add-column" }>> = {},
): AlterOperation => ({
  kind: "add-column",
  column,
  ifNotExists: false,
  ...more,
});

Deno.test("ADD [COLUMN] with NOT NULL, DEFAULT, FIRST and AFTER", () => {
  assertEquals(ops("ALTER TABLE t ADD COLUMN a int(10) unsigned NOT NULL DEFAULT 5 AFTER b"), [
    add(
      int("a", {
        columnType: "int(10) unsigned",
        unsigned: true,
        nullable: false,
        default: { kind: "literal", value: "5", quoted: false },
      }),
      { position: { after: "b" } },
    ),
  ]);
  assertEquals(ops("alter table t add a int first"), [
    add(int("a"), { position: { first: true } }),
  ]);
  assertEquals(ops("ALTER TABLE t ADD a int NULL"), [add(int("a"))]);
});

Deno.test("ADD (a list of columns), and several operations in one ALTER", () => {
  assertEquals(
    ops("ALTER TABLE t ADD (a int, b varchar(20) CHARACTER SET latin1 COLLATE latin1_bin)"),
    [
      add(int("a")),
      add(varchar("b", 20, { charset: "latin1", collation: "latin1_bin" })),
    ],
  );
  assertEquals(ops("ALTER TABLE t ADD a int, DROP b, MODIFY c int, ADD INDEX (a)"), [
    add(int("a")),
    { kind: "drop-column", name: "b", ifExists: false },
    { kind: "change-column", name: "c", column: int("c"), ifExists: false },
    { kind: "add-index", index: { columns: ["a"], unique: false }, ifNotExists: false },
  ]);
});

Deno.test("DEFAULT values: literals, NULL, booleans, bytes, CURRENT_TIMESTAMP, expressions", () => {
  const defaultOf = (definition: string) => {
    const [operation] = ops(`ALTER TABLE t ADD c ${definition}`);
    return operation.kind === "add-column" ? operation.column.default : undefined;
  };
  assertEquals(defaultOf("int DEFAULT -1"), { kind: "literal", value: "-1", quoted: false });
  assertEquals(defaultOf("decimal(5,2) DEFAULT 1.50"), {
    kind: "literal",
    value: "1.50",
    quoted: false,
  });
  assertEquals(defaultOf("varchar(5) DEFAULT 'it''s'"), {
    kind: "literal",
    value: "it's",
    quoted: true,
  });
  assertEquals(defaultOf("varchar(5) DEFAULT _latin1'ab' 'c'"), {
    kind: "literal",
    value: "abc",
    quoted: true,
  });
  assertEquals(defaultOf("varchar(5) DEFAULT N'x'"), { kind: "literal", value: "x", quoted: true });
  assertEquals(defaultOf("varchar(5) DEFAULT ''"), { kind: "literal", value: "", quoted: true });
  assertEquals(defaultOf("int DEFAULT NULL"), { kind: "null" });
  assertEquals(defaultOf("tinyint(1) DEFAULT TRUE"), {
    kind: "literal",
    value: "1",
    quoted: false,
  });
  assertEquals(defaultOf("bit(3) DEFAULT b'101'"), { kind: "bytes", hex: "05" });
  assertEquals(defaultOf("varchar(3) DEFAULT 0x41"), { kind: "bytes", hex: "41" });
  assertEquals(defaultOf("datetime DEFAULT CURRENT_TIMESTAMP"), {
    kind: "current-timestamp",
    fsp: 0,
  });
  assertEquals(defaultOf("datetime(6) DEFAULT now(6)"), { kind: "current-timestamp", fsp: 6 });
  assertEquals(
    defaultOf("timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)"),
    { kind: "current-timestamp", fsp: 3 },
  );
  assertEquals(defaultOf("int DEFAULT (1 + 1)"), { kind: "expression", text: "1 + 1" });
  assertEquals(defaultOf("int DEFAULT (7)"), { kind: "literal", value: "7", quoted: false });
  assertEquals(defaultOf("varchar(36) DEFAULT uuid()"), { kind: "expression", text: "uuid()" });
});

Deno.test("generated columns: VIRTUAL by default, STORED and PERSISTENT", () => {
  const generation = (definition: string) => {
    const [operation] = ops(`ALTER TABLE t ADD c ${definition}`);
    return operation.kind === "add-column"
      ? [operation.column.generated, operation.column.generation, operation.column.nullable]
      : [];
  };
  assertEquals(generation("int AS (a + 1)"), [true, { expression: "a + 1", stored: false }, true]);
  assertEquals(generation("int GENERATED ALWAYS AS (a*2) VIRTUAL NOT NULL"), [
    true,
    { expression: "a*2", stored: false },
    false,
  ]);
  assertEquals(generation("int AS (a) STORED"), [true, { expression: "a", stored: true }, true]);
  assertEquals(generation("varchar(9) AS (concat(a, ')')) PERSISTENT"), [
    true,
    { expression: "concat(a, ')')", stored: true },
    true,
  ]);
});

Deno.test("DROP [COLUMN], MODIFY, CHANGE (rename plus type), RENAME COLUMN", () => {
  assertEquals(ops("ALTER TABLE t DROP COLUMN a, DROP b RESTRICT"), [
    { kind: "drop-column", name: "a", ifExists: false },
    { kind: "drop-column", name: "b", ifExists: false },
  ]);
  assertEquals(ops("ALTER TABLE t MODIFY COLUMN a bigint NOT NULL FIRST"), [{
    kind: "change-column",
    name: "a",
    column: int("a", { columnType: "bigint(20)", dataType: "bigint", nullable: false }),
    ifExists: false,
    position: { first: true },
  }]);
  assertEquals(ops("ALTER TABLE t CHANGE a b varchar(3) AFTER c"), [{
    kind: "change-column",
    name: "a",
    column: varchar("b", 3),
    ifExists: false,
    position: { after: "c" },
  }]);
  assertEquals(ops("ALTER TABLE t RENAME COLUMN a TO b"), [
    { kind: "rename-column", name: "a", to: "b" },
  ]);
});

Deno.test("ALTER COLUMN ... SET DEFAULT / DROP DEFAULT; visibility changes nothing", () => {
  assertEquals(ops("ALTER TABLE t ALTER COLUMN a SET DEFAULT 3, ALTER b DROP DEFAULT"), [
    {
      kind: "set-default",
      name: "a",
      default: { kind: "literal", value: "3", quoted: false },
      ifExists: false,
    },
    { kind: "set-default", name: "b", default: { kind: "none" }, ifExists: false },
  ]);
  assertEquals(ops("ALTER TABLE t ALTER COLUMN a SET INVISIBLE"), []);
});

Deno.test("MariaDB's IF [NOT] EXISTS on columns and indexes", () => {
  assertEquals(
    ops(
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS a int, DROP COLUMN IF EXISTS b, " +
        "MODIFY COLUMN IF EXISTS c int, CHANGE COLUMN IF EXISTS d e int, " +
        "ADD INDEX IF NOT EXISTS ix (a), DROP INDEX IF EXISTS iy",
    ),
    [
      add(int("a"), { ifNotExists: true }),
      { kind: "drop-column", name: "b", ifExists: true },
      { kind: "change-column", name: "c", column: int("c"), ifExists: true },
      { kind: "change-column", name: "d", column: int("e"), ifExists: true },
      {
        kind: "add-index",
        index: { name: "ix", columns: ["a"], unique: false },
        ifNotExists: true,
      },
      { kind: "drop-index", name: "iy", ifExists: true },
    ],
  );
});

Deno.test("keys: PRIMARY, UNIQUE, INDEX/KEY (named, prefixed, functional), drops and renames", () => {
  assertEquals(
    ops(
      "ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (a, `b`), ADD UNIQUE KEY uk (c(10) DESC), " +
        "ADD UNIQUE (d), ADD CONSTRAINT sym UNIQUE (e), ADD KEY k USING BTREE (f) COMMENT 'x', " +
        "ADD INDEX fx ((lower(g))), ADD FULLTEXT (h), DROP KEY k2, DROP INDEX k3, " +
        "RENAME INDEX k4 TO k5, DROP CONSTRAINT c1",
    ),
    [
      { kind: "drop-primary-key" },
      { kind: "add-primary-key", columns: ["a", "b"] },
      {
        kind: "add-index",
        index: { name: "uk", columns: ["c"], unique: true },
        ifNotExists: false,
      },
      { kind: "add-index", index: { columns: ["d"], unique: true }, ifNotExists: false },
      {
        kind: "add-index",
        index: { name: "sym", columns: ["e"], unique: true },
        ifNotExists: false,
      },
      {
        kind: "add-index",
        index: { name: "k", columns: ["f"], unique: false },
        ifNotExists: false,
      },
      {
        kind: "add-index",
        index: { name: "fx", columns: [], unique: false, functional: true },
        ifNotExists: false,
      },
      { kind: "add-index", index: { columns: ["h"], unique: false }, ifNotExists: false },
      { kind: "drop-index", name: "k2", ifExists: false },
      { kind: "drop-index", name: "k3", ifExists: false },
      { kind: "rename-index", name: "k4", to: "k5" },
      { kind: "drop-constraint", name: "c1", ifExists: false },
    ],
  );
});

Deno.test("a column CHECK is read whole: NOT NULL after it still counts", () => {
  assertEquals(
    ops("ALTER TABLE t ADD a int CHECK (a > 0) NOT NULL, ADD b int CHECK (b > 0) NOT ENFORCED"),
    [
      add(int("a", { nullable: false })),
      add(int("b")),
    ],
  );
});

Deno.test("inline PRIMARY KEY and UNIQUE in a column definition", () => {
  assertEquals(ops("ALTER TABLE t ADD id int PRIMARY KEY FIRST, ADD c int UNIQUE KEY"), [
    add(int("id", { nullable: false, inlineKey: "primary" }), { position: { first: true } }),
    add(int("c", { inlineKey: "unique" })),
  ]);
});

Deno.test("constraints, FOREIGN KEY (its implicit index) and CHECK", () => {
  assertEquals(
    ops(
      "ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0), ADD CONSTRAINT fk FOREIGN KEY (a) " +
        "REFERENCES p (id) ON DELETE SET NULL ON UPDATE CASCADE, DROP FOREIGN KEY fk2, DROP CHECK ck2",
    ),
    [{
      kind: "add-index",
      index: { name: "fk", columns: ["a"], unique: false, forForeignKey: true },
      ifNotExists: false,
    }],
  );
});

Deno.test("RENAME TO, charset changes, CONVERT TO CHARACTER SET", () => {
  assertEquals(ops("ALTER TABLE t RENAME TO u"), [
    { kind: "rename-table", to: { schema: "app", table: "u" } },
  ]);
  assertEquals(ops("ALTER TABLE t RENAME AS other.u"), [
    { kind: "rename-table", to: { schema: "other", table: "u" } },
  ]);
  assertEquals(
    ops("ALTER TABLE t DEFAULT CHARSET=latin1, COLLATE latin1_bin, CHARACTER SET = utf8"),
    [
      { kind: "table-charset", charset: "latin1" },
      { kind: "table-charset", collation: "latin1_bin" },
      { kind: "table-charset", charset: "utf8" },
    ],
  );
  assertEquals(ops("ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), [
    { kind: "convert-charset", charset: "utf8mb4", collation: "utf8mb4_bin" },
  ]);
  assertMatch(refusal("ALTER TABLE t CONVERT TO CHARACTER SET binary"), /binary/);
});

Deno.test("options that change no layout: ALGORITHM=, LOCK=, ENGINE, FORCE, ORDER BY, KEYS", () => {
  assertEquals(ops("ALTER TABLE t ADD a int, ALGORITHM=INPLACE, LOCK=NONE"), [add(int("a"))]);
  assertEquals(ops("ALTER TABLE t ALGORITHM INSTANT, ADD a int"), [add(int("a"))]);
  assertEquals(
    ops("ALTER TABLE t ENGINE=InnoDB AUTO_INCREMENT = 5 ROW_FORMAT=DYNAMIC COMMENT 'x', FORCE"),
    [],
  );
  assertEquals(ops("ALTER TABLE t ORDER BY a, b"), []);
  assertEquals(ops("/*!40000 ALTER TABLE `t` DISABLE KEYS */"), []);
  assertEquals(ops("ALTER TABLE t ENABLE KEYS"), []);
});

Deno.test("partition maintenance keeps the layout; DROP and TRUNCATE remove rows", () => {
  assertEquals(ops("ALTER TABLE t ADD PARTITION (PARTITION p3 VALUES LESS THAN (2000))"), [
    { kind: "partition", action: "add", removesRows: false },
  ]);
  assertEquals(ops("ALTER TABLE t DROP PARTITION p0, p1"), [
    { kind: "partition", action: "drop", removesRows: true },
  ]);
  assertEquals(ops("ALTER TABLE t TRUNCATE PARTITION ALL"), [
    { kind: "partition", action: "truncate", removesRows: true },
  ]);
  assertEquals(
    ops(
      "ALTER TABLE t REORGANIZE PARTITION p1 INTO (PARTITION a VALUES LESS THAN (5), PARTITION b VALUES LESS THAN (9))",
    ),
    [{ kind: "partition", action: "reorganize", removesRows: false }],
  );
  assertEquals(ops("ALTER TABLE t COALESCE PARTITION 2"), [
    { kind: "partition", action: "coalesce", removesRows: false },
  ]);
  assertEquals(ops("ALTER TABLE t PARTITION BY HASH (id) PARTITIONS 4"), []);
  assertEquals(ops("ALTER TABLE t REMOVE PARTITIONING"), []);
  assertMatch(refusal("ALTER TABLE t EXCHANGE PARTITION p WITH TABLE u"), /without row events/);
  assertMatch(refusal("ALTER TABLE t IMPORT TABLESPACE"), /without row events/);
});

Deno.test("comments, version comments, quoting and qualified names", () => {
  assertEquals(
    ops(
      "/* gh-ost */ ALTER TABLE `app`.`t` /*!50100 ADD COLUMN x int */, -- note\n ADD `we``ird` int # end",
    ),
    [add(int("x")), add(int("we`ird"))],
  );
  // the table's schema, not the session's
  const outcome = parseDdl("ALTER TABLE other.t ADD x int", context);
  assertEquals(
    outcome.understood && outcome.changes[0].kind === "alter-table" && outcome.changes[0].table,
    {
      schema: "other",
      table: "t",
    },
  );
  assertEquals(ops("alter online ignore table if exists t wait 5 add a int;"), [add(int("a"))]);
});

Deno.test("not understood, with the reason and the place", () => {
  assertMatch(refusal("ALTER TABLE t FROBNICATE"), /unknown ALTER TABLE operation at "FROBNICATE"/);
  assertMatch(refusal("ALTER TABLE t ADD a int garbage"), /unknown ALTER TABLE operation/);
  assertMatch(refusal("ALTER TABLE t ADD a int DEFAULT"), /DEFAULT value at the end/);
  assertMatch(refusal("ALTER TABLE t ADD x int", { defaultSchema: "" }), /no default schema/);
  assertMatch(refusal("ALTER TABLE t ADD SYSTEM VERSIONING"), /system versioning/);
  assertMatch(refusal("ALTER TABLE t ADD a varchar(3) DEFAULT 'x"), /unterminated string/);
  // tables come back with the refusal, for the caller to decide
  const outcome = parseDdl("ALTER TABLE t FROBNICATE", context);
  assertEquals(!outcome.understood && outcome.tables, [{ schema: "app", table: "t" }]);
});

Deno.test("explicit_defaults_for_timestamp off: TIMESTAMP without NULL or DEFAULT is refused", () => {
  const off = { explicitDefaultsForTimestamp: false };
  assertMatch(refusal("ALTER TABLE t ADD ts timestamp", off), /explicit_defaults_for_timestamp/);
  const [nullable] = ops("ALTER TABLE t ADD ts timestamp NULL", off);
  assertEquals(nullable.kind === "add-column" && nullable.column.nullable, true);
  const [withDefault] = ops("ALTER TABLE t ADD ts timestamp DEFAULT '2020-01-01'", off);
  assertEquals(withDefault.kind === "add-column" && withDefault.column.nullable, false);
  const [on] = ops("ALTER TABLE t ADD ts timestamp");
  assertEquals(on.kind === "add-column" && on.column.nullable, true);
});
