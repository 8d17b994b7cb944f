/**
 * A read of the source that sees one instant of every table, and the binlog position of that
 * instant: the sync continues from there without missing or repeating a change.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { sourceHead } from "../source/binlog_status.ts";
import { isMariaDb, type SourceConnection } from "../source/mysql.ts";

/**
 * Opens a consistent-snapshot transaction on `connection` (every later read in it sees the same
 * instant) and returns the binlog position of that instant. End it with {@link endConsistentRead}.
 *
 * - MariaDB reports the position that matches the snapshot (`binlog_snapshot_file/position`), so
 *   no lock is needed and writers never wait.
 * - MySQL has no such status: a global read lock is held just long enough to open the snapshot and
 *   read `SHOW MASTER STATUS`, so that no commit falls between the two (a few milliseconds, but it
 *   waits for running statements to finish and needs the RELOAD privilege).
 */
export async function startConsistentRead(connection: SourceConnection): Promise<BinlogPosition> {
  // WITH CONSISTENT SNAPSHOT means nothing at other isolation levels
  await connection.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  if (await isMariaDb(connection)) {
    await connection.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
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
  await connection.query("FLUSH TABLES WITH READ LOCK");
  try {
    await connection.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    const head = await sourceHead(connection);
    if (head === null) throw binlogOff();
    return head;
  } finally {
    await connection.query("UNLOCK TABLES");
  }
}

/** Ends the snapshot transaction. */
export async function endConsistentRead(connection: SourceConnection): Promise<void> {
  await connection.query("COMMIT");
}

function binlogOff(): UserError {
  return new UserError(
    "the source has no binary log (log_bin is OFF): the sync needs it; enable log_bin with binlog_format=ROW",
    1,
  );
}
