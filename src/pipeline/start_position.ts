/**
 * Chooses where a replication session starts reading: after the GTID state applied when it is
 * known and the server writes GTIDs (any member of the replication group can serve that), at the
 * binlog file and offset otherwise; and the GTID state the stored positions advance from.
 *
 * @module
 */
import { FatalError, UserError } from "../config/errors.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { describeGtids, GtidState } from "../offsets/gtid.ts";
import { readMasterInfoFile } from "../offsets/master_info.ts";
import { chooseStart } from "../offsets/start_choice.ts";
import { type BinlogPosition, formatPosition, positionProblem } from "../offsets/position.ts";
import { binlogFiles } from "../source/binlog_status.ts";
import type { ReadStart } from "../source/binlog_start.ts";
import { continuationProblem } from "../source/continuation.ts";
import { gtidStateAt, type ServerGtids, serverGtids } from "../source/gtid_status.ts";
import { positionOnSourceProblem } from "../source/position_check.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { PositionStore, StoredPosition } from "../sink/position_store.ts";
import type { Sql } from "../sink/postgres.ts";

/**
 * Where `run` starts on the server `server` (`host:port`) that `source` is connected to, from the
 * position `chooseStart` picks: the one stored in PostgreSQL, unless `master.info` was edited by
 * hand since, else `master.info`, else the oldest binlog the server still has (the seed's
 * behaviour without master.info). A stored GTID state is resumed from by GTID when the server
 * writes GTIDs, once checked to be continuable there.
 */
export async function startPosition(
  dataDir: string,
  store: PositionStore,
  sql: Sql,
  source: SourceConnection,
  server: string,
  log: Logger,
): Promise<ReadStart> {
  const stored = await store.read(sql);
  const gtids = await serverGtids(source);
  const choice = chooseStart(stored, await readMasterInfoFile(dataDir), store.table);
  const storedState = stored && choice.from === "postgresql"
    ? parseStored(stored, gtids, store)
    : null;
  if (stored && storedState && gtids.enabled) {
    const problem = continuationProblem(storedState, gtids);
    if (problem) {
      throw new FatalError(
        `the source at ${server} cannot continue the stream: ${problem.message}`,
      );
    }
    const was = stored.server === server
      ? ""
      : ` on ${stored.server ?? "the server followed before"}`;
    log.info(
      `resuming by GTID after ${describeGtids(storedState)} on ` +
        `${server} (the applied position saved in ${store.table}, binlog ` +
        `${formatPosition(stored)}${was})`,
    );
    return { position: stored, applied: storedState, byGtid: true };
  }
  if (
    stored && choice.from === "postgresql" && stored.server !== null && stored.server !== server
  ) {
    throw new FatalError(
      `the saved binlog position ${formatPosition(stored)} is on ${stored.server}, not on ` +
        `${server}, and no GTID state is saved to continue elsewhere: follow ${stored.server} ` +
        `again, or set a position on ${server} with "pos set" (if it is the same server under ` +
        `another address, set the saved one again: "pos show" prints it)`,
    );
  }
  const position = await startFile(choice, stored, store, source, log);
  const applied = storedState ?? await stateAt(source, position, gtids, log);
  if (stored && choice.from === "postgresql" && storedState === null && applied !== null) {
    // Saved now rather than with the next batch, so that a failover before it finds it.
    await store.set(sql, position, applied, server);
  }
  const why = !gtids.enabled
    ? `the server writes no GTIDs (${gtids.mode})`
    : choice.from === "postgresql"
    ? "no GTID state is saved with the position"
    : choice.from === "master.info"
    ? "the start comes from master.info"
    : "nothing is applied yet";
  log.info(
    `reading by binlog file and offset from ${formatPosition(position)} on ${server}: ${why}; ` +
      `GTID state ${
        applied === null ? "not known (no failover possible)" : describeGtids(applied)
      }`,
  );
  return { position, applied, byGtid: false };
}

/** The stored GTID state, parsed for the server's flavour; null when none is stored. */
function parseStored(
  stored: StoredPosition,
  gtids: ServerGtids,
  store: PositionStore,
): GtidState | null {
  if (stored.gtidState === null) return null;
  try {
    return GtidState.parse(stored.gtidState, gtids.flavor);
  } catch (err) {
    throw new UserError(
      `${store.table} (sync_id ${store.syncId}): gtid_state ${errorMessage(err)} on this ` +
        `${gtids.flavor === "mariadb" ? "MariaDB" : "MySQL"} server; set one with "pos set"`,
    );
  }
}

/** The file and offset `choice` names, checked on the source, or the oldest binlog. */
async function startFile(
  choice: ReturnType<typeof chooseStart>,
  stored: StoredPosition | null,
  store: PositionStore,
  source: SourceConnection,
  log: Logger,
): Promise<BinlogPosition> {
  if (stored) {
    const problem = positionProblem(stored.file, stored.pos);
    if (problem) {
      throw new UserError(`${store.table} (sync_id ${store.syncId}): ${problem}; use "pos set"`);
    }
  }
  if (choice.position) {
    if (choice.from === "master.info" && stored) log.warn(`start moved: ${choice.why}`);
    else log.info(`starting from ${formatPosition(choice.position)}: ${choice.why}`);
    const from = choice.from === "postgresql" ? store.table : "master.info";
    return await servable(choice.position, from, source, log);
  }
  const files = await binlogFiles(source);
  if (files.length === 0) throw new Error("the source has no binary logs; is log_bin enabled?");
  const oldest = { file: files[0].name, pos: 4 };
  log.info(
    `no saved position: starting at the oldest binlog on the server, ${formatPosition(oldest)}`,
  );
  return oldest;
}

/**
 * The GTID state before `position`, so that the positions stored from now on carry one: MariaDB
 * computes it; on MySQL it is known at the oldest binlog only (`gtid_purged`).
 */
async function stateAt(
  source: SourceConnection,
  position: BinlogPosition,
  gtids: ServerGtids,
  log: Logger,
): Promise<GtidState | null> {
  if (!gtids.enabled) return null;
  if (gtids.flavor === "mysql") {
    const files = await binlogFiles(source);
    return files[0]?.name === position.file && position.pos <= 4 ? gtids.purged : null;
  }
  return await gtidStateAt(source, position, gtids.flavor).catch((err) => {
    log.warn(`the GTID state at ${formatPosition(position)} is not known: ${errorMessage(err)}`);
    return null;
  });
}

/**
 * `position` if the source can serve it; otherwise a FatalError that says why (purged, never
 * there, past the end, inside an event), since each calls for something else and retrying cannot
 * help. A check that cannot run (a privilege MySQL wants for SHOW BINLOG EVENTS) is left to the
 * replication connection.
 */
async function servable(
  position: BinlogPosition,
  from: string,
  source: SourceConnection,
  log: Logger,
): Promise<BinlogPosition> {
  const problem = await positionOnSourceProblem(source, position).catch((err) => {
    log.debug(`could not check ${formatPosition(position)} on the source: ${errorMessage(err)}`);
    return null;
  });
  if (problem) {
    throw new FatalError(
      `the source cannot serve the saved binlog position ${
        formatPosition(position)
      } (from ${from}): ` +
        problem,
    );
  }
  return position;
}
