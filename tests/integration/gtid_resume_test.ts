// Resuming by GTID on one server: the applied GTID state is committed with the rows, `run` resumes
// after it even when the binlog file of the saved position was purged, and `pos set` takes a GTID
// state (refusing one the server cannot continue from).
import { assertEquals, assertMatch } from "../support/assert.ts";
import { PositionStore } from "../../src/sink/position_store.ts";
import {
  type Fixture,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { waitForGtids } from "../../testing/replication.ts";

async function targetIds(fixture: Fixture): Promise<number[]> {
  const rows = await fixture.pg`SELECT id FROM public.t ORDER BY id`;
  return rows.map((row) => Number(row.id));
}

async function gtidBinlogPos(fixture: Fixture): Promise<string> {
  const [rows] = await fixture.my.query("SELECT @@GLOBAL.gtid_binlog_pos AS pos");
  return (rows as { pos: string }[])[0].pos;
}

/** Purges every binlog before `file` (MariaDB keeps one until InnoDB has checkpointed it). */
async function purgeTo(fixture: Fixture, file: string): Promise<void> {
  await waitFor(`the binlogs before ${file} to be purged`, async () => {
    await fixture.my.query(`PURGE BINARY LOGS TO '${file}'`);
    const [logs] = await fixture.my.query("SHOW BINARY LOGS");
    return (logs as { Log_name: string }[])[0].Log_name === file;
  });
}

Deno.test("run resumes by GTID after its binlog file was purged, and pos set takes a GTID state", async () => {
  await using fixture = await startFixture();
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)");
  await fixture.pg.unsafe("CREATE TABLE public.t (id int PRIMARY KEY)");
  const config = await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const store = new PositionStore(config.positionSchema, config.syncId);

  let sync = await startSync(config);
  for (let id = 1; id <= 3; id++) await fixture.my.query(`INSERT INTO s.t VALUES (${id})`);
  await waitForCatchUp(fixture, sync);
  await sync.stop();
  const afterThree = await gtidBinlogPos(fixture);
  const saved = await store.read(fixture.pg);
  assertEquals(saved?.gtidState, afterThree, "the GTID state is committed with the rows");
  assertEquals(saved?.server, `${fixture.mariadb.host}:${fixture.mariadb.port}`);

  // The file the saved position is in goes; the transactions after it are in the next one.
  await fixture.my.query("FLUSH BINARY LOGS");
  const next = await fixture.masterStatus();
  await fixture.my.query("INSERT INTO s.t VALUES (4), (5)");
  await purgeTo(fixture, next.file);
  const [logs] = await fixture.my.query("SHOW BINARY LOGS");
  assertEquals((logs as unknown[]).length, 1);
  sync = await startSync(config);
  // A purge writes a checkpoint event after the last transaction: caught up is by GTID here.
  await waitForGtids(fixture.my, sync);
  await sync.stop();
  assertEquals(await targetIds(fixture), [1, 2, 3, 4, 5]);
  let log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(log, new RegExp(`resuming by GTID after ${afterThree} on `));

  // pos show prints the GTID state with the file and offset.
  const show = await runCli(["pos", "show", "-c", config.file]);
  assertEquals(show.code, 0, show.stderr);
  assertMatch(
    show.stdout,
    new RegExp(
      `gtid_state = "${await gtidBinlogPos(fixture)}"\\nsource_server = ".*"\\n` +
        "# the next run starts by GTID after gtid_state: the applied position saved in",
    ),
  );

  // Back to after row 3 by GTID state: rows 4 and 5 are applied again, nothing before them.
  const set = await runCli(["pos", "set", afterThree, "-c", config.file]);
  assertEquals(set.code, 0, set.stderr);
  assertMatch(set.stdout, new RegExp(`# GTID state ${afterThree}: run resumes after it by GTID`));
  assertEquals((await store.read(fixture.pg))?.gtidState, afterThree);
  await fixture.pg.unsafe("DELETE FROM public.t");
  sync = await startSync(config);
  await waitForGtids(fixture.my, sync);
  await sync.stop();
  assertEquals(await targetIds(fixture), [4, 5]);
  log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  // The file pos set wrote down is the newest that starts within the state, the one kept.
  assertMatch(
    log,
    new RegExp(`resuming by GTID after ${afterThree} on .*binlog ${next.file}:4\\)`),
  );

  // A position saved before GTID states were (an older version): run reads by file and offset
  // and saves the state of that position at once.
  const now = await gtidBinlogPos(fixture);
  await fixture.pg.unsafe("UPDATE public.mysql_gp_sync_position SET gtid_state = NULL");
  sync = await startSync(config);
  await waitFor(
    "the GTID state saved",
    async () => (await store.read(fixture.pg))?.gtidState === now,
  );
  await sync.stop();
  log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(log, new RegExp(`no GTID state is saved with the position; GTID state ${now}\n`));

  // A state the server never reached, and one whose transactions it purged, are refused.
  const [domain, server, seq] = afterThree.split("-");
  const ahead = await runCli([
    "pos",
    "set",
    `${domain}-${server}-${Number(seq) + 1000}`,
    "-c",
    config.file,
  ]);
  assertEquals(ahead.code, 1, ahead.stderr);
  assertMatch(ahead.stderr, /its binlog lacks transactions already applied to PostgreSQL/);
  const purged = await runCli(["pos", "set", `${domain}-${server}-1`, "-c", config.file]);
  assertEquals(purged.code, 1, purged.stderr);
  assertMatch(purged.stderr, /it has purged from its binlog transactions not yet applied/);
  assertEquals((await store.read(fixture.pg))?.gtidState, await gtidBinlogPos(fixture));
});

Deno.test("snapshot records the GTID state of its consistent point, and run resumes after it", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY); INSERT INTO s.t VALUES (1), (2)",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const snapshot = await runCli(["snapshot", "-c", config.file]);
  assertEquals(snapshot.code, 0, snapshot.stderr);
  const loaded = await gtidBinlogPos(fixture);
  const saved = await new PositionStore(config.positionSchema, config.syncId).read(fixture.pg);
  assertEquals(saved?.gtidState, loaded);
  assertEquals(saved?.server, `${fixture.mariadb.host}:${fixture.mariadb.port}`);

  await fixture.my.query("INSERT INTO s.t VALUES (3)");
  const sync = await startSync(config);
  await waitForGtids(fixture.my, sync);
  await sync.stop();
  assertEquals(await targetIds(fixture), [1, 2, 3]);
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(log, new RegExp(`resuming by GTID after ${loaded} on `));
});
