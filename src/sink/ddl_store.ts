/**
 * What the sync keeps in PostgreSQL about DDL, beside the position: the last DDL applied to each
 * followed table (for `status`), written in the transaction of the statement's position; and the
 * statements a user marked handled (`ddl skip`), which the sync then passes without replaying.
 *
 * @module
 */
import { qualified, quoteLiteral } from "../convert/ident.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { type Queryable, tableExists } from "./postgres.ts";

/** The last DDL applied to each followed table. */
export const DDL_APPLIED_TABLE = "mysql_gp_sync_ddl";
/** Statements marked handled by `ddl skip`. */
export const DDL_SKIP_TABLE = "mysql_gp_sync_ddl_skip";

/** Statement texts are kept up to this many characters. */
const STATEMENT_CHARS = 2000;

/** A DDL applied to a followed table. */
export interface AppliedDdl {
  /** `schema.table` of the source table, as named after the statement. */
  table: string;
  /** Where reading resumed after the statement. */
  position: BinlogPosition;
  statement: string;
  /** What was done on the target, for people. */
  outcome: string;
  appliedAt: Date;
}

/** The DDL tables of one sync. */
export class DdlStore {
  readonly applied: string;
  readonly skips: string;

  constructor(schema: string, readonly syncId: string) {
    this.applied = qualified(schema, DDL_APPLIED_TABLE);
    this.skips = qualified(schema, DDL_SKIP_TABLE);
  }

  /** Creates the tables if needed (transactional, so it may go with a replay). */
  ensureStatements(): string[] {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.applied} (
         sync_id text NOT NULL,
         source_table text NOT NULL,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         statement text NOT NULL,
         outcome text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sync_id, source_table))`,
      `CREATE TABLE IF NOT EXISTS ${this.skips} (
         sync_id text NOT NULL,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         marked_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sync_id, bin_name, bin_pos))`,
    ];
  }

  /** Records `ddl` as the last applied to its table: send it in the transaction of its position. */
  recordStatement(ddl: Omit<AppliedDdl, "appliedAt">): string {
    const id = quoteLiteral(this.syncId);
    const table = quoteLiteral(ddl.table);
    const values = `${quoteLiteral(ddl.position.file)}, ${Math.trunc(ddl.position.pos)}, ` +
      `${quoteLiteral(ddl.statement.slice(0, STATEMENT_CHARS))}, ${quoteLiteral(ddl.outcome)}`;
    return `DELETE FROM ${this.applied} WHERE sync_id = ${id} AND source_table = ${table}; ` +
      `INSERT INTO ${this.applied} (sync_id, source_table, bin_name, bin_pos, statement, ` +
      `outcome) VALUES (${id}, ${table}, ${values})`;
  }

  /** The last DDL applied to each table, by table name; empty before any. */
  async lastApplied(sql: Queryable): Promise<AppliedDdl[]> {
    if (!await tableExists(sql, this.applied)) return [];
    const rows = await sql.unsafe<
      {
        source_table: string;
        bin_name: string;
        bin_pos: string;
        statement: string;
        outcome: string;
        applied_at: Date;
      }[]
    >(
      `SELECT source_table, bin_name, bin_pos::text AS bin_pos, statement, outcome, applied_at
         FROM ${this.applied} WHERE sync_id = $1 ORDER BY source_table`,
      [this.syncId],
    );
    return rows.map((row) => ({
      table: row.source_table,
      position: { file: row.bin_name, pos: Number(row.bin_pos) },
      statement: row.statement,
      outcome: row.outcome,
      appliedAt: row.applied_at,
    }));
  }

  /** Marks the statement that ends at `position` handled (`ddl skip`). */
  async markSkipped(sql: Queryable, position: BinlogPosition): Promise<void> {
    for (const statement of this.ensureStatements()) await sql.unsafe(statement);
    await sql.unsafe(`${this.#forget(position)}; ${this.#insertSkip(position)}`);
  }

  /** Whether the statement ending at `position` was marked handled. */
  async skipped(sql: Queryable, position: BinlogPosition): Promise<boolean> {
    if (!await tableExists(sql, this.skips)) return false;
    const rows = await sql.unsafe(
      `SELECT 1 FROM ${this.skips} WHERE sync_id = $1 AND bin_name = $2 AND bin_pos = $3`,
      [this.syncId, position.file, position.pos],
    );
    return rows.length > 0;
  }

  /** Removes the mark of a statement passed: send it in the transaction of its position. */
  forgetStatement(position: BinlogPosition): string {
    return this.#forget(position);
  }

  #forget(position: BinlogPosition): string {
    return `DELETE FROM ${this.skips} WHERE sync_id = ${quoteLiteral(this.syncId)} AND ` +
      `bin_name = ${quoteLiteral(position.file)} AND bin_pos = ${Math.trunc(position.pos)}`;
  }

  #insertSkip(position: BinlogPosition): string {
    return `INSERT INTO ${this.skips} (sync_id, bin_name, bin_pos) VALUES ` +
      `(${quoteLiteral(this.syncId)}, ${quoteLiteral(position.file)}, ${Math.trunc(position.pos)})`;
  }
}
