// A primary failover under a running sync: MariaDB primary and replica replicating by GTID, the
// primary killed and the replica promoted while a mixed workload runs; the sync switches by
// itself, with no transaction lost or applied twice. A promoted replica that lacks transactions
// already applied is refused instead.
import type mysql from "mysql2/promise";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Finding } from "../../src/check/finding.ts";
import type { StatusReport } from "../../src/observe/metrics.ts";
import { PositionStore } from "../../src/sink/position_store.ts";
import {
  connectMysql,
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
} from "../../testing/fixture.ts";
import type { MariaDBServer } from "../../testing/mariadb_server.ts";
import {
  GROUP_MEMBER_ARGS,
  killServer,
  promote,
  startReplica,
  waitForGtids,
  waitReplicated,
} from "../../testing/replication.ts";

const TABLES = `
CREATE DATABASE s;
CREATE TABLE s.items (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40));
CREATE TABLE s.txlog (id BIGINT AUTO_INCREMENT PRIMARY KEY, tx INT NOT NULL, server INT NOT NULL);
`;

/**
 * The target tables, and a log of every row the sync inserts into txlog: a transaction applied
 * twice inserts its txlog row twice (applying deletes and inserts each key it touches), which
 * the table itself would not show.
 */
const TARGET = `
CREATE TABLE public.items (id int PRIMARY KEY, v int NOT NULL, note varchar(40));
CREATE TABLE public.txlog (id bigint PRIMARY KEY, tx int NOT NULL, server int NOT NULL);
CREATE TABLE public.txlog_inserts (id bigint NOT NULL);
CREATE FUNCTION log_txlog_insert() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN INSERT INTO public.txlog_inserts VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER txlog_inserted AFTER INSERT ON public.txlog
  FOR EACH ROW EXECUTE PROCEDURE log_txlog_insert();
`;

function groupConfig(replica: MariaDBServer, primaryOnly: boolean): string {
  return `mysql_members = ["${replica.host}:${replica.port}"]
mysql_primary_only = ${primaryOnly}
[[source]]
schema = "s"
tables = ["items", "txlog"]
`;
}

/**
 * Source transaction `n` of the workload: a new item, an update of an older one (now and then
 * moving it to a new key), a delete, and its row in txlog; every fifth inserts twenty items.
 */
async function transaction(my: mysql.Connection, n: number): Promise<void> {
  const statements = [
    `INSERT INTO s.items VALUES (${n * 100}, ${n}, 'new')`,
    `UPDATE s.items SET v = v + 1, note = 'updated by ${n}' WHERE id = ${Math.floor(n / 2) * 100}`,
    `DELETE FROM s.items WHERE id = ${(n - 7) * 100} AND ${n % 3} = 0`,
    `INSERT INTO s.txlog (tx, server) VALUES (${n}, @@server_id)`,
  ];
  if (n % 4 === 0) statements.push(`UPDATE s.items SET id = id + 1 WHERE id = ${(n - 2) * 100}`);
  if (n % 5 === 0) {
    const rows = Array.from({ length: 20 }, (_, i) => `(${n * 100 + 2 + i}, ${i}, 'bulk')`);
    statements.push(`INSERT INTO s.items VALUES ${rows.join(", ")}`);
  }
  await my.query(`START TRANSACTION; ${statements.join("; ")}; COMMIT`);
}

async function runTransactions(my: mysql.Connection, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) await transaction(my, n);
}

/** Items and txlog equal on both sides, each source transaction's txlog row inserted once. */
async function assertTargetEqual(fixture: Fixture, my: mysql.Connection, count: number) {
  for (const table of ["items", "txlog"]) {
    assertEquals(
      await pgRows(fixture.pg, `SELECT * FROM public.${table}`),
      await mysqlRows(my, `SELECT * FROM s.${table}`),
      `${table} differs`,
    );
  }
  const txs = await pgRows(fixture.pg, "SELECT tx FROM public.txlog ORDER BY tx");
  assertEquals(txs.map(([tx]) => Number(tx)).sort((a, b) => a - b), range(1, count), "a gap");
  const twice = await pgRows(
    fixture.pg,
    "SELECT id, count(*) FROM public.txlog_inserts GROUP BY id HAVING count(*) > 1",
  );
  assertEquals(twice, [], "txlog rows the sync inserted twice");
  const [[inserted]] = await pgRows(fixture.pg, "SELECT count(*) FROM public.txlog_inserts");
  assertEquals(Number(inserted), count);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("the sync follows a failover to the promoted replica: nothing lost, nothing twice", async () => {
  await using fixture = await startFixture({ mariadbArgs: GROUP_MEMBER_ARGS });
  await using replica = await startReplica(fixture.mariadb);
  const replicaMy = await connectMysql(replica);
  try {
    await fixture.my.query(TABLES);
    await fixture.pg.unsafe(TARGET);
    const config = await fixture.writeConfig(groupConfig(replica, true));
    const sync = await startSync(config);
    // The workload runs while the sync follows the primary.
    await runTransactions(fixture.my, 1, 50);
    await waitForGtids(fixture.my, sync);
    // check reports GTID mode on both members, and that failover is possible.
    const check = await runCli(["check", "--json", "-c", config.file]);
    const findings = (JSON.parse(check.stdout) as { findings: Finding[] }).findings
      .filter((f) => f.check === "gtid" || f.check === "failover")
      .map((f) => `${f.level} ${f.message}`);
    const [primaryName, replicaName] = [fixture.mariadb, replica].map((m) => `${m.host}:${m.port}`);
    assertEquals(findings, [
      `ok ${primaryName} (mysql_addr): GTIDs always on (MariaDB), writable (a primary)`,
      `ok ${replicaName} (mysql_members): GTIDs always on (MariaDB), read_only (a replica)`,
      `ok failover is possible: run follows the first of ${primaryName}, ${replicaName} that ` +
      "can continue after the applied GTID state",
    ]);
    // PostgreSQL holds the sync back, so it is behind when the primary dies: it applies what it
    // had read, then continues on the new primary after that.
    const blocker = await fixture.pg.reserve();
    await blocker.unsafe("BEGIN; LOCK TABLE public.txlog IN ACCESS EXCLUSIVE MODE");
    try {
      await runTransactions(fixture.my, 51, 150);
      // Asynchronous replication may lose the newest commits in a crash; this test is about the
      // sync, so the replica has every one before the primary dies.
      await waitReplicated(fixture.my, replicaMy);
      await killServer(fixture.mariadb);
    } finally {
      await blocker.unsafe("COMMIT");
      blocker.release();
    }
    // The sync finds no primary until the replica is promoted.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await promote(replicaMy);
    await runTransactions(replicaMy, 151, 300);
    await waitForGtids(replicaMy, sync, 60_000);
    await sync.stop();

    await assertTargetEqual(fixture, replicaMy, 300);
    assertEquals(sync.stats.sourceServer, replicaName);
    const stored = await new PositionStore(config.positionSchema, config.syncId).read(fixture.pg);
    assertEquals(stored?.server, replicaName);
    const [[gtids]] = await mysqlRows(replicaMy, "SELECT @@GLOBAL.gtid_binlog_pos");
    assertEquals(stored?.gtidState, gtids);
    // status names the server followed and the GTID state applied, and measures lag on it.
    const status = await runCli(["status", "--json", "-c", config.file]);
    const report = JSON.parse(status.stdout) as StatusReport;
    assertEquals(
      [report.source_server, report.applied_gtid_state, report.source_error],
      [replicaName, gtids, null],
    );
    assert(report.lag_bytes !== null, "lag measured on the server followed");
    const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
    assertMatch(
      log,
      new RegExp(
        `following ${replicaName} instead of ${fixture.mariadb.host}:${fixture.mariadb.port}`,
      ),
    );
    assertMatch(log, new RegExp(`resuming by GTID after 0-1-\\d+ on ${replicaName}`));
  } finally {
    await replicaMy.end();
  }
});

Deno.test("a promoted replica that lacks applied transactions is refused, saying so", async () => {
  await using fixture = await startFixture({ mariadbArgs: GROUP_MEMBER_ARGS });
  await using replica = await startReplica(fixture.mariadb);
  const replicaMy = await connectMysql(replica);
  try {
    await fixture.my.query(TABLES);
    await fixture.pg.unsafe(TARGET);
    await runTransactions(fixture.my, 1, 10);
    await waitReplicated(fixture.my, replicaMy);
    // The replica falls behind: what the primary writes now never reaches it.
    await replicaMy.query("STOP SLAVE");
    const config = await fixture.writeConfig(groupConfig(replica, false));
    const sync = await startSync(config);
    const ended = sync.done.then(() => null, (err: Error) => err);
    await runTransactions(fixture.my, 11, 20);
    await waitForGtids(fixture.my, sync);
    await killServer(fixture.mariadb);
    await promote(replicaMy);
    await runTransactions(replicaMy, 11, 12);

    // Refused for good: the sync stops rather than waiting for transactions that never come.
    const err = await Promise.race([
      ended,
      new Promise<Error>((resolve) =>
        setTimeout(() => resolve(new Error("the sync did not stop within 60 s")), 60_000)
      ),
    ]);
    assertMatch(
      err?.message ?? "the sync did not stop",
      new RegExp(
        `^${replica.host}:${replica.port} is a primary that cannot continue the stream: its ` +
          "binlog lacks transactions already applied to PostgreSQL \\(0-1-\\d+\\): .*load the " +
          "tables again",
      ),
    );
    // Nothing of the promoted replica's own transactions reached the target.
    const [[count]] = await pgRows(fixture.pg, "SELECT count(*) FROM public.txlog");
    assertEquals(Number(count), 20);
    const servers = await pgRows(fixture.pg, "SELECT DISTINCT server FROM public.txlog");
    assertEquals(servers, [["1"]]);
  } finally {
    await replicaMy.end();
  }
});

Deno.test("a sync stopped before a failover continues mid-stream on the new primary", async () => {
  await using fixture = await startFixture({ mariadbArgs: GROUP_MEMBER_ARGS });
  await using replica = await startReplica(fixture.mariadb);
  const replicaMy = await connectMysql(replica);
  try {
    await fixture.my.query(TABLES);
    await fixture.pg.unsafe(TARGET);
    const config = await fixture.writeConfig(groupConfig(replica, true));
    let sync = await startSync(config);
    await runTransactions(fixture.my, 1, 30);
    await waitForGtids(fixture.my, sync);
    await sync.stop();
    // What the primary writes now reaches the target only through the replica's binlog.
    await runTransactions(fixture.my, 31, 60);
    await waitReplicated(fixture.my, replicaMy);
    await killServer(fixture.mariadb);
    await promote(replicaMy);
    await runTransactions(replicaMy, 61, 90);
    sync = await startSync(config);
    await waitForGtids(replicaMy, sync);
    await sync.stop();
    await assertTargetEqual(fixture, replicaMy, 90);
    const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
    assertMatch(
      log,
      new RegExp(`resuming by GTID after 0-1-33 on ${replica.host}:${replica.port}`),
    );
  } finally {
    await replicaMy.end();
  }
});

Deno.test("a switchover: the demoted primary is left for the new one (mysql_primary_only)", async () => {
  await using fixture = await startFixture({ mariadbArgs: GROUP_MEMBER_ARGS });
  await using replica = await startReplica(fixture.mariadb);
  const replicaMy = await connectMysql(replica);
  try {
    await fixture.my.query(TABLES);
    await fixture.pg.unsafe(TARGET);
    const config = await fixture.writeConfig(groupConfig(replica, true));
    const sync = await startSync(config);
    await runTransactions(fixture.my, 1, 30);
    await waitForGtids(fixture.my, sync);
    // The old primary stays up, read-only; the replica takes over the writes.
    await fixture.my.query("SET GLOBAL read_only = 1");
    await waitReplicated(fixture.my, replicaMy);
    await promote(replicaMy);
    await runTransactions(replicaMy, 31, 60);
    await waitForGtids(replicaMy, sync);
    await sync.stop();
    await assertTargetEqual(fixture, replicaMy, 60);
    const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
    const [primaryName, replicaName] = [fixture.mariadb, replica].map((m) => `${m.host}:${m.port}`);
    assertMatch(log, new RegExp(`${primaryName} is no longer a primary \\(read_only is on\\)`));
    assertMatch(
      log,
      new RegExp(`following ${replicaName} instead of ${primaryName} \\(${primaryName}: read_only`),
    );
  } finally {
    await replicaMy.end();
  }
});
