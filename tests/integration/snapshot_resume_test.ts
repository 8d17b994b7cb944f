// snapshot killed mid-load (SIGKILL) while the source writes: what it left is whole chunks, each
// with its checkpoint, and no position; run again it continues after them (their rows are not
// loaded again), sets the oldest chunk's position, and run from there ends equal to the source.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { readMasterInfo } from "../../src/offsets/master_info.ts";
import { type BinlogPosition, comparePositions } from "../../src/offsets/position.ts";
import { PositionStore } from "../../src/sink/position_store.ts";
import { CHECKPOINT_TABLE } from "../../src/snapshot/checkpoints.ts";
import { Logger } from "../../src/util/log.ts";
import { DEFAULT_VERIFY_OPTIONS, verify } from "../../src/verify/verify.ts";
import {
  cliCommand,
  type Fixture,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { tableDifferences } from "../../testing/table_compare.ts";

const BIG_ROWS = 300_000;

const SHOP = `
  CREATE DATABASE shop;
  CREATE TABLE shop.busy (id INT PRIMARY KEY, owner VARCHAR(30) NOT NULL, balance DECIMAL(12,2));
  CREATE TABLE shop.big (id INT PRIMARY KEY, name VARCHAR(40), qty INT, note MEDIUMTEXT);
  INSERT INTO shop.busy SELECT seq, CONCAT('owner ', seq), 100 FROM shop.seq_1_to_20000;
  INSERT INTO shop.big SELECT seq, CONCAT('item ', seq), seq % 97, IF(seq % 5 = 0, NULL, REPEAT('n', seq % 50))
    FROM shop.seq_1_to_${BIG_ROWS};
  -- Chunk 2 (ids 3001-6000) is slow to load: the chunks after it commit before it does
  UPDATE shop.big SET note = REPEAT('slow ', 400000) WHERE id BETWEEN 3001 AND 3020;`;

/** Updates, inserts and deletes on shop.busy until stopped. */
function writer(fixture: Fixture) {
  let running = true;
  const done = (async () => {
    for (let i = 1; running; i++) {
      await fixture.my.query(`BEGIN;
        UPDATE shop.busy SET balance = balance + 1 WHERE id = ${(i * 7919) % 20000 + 1};
        DELETE FROM shop.busy WHERE id = ${(i * 31) % 20000 + 1};
        INSERT INTO shop.busy VALUES (${20000 + i}, 'new ${i}', ${i});
        COMMIT;`);
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

/** How many chunks of `source` are checkpointed, and the highest chunk number among them. */
async function checkpointed(
  fixture: Fixture,
  source: string,
): Promise<{ count: number; last: number }> {
  const [{ found }] = await fixture.pg`
    SELECT to_regclass(${`public.${CHECKPOINT_TABLE}`}) IS NOT NULL AS found`;
  if (!found) return { count: 0, last: 0 };
  const [counts] = await fixture.pg.unsafe<{ count: number; last: number }[]>(
    `SELECT count(*)::int AS count, coalesce(max(ordinal), 0) AS last
       FROM public.${CHECKPOINT_TABLE} WHERE source = $1`,
    [source],
  );
  return counts;
}

const BUSY = {
  mysqlTable: "shop.busy",
  pgTable: "public.busy",
  columns: "id, owner, balance",
  rangeColumn: "id",
};
const BIG = {
  mysqlTable: "shop.big",
  pgTable: "public.big",
  columns: "id, name, qty, note",
  rangeColumn: "id",
};

Deno.test("a snapshot killed mid-load continues where it stopped, and run from its position ends equal", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(SHOP);
  // Without a key in the target, a row loaded twice would stay there twice
  await fixture.pg.unsafe(
    "CREATE TABLE public.big (id integer, name varchar(40), qty integer, note text)",
  );
  const config = await fixture.writeConfig(`
concurrent_size = 3

[[source]]
schema = "shop"
tables = ["busy", "big"]
`);
  const stopWriter = writer(fixture);
  try {
    const args = ["snapshot", "-c", config.file, "--chunk-rows", "3000"];
    const first = cliCommand(args).spawn();
    // Killed while a chunk is loading and later ones are done: the rest is a gap and a tail
    await waitFor("later chunks of shop.big to be checkpointed before chunk 2", async () => {
      const { count, last } = await checkpointed(fixture, "shop.big");
      return count >= 3 && last > count;
    });
    first.kill("SIGKILL");
    const killed = await first.output();
    assertEquals(killed.signal, "SIGKILL");

    // Whole chunks, each with its checkpoint; no position yet
    const [[chunks, loadedBefore]] = await pgRows(
      fixture.pg,
      `SELECT count(*), sum(rows) FROM public.${CHECKPOINT_TABLE} WHERE source = 'shop.big'`,
    );
    const [[inTarget]] = await pgRows(fixture.pg, "SELECT count(*) FROM public.big");
    assertEquals(inTarget, loadedBefore);
    assert(Number(loadedBefore) < BIG_ROWS, `all ${loadedBefore} rows loaded before the kill`);
    assertEquals(await readMasterInfo(config.dataDir), null);
    const store = new PositionStore(config.positionSchema, config.syncId);
    assertEquals(await store.read(fixture.pg), null);
    // One transaction per chunk: the rows of the first run, by the transactions that wrote them
    const firstWriters = (await pgRows(fixture.pg, "SELECT DISTINCT xmin::text FROM public.big"))
      .map(([xid]) => xid!);
    const oldestBefore = await oldestCheckpoint(fixture);
    assert(Number(chunks) >= 3, `${chunks} chunks`);

    // The killed process's connections go with it; then run snapshot again
    await waitFor(
      "the killed snapshot's connections to close",
      async () =>
        (await fixture.pg`SELECT 1 FROM pg_stat_activity WHERE application_name = 'mysql-gp-sync'`)
          .length === 0,
    );
    const resumed = await runCli([...args, "--json"]);
    assertEquals(resumed.code, 0, resumed.stderr);
    assertMatch(resumed.stderr, /resuming shop\.big: \d+ chunks \([\d,]+ rows\) were loaded/);
    const doc = JSON.parse(resumed.stdout);
    const big = doc.tables.find((t: { source: string }) => t.source === "shop.big");
    assertEquals([big.rows, big.resumed_rows], [BIG_ROWS, Number(loadedBefore)]);
    assert(big.chunks < BIG_ROWS / 3000, `${big.chunks} chunks loaded again`);
    // The first run's rows were kept, not loaded again
    const [[kept]] = await pgRows(
      fixture.pg,
      `SELECT count(*) FROM public.big WHERE xmin::text = ANY ('{${firstWriters.join(",")}}')`,
    );
    assertEquals(kept, loadedBefore);
    // shop.big is never written: no duplicate and no gap means equal, before any run
    assertEquals(await tableDifferences(fixture.my, fixture.pg, BIG), []);
    // The position is the oldest chunk's, from the first run; the checkpoints are gone
    assertEquals({ file: doc.bin_name, pos: doc.bin_pos }, oldestBefore);
    assertEquals(await readMasterInfo(config.dataDir), oldestBefore);
    assertEquals(await checkpointed(fixture, "shop.big"), { count: 0, last: 0 });
    assert(comparePositions(await fixture.masterStatus(), oldestBefore) > 0);
  } finally {
    await stopWriter();
  }

  // run replays from that older position over rows read later: it ends equal all the same
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(await tableDifferences(fixture.my, fixture.pg, BUSY), []);
  assertEquals(await tableDifferences(fixture.my, fixture.pg, BIG), []);
  const quiet = new Logger("error", { quiet: true });
  const verified = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 1_000 }, quiet);
  assert(verified.equal, JSON.stringify(verified.tables));
});

/** The oldest read position among the checkpoints of every table. */
async function oldestCheckpoint(fixture: Fixture): Promise<BinlogPosition> {
  const [oldest] = await fixture.pg.unsafe<{ file: string; pos: string }[]>(
    `SELECT bin_name AS file, bin_pos::text AS pos FROM public.${CHECKPOINT_TABLE}
      ORDER BY bin_name, bin_pos LIMIT 1`,
  );
  return { file: oldest.file, pos: Number(oldest.pos) };
}

Deno.test("an interrupted snapshot whose target changed since is refused; --truncate starts over", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.busy (id INT PRIMARY KEY, owner VARCHAR(30) NOT NULL, balance DECIMAL(12,2));
    INSERT INTO shop.busy SELECT seq, CONCAT('owner ', seq), 100 FROM shop.seq_1_to_20000;`);
  await fixture.pg.unsafe(`
    CREATE TABLE public.busy (id integer PRIMARY KEY, owner varchar(30) NOT NULL,
      balance numeric(12,2), CONSTRAINT refuse_one CHECK (owner <> 'owner 12345'))`);
  const config = await fixture.writeConfig(`[[source]]\nschema = "shop"\ntables = ["busy"]\n`);
  const load = (...flags: string[]) =>
    runCli(["snapshot", "-c", config.file, "--chunk-rows", "5000", ...flags]);

  // Chunks 1 and 2 load, chunk 3 holds a row the target refuses: the load stops there
  const stopped = await load();
  assertEquals(stopped.code, 1, stopped.stderr);
  assertEquals(await checkpointed(fixture, "shop.busy"), { count: 2, last: 2 });
  await fixture.pg.unsafe("ALTER TABLE public.busy DROP CONSTRAINT refuse_one");
  // Someone deletes a loaded row: the checkpoints no longer describe the table
  await fixture.pg.unsafe("DELETE FROM public.busy WHERE id = 7");
  const refused = await load();
  assertEquals(refused.code, 1, refused.stderr);
  assertMatch(
    refused.stderr.trim(),
    /^mysql-gp-sync: an interrupted snapshot cannot be continued: public\.busy holds 9999 rows, not the 10000 it had loaded, so it was changed since; pass --truncate to load it again from the start$/,
  );
  assertEquals(await readMasterInfo(config.dataDir), null);

  const again = await load("--truncate", "--json");
  assertEquals(again.code, 0, again.stderr);
  const [table] = JSON.parse(again.stdout).tables;
  assertEquals([table.rows, table.resumed_rows, table.truncated], [20_000, 0, true]);
  assertEquals(await tableDifferences(fixture.my, fixture.pg, BUSY), []);
});
