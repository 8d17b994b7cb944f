// The scenario of issue #14: rows written before `ALTER TABLE ... MODIFY ... AFTER` and `DROP
// COLUMN` are read after them. With binlog_row_metadata=MINIMAL they are decoded with the layout
// the schema history holds at their position (today's catalog would put them in the wrong
// columns); with FULL the binlog's own layout corrects a history seeded from today's catalog.
import { assertEquals } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { SCHEMA_TABLE } from "../../src/sink/schema_store.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

/**
 * Followed tables `t` (changed by the workload) and `u`; a transaction on `u` applied first.
 * `beforeWorkload` runs once the tables and master.info are there (a first start, say).
 */
async function prepare(
  fixture: Fixture,
  beforeWorkload: (config: Config) => Promise<void> = async () => {},
) {
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c INT);" +
      "CREATE TABLE app.u (id INT PRIMARY KEY)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.t (id integer PRIMARY KEY, a integer, b varchar(20), c integer);" +
      "CREATE TABLE public.u (id integer PRIMARY KEY)",
  );
  // The dropped column stays in the target, so that what rows were written with shows.
  const config = await fixture.writeConfig(
    `ddl_drop_column = "keep"\n[[source]]\nschema = "app"\ntables = ["t", "u"]\n`,
  );
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  await beforeWorkload(config);
  await fixture.my.query("INSERT INTO app.u VALUES (0)");
  // Two transactions written with the table's first layout, then the layout changes.
  await fixture.my.query("INSERT INTO app.t VALUES (1, 10, 'one', 100)");
  await fixture.my.query("INSERT INTO app.t VALUES (2, 20, 'two', 200)");
  await fixture.my.query("ALTER TABLE app.t MODIFY b VARCHAR(20) AFTER id");
  await fixture.my.query("ALTER TABLE app.t DROP COLUMN a");
  await fixture.my.query("INSERT INTO app.t (id, b, c) VALUES (3, 'three', 300)");
  await fixture.my.query("UPDATE app.t SET c = 101 WHERE id = 1");
  return config;
}

/** How many schema history versions PostgreSQL holds. */
async function versions(fixture: Fixture): Promise<number> {
  const [{ found }] = await fixture.pg<{ found: boolean }[]>`
    SELECT to_regclass(${`public.${SCHEMA_TABLE}`}) IS NOT NULL AS found`;
  if (!found) return 0;
  const [{ count }] = await fixture.pg.unsafe<{ count: string }[]>(
    `SELECT count(*) AS count FROM public.${SCHEMA_TABLE}`,
  );
  return Number(count);
}

/** The target equals the source, and row 2 (untouched since) keeps `a` as it was written. */
async function assertWhole(fixture: Fixture) {
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, b, c FROM public.t"),
    await mysqlRows(fixture.my, "SELECT id, b, c FROM app.t"),
  );
  assertEquals(await pgRows(fixture.pg, "SELECT id, a FROM public.t WHERE id = 2"), [["2", "20"]]);
  assertEquals(await pgRows(fixture.pg, "SELECT * FROM public.u"), [["0"]]);
}

Deno.test("without column metadata, rows written before the change decode with their own layout", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--binlog-row-metadata=MINIMAL"] });
  const config = await prepare(fixture, async (config) => {
    // A first start at the binlog's end starts the schema history; the sync is then down while
    // the workload runs.
    const first = await startSync(config);
    try {
      await waitFor("the schema history", async () => (await versions(fixture)) > 0);
    } finally {
      await first.stop();
    }
  });
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(sync.stats.lastError, null);
  await assertWhole(fixture);
});

Deno.test("the same workload with full column metadata applies whole", async () => {
  await using fixture = await startFixture();
  // No history yet: started from today's catalog, which the binlog's own layout corrects.
  const config = await prepare(fixture);
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(sync.stats.lastError, null);
  await assertWhole(fixture);
});
