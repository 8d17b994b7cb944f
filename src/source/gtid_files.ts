/**
 * Binlog files by GTID: the GTID state at the start of a file (MariaDB computes it; MySQL writes
 * it into the file's Previous_gtids event), and the newest file that starts within a GTID state,
 * where a position set by GTID is written down as a file and offset.
 *
 * @module
 */
import { type GtidFlavor, GtidState } from "../offsets/gtid.ts";
import { FIRST_EVENT_OFFSET } from "../offsets/position.ts";
import { binlogFiles } from "./binlog_status.ts";
import { gtidStateAt } from "./gtid_status.ts";
import type { SourceConnection } from "./mysql.ts";

/** The GTID state before the first event of `file`; null when the server does not say. */
export async function gtidStateAtFileStart(
  connection: SourceConnection,
  file: string,
  flavor: GtidFlavor,
): Promise<GtidState | null> {
  if (flavor === "mariadb") {
    return await gtidStateAt(connection, { file, pos: FIRST_EVENT_OFFSET }, flavor);
  }
  // The Previous_gtids event follows the format description at the start of every file.
  const [rows] = await connection.query(
    `SHOW BINLOG EVENTS IN ${connection.escape(file)} LIMIT 3`,
  );
  const event = (rows as { Event_type: string; Info: string }[])
    .find((row) => row.Event_type === "Previous_gtids");
  return event ? GtidState.parse(event.Info, "mysql") : null;
}

/**
 * The newest binlog file whose start holds nothing `state` lacks: reading it from its first event
 * reaches every transaction after `state`. Null when no file qualifies.
 */
export async function newestFileWithin(
  connection: SourceConnection,
  state: GtidState,
): Promise<string | null> {
  const files = await binlogFiles(connection);
  for (const file of files.reverse()) {
    const start = await gtidStateAtFileStart(connection, file.name, state.flavor);
    if (start !== null && state.purgedBeyond(start) === null) return file.name;
  }
  return null;
}
