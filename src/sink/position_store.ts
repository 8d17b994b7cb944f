/**
 * The applied position kept in the target, in a table beside the data, written in the same
 * transaction as the rows up to it.
 *
 * @module
 */
import { qualified, quoteLiteral } from "../convert/ident.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { Queryable } from "./postgres.ts";

/** Name of the table that holds each sync's applied position, beside the data it describes. */
export const POSITION_TABLE = "mysql_gp_sync_position";

/** A position as stored in PostgreSQL, written in the same transaction as the rows up to it. */
export interface StoredPosition extends BinlogPosition {
  gtid: string | null;
  updatedAt: Date;
}

/**
 * The applied position kept in PostgreSQL. Because it commits atomically with the batch it
 * describes, a crash can never leave rows applied beyond (or short of) the saved position.
 */
export class PositionStore {
  readonly table: string;

  constructor(schema: string, readonly syncId: string) {
    this.table = qualified(schema, POSITION_TABLE);
  }

  /** Creates the table if needed. */
  async ensure(sql: Queryable): Promise<void> {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sync_id text PRIMARY KEY,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         gtid text,
         updated_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  /** The stored position, or null if this sync has none (or the table does not exist yet). */
  async read(sql: Queryable): Promise<StoredPosition | null> {
    const exists = await sql<
      { found: boolean }[]
    >`SELECT to_regclass(${this.table}) IS NOT NULL AS found`;
    if (!exists[0].found) return null;
    const rows = await sql.unsafe<
      { bin_name: string; bin_pos: string; gtid: string | null; updated_at: Date }[]
    >(
      `SELECT bin_name, bin_pos::text AS bin_pos, gtid, updated_at FROM ${this.table} WHERE sync_id = $1`,
      [this.syncId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return {
      file: row.bin_name,
      pos: Number(row.bin_pos),
      gtid: row.gtid,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Writes the position; call inside the transaction that applies the rows up to it. One message
   * holds both statements (an upsert without ON CONFLICT, which Greenplum 6 lacks): a caller that
   * does not wait for the answer can rely on nothing of it arriving after what it sends next,
   * such as a ROLLBACK.
   */
  async write(sql: Queryable, position: BinlogPosition, gtid: string | null = null): Promise<void> {
    const id = quoteLiteral(this.syncId);
    const file = quoteLiteral(position.file);
    const pos = String(Math.trunc(position.pos));
    const gtidText = quoteLiteral(gtid);
    await sql.unsafe(
      `UPDATE ${this.table} SET bin_name = ${file}, bin_pos = ${pos}, gtid = ${gtidText}, ` +
        `updated_at = now() WHERE sync_id = ${id}; ` +
        `INSERT INTO ${this.table} (sync_id, bin_name, bin_pos, gtid) ` +
        `SELECT ${id}, ${file}, ${pos}, ${gtidText} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE sync_id = ${id})`,
    );
  }
}
