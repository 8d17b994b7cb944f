/**
 * Where a keyless table's rows were loaded as of, kept beside the position: `snapshot` loads such
 * a table in one consistent read, which may be later than the position `run` starts from (the
 * oldest of all chunks' reads). Replaying a keyed change is harmless, a whole-row change would
 * count twice; so `run` skips a table's changes up to its position here.
 *
 * @module
 */
import { qualified } from "../convert/ident.ts";
import { type BinlogPosition, comparePositions } from "../offsets/position.ts";
import { type Queryable, tableExists } from "./postgres.ts";

/** Name of the table of load positions, in `position_schema` beside the position table. */
export const ROWS_AS_OF_TABLE = "mysql_gp_sync_rows_as_of";

/** The positions keyless tables were loaded as of, for one sync. */
export class RowsAsOf {
  readonly table: string;

  constructor(schema: string, readonly syncId: string) {
    this.table = qualified(schema, ROWS_AS_OF_TABLE);
  }

  /** Creates the table if needed. */
  async ensure(sql: Queryable): Promise<void> {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sync_id text NOT NULL,
         source text NOT NULL,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         loaded_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sync_id, source))`,
    );
  }

  /** The load position of each source table (`schema.table`) that has one; none without a table. */
  async read(sql: Queryable): Promise<Map<string, BinlogPosition>> {
    const found = new Map<string, BinlogPosition>();
    if (!await tableExists(sql, this.table)) return found;
    const rows = await sql.unsafe<{ source: string; bin_name: string; bin_pos: string }[]>(
      `SELECT source, bin_name, bin_pos::text AS bin_pos FROM ${this.table} WHERE sync_id = $1`,
      [this.syncId],
    );
    for (const row of rows) found.set(row.source, { file: row.bin_name, pos: Number(row.bin_pos) });
    return found;
  }

  /**
   * The load positions still ahead of `applied` (the position the sync starts from), forgetting
   * those at or behind it: the sync has passed them, nothing before them will be read again.
   */
  async ahead(
    sql: Queryable,
    applied: BinlogPosition | null,
  ): Promise<Map<string, BinlogPosition>> {
    const found = await this.read(sql);
    for (const [source, position] of found) {
      if (applied === null || comparePositions(position, applied) > 0) continue;
      await this.set(sql, source, null);
      found.delete(source);
    }
    return found;
  }

  /**
   * Records that `source`'s rows are as of `position` (call in the transaction that stores the
   * position `run` starts from), or forgets it when null.
   */
  async set(tx: Queryable, source: string, position: BinlogPosition | null): Promise<void> {
    await tx.unsafe(`DELETE FROM ${this.table} WHERE sync_id = $1 AND source = $2`, [
      this.syncId,
      source,
    ]);
    if (position === null) return;
    await tx.unsafe(
      `INSERT INTO ${this.table} (sync_id, source, bin_name, bin_pos) VALUES ($1, $2, $3, $4)`,
      [this.syncId, source, position.file, position.pos],
    );
  }

  /** Forgets every table's load position: the target is as of one position again (`pos set`). */
  async clear(sql: Queryable): Promise<void> {
    if (await tableExists(sql, this.table)) {
      await sql.unsafe(`DELETE FROM ${this.table} WHERE sync_id = $1`, [this.syncId]);
    }
  }
}
