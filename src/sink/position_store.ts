/**
 * The applied position kept in the target, in a table beside the data, written in the same
 * transaction as the rows up to it: the binlog file and offset on the server they were read from,
 * the GTID of the last transaction, and the GTID state of everything applied.
 *
 * @module
 */
import { qualified, quoteLiteral } from "../convert/ident.ts";
import type { GtidState } from "../offsets/gtid.ts";
import type { GtidTrail } from "../offsets/gtid_trail.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { type Queryable, tableExists } from "./postgres.ts";

/** Name of the table that holds each sync's applied position, beside the data it describes. */
export const POSITION_TABLE = "mysql_gp_sync_position";

/** Columns added since the table was first created: added to an existing table by `ensure`. */
const ADDED_COLUMNS = ["gtid_state", "source_server"] as const;

/** A position as stored in PostgreSQL, written in the same transaction as the rows up to it. */
export interface StoredPosition extends BinlogPosition {
  /** GTID of the last transaction applied. */
  gtid: string | null;
  /** GTID state of everything applied (the server's text form); null when not known. */
  gtidState: string | null;
  /** `host:port` of the server `file` and `pos` belong to; null when not recorded. */
  server: string | null;
  updatedAt: Date;
}

/**
 * The applied position kept in PostgreSQL. Because it commits atomically with the batch it
 * describes, a crash can never leave rows applied beyond (or short of) the saved position.
 *
 * The sync advances the GTID state itself, batch by batch (`write`): it starts from the state
 * given to `continueFrom` and adds the GTIDs of each batch, so that no transaction needs more than
 * a note of its GTID while it is read.
 */
export class PositionStore {
  readonly table: string;
  #applied: GtidState | null = null;
  #server: string | null = null;

  constructor(private readonly schema: string, readonly syncId: string) {
    this.table = qualified(schema, POSITION_TABLE);
  }

  /** The GTID state of what is applied, as of the last write; null when not known. */
  get applied(): GtidState | null {
    return this.#applied;
  }

  /** Creates the table if needed, and the columns an older version of it lacks. */
  async ensure(sql: Queryable): Promise<void> {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sync_id text PRIMARY KEY,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         gtid text,
         gtid_state text,
         source_server text,
         updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    // Greenplum 6 (PostgreSQL 9.4) has no ADD COLUMN IF NOT EXISTS.
    const rows = await sql.unsafe<{ name: string }[]>(
      `SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = $2`,
      [this.schema, POSITION_TABLE],
    );
    const present = new Set(rows.map((row) => row.name));
    for (const column of ADDED_COLUMNS) {
      if (!present.has(column)) {
        await sql.unsafe(`ALTER TABLE ${this.table} ADD COLUMN ${column} text`);
      }
    }
  }

  /** The stored position, or null if this sync has none (or the table does not exist yet). */
  async read(sql: Queryable): Promise<StoredPosition | null> {
    if (!await tableExists(sql, this.table)) return null;
    // Every column, so that a table from before the GTID columns reads too.
    const rows = await sql.unsafe<Record<string, unknown>[]>(
      `SELECT * FROM ${this.table} WHERE sync_id = $1`,
      [this.syncId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    const text = (value: unknown) => (typeof value === "string" ? value : null);
    return {
      file: String(row.bin_name),
      pos: Number(row.bin_pos),
      gtid: text(row.gtid),
      gtidState: text(row.gtid_state),
      server: text(row.source_server),
      updatedAt: row.updated_at as Date,
    };
  }

  /**
   * The GTID state the next `write` advances (what is applied now; null: not known) and the server
   * the positions written come from.
   */
  continueFrom(applied: GtidState | null, server: string): void {
    this.#applied = applied;
    this.#server = server;
  }

  /**
   * Writes the position after a batch whose transactions' GTIDs are `gtids`, with the GTID state
   * advanced by them; call inside the transaction that applies the rows up to it. Writing the
   * same batch again (a retried apply) gives the same state.
   */
  async write(sql: Queryable, position: BinlogPosition, gtids: GtidTrail): Promise<void> {
    this.#applied = this.#applied?.after(gtids) ?? null;
    await this.#send(sql, position, gtids.last, this.#applied, this.#server);
  }

  /** Sets the position and the GTID state of what it stands for (`pos set`, `snapshot`). */
  async set(
    sql: Queryable,
    position: BinlogPosition,
    applied: GtidState | null,
    server: string | null,
  ): Promise<void> {
    await this.#send(sql, position, null, applied, server);
  }

  /**
   * One message holds both statements (an upsert without ON CONFLICT, which Greenplum 6 lacks): a
   * caller that does not wait for the answer can rely on nothing of it arriving after what it
   * sends next, such as a ROLLBACK.
   */
  async #send(
    sql: Queryable,
    position: BinlogPosition,
    gtid: string | null,
    applied: GtidState | null,
    server: string | null,
  ): Promise<void> {
    const id = quoteLiteral(this.syncId);
    const values = [
      quoteLiteral(position.file),
      String(Math.trunc(position.pos)),
      quoteLiteral(gtid),
      quoteLiteral(applied === null ? null : applied.toString()),
      quoteLiteral(server),
    ];
    const columns = ["bin_name", "bin_pos", "gtid", "gtid_state", "source_server"];
    const assignments = columns.map((column, i) => `${column} = ${values[i]}`).join(", ");
    await sql.unsafe(
      `UPDATE ${this.table} SET ${assignments}, updated_at = now() WHERE sync_id = ${id}; ` +
        `INSERT INTO ${this.table} (sync_id, ${columns.join(", ")}) ` +
        `SELECT ${id}, ${values.join(", ")} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE sync_id = ${id})`,
    );
  }
}
