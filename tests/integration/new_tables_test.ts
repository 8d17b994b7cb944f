// Tables that appear while `run` streams: created under tables = ["*"], named in [[source]] but
// missing at start, created without a primary key, dropped and created again, created while the
// sync was stopped.
import { assertEquals, assertMatch } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  type RunningSync,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

const EVERY_TABLE = `[[source]]\nschema = "s"\ntables = ["*"]\n`;

/** Schema `s` with table `base` on both sides, and the position at the end of the binlog. */
async function prepare(fixture: Fixture, body: string): Promise<Config> {
  await fixture.my.query(`
    CREATE DATABASE s; CREATE DATABASE o;
    CREATE TABLE s.base (id INT PRIMARY KEY, v VARCHAR(20));`);
  await fixture.pg.unsafe(`CREATE TABLE public.base (id integer PRIMARY KEY, v varchar(20))`);
  const config = await fixture.writeConfig(body);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  return config;
}

/** Starts the sync and waits until it streams (a row of `base` applied). */
async function startStreaming(fixture: Fixture, config: Config, id: number): Promise<RunningSync> {
  const sync = await startSync(config);
  await fixture.my.query(`INSERT INTO s.base VALUES (${id}, 'streaming')`);
  await waitForCatchUp(fixture, sync);
  return sync;
}

async function assertTableInSync(fixture: Fixture, target: string, source: string, cols: string) {
  assertEquals(
    await pgRows(fixture.pg, `SELECT ${cols} FROM ${target}`),
    await mysqlRows(fixture.my, `SELECT ${cols} FROM ${source}`),
    `${target} differs from ${source}`,
  );
}

/** Column names and types, then the primary key, of a PostgreSQL table. */
async function targetShape(fixture: Fixture, schema: string, table: string): Promise<string[][]> {
  const columns = await fixture.pg<{ name: string; type: string }[]>`
    SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = ${schema} AND table_name = ${table} ORDER BY ordinal_position`;
  const key = await fixture.pg<{ name: string }[]>`
    SELECT a.attname AS name
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = ${`"${schema}"."${table}"`}::regclass AND i.indisprimary ORDER BY k.n`;
  return [columns.map((c) => `${c.name} ${c.type}`), key.map((k) => k.name)];
}

async function syncLog(config: Config): Promise<string> {
  return await Deno.readTextFile(`${config.dataDir}/sync.log`);
}

Deno.test("tables created under * while running receive every later change", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, EVERY_TABLE);
  const sync = await startStreaming(fixture, config, 1);
  try {
    // One round trip each, so the rows reach the reader right behind the CREATE.
    await fixture.my.query(`
      USE o;
      CREATE TABLE s.plain (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(10,2));
      INSERT INTO s.plain VALUES (1, 'a', 1.50), (2, 'b', 2.50), (3, 'c', 3.50);
      UPDATE s.plain SET amount = amount * 2 WHERE id = 2;
      DELETE FROM s.plain WHERE id = 3;`);
    await fixture.my.query(`
      CREATE TABLE \`s\`.\`like t\` LIKE s.plain;
      INSERT INTO s.\`like t\` VALUES (10, 'x', 0.25), (11, 'y', 0.75);
      UPDATE s.\`like t\` SET name = 'changed' WHERE id = 10;`);
    await fixture.my.query(`
      CREATE TABLE s.copied (PRIMARY KEY (id)) SELECT id, name FROM s.plain;
      INSERT INTO s.copied VALUES (20, 'later');
      DELETE FROM s.copied WHERE id = 1;`);
    await fixture.my.query(`
      /*!40101 SET @unused = 1 */;
      CREATE TABLE IF NOT EXISTS /* keyed by two */ s.pair (k VARCHAR(8), n INT, w INT, PRIMARY KEY (k, n));
      INSERT INTO s.pair VALUES ('a', 1, 1), ('a', 2, 2);
      UPDATE s.pair SET n = 3 WHERE k = 'a' AND n = 2;`);
    await fixture.my.query(`INSERT INTO s.base VALUES (2, 'after')`);
    await waitForCatchUp(fixture, sync);

    await assertTableInSync(fixture, "public.plain", "s.plain", "id, name, amount");
    await assertTableInSync(fixture, `public."like t"`, "s.`like t`", "id, name, amount");
    await assertTableInSync(fixture, "public.copied", "s.copied", "id, name");
    await assertTableInSync(fixture, "public.pair", "s.pair", "k, n, w");
    await assertTableInSync(fixture, "public.base", "s.base", "id, v");
    assertEquals(await targetShape(fixture, "public", "plain"), [
      ["id integer", "name character varying", "amount numeric"],
      ["id"],
    ]);
    assertEquals(await targetShape(fixture, "public", "pair"), [
      ["k character varying", "n integer", "w integer"],
      ["k", "n"],
    ]);
    assertEquals((await targetShape(fixture, "public", "copied"))[1], ["id"]);
    const log = await syncLog(config);
    assertMatch(
      log,
      /\[INFO\] DDL ending at mysql-bin\.\d+:\d+ on s\.plain: created public\.plain/,
    );
    assertMatch(log, /on s\.like t: created public\.like t/);
  } finally {
    await sync.stop();
  }
});

Deno.test("a [[source]] table missing at start is followed from its CREATE TABLE", async () => {
  await using fixture = await startFixture();
  const config = await prepare(
    fixture,
    `[[source]]\nschema = "s"\ntables = ["base", "later"]\n` +
      `[[rule]]\nschema = "s"\ntable = "later"\npg_schema = "landing"\npg_table = "later_rows"\n`,
  );
  // snapshot and verify leave it out.
  for (const command of ["snapshot", "verify"]) {
    const result = await runCli([command, "-c", config.file]);
    assertEquals(result.code, 0, `${command}: ${result.stderr}`);
    assertMatch(
      result.stderr,
      /\[WARN\] .*names tables that do not exist in MySQL: s\.later; skipped/,
    );
  }
  const sync = await startStreaming(fixture, config, 1);
  try {
    assertMatch(
      await syncLog(config),
      /\[WARN\] .*names tables that do not exist in MySQL: s\.later; they are followed from their CREATE TABLE/,
    );
    await fixture.my.query(`
      CREATE TABLE s.unlisted (id INT PRIMARY KEY);
      INSERT INTO s.unlisted VALUES (1);
      USE s;
      CREATE TABLE later (id INT PRIMARY KEY, v TEXT);
      INSERT INTO later VALUES (1, 'one'), (2, 'two');
      UPDATE later SET v = 'TWO' WHERE id = 2;`);
    await waitForCatchUp(fixture, sync);
    await assertTableInSync(fixture, "landing.later_rows", "s.later", "id, v");
    const [{ unlisted }] = await fixture.pg`SELECT to_regclass('public.unlisted') AS unlisted`;
    assertEquals(unlisted, null, "a table [[source]] does not name is not followed");
    assertMatch(await syncLog(config), /on s\.later: created landing\.later_rows/);
  } finally {
    await sync.stop();
  }
});

Deno.test("a new table without a primary key is followed by whole rows, or skipped with skip_no_pk_table", async () => {
  await using fixture = await startFixture();
  let config = await prepare(fixture, EVERY_TABLE);
  let sync = await startStreaming(fixture, config, 1);
  try {
    await fixture.my.query(`
      CREATE TABLE s.nopk (id INT, v INT);
      INSERT INTO s.nopk VALUES (1, 1), (1, 1), (2, NULL);
      INSERT INTO s.base VALUES (2, 'after nopk');`);
    await waitForCatchUp(fixture, sync);
    await fixture.my.query("DELETE FROM s.nopk WHERE id = 1 LIMIT 1");
    await fixture.my.query("UPDATE s.nopk SET v = 3 WHERE id = 2");
    await waitForCatchUp(fixture, sync);
    assertEquals(sync.stats.lastError, null);
    await assertTableInSync(fixture, "public.nopk", "s.nopk", "id, v");
    // Created without a key: identical rows may repeat
    const [{ keys }] = await fixture.pg`
      SELECT count(*)::int AS keys FROM pg_constraint WHERE conrelid = 'public.nopk'::regclass`;
    assertEquals(keys, 0);
  } finally {
    await sync.stop();
  }
  assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.base"), [["1"], ["2"]]);

  config = await fixture.writeConfig(`skip_no_pk_table = true\n${EVERY_TABLE}`);
  sync = await startStreaming(fixture, config, 3);
  try {
    await fixture.my.query(`
      CREATE TABLE s.nopk2 (id INT);
      INSERT INTO s.nopk2 VALUES (1);
      INSERT INTO s.base VALUES (4, 'after nopk2');`);
    await waitForCatchUp(fixture, sync);
    await assertTableInSync(fixture, "public.base", "s.base", "id, v");
    const [{ nopk2 }] = await fixture.pg`SELECT to_regclass('public.nopk2') AS nopk2`;
    assertEquals(nopk2, null);
    assertMatch(
      await syncLog(config),
      /\[WARN\] skipping s\.nopk2: it has no primary key \(skip_no_pk_table = true\)/,
    );
  } finally {
    await sync.stop();
  }
});

Deno.test("a table dropped and created again keeps receiving rows", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, EVERY_TABLE);
  const sync = await startStreaming(fixture, config, 1);
  try {
    await fixture.my.query(`
      DROP TABLE s.base;
      CREATE TABLE s.base (id INT PRIMARY KEY, v VARCHAR(20));
      INSERT INTO s.base VALUES (2, 'recreated'), (3, 'three');
      UPDATE s.base SET v = 'again' WHERE id = 3;`);
    await waitForCatchUp(fixture, sync);
    assertEquals(await pgRows(fixture.pg, "SELECT id, v FROM public.base WHERE id > 1"), [
      ["2", "recreated"],
      ["3", "again"],
    ]);
    assertMatch(
      await syncLog(config),
      /on s\.base: into public\.base, which exists/,
    );
  } finally {
    await sync.stop();
  }
});

Deno.test("a table created while the sync was stopped is followed from its CREATE TABLE", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, EVERY_TABLE);
  let sync = await startStreaming(fixture, config, 1);
  await sync.stop();
  // The table exists at start; its target comes with its CREATE TABLE, read after the start.
  await fixture.my.query(`
    CREATE TABLE s.offline (id INT PRIMARY KEY, v INT);
    INSERT INTO s.offline VALUES (1, 10), (2, 20);`);
  sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
    await assertTableInSync(fixture, "public.offline", "s.offline", "id, v");
    assertMatch(
      await syncLog(config),
      /\[WARN\] PostgreSQL table public\.offline .* does not exist/,
    );
  } finally {
    await sync.stop();
  }

  // A change read before any CREATE TABLE: the table is older than the position; nothing to guess.
  await fixture.pg.unsafe("DROP TABLE public.offline");
  await fixture.my.query("INSERT INTO s.offline VALUES (3, 30)");
  sync = await startSync(config);
  try {
    await waitFor("the refusal", () => sync.stats.lastError !== null);
    assertMatch(
      sync.stats.lastError!,
      /^PostgreSQL table public\.offline \(target of MySQL s\.offline\) does not exist .* came before its CREATE TABLE; create it first/,
    );
  } finally {
    await sync.stop();
  }
});
