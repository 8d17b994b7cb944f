/**
 * One `run` per sync: a PostgreSQL advisory lock keyed by sync_id, held by the session's main
 * connection for as long as it lives (taken again by every new session), so that two processes
 * never apply the same sync's changes and fight over its position.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError } from "../config/errors.ts";
import { quoteLiteral } from "../convert/ident.ts";
import type { Sql } from "./postgres.ts";

/** How long a stale connection of this very process may take to go once terminated. */
const STALE_HOLDER_WAIT_MS = 5_000;

/** The two keys of the lock: this tool's, then the sync's (hashtext works on Greenplum too). */
function lockKeys(syncId: string): [string, string] {
  return ["hashtext('mysql-gp-sync')", `hashtext(${quoteLiteral(syncId)})`];
}

/** A backend: its pid and start time (a pid alone may be reused after a restart). */
export interface Backend {
  pid: number;
  started: string | null;
}

interface Holder extends Backend {
  client: string | null;
  port: number | null;
  since: string | null;
}

/**
 * Takes the lock of `config.syncId` on `sql`'s connection and returns that connection's backend.
 * `ownStale` is the backend of this process's previous session: should that connection still
 * hold the lock (PostgreSQL has not noticed it is gone, as after a network cut), it is
 * terminated. Any other holder makes this throw a FatalError naming it.
 */
export async function takeRunLock(
  sql: Sql,
  config: Config,
  ownStale: Backend | null,
): Promise<Backend> {
  const deadline = Date.now() + STALE_HOLDER_WAIT_MS;
  while (true) {
    const [taken] = await sql.unsafe<(Backend & { locked: boolean })[]>(
      `SELECT pg_try_advisory_lock(${lockKeys(config.syncId).join(", ")}) AS locked, ` +
        `pg_backend_pid() AS pid, (SELECT backend_start::text FROM pg_stat_activity ` +
        `WHERE pid = pg_backend_pid()) AS started`,
    );
    if (taken.locked) return { pid: taken.pid, started: taken.started };
    // Let go of meanwhile, it is tried again; held by our own stale connection, that one goes.
    const holder = await lockHolder(sql, config.syncId);
    const stale = holder !== null && ownStale !== null && holder.pid === ownStale.pid &&
      holder.started === ownStale.started;
    if (Date.now() > deadline || (holder !== null && !stale)) throw heldBy(holder, config);
    if (holder) await sql`SELECT pg_terminate_backend(${holder.pid})`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function lockHolder(sql: Sql, syncId: string): Promise<Holder | null> {
  const [tool, sync] = lockKeys(syncId);
  // The two-key form shows its keys as classid and objid (negative ones as their oid value).
  const rows = await sql.unsafe<Holder[]>(
    `SELECT l.pid, a.backend_start::text AS started, host(a.client_addr) AS client,
            a.client_port AS port,
            to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
        AND l.classid = ${tool}::oid AND l.objid = ${sync}::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0] ?? null;
}

function heldBy(holder: Holder | null, config: Config): FatalError {
  const client = holder?.client ? `, client ${holder.client}:${holder.port}` : "";
  const since = holder?.since ? `, connected since ${holder.since}` : "";
  const backend = holder ? `; PostgreSQL backend pid ${holder.pid}${client}${since}` : "";
  return new FatalError(
    `another mysql-gp-sync run of sync_id ${config.syncId} is connected to PostgreSQL at ` +
      `${config.pgHost}:${config.pgPort} (database ${config.pgDbname}${backend}) and holds its ` +
      `lock: stop that one first (stop.sh), or give this config (${config.file}) another sync_id`,
  );
}
