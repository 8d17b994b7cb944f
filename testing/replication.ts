/**
 * MariaDB replication for failover tests: a throwaway replica following a primary by GTID
 * (`MASTER_USE_GTID = slave_pos`) with `log_slave_updates`, so that its binlog holds the
 * primary's transactions under their own GTIDs, as in a group a managed service fails over; and
 * what a failover does to it: the primary killed, the replica promoted.
 *
 * ```ts
 * await using fixture = await startFixture({ mariadbArgs: GROUP_MEMBER_ARGS });
 * await using replica = await startReplica(fixture.mariadb);
 * ```
 *
 * @module
 */
import type mysql from "mysql2/promise";
import { connectMysql, type RunningSync, waitFor } from "./fixture.ts";
import { type MariaDBServer, startMariaDB } from "./mariadb_server.ts";
import { sleep } from "./os.ts";

/** Arguments every member gets: what it replicates goes into its binlog too, with its GTIDs. */
export const GROUP_MEMBER_ARGS = [
  "--log-slave-updates",
  "--gtid-strict-mode=1",
  "--slave-net-timeout=5",
];

/**
 * Starts a replica of `primary` (server-id `serverId`, read_only) replicating by GTID from the
 * start of the primary's binlog.
 */
export async function startReplica(primary: MariaDBServer, serverId = 2): Promise<MariaDBServer> {
  const replica = await startMariaDB({
    args: [...GROUP_MEMBER_ARGS, `--server-id=${serverId}`, "--read-only=1"],
  });
  try {
    const my = await connectMysql(replica);
    try {
      await my.query(
        `CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?,
           MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`,
        [primary.host, primary.port, primary.user, primary.password],
      );
      await my.query("START SLAVE");
    } finally {
      await my.end();
    }
  } catch (err) {
    await replica.dispose();
    throw err;
  }
  return replica;
}

/** The server's `@@gtid_binlog_pos`: the last GTID of each domain in its binlog. */
export async function binlogGtids(my: mysql.Connection): Promise<string> {
  const [rows] = await my.query("SELECT @@GLOBAL.gtid_binlog_pos AS pos");
  return (rows as { pos: string }[])[0].pos;
}

/** Waits until the replica `replica` has applied everything `primary` has binlogged so far. */
export async function waitReplicated(
  primary: mysql.Connection,
  replica: mysql.Connection,
): Promise<void> {
  const pos = await binlogGtids(primary);
  const [rows] = await replica.query("SELECT MASTER_GTID_WAIT(?, 60) AS waited", [pos]);
  if (Number((rows as { waited: number }[])[0].waited) !== 0) {
    throw new Error(`the replica did not reach GTID ${pos} within 60 s`);
  }
}

/** SIGKILL of the server process, as a crash would: no clean shutdown. */
export async function killServer(server: MariaDBServer): Promise<void> {
  const pid = Number((await Deno.readTextFile(`${server.dir}/mariadbd.pid`)).trim());
  Deno.kill(pid, "SIGKILL");
  // Gone once its port refuses connections.
  for (let i = 0; i < 400; i++) {
    try {
      (await Deno.connect({ hostname: server.host, port: server.port })).close();
    } catch {
      return;
    }
    await sleep(25);
  }
  throw new Error(`the server on port ${server.port} did not die`);
}

/** Makes the replica on `my` a primary: `STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0`. */
export async function promote(my: mysql.Connection): Promise<void> {
  await my.query("STOP SLAVE");
  await my.query("RESET SLAVE ALL");
  await my.query("SET GLOBAL read_only = 0");
}

/** Waits until `sync` has applied everything in the binlog of the server `my` is connected to. */
export async function waitForGtids(
  my: mysql.Connection,
  sync: RunningSync,
  timeoutMs = 30_000,
): Promise<void> {
  const pos = await binlogGtids(my);
  await waitFor(
    `the sync to apply up to GTID ${pos}`,
    () => sync.stats.appliedGtids?.toString() === pos,
    timeoutMs,
  );
}
