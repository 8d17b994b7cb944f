/**
 * zongji's errors about a table map it could not complete from INFORMATION_SCHEMA, explained.
 *
 * Without column metadata in the binlog (binlog_row_metadata=MINIMAL, or MariaDB temporal columns
 * of the old format) a table's columns come from the schema history (`history_layout.ts`); only a
 * table the history holds no definition of (created LIKE a table nobody follows, say) still goes
 * to INFORMATION_SCHEMA as it is now. When that table has changed since the event was written, or
 * is gone, zongji emits an error, drops the table's entry and skips the table's row events while
 * it goes on streaming: the reader stops at the error instead (so nothing after it is applied),
 * and the user gets the fix.
 *
 * @module
 */
import { UserError } from "../../config/errors.ts";
import { type BinlogPosition, formatPosition } from "../../offsets/position.ts";

/** zongji's `updateColumnInfo` when the event has more columns than INFORMATION_SCHEMA. */
const CHANGED =
  /^Table (.+) schema changed between binlog event and metadata fetch: the event has (\d+) columns, fetched metadata has (\d+)/;
/** zongji's `_fetchTableInfo` when INFORMATION_SCHEMA has no columns for the table. */
const NO_COLUMNS = /^Insufficient permissions to access: (.+)$/;

const REMEDY = "set binlog_row_metadata=FULL on the source and reload the table with " +
  `"mysql-gp-sync snapshot"`;

/**
 * The error a DBA can act on for zongji's `err`, for an event of the transaction after `after`;
 * undefined when `err` is not one of these.
 */
export function explainMetadataError(err: unknown, after: BinlogPosition): UserError | undefined {
  const message = (err as { message?: unknown })?.message;
  if (typeof message !== "string") return undefined;
  const at = `the transaction after ${formatPosition(after)}`;
  const changed = CHANGED.exec(message);
  if (changed) {
    const [, table, then, now] = changed;
    return new UserError(
      `cannot decode the rows of ${table} in ${at}: the binlog lacks column metadata ` +
        `(binlog_row_metadata=MINIMAL) and the table changed after the event was written ` +
        `(${then} columns then, ${now} now), and the schema history holds no definition of it: ` +
        REMEDY,
      1,
    );
  }
  const gone = NO_COLUMNS.exec(message);
  if (gone) {
    return new UserError(
      `cannot decode the rows of ${gone[1]} in ${at}: INFORMATION_SCHEMA shows no columns of it ` +
        `(dropped or renamed since the event was written, or no SELECT privilege) and the binlog ` +
        `lacks column metadata (binlog_row_metadata=MINIMAL). Grant SELECT if it is missing; ` +
        `otherwise ${REMEDY}`,
      1,
    );
  }
  return undefined;
}
