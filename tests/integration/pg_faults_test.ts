// PostgreSQL failing under a running sync: restarts while changes flow end in a logged reconnect
// (never a hang nor a crash) and a status that says when the sync has recovered; SIGTERM ends the
// process within its bound while PostgreSQL does not answer; a wait on a lock is logged; a second
// run of the same sync is refused.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import mysql from "mysql2/promise";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { freePort } from "../../testing/os.ts";
import { SyncProcess } from "../../testing/sync_process.ts";
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
tables = ["item"]
`;

async function prepare(fixture: Fixture, extra = "") {
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.item (id INT PRIMARY KEY, label VARCHAR(40), n INT)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.item (id integer PRIMARY KEY, label varchar(40), n integer)",
  );
  const config = await fixture.writeConfig(`${extra}\n${CONFIG}`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  return config;
}

/**
 * Keeps inserting, updating and deleting rows of app.item in small transactions on a connection of
 * its own until stopped; returns how many transactions it committed.
 */
function startWriter(fixture: Fixture): { stop: () => Promise<number> } {
  let running = true;
  const done = (async () => {
    const my = await mysql.createConnection({
      host: fixture.mariadb.host,
      port: fixture.mariadb.port,
      user: fixture.mariadb.user,
      password: fixture.mariadb.password,
    });
    let committed = 0;
    try {
      for (let i = 0; running; i++) {
        const id = (i * 7919) % 3000;
        await my.query("BEGIN");
        await my.query(
          "INSERT INTO app.item VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE n = n + 1, label = ?",
          [id, `item ${i}`, `again ${i}`],
        );
        await my.query("UPDATE app.item SET n = n + 1 WHERE id = ?", [(id + 11) % 3000]);
        if (i % 5 === 0) await my.query("DELETE FROM app.item WHERE id = ?", [(id + 23) % 3000]);
        await my.query("COMMIT");
        committed++;
      }
    } finally {
      await my.end();
    }
    return committed;
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

async function assertEqualTables(fixture: Fixture) {
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, label, n FROM public.item"),
    await mysqlRows(fixture.my, "SELECT id, label, n FROM app.item"),
  );
}

/** The position the sync committed to PostgreSQL, as `file:pos`; null if none yet. */
async function committedPosition(fixture: Fixture): Promise<string | null> {
  const rows = await fixture.pg`SELECT bin_name, bin_pos::text AS pos FROM mysql_gp_sync_position`
    .catch(() => []);
  return rows.length === 0 ? null : `${rows[0].bin_name}:${rows[0].pos}`;
}

/** Waits until the committed position moves past `from`; fails at once if the sync exited. */
async function committedPast(
  fixture: Fixture,
  sync: SyncProcess,
  from: string | null,
  what: string,
) {
  await waitFor(what, async () => {
    assert(!sync.exited, `the sync exited (${sync.exited?.code}): ${sync.stderr.slice(-3000)}`);
    return (await committedPosition(fixture)) !== from;
  }, 60_000);
}

/** The server processes of the fixture's PostgreSQL: the postmaster and its children. */
async function postgresPids(fixture: Fixture): Promise<number[]> {
  const pidFile = await Deno.readTextFile(`${fixture.postgres.dir}/data/postmaster.pid`);
  const postmaster = Number(pidFile.split("\n")[0]);
  const pids = [postmaster];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    // The parent pid is the second field after the command name, which may hold spaces.
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent === postmaster) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test("PostgreSQL restarted 10 times under load: always reconnected, target equal at the end", async () => {
  await using fixture = await startFixture();
  const port = freePort();
  const config = await prepare(fixture, `status_addr = "127.0.0.1:${port}"`);
  await using sync = await SyncProcess.start({
    configFile: config.file,
    statusAddr: `127.0.0.1:${port}`,
  });
  const writer = startWriter(fixture);
  let exit: Deno.CommandStatus;
  try {
    for (let round = 1; round <= 10; round++) {
      // Changes flow: the sync has committed a newer position since the last restart.
      const before = await committedPosition(fixture);
      await committedPast(fixture, sync, before, `round ${round}: a batch before the restart`);
      await fixture.postgres.stop();
      await fixture.postgres.start();
      await fixture.reconnect();
    }
    const after = await committedPosition(fixture);
    await committedPast(fixture, sync, after, "a batch applied after the last restart");
    const transactions = await writer.stop();
    assert(transactions > 100, `the writer committed only ${transactions} transactions`);
    const head = await fixture.masterStatus();
    await waitForPosition(fixture, sync, `${head.file}:${head.pos}`);
    await assertEqualTables(fixture);
    // Recovered: no error is current; the last one is kept with its times.
    const report = await sync.report();
    assert(report !== null, "the status endpoint answers");
    assert(report.reconnects! >= 10, `reconnects: ${report.reconnects}`);
    assertEquals(report.last_error, null);
    assertMatch(report.previous_error ?? "", /lost the connection to PostgreSQL at 127\.0\.0\.1/);
    assert(report.recovered_at! > report.last_error_at!, JSON.stringify(report));
  } finally {
    await writer.stop().catch(() => 0);
    exit = await sync.stop(30_000);
  }
  assertEquals([exit.code, sync.stderr], [0, ""]);
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(
    log,
    /\[ERROR\] lost the connection to PostgreSQL at 127\.0\.0\.1:\d+ \(pg_host\/pg_port in .*\); retrying in 1s/,
  );
});

async function waitForPosition(fixture: Fixture, sync: SyncProcess, position: string) {
  await waitFor(`the sync to commit ${position}`, async () => {
    assert(!sync.exited, `the sync exited: ${sync.stderr.slice(-3000)}`);
    return (await committedPosition(fixture)) === position;
  }, 60_000);
}

Deno.test("PostgreSQL restarted while idle: a clear reconnect, staging made anew, error cleared", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const sync = await startSync(config);
  try {
    // 40 rows updated: staged in a temporary table of the session, then merged.
    const rows = Array.from({ length: 40 }, (_, i) => `(${i}, 'row ${i}', 0)`);
    await fixture.my.query(`INSERT INTO app.item VALUES ${rows.join(", ")}`);
    await fixture.my.query("UPDATE app.item SET n = n + 1");
    await waitForCatchUp(fixture, sync);
    await fixture.postgres.stop();
    await fixture.postgres.start();
    await fixture.reconnect();
    await waitFor("the lost connection to be noticed", () => sync.stats.lastError !== null);
    await fixture.my.query("UPDATE app.item SET n = n + 1");
    await waitForCatchUp(fixture, sync);
    await assertEqualTables(fixture);
    assertEquals(sync.stats.lastError, null);
    assertMatch(sync.stats.previousError!, /^lost the connection to PostgreSQL at 127\.0\.0\.1:/);
  } finally {
    await sync.stop();
  }
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assert(!log.includes("pg_temp"), log);
  assertMatch(log, /\[ERROR\] lost the connection to PostgreSQL at .*; retrying in 1s/);
});

Deno.test("SIGTERM while PostgreSQL does not answer ends the process within its bound", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, `status_addr = "off"`);
  await using sync = await SyncProcess.start({ configFile: config.file });
  await fixture.my.query("INSERT INTO app.item VALUES (1, 'one', 0)");
  await committedPast(fixture, sync, null, "the first row applied");
  const frozen = await postgresPids(fixture);
  for (const pid of frozen) Deno.kill(pid, "SIGSTOP");
  let stoppedAt = 0;
  try {
    // A batch goes out and gets no answer.
    await fixture.my.query("INSERT INTO app.item VALUES (2, 'two', 0)");
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    stoppedAt = Date.now();
    const status = await sync.stop(40_000);
    const took = Date.now() - stoppedAt;
    // stop.sh waits 60 s before SIGKILL; the sync gives up on the batch in hand after 20.
    assert(took < 30_000, `exited ${took} ms after SIGTERM`);
    assertEquals(status.code, 1, sync.stderr);
    assertMatch(
      sync.oneLineError() ?? sync.stderr,
      /^mysql-gp-sync: the work in hand did not finish within 20s of SIGTERM \(PostgreSQL at 127\.0\.0\.1:\d+ not answering\?\); exiting without it: the next start resumes from the position committed with the data$/,
    );
  } finally {
    for (const pid of frozen) Deno.kill(pid, "SIGCONT");
  }
  // The next start applies what the stopped one gave up on.
  await using again = await SyncProcess.start({ configFile: config.file });
  const head = await fixture.masterStatus();
  await waitForPosition(fixture, again, `${head.file}:${head.pos}`);
  await assertEqualTables(fixture);
  assertEquals((await again.stop()).code, 0, again.stderr);
});

Deno.test("an apply waiting on a lock is logged with its batch, rows and binlog range", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const sync = await startSync(config);
  const locker = await fixture.pg.reserve();
  try {
    await fixture.my.query("INSERT INTO app.item VALUES (1, 'one', 0)");
    await waitForCatchUp(fixture, sync);
    const from = await fixture.masterStatus();
    await locker`BEGIN`;
    await locker`LOCK TABLE public.item IN ACCESS EXCLUSIVE MODE`;
    await fixture.my.query("INSERT INTO app.item VALUES (2, 'two', 0), (3, 'three', 0)");
    const to = await fixture.masterStatus();
    const log = `${config.dataDir}/sync.log`;
    await waitFor("the stalled apply to be logged", async () => {
      return (await Deno.readTextFile(log)).includes("[WARN] waited 30s");
    }, 45_000);
    const warning = (await Deno.readTextFile(log)).split("\n").find((l) => l.includes("waited"))!;
    assertMatch(
      warning,
      new RegExp(
        `\\[WARN\\] waited 30s for PostgreSQL at 127\\.0\\.0\\.1:${fixture.postgres.port} ` +
          `\\(pg_host/pg_port in .*\\) while applying a batch of 2 row changes in 1 ` +
          `transaction\\(s\\) \\(binlog ${from.file}:${from.pos} to ${to.file}:${to.pos}, ` +
          `GTID \\d+-\\d+-\\d+\\); still waiting \\(a lock held by another session\\? see ` +
          `pg_locks and pg_stat_activity there\\)$`,
      ),
    );
    assertEquals(sync.stats.lastError, null);
    await locker`COMMIT`;
    await waitForCatchUp(fixture, sync);
    await assertEqualTables(fixture);
  } finally {
    await locker`ROLLBACK`;
    locker.release();
    await sync.stop();
  }
});

Deno.test("a second run of the same sync is refused, by its data_dir and by PostgreSQL", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, `status_addr = "off"`);
  await using first = await SyncProcess.start({ configFile: config.file });
  await fixture.my.query("INSERT INTO app.item VALUES (1, 'one', 0)");
  await committedPast(fixture, first, null, "the first run to apply");
  // Another data_dir, the same sync_id: PostgreSQL's lock refuses it.
  const otherFile = `${fixture.dir}/other.toml`;
  const text = await Deno.readTextFile(config.file);
  await Deno.writeTextFile(otherFile, text.replace(`data_dir = "./var"`, `data_dir = "./other"`));
  const refusedByLock = async () => {
    const result = await runCli(["run", "--quiet", "-c", otherFile], {}, 60_000);
    assertEquals(result.code, 1, result.stderr);
    assertMatch(
      result.stderr,
      /^mysql-gp-sync: another mysql-gp-sync run of sync_id 1001 is connected to PostgreSQL at 127\.0\.0\.1:\d+ \(database mgs_test; PostgreSQL backend pid \d+, client 127\.0\.0\.1:\d+, connected since .*\) and holds its lock: stop that one first \(stop\.sh\), or give this config \(.*other\.toml\) another sync_id\n$/,
    );
  };
  await refusedByLock();
  // The same data_dir: refused before connecting, so even while PostgreSQL is down.
  await fixture.postgres.stop();
  const result = await runCli(["run", "--quiet", "-c", config.file], {}, 60_000);
  assertEquals(result.code, 1, result.stderr);
  assertEquals(
    result.stderr,
    `mysql-gp-sync: another mysql-gp-sync run uses data_dir ${config.dataDir} (pid ${first.pid} ` +
      `on host ${Deno.hostname()}, per ${config.dataDir}/run.lock); stop it first (stop.sh), or ` +
      `give this config its own data_dir\n`,
  );
  // Back up, the first run takes its lock again with its new connection.
  await fixture.postgres.start();
  await fixture.reconnect();
  await fixture.my.query("INSERT INTO app.item VALUES (2, 'two', 0)");
  const head = await fixture.masterStatus();
  await waitForPosition(fixture, first, `${head.file}:${head.pos}`);
  await refusedByLock();
  assertEquals((await first.stop()).code, 0, first.stderr);
});
