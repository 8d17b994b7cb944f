// A transaction too large to hold in memory is applied in pieces, yet appears all at once.
import { assert, assertEquals } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  mysqlRows,
  pgRows,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { SyncProcess } from "../../testing/sync_process.ts";

Deno.test("a transaction larger than a piece arrives whole and atomically", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE big; CREATE TABLE big.t (id INT PRIMARY KEY, body VARCHAR(600), n INT)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.t (id integer PRIMARY KEY, body varchar(600), n integer)",
  );
  const config = await fixture.writeConfig(
    `log_level = "debug"\n[[source]]\nschema = "big"\ntables = ["t"]\n`,
  );
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const sync = await startSync(config);
  const seen = new Set<number>();
  let watching = true;
  // Row counts PostgreSQL shows while the large transactions are applied: only whole states.
  const watcher = (async () => {
    while (watching) {
      const [row] = await fixture
        .pg`SELECT count(*)::int AS n, coalesce(sum(n), 0)::int AS s FROM public.t`;
      seen.add(row.n * 10 + row.s / 60000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  try {
    // ~36 MB of row events in one transaction: several pieces (PIECE_BYTES).
    await fixture.my.query(
      "INSERT INTO big.t SELECT seq, REPEAT(CHAR(65 + seq % 26), 590), 0 FROM big.seq_1_to_60000",
    );
    await waitForCatchUp(fixture, sync, 120_000);
    // Before and after images: twice the size.
    await fixture.my.query("UPDATE big.t SET n = 1, body = REPEAT('z', 599)");
    await waitForCatchUp(fixture, sync, 120_000);
  } finally {
    watching = false;
    await watcher;
    await sync.stop();
  }
  assertEquals(
    await pgRows(fixture.pg, "SELECT count(*), sum(n), sum(length(body)) FROM public.t"),
    await mysqlRows(fixture.my, "SELECT count(*), sum(n), sum(length(body)) FROM big.t"),
  );
  // Empty, all inserted, all updated: nothing in between was ever visible.
  for (const state of seen) assert([0, 600000, 600001].includes(state), `partial state ${state}`);
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assert(!log.includes("[ERROR]"), log);
});

// Narrow rows decode to many times their binlog size: a transaction of millions of them must be
// bounded by its decoded size, or the sync runs out of heap at the same position on every restart.
Deno.test("five million narrow rows in one transaction apply at the shipped heap limits", async () => {
  const rows = 5_000_000;
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE big; CREATE TABLE big.big (id INT PRIMARY KEY, a INT, b VARCHAR(8), c INT)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.big (id integer PRIMARY KEY, a integer, b varchar(8), c integer)",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "big"\ntables = ["big"]\n`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  // Written before the sync starts, so it reads the binlog as fast as it can.
  await fixture.my.query(
    `INSERT INTO big.big SELECT seq, seq, 'k', NULL FROM big.seq_1_to_${rows}`,
  );
  const counts = new Set<number>();
  let watching = true;
  // What a reader of the target sees meanwhile: nothing, or the whole transaction.
  const watcher = (async () => {
    while (watching) {
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.big`;
      counts.add(row.n);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  await using sync = await SyncProcess.start({ configFile: fixture.configFile });
  try {
    await waitFor("the transaction to arrive", () => {
      if (sync.exited) throw new Error(`the sync exited: ${sync.stderr}`);
      return counts.has(rows);
    }, 300_000);
  } finally {
    watching = false;
    await watcher;
  }
  const status = await sync.stop();
  console.log(`peak RSS of the sync: ${sync.peakMiB.toFixed(0)} MiB`);
  assertEquals(status.code, 0, sync.stderr);
  assertEquals([...counts].filter((n) => n !== 0 && n !== rows), [], "partial states seen");
  assertEquals(
    await pgRows(fixture.pg, "SELECT count(*), sum(id), sum(a), min(b), max(b), count(c) FROM big"),
    await mysqlRows(
      fixture.my,
      "SELECT count(*), sum(id), sum(a), min(b), max(b), count(c) FROM big.big",
    ),
  );
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assert(!log.includes("[ERROR]"), log);
});
