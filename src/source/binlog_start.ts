/**
 * Where the replication stream starts, as zongji is asked for it: at a binlog file and offset
 * (COM_BINLOG_DUMP), or after a GTID state, which any member of the replication group can serve
 * (MySQL: COM_BINLOG_DUMP_GTID with the executed set; MariaDB: `@slave_connect_state`, then
 * COM_BINLOG_DUMP).
 *
 * @module
 */
import type { ZongJiOptions } from "@vlasky/zongji";
import type { GtidState } from "../offsets/gtid.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";

/** Where reading starts, and the GTID state of everything before that. */
export interface ReadStart {
  /** The file and offset to start at; when starting by GTID, the last known one (for messages). */
  position: BinlogPosition;
  /** The GTID state of everything before the start; null when not known. */
  applied: GtidState | null;
  /** Start after everything `applied` holds, wherever the server keeps it (not at `position`). */
  byGtid: boolean;
}

/** The options of `ZongJi.start` that say where the stream starts. */
export function startOptions(
  start: ReadStart,
): Pick<ZongJiOptions, "filename" | "position" | "gtidSet"> {
  if (start.byGtid && start.applied) return { gtidSet: start.applied.toString() };
  return { filename: start.position.file, position: start.position.pos };
}

/** `mysql-bin.000003:1234`, or `the transaction after GTID 0-1-5`: where reading starts. */
export function describeStart(start: ReadStart): string {
  if (!start.byGtid || !start.applied) return formatPosition(start.position);
  return start.applied.isEmpty
    ? "the oldest binlog (by GTID, nothing applied yet)"
    : `the transaction after GTID ${start.applied}`;
}
