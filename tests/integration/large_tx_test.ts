// A transaction too large to hold in memory is applied in pieces, yet appears all at once.
import { assert, assertEquals } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  mysqlRows,
  pgRows,
  startFixture,
  startSync,
  waitForCatchUp,
} from "../../testing/fixture.ts";

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
    // ~36 MB of row events in one transaction: many pieces of 4 MB.
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
