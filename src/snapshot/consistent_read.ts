/**
 * Reads of the source that each see one instant of every table, and the binlog position of that
 * instant: the sync continues from there without missing a change. `ChunkReads` gives the readers
 * of a parallel load theirs: on MariaDB a fresh one per chunk, without any lock; on MySQL one for
 * all readers, opened together under a brief global read lock.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import type { GtidState } from "../offsets/gtid.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { sourceHead } from "../source/binlog_status.ts";
import { executedGtids, gtidStateAt } from "../source/gtid_status.ts";
import { isMariaDb, type SourceConnection } from "../source/mysql.ts";

/** `START TRANSACTION WITH CONSISTENT SNAPSHOT` means nothing at other isolation levels. */
const REPEATABLE_READ = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
const START_SNAPSHOT = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

/** Ends a snapshot transaction. */
async function endConsistentRead(connection: SourceConnection): Promise<void> {
  await connection.query("COMMIT");
}

/**
 * The consistent reads of a parallel load, one reader per connection. Rows a reader reads between
 * {@link begin} and {@link end} all come from one instant, whose binlog position `begin` returns.
 */
export interface ChunkReads {
  /** Whether every chunk gets its own read (MariaDB) or all share one (MySQL). */
  readonly perChunk: boolean;
  /** Starts reading a chunk on reader `reader`; the position its rows are as of. */
  begin(reader: number): Promise<BinlogPosition>;
  /** The chunk's rows are read. */
  end(reader: number): Promise<void>;
  /**
   * The GTID state of everything before `position`, one of the reads' positions; null when not
   * known (MySQL without GTIDs, or a position from before this load).
   */
  gtidStateAt(position: BinlogPosition): Promise<GtidState | null>;
  /** Ends whatever is still open. */
  close(): Promise<void>;
}

/**
 * The reads for `connections`, chosen by the server:
 * - MariaDB: each chunk in its own `START TRANSACTION WITH CONSISTENT SNAPSHOT`, whose position
 *   the server reports. Several connections opening one each do not share an instant; they need
 *   not: rows of every chunk are as of its own position, and `run` replaying the binlog from the
 *   oldest of them ends in the source's rows (applying is idempotent). Short transactions also
 *   keep the source from holding old row versions for the whole load.
 * - MySQL: a global read lock while every connection opens its snapshot and the binlog status is
 *   read, so all of them see the same instant; each reader keeps its transaction to the end.
 */
export async function openChunkReads(
  connections: readonly SourceConnection[],
): Promise<ChunkReads> {
  for (const connection of connections) await connection.query(REPEATABLE_READ);
  if (await isMariaDb(connections[0])) {
    const open = new Set<number>();
    return {
      perChunk: true,
      async begin(reader) {
        open.add(reader);
        return await startMariaDbRead(connections[reader]);
      },
      async end(reader) {
        open.delete(reader);
        await endConsistentRead(connections[reader]);
      },
      // MariaDB tells the GTID state at any binlog position.
      gtidStateAt: (position) => gtidStateAt(connections[0], position, "mariadb"),
      async close() {
        for (const reader of open) await endConsistentRead(connections[reader]).catch(() => {});
        open.clear();
      },
    };
  }
  const { position, gtids } = await startLockedReads(connections);
  return {
    perChunk: false,
    begin: () => Promise.resolve(position),
    end: () => Promise.resolve(),
    gtidStateAt: (at) =>
      Promise.resolve(at.file === position.file && at.pos === position.pos ? gtids : null),
    async close() {
      for (const connection of connections) {
        await endConsistentRead(connection).catch(() => {});
      }
    },
  };
}

async function startMariaDbRead(connection: SourceConnection): Promise<BinlogPosition> {
  await connection.query(START_SNAPSHOT);
  const [rows] = await connection.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const status = new Map(
    (rows as { Variable_name: string; Value: string }[]).map((r) => [
      r.Variable_name.toLowerCase(),
      r.Value,
    ]),
  );
  const file = status.get("binlog_snapshot_file") ?? "";
  const pos = Number(status.get("binlog_snapshot_position"));
  if (file === "" || !(pos >= 4)) throw binlogOff();
  return { file, pos };
}

/**
 * MySQL: under `FLUSH TABLES WITH READ LOCK` no transaction commits, so snapshots opened on every
 * connection meanwhile show the same instant, the one `SHOW MASTER STATUS` (`SHOW BINARY LOG
 * STATUS` on 8.4) names, whose GTID state is `gtid_executed` (null with gtid_mode off). The lock
 * is released whatever happens.
 */
async function startLockedReads(
  connections: readonly SourceConnection[],
): Promise<{ position: BinlogPosition; gtids: GtidState | null }> {
  const locker = connections[0];
  await locker.query("FLUSH TABLES WITH READ LOCK");
  try {
    for (const connection of connections) await connection.query(START_SNAPSHOT);
    const head = await sourceHead(locker);
    if (head === null) throw binlogOff();
    return { position: head, gtids: await executedGtids(locker) };
  } finally {
    await locker.query("UNLOCK TABLES");
  }
}

function binlogOff(): UserError {
  return new UserError(
    "the source has no binary log (log_bin is OFF): the sync needs it; enable log_bin with binlog_format=ROW",
    1,
  );
}
