/**
 * Chooses the binlog position a replication session starts reading from.
 *
 * @module
 */
import type { Logger } from "../util/log.ts";
import { readMasterInfo } from "../offsets/master_info.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { PositionStore } from "../sink/position_store.ts";
import type { Sql } from "../sink/postgres.ts";

/**
 * Where `run` starts: the position stored in PostgreSQL (it commits with the data, so it is never
 * wrong), else `master.info` (the seed's way of setting a start), else the oldest binlog the server
 * still has (the seed's behaviour without master.info).
 */
export async function startPosition(
  dataDir: string,
  store: PositionStore,
  sql: Sql,
  source: SourceConnection,
  log: Logger,
): Promise<BinlogPosition> {
  const stored = await store.read(sql);
  const masterInfo = await readMasterInfo(dataDir);
  if (stored) {
    if (masterInfo && formatPosition(masterInfo) !== formatPosition(stored)) {
      log.warn(
        `master.info says ${
          formatPosition(masterInfo)
        } but PostgreSQL (${store.table}) holds the applied ` +
          `position ${
            formatPosition(stored)
          }; using the latter. To move the position use "pos set".`,
      );
    }
    return { file: stored.file, pos: stored.pos };
  }
  if (masterInfo) return masterInfo;
  const [rows] = await source.query("SHOW BINARY LOGS");
  const logs = rows as { Log_name: string }[];
  if (logs.length === 0) throw new Error("the source has no binary logs; is log_bin enabled?");
  const oldest = { file: logs[0].Log_name, pos: 4 };
  log.info(
    `no saved position: starting at the oldest binlog on the server, ${formatPosition(oldest)}`,
  );
  return oldest;
}
