/**
 * Type fidelity through the real sync (issue #3): MariaDB rows with every type at its edge values
 * go binlog -> zongji -> TablePlan encoders -> Batch merge -> COPY staging -> DELETE/INSERT, for
 * INSERT, UPDATE and DELETE, and PostgreSQL must then hold, field by field, what MariaDB itself
 * computes from its stored values. Target tables are created with `pgTypeFor` from the
 * INFORMATION_SCHEMA view of each source table, or with alternate types a user may choose.
 */
import fc from "fast-check";
import { Buffer } from "node:buffer";
import mysql from "mysql2/promise";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { UserError } from "../../src/config/errors.ts";
import type { Config } from "../../src/config/config.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { pgTypeFor } from "../../src/convert/pg_type.ts";
import { qualified, qualifiedMySql, quoteIdent, quoteMySqlIdent } from "../../src/convert/ident.ts";
import { type SourceColumn } from "../../src/convert/types.ts";
import {
  asText,
  bytes,
  castChar,
  comparable,
  type Compare,
  date,
  dateTime,
  EDGE_CASES as SHARED_EDGE_CASES,
  EDGE_ROWS,
  type EdgeCase as Case,
  float,
  instant,
  type Side,
  text,
  time,
} from "../support/edge_cases.ts";
import {
  clock,
  decimalIn,
  intIn,
  jsonArb,
  nullable,
  pad,
  timeArb,
  unicode,
  ymd,
} from "../support/arbitraries.ts";
import { catalogColumns } from "../support/convert.ts";
import { type Fixture, type RunningSync, startFixture, startSync } from "../../testing/fixture.ts";

// ---- helpers -------------------------------------------------------------------------------

/** A source table, its target, and how to compare them. */
interface TableSpec {
  mySchema: string;
  myTable: string;
  pgSchema: string;
  pgTable: string;
  /** Key columns, in key order; they must also be cases. */
  key: string[];
  cases: Case[];
}

/**
 * JSON text as PostgreSQL's jsonb normalises it (key order, duplicate keys, number spelling).
 * jsonb cannot hold U+0000, so its escapes are dropped first (not an escaped backslash + u0000).
 */
async function jsonbText(pg: Fixture["pg"], json: string): Promise<string> {
  const clean = json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1");
  const [row] = await pg.unsafe("SELECT $1::text::jsonb::text AS t", [clean]);
  return row.t as string;
}

/** The comparable text of a value; JSON as PostgreSQL's jsonb writes it. */
function comparableIn(fixture: Fixture, side: Side, kind: Compare, value: unknown) {
  return comparable(
    kind,
    side,
    value,
    (side, s) => side === "mariadb" ? jsonbText(fixture.pg, s) : s,
  );
}

/** Rows of both sides, keyed by the comparable text of the key columns, values by column. */
async function snapshot(
  fixture: Fixture,
  spec: TableSpec,
  side: "mariadb" | "postgresql",
  where = "",
): Promise<Map<string, Map<string, string | null>>> {
  let rows: unknown[][];
  if (side === "mariadb") {
    const list = spec.cases.map((c, i) =>
      `${(c.expect ?? castChar)(quoteMySqlIdent(c.col))} AS c${i}`
    );
    const [result] = await fixture.my.query({
      sql: `SELECT ${list.join(", ")} FROM ${qualifiedMySql(spec.mySchema, spec.myTable)} ${where}`,
      rowsAsArray: true,
    });
    rows = result as unknown[][];
  } else {
    const list = spec.cases.map((c, i) =>
      `(${(c.actual ?? asText)(quoteIdent(c.pgCol ?? c.col))}) AS c${i}`
    );
    rows = await fixture.pg.unsafe(
      `SELECT ${list.join(", ")} FROM ${qualified(spec.pgSchema, spec.pgTable)} ${where}`,
    ).values();
  }
  const out = new Map<string, Map<string, string | null>>();
  for (const row of rows) {
    const values = new Map<string, string | null>();
    for (let i = 0; i < spec.cases.length; i++) {
      const c = spec.cases[i];
      values.set(c.col, await comparableIn(fixture, side, c.compare ?? "text", row[i]));
    }
    const key = JSON.stringify(spec.key.map((k) => values.get(k)));
    assert(!out.has(key), `${side} ${spec.pgTable}: key ${key} occurs twice`);
    out.set(key, values);
  }
  return out;
}

/**
 * PostgreSQL's table must equal MariaDB's, field by field; every difference is listed with its
 * table, key and column. `where` (valid on both sides) limits the rows compared.
 */
async function assertTableInSync(fixture: Fixture, spec: TableSpec, phase: string, where = "") {
  const want = await snapshot(fixture, spec, "mariadb", where);
  const got = await snapshot(fixture, spec, "postgresql", where);
  const problems: string[] = [];
  const place = `${phase}: ${spec.mySchema}.${spec.myTable} -> ${spec.pgSchema}.${spec.pgTable}`;
  for (const key of want.keys()) if (!got.has(key)) problems.push(`key ${key} missing`);
  for (const key of got.keys()) if (!want.has(key)) problems.push(`key ${key} should not exist`);
  for (const [key, expected] of want) {
    const actual = got.get(key);
    if (!actual) continue;
    for (const [col, value] of expected) {
      if (actual.get(col) !== value) {
        problems.push(
          `key ${key} column ${JSON.stringify(col)}: PostgreSQL ${show(actual.get(col))}, MariaDB ${
            show(value)
          }`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${place}: ${problems.length} differences\n  ${problems.slice(0, 40).join("\n  ")}`,
    );
  }
  return want.size;
}

function show(value: string | null | undefined): string {
  if (value === undefined) return "(absent)";
  const s = JSON.stringify(value);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** A connection writing like an application in UTC+8, outside strict mode (zero dates allowed). */
async function appConnection(fixture: Fixture): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: fixture.mariadb.host,
    port: fixture.mariadb.port,
    user: fixture.mariadb.user,
    password: fixture.mariadb.password,
    charset: "UTF8MB4_UNICODE_CI",
    multipleStatements: true,
  });
  await connection.query("SET time_zone = '+08:00', sql_mode = 'ALLOW_INVALID_DATES'");
  return connection;
}

/**
 * Creates the target of `spec` with a `pgTypeFor` column per source column, or the type given in
 * `types`. No primary key: a row applied twice would show up as a duplicate key. `reversed` puts
 * the columns in the opposite order, `extra` adds column definitions the source does not have.
 */
async function createTarget(
  fixture: Fixture,
  spec: TableSpec,
  types: Record<string, string> = {},
  options: { reversed?: boolean; extra?: string[] } = {},
): Promise<SourceColumn[]> {
  const columns = await catalogColumns(fixture.my, spec.mySchema, spec.myTable);
  const names = new Map(spec.cases.map((c) => [c.col, c.pgCol ?? c.col]));
  const defs = columns.map((c) =>
    `${quoteIdent(names.get(c.name) ?? c.name)} ${types[c.name] ?? pgTypeFor(c)}`
  );
  if (options.reversed) defs.reverse();
  defs.push(...options.extra ?? []);
  await fixture.pg.unsafe(
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(spec.pgSchema)};
     CREATE TABLE ${qualified(spec.pgSchema, spec.pgTable)} (${defs.join(", ")})`,
  );
  return columns;
}

function createSource(spec: TableSpec): string {
  const defs = spec.cases.map((c) => `${quoteMySqlIdent(c.col)} ${c.type}`);
  return `CREATE TABLE ${qualifiedMySql(spec.mySchema, spec.myTable)} (${defs.join(", ")}, ` +
    `PRIMARY KEY (${spec.key.map(quoteMySqlIdent).join(", ")}))`;
}

function rulesFor(specs: TableSpec[], extra = ""): string {
  const bySchema = new Map<string, string[]>();
  for (const s of specs) bySchema.set(s.mySchema, [...(bySchema.get(s.mySchema) ?? []), s.myTable]);
  const sources = [...bySchema].map(([schema, tables]) =>
    `[[source]]\nschema = ${JSON.stringify(schema)}\ntables = ${JSON.stringify(tables)}\n`
  );
  const rules = specs.map((s) =>
    `[[rule]]\nschema = ${JSON.stringify(s.mySchema)}\ntable = ${JSON.stringify(s.myTable)}\n` +
    `pg_schema = ${JSON.stringify(s.pgSchema)}\npg_table = ${JSON.stringify(s.pgTable)}\n`
  );
  return `batch_max_ms = 20\n${extra}\n${sources.join("\n")}\n${rules.join("\n")}`;
}

/** Starts the sync at the source's current position. */
async function syncFromHere(fixture: Fixture, config: Config): Promise<RunningSync> {
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  return await startSync(config);
}

/**
 * Waits until the sync has applied everything written so far; fails at once when it ends or
 * records an error (it would retry), rather than at the timeout.
 */
async function caughtUp(fixture: Fixture, sync: RunningSync, timeoutMs = 20_000) {
  let ended: string | null = null;
  sync.done.then(
    () => ended = "the sync ended",
    (err) => ended = `the sync failed: ${(err as Error).message}`,
  );
  const target = await fixture.masterStatus();
  const deadline = Date.now() + timeoutMs;
  while (true) {
    if (ended) throw new Error(ended);
    if (sync.stats.lastError) throw new Error(`the sync hit an error: ${sync.stats.lastError}`);
    const applied = sync.stats.appliedPosition;
    if (
      applied !== null &&
      (applied.file > target.file || (applied.file === target.file && applied.pos >= target.pos))
    ) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the sync did not reach ${target.file}:${target.pos} within ${timeoutMs} ms ` +
          `(applied ${JSON.stringify(applied)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stops the sync; a sync that cannot stop fails the test instead of hanging it. */
async function stopSync(sync: RunningSync): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<"stuck">((resolve) =>
    timer = setTimeout(() => resolve("stuck"), 10_000)
  );
  // A sync that failed has said so already (caughtUp); here only stopping matters
  const stopped = sync.stop().then(() => "stopped" as const, () => "stopped" as const);
  const outcome = await Promise.race([stopped, stuck])
    .finally(() => clearTimeout(timer));
  if (outcome === "stuck") throw new Error("the sync did not stop within 10 s");
}

// ---- every type at its edges -----------------------------------------------------------------

/** The shared edge cases behind a key of their own. */
const EDGE_CASES: Case[] = [
  { col: "Row Id", type: "int", values: [] }, // filled in below
  ...SHARED_EDGE_CASES,
];

const EDGE: TableSpec = {
  mySchema: "types",
  myTable: "Edge Values",
  pgSchema: "Types Target",
  pgTable: "Edge Values",
  key: ["Row Id"],
  cases: EDGE_CASES,
};

/** A key of awkward types: every DELETE/UPDATE must find its row by them. */
const KEYED: TableSpec = {
  mySchema: "types",
  myTable: "select",
  pgSchema: "public",
  pgTable: "select",
  key: ["Key Text", "bin key", "when", "amount", "big"],
  cases: [
    { col: "Key Text", type: "varchar(20) CHARACTER SET utf8mb4", values: [], ...text },
    { col: "bin key", type: "binary(4)", values: [], ...bytes },
    { col: "when", type: "datetime(6)", values: [], ...dateTime(6) },
    { col: "amount", type: "decimal(65,30)", values: [] },
    { col: "big", type: "bigint unsigned", values: [] },
    { col: "value", type: "longtext CHARACTER SET utf8mb4", values: [], ...text },
    { col: "payload", type: "longblob", values: [], ...bytes },
  ],
};

const KEYED_ROWS = [
  "('😀\\t\\\\k', x'01', '2020-01-01 00:00:00.000001', " +
  "99999999999999999999999999999999999.999999999999999999999999999999, 18446744073709551615, " +
  "'a', x'00')",
  "('😀\\t\\\\k', x'0001', '2020-01-01 00:00:00.000001', " +
  "99999999999999999999999999999999999.999999999999999999999999999999, 18446744073709551615, " +
  "'b', NULL)",
  "('line\\nbreak', x'ffffffff', '9999-12-31 23:59:59.999999', " +
  "-0.000000000000000000000000000001, 0, 'c', NULL)",
  "('', x'', '1000-01-01 00:00:00', 0, 9223372036854775808, NULL, NULL)",
  // values larger than one COPY chunk (1 MiB of text), full of characters COPY must escape
  "('big', x'02', '2001-01-01 00:00:00', 1, 1, REPEAT('😀\\t\\\\\\n', 300000), " +
  "REPEAT(x'00ff0a5c09', 300000))",
];

/** Row `r`'s value of `c` when inserted (NULL past the case's values). */
function insertedValue(c: Case, r: number): string {
  return c.values[r] ?? "NULL";
}

/**
 * Row `r`'s value after the UPDATE, different from the inserted one in every column: row 0 goes
 * all NULL, rows that held NULL get a value, the others move to the next edge value.
 */
function updatedValue(c: Case, r: number): string {
  const n = c.values.length;
  if (r === 0) return "NULL";
  if (r >= n) return c.values[r % n];
  return n === 1 ? "NULL" : c.values[(r + 1) % n];
}

/** INSERT, UPDATE and DELETE of every edge value through a sync with `extraConfig`. */
async function edgeValues(extraConfig: string) {
  await using fixture = await startFixture();
  const app = await appConnection(fixture);
  try {
    // Every new session (the sync's own included) starts in yet another zone
    await fixture.my.query("SET GLOBAL time_zone = '+05:00'");
    await app.query("CREATE DATABASE types");
    await app.query(createSource(EDGE));
    await app.query(createSource(KEYED));
    const columns = await createTarget(fixture, EDGE);
    await createTarget(fixture, KEYED);
    // The catalog view the targets were made from
    const byName = new Map(columns.map((c) => [c.name, c]));
    assertEquals(byName.get("json")?.json, true);
    assertEquals(byName.get("gen stored")?.generated, true);
    assertEquals(pgTypeFor(byName.get("bigint u")!), "numeric(20,0)");
    assertEquals(pgTypeFor(byName.get("timestamp(3)")!), "timestamp(3) with time zone");

    const config = await fixture.writeConfig(rulesFor([EDGE, KEYED], extraConfig));
    const sync = await syncFromHere(fixture, config);
    try {
      const written = EDGE.cases.filter((c) => !c.generated && c.col !== "Row Id");
      const names = written.map((c) => quoteMySqlIdent(c.col)).join(", ");
      const table = qualifiedMySql(EDGE.mySchema, EDGE.myTable);
      const key = quoteMySqlIdent("Row Id");

      // INSERT: half the rows one statement each, the rest in one multi-row statement
      const tuples = Array.from(
        { length: EDGE_ROWS },
        (_, r) => `(${r}, ${written.map((c) => insertedValue(c, r)).join(", ")})`,
      );
      const half = Math.floor(EDGE_ROWS / 2);
      for (const tuple of tuples.slice(0, half)) {
        await app.query(`INSERT INTO ${table} (${key}, ${names}) VALUES ${tuple}`);
      }
      await app.query(`INSERT INTO ${table} (${key}, ${names}) VALUES ${tuples.slice(half)}`);
      await app.query(
        `INSERT INTO ${qualifiedMySql(KEYED.mySchema, KEYED.myTable)} VALUES ${KEYED_ROWS}`,
      );
      await caughtUp(fixture, sync);
      assertEquals(await assertTableInSync(fixture, EDGE, "after INSERT"), EDGE_ROWS);
      assertEquals(await assertTableInSync(fixture, KEYED, "after INSERT"), KEYED_ROWS.length);

      // The same instant: '2020-02-29 23:59:59.654321' written at +08:00
      const [utc] = await fixture.pg.unsafe(
        `SELECT ("timestamp(6)" AT TIME ZONE 'UTC')::text AS ts,
                ("timestamp(0)" AT TIME ZONE 'UTC')::text AS ts0,
                ("datetime(6)")::text AS dt
           FROM "Types Target"."Edge Values" WHERE "Row Id" = 0`,
      );
      assertEquals(utc.ts, "2020-02-29 15:59:59.654321");
      assertEquals(utc.ts0, "2020-02-29 15:59:59");
      // DATETIME has no zone: as written, whatever the session zone was
      assertEquals(utc.dt, "2020-02-29 12:34:56.123456");

      // UPDATE every column of every row to another edge value; some keys change as well
      for (let r = 0; r < EDGE_ROWS; r++) {
        const sets = written.map((c) => `${quoteMySqlIdent(c.col)} = ${updatedValue(c, r)}`);
        if (r % 4 === 3) sets.push(`${key} = ${r + 100}`);
        await app.query(`UPDATE ${table} SET ${sets.join(", ")} WHERE ${key} = ${r}`);
      }
      const keyed = qualifiedMySql(KEYED.mySchema, KEYED.myTable);
      await app.query(`BEGIN;
        UPDATE ${keyed} SET value = 'changed\\0' WHERE value = 'a';
        UPDATE ${keyed} SET amount = -amount, \`when\` = \`when\` + INTERVAL 1 MICROSECOND
         WHERE value = 'b';
        UPDATE ${keyed} SET \`bin key\` = x'00', \`Key Text\` = 'tab\\tand\\\\' WHERE value IS NULL;
        UPDATE ${keyed} SET value = CONCAT(value, '!'), payload = CONCAT(payload, x'0d')
         WHERE \`Key Text\` = 'big';
        COMMIT;`);
      await caughtUp(fixture, sync);
      await assertTableInSync(fixture, EDGE, "after UPDATE");
      await assertTableInSync(fixture, KEYED, "after UPDATE");

      // DELETE some rows, by awkward keys too
      await app.query(`DELETE FROM ${table} WHERE ${key} % 3 = 1`);
      await app.query(`DELETE FROM ${keyed} WHERE value = 'c' OR value IS NULL`);
      await caughtUp(fixture, sync);
      const left = await assertTableInSync(fixture, EDGE, "after DELETE");
      assert(left > 0 && left < EDGE_ROWS, `${left} of ${EDGE_ROWS} rows left`);
      assertEquals(await assertTableInSync(fixture, KEYED, "after DELETE"), 3);
      assert(sync.stats.valuesAltered > 0);
    } finally {
      await stopSync(sync);
    }

    // One WARN per column whose values had to change, however many values did
    const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
    const warnings = log.split("\n").filter((line) => line.includes("[WARN]"));
    const expected = [
      ...EDGE.cases.filter((c) => c.zeroDates).map((c) =>
        `types.Edge Values.${c.col}: zero date stored as NULL`
      ),
      ...EDGE.cases.filter((c) => c.nul).map((c) =>
        `types.Edge Values.${c.col}: NUL byte removed from text`
      ),
      "types.select.value: NUL byte removed from text",
    ];
    for (const message of expected) {
      const lines = warnings.filter((line) => line.includes(message));
      assertEquals(lines.length, 1, `WARN lines for "${message}":\n${warnings.join("\n")}`);
    }
    assertEquals(warnings.length, expected.length, `unexpected warnings:\n${warnings.join("\n")}`);
  } finally {
    await app.end();
  }
}

// A table's rows of a batch reach PostgreSQL as plain statements when they are few (as here, by
// default), otherwise through COPY into staging: each way must carry every value exactly.
Deno.test("every type at its edge values arrives exactly through the sync: insert, update, delete", async () => {
  await edgeValues("");
});

Deno.test("the same through COPY and staging (batch_plain_max_rows = 0)", async () => {
  await edgeValues("batch_plain_max_rows = 0");
});

Deno.test("the same through parallel writers (concurrent_size = 3)", async () => {
  await edgeValues("concurrent_size = 3\nbatch_plain_max_rows = 0");
});

// ---- alternate target types ------------------------------------------------------------------

const ALTERNATE: TableSpec = {
  mySchema: "alt",
  myTable: "Alternates",
  pgSchema: "public",
  pgTable: "alternates",
  key: ["id"],
  cases: [
    { col: "id", type: "int", values: ["1", "2", "3", "4", "5"] },
    {
      col: "flag",
      type: "tinyint(1)",
      values: ["1", "0", "-1", "127", "-128"],
      expect: (c) => `CASE WHEN ${c} <> 0 THEN 'true' WHEN ${c} = 0 THEN 'false' END`,
    },
    {
      col: "bit1",
      type: "bit(1)",
      values: ["b'1'", "b'0'"],
      expect: (c) => `CASE ${c} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END`,
    },
    {
      col: "enum",
      type: "enum('a','b,c','it''s','')",
      values: ["'b,c'", "'it''s'", "''", "'a'"],
    },
    { col: "set", type: "set('x','y','z''q')", values: ["'x,z''q'", "''", "'y'"] },
    {
      col: "json",
      type: "json",
      // kept exactly as written, spacing, key order and duplicates included
      values: [
        `'{"b": 1,  "a": [18446744073709551615, 1.50e300]}'`,
        `'{"dup":1,"dup":2}'`,
        `'"a\\\\u0000b"'`,
        "'[]'",
      ],
    },
    { col: "year", type: "year", values: ["2155", "0", "1901"], expect: (c) => `${c} + 0` },
    {
      col: "date",
      type: "date",
      values: ["'2020-02-29'", "'9999-12-31'", "'1000-01-01'"],
      expect: (c) => `CONCAT(${c}, ' 00:00:00')`,
      actual: (c) => `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS')`,
    },
    { col: "mediumint u", type: "mediumint unsigned", values: ["16777215", "0"] },
    { col: "bigint u", type: "bigint unsigned", values: ["18446744073709551615", "0"] },
    {
      col: "datetime",
      type: "datetime(6)",
      values: ["'2020-02-29 12:34:56.123456'", "'0000-00-00 00:00:00'", "'1000-01-01 00:00:00'"],
    },
    {
      col: "timestamp",
      type: "timestamp(3) NULL",
      values: ["'2020-02-29 23:59:59.5'", "'1970-01-01 08:00:01'"],
      // the UTC wall time with its zone; the fixture's session is UTC
      expect: (c) => `CONCAT(${c}, '+00')`,
    },
    { col: "decimal", type: "decimal(20,5)", values: ["-123456789012345.12345", "0.00001"] },
    // matched to the PostgreSQL column of the same name in another case
    { col: "CamelCase", type: "varchar(10)", values: ["'a'", "'B'"], pgCol: "camelcase" },
  ],
};

const ALTERNATE_TYPES: Record<string, string> = {
  flag: "boolean",
  bit1: "boolean",
  enum: "text",
  set: "varchar(200)",
  json: "varchar",
  year: "integer",
  date: "timestamp without time zone",
  "mediumint u": "numeric",
  "bigint u": "numeric",
  datetime: "text",
  timestamp: "text",
  decimal: "text",
};

Deno.test("alternate target types receive values cast to them", async () => {
  await using fixture = await startFixture();
  const app = await appConnection(fixture);
  try {
    await app.query(`CREATE DATABASE alt; ${createSource(ALTERNATE)}`);
    // in reverse column order, with a column of its own that the sync leaves to its default
    await createTarget(fixture, ALTERNATE, ALTERNATE_TYPES, {
      reversed: true,
      extra: [`"only in PostgreSQL" text NOT NULL DEFAULT 'default'`],
    });
    const config = await fixture.writeConfig(rulesFor([ALTERNATE]));
    const sync = await syncFromHere(fixture, config);
    try {
      const table = qualifiedMySql(ALTERNATE.mySchema, ALTERNATE.myTable);
      const names = ALTERNATE.cases.map((c) => quoteMySqlIdent(c.col)).join(", ");
      const rows = ALTERNATE.cases[0].values.length;
      const tuples = Array.from(
        { length: rows },
        (_, r) => `(${ALTERNATE.cases.map((c) => insertedValue(c, r)).join(", ")})`,
      );
      await app.query(`INSERT INTO ${table} (${names}) VALUES ${tuples}`);
      await caughtUp(fixture, sync);
      await assertTableInSync(fixture, ALTERNATE, "after INSERT");

      // A few spelled out, beyond "equal to what MariaDB says"
      const check = await fixture.pg.unsafe(
        `SELECT flag, bit1, json, "bigint u"::text AS bu FROM public.alternates ORDER BY id`,
      );
      assertEquals(check.map((r) => r.flag), [true, false, true, true, true]);
      assertEquals(check.map((r) => r.bit1), [true, false, null, null, null]);
      // varchar, not jsonb: the text exactly as written, the \u0000 escape included
      assertEquals(check.map((r) => r.json), [
        '{"b": 1,  "a": [18446744073709551615, 1.50e300]}',
        '{"dup":1,"dup":2}',
        '"a\\u0000b"',
        "[]",
        null,
      ]);
      assertEquals(check.map((r) => r.bu), ["18446744073709551615", "0", null, null, null]);

      for (let r = 0; r < rows; r++) {
        const sets = ALTERNATE.cases.slice(1).map((c) =>
          `${quoteMySqlIdent(c.col)} = ${updatedValue(c, r)}`
        );
        await app.query(`UPDATE ${table} SET ${sets.join(", ")} WHERE id = ${r + 1}`);
      }
      await caughtUp(fixture, sync);
      await assertTableInSync(fixture, ALTERNATE, "after UPDATE");

      await app.query(`DELETE FROM ${table} WHERE id IN (2, 5)`);
      await caughtUp(fixture, sync);
      assertEquals(await assertTableInSync(fixture, ALTERNATE, "after DELETE"), rows - 2);
      const extra = await fixture.pg.unsafe(
        `SELECT DISTINCT "only in PostgreSQL" AS v FROM public.alternates`,
      );
      assertEquals(extra.map((r) => r.v), ["default"]);
    } finally {
      await stopSync(sync);
    }
  } finally {
    await app.end();
  }
});

// ---- an impossible pair ----------------------------------------------------------------------

Deno.test("an impossible target type stops the sync with a one-line message", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE bad; CREATE TABLE bad.`Some Table` (id int PRIMARY KEY, `Some Name` varchar(20))",
  );
  await fixture.pg.unsafe(`CREATE TABLE public."Some Table" (id integer, "Some Name" integer)`);
  const config = await fixture.writeConfig(
    rulesFor([{ ...ALTERNATE, mySchema: "bad", myTable: "Some Table", pgTable: "Some Table" }]),
  );
  const sync = await syncFromHere(fixture, config);
  let stopped = false;
  try {
    // No row is needed: the pair is checked at start, not when the first value arrives
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      sync.done.then(() => null, (err) => err as Error),
      new Promise<"running">((resolve) => timer = setTimeout(() => resolve("running"), 8_000)),
    ]).finally(() => clearTimeout(timer));
    assert(
      outcome !== "running",
      `the sync still runs, retrying: ${sync.stats.lastError ?? "(no error recorded)"}`,
    );
    stopped = true;
    assert(outcome instanceof UserError, `expected a UserError, got ${outcome}`);
    const message = outcome.message;
    assert(!message.includes("\n"), `not one line: ${message}`);
    assertMatch(message, /bad\.Some Table/);
    assertMatch(message, /Some Name/);
    assertMatch(message, /varchar\(20\)/);
    assertMatch(message, /integer/);
  } finally {
    if (!stopped) await stopSync(sync);
  }
});

// ---- random values through the sync --------------------------------------------------------------

const ENUM_LABELS = ["a", "b,c", "it's", "é", "😀", "\\"];
/** SET labels cannot contain commas. */
const SET_LABELS = ["x", "y", "z'q", "ü", " "];
const sqlLabels = (labels: string[]) => labels.map((l) => mysql.escape(l)).join(",");

const PROPERTY: TableSpec = {
  mySchema: "prop",
  myTable: "Random Values",
  pgSchema: "public",
  pgTable: "random_values",
  key: ["id"],
  cases: [
    { col: "id", type: "int", values: [] },
    { col: "tinyint", type: "tinyint", values: [] },
    { col: "smallint u", type: "smallint unsigned", values: [] },
    { col: "mediumint", type: "mediumint", values: [] },
    { col: "int u", type: "int unsigned", values: [] },
    { col: "bigint", type: "bigint", values: [] },
    { col: "bigint u", type: "bigint unsigned", values: [] },
    { col: "decimal", type: "decimal(30,10)", values: [] },
    { col: "decimal 65", type: "decimal(65,30)", values: [] },
    {
      col: "float",
      type: "float",
      values: [],
      ...float,
    },
    { col: "double", type: "double", values: [], compare: "number" },
    { col: "bit", type: "bit(64)", values: [], expect: (c) => `LPAD(BIN(${c}), 64, '0')` },
    { col: "date", type: "date", values: [], ...date },
    { col: "datetime", type: "datetime(6)", values: [], ...dateTime(6) },
    { col: "timestamp", type: "timestamp(6) NULL", values: [], ...instant },
    { col: "time", type: "time(6)", values: [], ...time },
    { col: "utf8mb4", type: "text CHARACTER SET utf8mb4", values: [], ...text },
    { col: "latin1", type: "varchar(60) CHARACTER SET latin1", values: [], ...text },
    { col: "gbk", type: "varchar(60) CHARACTER SET gbk", values: [], ...text },
    { col: "varbinary", type: "varbinary(64)", values: [], ...bytes },
    { col: "binary", type: "binary(8)", values: [], ...bytes },
    { col: "blob", type: "blob", values: [], ...bytes },
    { col: "json", type: "json", values: [], compare: "json" },
    { col: "enum", type: `enum(${sqlLabels(ENUM_LABELS)})`, values: [], ...text },
    { col: "set", type: `set(${sqlLabels(SET_LABELS)})`, values: [], ...text },
  ],
};

const ymdArb = ymd(31, true); // day 31 of short months and zero dates: NULL
/** A TIMESTAMP's range in epoch microseconds, written as +08:00 wall time. */
const instantArb = fc.bigInt(1_000_000n, 2_147_483_647_999_999n).map((us) => {
  const wall = new Date(Number(us / 1000n) + 8 * 3600_000).toISOString();
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)}.${pad(us % 1_000_000n, 6)}`;
});
const latin1Text = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0, max: 0xff }).map((cp) => String.fromCharCode(cp)),
    fc.constantFrom(..."€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"),
  ),
  maxLength: 60,
});
const gbkText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x4e00, max: 0x9fa5 }),
    fc.integer({ min: 0, max: 0x7f }),
  ).map((cp) => String.fromCodePoint(cp)),
  maxLength: 60,
});
const jsonText = jsonArb({ string: 10, items: 3, key: 5 });

/** Column -> SQL literal arbitrary. */
const rowArb = fc.record<Record<string, string | null>>({
  tinyint: nullable(intIn(8, false)),
  "smallint u": nullable(intIn(16, true)),
  mediumint: nullable(intIn(24, false)),
  "int u": nullable(intIn(32, true)),
  bigint: nullable(intIn(64, false)),
  "bigint u": nullable(intIn(64, true)),
  decimal: nullable(decimalIn(20, 10)),
  "decimal 65": nullable(decimalIn(35, 30)),
  float: nullable(
    fc.float({ noNaN: true, noDefaultInfinity: true }).map((f) => String(f === 0 ? 0 : f)),
  ),
  double: nullable(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d === 0 ? 0 : d)),
  ),
  bit: nullable(fc.bigInt(0n, 2n ** 64n - 1n).map((b) => `b'${b.toString(2)}'`)),
  date: nullable(ymdArb.map((d) => `'${d}'`)),
  datetime: nullable(fc.tuple(ymdArb, clock).map(([d, c]) => `'${d} ${c}'`)),
  timestamp: nullable(instantArb.map((t) => `'${t}'`)),
  time: nullable(timeArb.map((t) => `'${t}'`)),
  utf8mb4: nullable(unicode(80).map((s) => mysql.escape(s))),
  latin1: nullable(latin1Text.map((s) => mysql.escape(s))),
  gbk: nullable(gbkText.map((s) => mysql.escape(s))),
  varbinary: nullable(fc.uint8Array({ maxLength: 64 }).map((b) => hexLiteral(b))),
  binary: nullable(fc.uint8Array({ maxLength: 8 }).map((b) => hexLiteral(b))),
  blob: nullable(fc.uint8Array({ maxLength: 300 }).map((b) => hexLiteral(b))),
  json: nullable(jsonText.map((j) => mysql.escape(j))),
  enum: nullable(fc.constantFrom(...ENUM_LABELS).map((l) => mysql.escape(l))),
  set: nullable(fc.subarray(SET_LABELS).map((ls) => mysql.escape(ls.join(",")))),
});

function hexLiteral(b: Uint8Array): string {
  return `x'${Buffer.from(b).toString("hex")}'`;
}

Deno.test("random values of every common type arrive equal through the sync (property)", async () => {
  await using fixture = await startFixture();
  const app = await appConnection(fixture);
  try {
    await app.query(`CREATE DATABASE prop; ${createSource(PROPERTY)}`);
    await createTarget(fixture, PROPERTY);
    const config = await fixture.writeConfig(rulesFor([PROPERTY]));
    const sync = await syncFromHere(fixture, config);
    const table = qualifiedMySql(PROPERTY.mySchema, PROPERTY.myTable);
    let nextId = 1;
    let live = 0;
    /** Set once the sync itself failed: later runs (shrinking) then fail at once. */
    let broken: string | null = null;
    const caughtUpOrBroken = async () => {
      if (broken) throw new Error(`the sync broke in an earlier run: ${broken}`);
      try {
        await caughtUp(fixture, sync, 10_000);
      } catch (err) {
        broken = (err as Error).message;
        throw err;
      }
    };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(rowArb, rowArb), { minLength: 1, maxLength: 4 }),
          async (pairs) => {
            const ids = pairs.map(() => nextId++);
            // Only this run's rows: a failed run's leftovers must not fail the shrinking runs
            const these = `WHERE id IN (${ids.join(", ")})`;
            const cols = Object.keys(pairs[0][0]);
            const names = cols.map(quoteMySqlIdent).join(", ");
            const tuples = pairs.map(([row], i) =>
              `(${ids[i]}, ${cols.map((c) => row[c] ?? "NULL").join(", ")})`
            );
            await app.query(`INSERT INTO ${table} (id, ${names}) VALUES ${tuples.join(", ")}`);
            await caughtUpOrBroken();
            await assertTableInSync(fixture, PROPERTY, "after INSERT", these);
            // the updates in one transaction: merged in one batch with nothing else
            const updates = pairs.map(([, row], i) =>
              `UPDATE ${table} SET ${
                cols.map((c) => `${quoteMySqlIdent(c)} = ${row[c] ?? "NULL"}`).join(", ")
              } WHERE id = ${ids[i]};`
            );
            await app.query(`BEGIN; ${updates.join(" ")} COMMIT;`);
            if (ids.length > 1) await app.query(`DELETE FROM ${table} WHERE id = ${ids[0]}`);
            await caughtUpOrBroken();
            await assertTableInSync(fixture, PROPERTY, "after UPDATE and DELETE", these);
            live += ids.length > 1 ? ids.length - 1 : ids.length;
          },
        ),
        { numRuns: 25 },
      );
      assertEquals(await assertTableInSync(fixture, PROPERTY, "at the end"), live);
    } finally {
      await stopSync(sync);
    }
  } finally {
    await app.end();
  }
});
