/**
 * Chooses the binlog position a replication session starts reading from.
 *
 * @module
 */
import { FatalError, UserError } from "../config/errors.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { readMasterInfoFile } from "../offsets/master_info.ts";
import { chooseStart } from "../offsets/start_choice.ts";
import { type BinlogPosition, formatPosition, positionProblem } from "../offsets/position.ts";
import { positionOnSourceProblem } from "../source/position_check.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { PositionStore } from "../sink/position_store.ts";
import type { Sql } from "../sink/postgres.ts";

/**
 * Where `run` starts (`chooseStart`): the position stored in PostgreSQL, unless `master.info` was
 * edited by hand since, else `master.info`, else the oldest binlog the server still has (the
 * seed's behaviour without master.info).
 */
export async function startPosition(
  dataDir: string,
  store: PositionStore,
  sql: Sql,
  source: SourceConnection,
  log: Logger,
): Promise<BinlogPosition> {
  const stored = await store.read(sql);
  if (stored) {
    const problem = positionProblem(stored.file, stored.pos);
    if (problem) {
      throw new UserError(`${store.table} (sync_id ${store.syncId}): ${problem}; use "pos set"`);
    }
  }
  const choice = chooseStart(stored, await readMasterInfoFile(dataDir), store.table);
  if (choice.position) {
    if (choice.from === "master.info" && stored) log.warn(`start moved: ${choice.why}`);
    else log.info(`starting from ${formatPosition(choice.position)}: ${choice.why}`);
    const from = choice.from === "postgresql" ? store.table : "master.info";
    return await servable(choice.position, from, source, log);
  }
  const [rows] = await source.query("SHOW BINARY LOGS");
  const logs = rows as { Log_name: string }[];
  if (logs.length === 0) throw new Error("the source has no binary logs; is log_bin enabled?");
  const oldest = { file: logs[0].Log_name, pos: 4 };
  log.info(
    `no saved position: starting at the oldest binlog on the server, ${formatPosition(oldest)}`,
  );
  return oldest;
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
