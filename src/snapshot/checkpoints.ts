/**
 * The chunk checkpoints of an unfinished snapshot, kept in the target beside the position: one row
 * per loaded chunk, committed in the same transaction as the chunk's rows, so after a crash the
 * target holds exactly the rows of the chunks listed here.
 *
 * @module
 */
import { qualified } from "../convert/ident.ts";
import { type Queryable, tableExists } from "../sink/postgres.ts";
import type { DoneChunk } from "./chunks.ts";

/** Name of the table of chunk checkpoints, in `position_schema` beside the position table. */
export const CHECKPOINT_TABLE = "mysql_gp_sync_snapshot_chunk";

/** The checkpoints of one source table. */
export interface TableCheckpoints {
  /** The target the chunks were loaded into (`schema.table`). */
  target: string;
  chunks: DoneChunk[];
}

/** The chunk checkpoints of one sync's unfinished snapshot. */
export class Checkpoints {
  readonly table: string;

  constructor(schema: string, readonly syncId: string) {
    this.table = qualified(schema, CHECKPOINT_TABLE);
  }

  /** Creates the table if needed. */
  async ensure(sql: Queryable): Promise<void> {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sync_id text NOT NULL,
         source text NOT NULL,
         ordinal integer NOT NULL,
         target text NOT NULL,
         after_key text,
         through_key text,
         rows bigint NOT NULL,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         loaded_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sync_id, source, ordinal))`,
    );
  }

  /** This sync's checkpoints by source table (`schema.table`); none when the table is absent. */
  async read(sql: Queryable): Promise<Map<string, TableCheckpoints>> {
    const found = new Map<string, TableCheckpoints>();
    if (!await tableExists(sql, this.table)) return found;
    const rows = await sql.unsafe<{
      source: string;
      target: string;
      ordinal: number;
      after_key: string | null;
      through_key: string | null;
      rows: string;
      bin_name: string;
      bin_pos: string;
    }[]>(
      `SELECT source, target, ordinal, after_key, through_key, rows::text AS rows, bin_name,
              bin_pos::text AS bin_pos
         FROM ${this.table} WHERE sync_id = $1 ORDER BY source, ordinal`,
      [this.syncId],
    );
    for (const row of rows) {
      let table = found.get(row.source);
      if (!table) found.set(row.source, table = { target: row.target, chunks: [] });
      table.chunks.push({
        ordinal: row.ordinal,
        after: row.after_key,
        through: row.through_key,
        rows: Number(row.rows),
        position: { file: row.bin_name, pos: Number(row.bin_pos) },
      });
    }
    return found;
  }

  /**
   * Records a loaded chunk; call in the transaction that loads its rows. The statement goes out at
   * once; the promise is of its answer, which the caller may leave to arrive with COMMIT's.
   */
  add(tx: Queryable, source: string, target: string, chunk: DoneChunk): Promise<void> {
    return tx.unsafe(
      `INSERT INTO ${this.table}
         (sync_id, source, ordinal, target, after_key, through_key, rows, bin_name, bin_pos)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        this.syncId,
        source,
        chunk.ordinal,
        target,
        chunk.after,
        chunk.through,
        chunk.rows,
        chunk.position.file,
        chunk.position.pos,
      ],
    ).then(() => {});
  }

  /** Forgets the checkpoints of `sources`, or of every table when null. */
  async discard(sql: Queryable, sources: readonly string[] | null): Promise<void> {
    if (!await tableExists(sql, this.table)) return;
    if (sources === null) {
      await sql.unsafe(`DELETE FROM ${this.table} WHERE sync_id = $1`, [this.syncId]);
    } else if (sources.length > 0) {
      await sql.unsafe(`DELETE FROM ${this.table} WHERE sync_id = $1 AND source = ANY ($2)`, [
        this.syncId,
        sources as string[],
      ]);
    }
  }
}
