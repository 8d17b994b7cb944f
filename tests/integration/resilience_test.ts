// The sync survives restarts of either database and tells an idle stream from a dead one.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

const CONFIG = `
[[source]]
schema = "app"
tables = ["events"]
`;

async function prepare(fixture: Fixture) {
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.events (id INT PRIMARY KEY, payload VARCHAR(40), n INT)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.events (id integer PRIMARY KEY, payload varchar(40), n integer)",
  );
  const config = await fixture.writeConfig(CONFIG);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  return config;
}

async function write(fixture: Fixture, from: number, count: number) {
  const rows = Array.from({ length: count }, (_, i) => `(${from + i}, 'event ${from + i}', 0)`);
  await fixture.my.query(`INSERT INTO app.events VALUES ${rows.join(",")}`);
  await fixture.my.query(
    `UPDATE app.events SET n = n + 1 WHERE id BETWEEN ${from} AND ${from + count / 2}`,
  );
}

async function assertEqualTables(fixture: Fixture) {
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, payload, n FROM public.events"),
    await mysqlRows(fixture.my, "SELECT id, payload, n FROM app.events"),
  );
}

/** Syncs some rows, runs `restart` (which also writes rows 1001-1500), then expects equal tables. */
async function survivesRestart(restart: (fixture: Fixture) => Promise<void>): Promise<void> {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const sync = await startSync(config);
  try {
    await write(fixture, 1, 500);
    await waitForCatchUp(fixture, sync);
    await restart(fixture);
    await fixture.reconnect();
    await waitForCatchUp(fixture, sync, 60_000);
    await assertEqualTables(fixture);
    assert(sync.stats.reconnects >= 1, "the lost connection was noticed and retried");
  } finally {
    await sync.stop();
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("MariaDB restarts: the sync reconnects and continues where it was", async () => {
  await survivesRestart(async (fixture) => {
    await fixture.mariadb.stop();
    await pause(1000);
    await fixture.mariadb.start();
    await fixture.reconnect();
    await write(fixture, 1001, 500);
  });
});

Deno.test("PostgreSQL restarts: the sync retries and nothing is lost or doubled", async () => {
  await survivesRestart(async (fixture) => {
    await fixture.postgres.stop();
    // Changes made while PostgreSQL is down must arrive once it is back.
    await write(fixture, 1001, 500);
    await pause(1000);
    await fixture.postgres.start();
  });
});

Deno.test("an idle source keeps sending heartbeats, so the stream is known to be alive", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const sync = await startSync(config);
  try {
    await waitFor("the stream to start", () => sync.stats.sourceAliveAt > 0);
    const idleSince = Date.now();
    await waitFor(
      "a heartbeat during silence",
      () => sync.stats.sourceAliveAt > idleSince + 1500,
      5000,
    );
    assertEquals(sync.stats.reconnects, 0);
  } finally {
    await sync.stop();
  }
});

Deno.test("a purged binlog is a clear fatal error that says how to recover", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  // master.info points into the first binlog; rotate and purge it.
  await fixture.my.query("FLUSH BINARY LOGS");
  const { file } = await fixture.masterStatus();
  // MariaDB keeps a binlog until InnoDB has checkpointed its commits (about a second here) and
  // only warns meanwhile, so purge until the old file is really gone.
  await waitFor(`${file} to become the oldest binlog`, async () => {
    await fixture.my.query(`PURGE BINARY LOGS TO '${file}'`);
    const [logs] = await fixture.my.query("SHOW BINARY LOGS");
    return (logs as { Log_name: string }[])[0].Log_name === file;
  });
  const result = await runCli(["run", "-c", config.file]);
  assertEquals(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split("\n").filter((l) => l.startsWith("mysql-gp-sync: "));
  assertEquals(lines.length, 1, result.stderr);
  assertMatch(lines[0], /cannot serve the saved binlog position .*purged.*snapshot.*pos set/);
});
