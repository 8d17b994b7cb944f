// Where the DDL replay stops and how it goes on: a statement on a followed table that cannot be
// understood, and DROP TABLE under ddl_drop_table = "stop", each stop naming the statement and the
// way on (`ddl skip`); and a sync killed (SIGKILL) inside and right after a DDL, which loses and
// doubles nothing and leaves the target in the source's layout.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { StatusReport } from "../../src/observe/metrics.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { freePort, LOOPBACK_HOST } from "../../testing/os.ts";
import { SyncProcess } from "../../testing/sync_process.ts";
import {
  assertSameLayout,
  assertVerified,
  prepare,
  startStreaming,
  syncLog,
} from "../support/ddl.ts";

const FOLLOW_T = `[[source]]\nschema = "s"\ntables = ["base", "t"]\n`;

Deno.test("a DDL not understood stops the sync at it; after a hand fix, ddl skip goes on", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, `ddl_drop_table = "stop"\n${FOLLOW_T}`);
  const sync = await startStreaming(fixture, config);
  try {
    await fixture.my.query(`
      CREATE TABLE s.t (id INT PRIMARY KEY, d1 DATE NOT NULL, d2 DATE NOT NULL);
      INSERT INTO s.t VALUES (1, '2020-01-01', '2020-12-31');
      ALTER TABLE s.t ADD COLUMN x INT NOT NULL DEFAULT 4, ADD PERIOD FOR p(d1, d2);
      INSERT INTO s.t VALUES (2, '2021-01-01', '2021-12-31', 5);`);
    await waitFor("the stop", () => sync.stats.lastError !== null);
    const stop = sync.stats.lastError!;
    const match = new RegExp(
      String.raw`^cannot follow the DDL ending at (mysql-bin\.\d+:\d+) on followed table\(s\) ` +
        String.raw`s\.t \(application-time periods are not followed at .*\): ALTER TABLE s\.t ` +
        String.raw`ADD COLUMN x .*; change public\.t by hand to match the source, then run ` +
        String.raw`"mysql-gp-sync ddl skip (mysql-bin\.\d+:\d+)": the sync then reads the ` +
        "tables' definitions again from the MySQL catalog and goes on$",
    ).exec(stop);
    assert(match, stop);
    assertEquals(match[1], match[2]);
    const at = match[1];
    // Nothing after the statement is applied, nothing is skipped silently.
    assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.t"), [["1"]]);

    // Marked handled before the target is fixed: the sync says what the target lacks.
    const skip = await runCli(["ddl", "skip", at, "-c", config.file]);
    assertEquals(skip.code, 0, skip.stderr);
    assertMatch(skip.stdout, new RegExp(`the statement ending at ${at} is marked handled`));
    await waitFor(
      "the next stop",
      () => sync.stats.lastError?.includes('column "x"') ?? false,
      60_000,
    );
    assertMatch(
      sync.stats.lastError!,
      /column "x" of MySQL table s\.t has no column in PostgreSQL/,
    );
    await fixture.pg.unsafe(`ALTER TABLE public.t ADD COLUMN x integer`);
    await fixture.pg.unsafe(`UPDATE public.t SET x = 4`);
    await fixture.my.query(`INSERT INTO s.base VALUES (2, 'after')`);
    await waitForCatchUp(fixture, sync, 60_000);
    await assertVerified(config);
    assertMatch(
      await syncLog(config),
      new RegExp(`DDL ending at ${at} on s\\.t: marked handled \\(ddl skip\\); read again`),
    );
    assertEquals(sync.stats.lastDdl.get("s.t")?.position, {
      file: at.split(":")[0],
      pos: Number(at.split(":")[1]),
    });
    const again = await runCli(["ddl", "skip", at, "-c", config.file]);
    assertEquals(again.code, 1);
    assertMatch(again.stderr, new RegExp(`the sync has passed ${at} already`));

    // DROP TABLE under ddl_drop_table = "stop".
    await fixture.my.query(`DROP TABLE s.t; INSERT INTO s.base VALUES (3, 'after drop')`);
    await waitFor(
      "the drop stop",
      () => sync.stats.lastError?.includes("drops it") ?? false,
      60_000,
    );
    const dropStop =
      /ddl_drop_table = "stop" in .*: drop or keep public\.t yourself, then let the sync pass the statement with "mysql-gp-sync ddl skip (mysql-bin\.\d+:\d+)"/
        .exec(sync.stats.lastError!);
    assert(dropStop, sync.stats.lastError!);
    assertEquals((await runCli(["ddl", "skip", dropStop[1], "-c", config.file])).code, 0);
    await waitForCatchUp(fixture, sync, 60_000);
    assertEquals(await pgRows(fixture.pg, "SELECT id, x FROM public.t"), [["1", "4"], ["2", "5"]]);
    assertEquals(
      await pgRows(fixture.pg, "SELECT id, v FROM public.base"),
      await mysqlRows(fixture.my, "SELECT id, v FROM s.base"),
    );
  } finally {
    await sync.stop();
  }
  // status, nothing running: the last DDL per table, from PostgreSQL.
  const status = await runCli(["status", "--json", "-c", config.file]);
  const report = JSON.parse(status.stdout) as StatusReport;
  assertMatch(report.ddl?.["s.t"]?.statement ?? "", /^DROP TABLE `s`\.`t`/);
  assertMatch(
    report.ddl?.["s.t"]?.outcome ?? "",
    /^marked handled \(ddl skip\); no longer followed; public\.t kept$/,
  );
  const text = await runCli(["status", "-c", config.file]);
  assertMatch(
    text.stdout,
    /last DDL per table:\n {2}s\.t: mysql-bin\.\d+:\d+ DROP TABLE `s`\.`t` .* -> marked handled/,
  );
});

/** The applied position in PostgreSQL, as `FILE:POS` numbers to compare. */
async function appliedAt(fixture: Fixture): Promise<{ file: string; pos: number } | null> {
  const rows = await fixture.pg<{ bin_name: string; bin_pos: string }[]>`
    SELECT bin_name, bin_pos::text FROM public.mysql_gp_sync_position`.catch(() => []);
  return rows[0] ? { file: rows[0].bin_name, pos: Number(rows[0].bin_pos) } : null;
}

async function waitApplied(fixture: Fixture, at: { file: string; pos: number }): Promise<void> {
  await waitFor(`the sync to commit ${at.file}:${at.pos}`, async () => {
    const applied = await appliedAt(fixture);
    return applied !== null && applied.file === at.file && applied.pos >= at.pos;
  }, 60_000).catch(async (error) => {
    const log = await Deno.readTextFile(`${fixture.dataDir}/sync.log`).catch(() => "");
    throw new Error(`${(error as Error).message}; sync.log ends:\n${log.slice(-3000)}`);
  });
}

Deno.test("SIGKILL inside and right after a DDL: nothing lost or doubled, layout as the source's", async () => {
  await using fixture = await startFixture();
  const statusAddr = `${LOOPBACK_HOST}:${freePort()}`;
  const config = await prepare(fixture, `status_addr = "${statusAddr}"\n${FOLLOW_T}`);
  let sync = await SyncProcess.start({ configFile: config.file, statusAddr });
  try {
    // Streaming before s.t exists, so its CREATE TABLE makes the target.
    await fixture.my.query(`INSERT INTO s.base VALUES (1, 'streaming')`);
    await waitApplied(fixture, await fixture.masterStatus());
    await fixture.my.query(`
      CREATE TABLE s.t (id INT PRIMARY KEY, v INT);
      INSERT INTO s.t VALUES (1, 10), (2, 20), (3, 30);`);
    await waitApplied(fixture, await fixture.masterStatus());

    // Killed while its replay waits for a lock on the target: the replay and the position are
    // one transaction, so neither is there, and the next run replays the statement once.
    const blocker = await fixture.pg.reserve();
    await blocker.unsafe(`BEGIN; LOCK TABLE public.t IN ACCESS SHARE MODE`);
    await fixture.my.query(`
      ALTER TABLE s.t ADD c INT NOT NULL DEFAULT 3, MODIFY v BIGINT;
      INSERT INTO s.t VALUES (4, 40, 44);`);
    await waitFor("the replay to wait for the lock", async () => {
      const waiting = await fixture.pg`
        SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'public.t'::regclass`;
      return waiting.length > 0;
    });
    sync.signal("SIGKILL");
    await sync.status;
    await blocker.unsafe(`ROLLBACK`);
    blocker.release();
    assertEquals(
      (await pgRows(
        fixture.pg,
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attname = 'c'",
      ))[0],
      ["0"],
    );

    sync = await SyncProcess.start({ configFile: config.file, statusAddr });
    const ddlEnd = await fixture.masterStatus();
    await waitApplied(fixture, ddlEnd);
    // Right after the next DDL commits, before anything else.
    await fixture.my.query(`ALTER TABLE s.t CHANGE c c2 INT NOT NULL DEFAULT 3`);
    await waitApplied(fixture, await fixture.masterStatus());
    sync.signal("SIGKILL");
    await sync.status;
    await fixture.my.query(`
      INSERT INTO s.t VALUES (5, 50, 55);
      UPDATE s.t SET c2 = c2 + 1 WHERE id IN (1, 4);
      ALTER TABLE s.t DROP COLUMN v;
      INSERT INTO s.t VALUES (6, 66);
      INSERT INTO s.base VALUES (2, 'after');`);
    sync = await SyncProcess.start({ configFile: config.file, statusAddr });
    await waitApplied(fixture, await fixture.masterStatus());
    const report = await sync.report();
    assertEquals(report?.last_error ?? null, null);
    assertMatch(report?.ddl?.["s.t"]?.statement ?? "", /DROP COLUMN v/);
  } finally {
    await sync.stop();
  }
  await assertSameLayout(fixture, { schema: "s", table: "t" }, { schema: "public", table: "t" });
  await assertVerified(config);
  assertEquals(await pgRows(fixture.pg, "SELECT id, c2 FROM public.t"), [
    ["1", "4"],
    ["2", "3"],
    ["3", "3"],
    ["4", "45"],
    ["5", "55"],
    ["6", "66"],
  ]);
});
