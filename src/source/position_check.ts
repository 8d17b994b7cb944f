/**
 * Whether the source can serve a binlog position, and if not, why: purged, a file it never had,
 * an offset past the end of the file, or an offset inside an event. The answer decides what a DBA
 * must do, so each has its own message (only a purged file calls for loading the tables again).
 *
 * @module
 */
import {
  binlogBaseName,
  binlogIndex,
  type BinlogPosition,
  formatPosition,
} from "../offsets/position.ts";
import { binlogFiles } from "./binlog_status.ts";
import type { SourceConnection } from "./mysql.ts";

/** MySQL/MariaDB: "Error when executing command SHOW BINLOG EVENTS: Wrong offset or I/O error". */
const ER_ERROR_WHEN_EXECUTING_COMMAND = 1220;

/** What is wrong with a position on this source; null when reading can start there. */
export async function positionOnSourceProblem(
  connection: SourceConnection,
  position: BinlogPosition,
): Promise<string | null> {
  const files = await binlogFiles(connection);
  const at = formatPosition(position);
  const file = files.find((f) => f.name === position.file);
  if (!file) {
    if (files.length === 0) return `the source has no binary logs (is log_bin on?)`;
    const held = `it holds ${files[0].name} to ${files[files.length - 1].name}`;
    const purged = binlogBaseName(position.file) === binlogBaseName(files[0].name) &&
      binlogIndex(position.file) < binlogIndex(files[0].name);
    return purged
      ? `${position.file} was purged from the source (${held}); load the tables again ` +
        `(mysql-gp-sync snapshot, which also sets a current position), or set a position it has ` +
        `with "pos set" if the changes in between do not matter`
      : `the source never had a binlog file ${position.file} (${held}); set a position it has ` +
        `with "pos set"`;
  }
  if (position.pos > file.size) {
    return `${at} is past the end of ${file.name} (${file.size} bytes); set a position it has ` +
      `with "pos set"`;
  }
  if (position.pos === file.size) return null;
  try {
    await connection.query(
      `SHOW BINLOG EVENTS IN ${connection.escape(position.file)} FROM ${position.pos} LIMIT 1`,
    );
  } catch (err) {
    if ((err as { errno?: number }).errno !== ER_ERROR_WHEN_EXECUTING_COMMAND) throw err;
    return `${at} is not where an event starts (${
      (err as Error).message.replace(/^.*?: /, "")
    }); take a position from SHOW MASTER STATUS or SHOW BINLOG EVENTS and set it with "pos set"`;
  }
  return null;
}
