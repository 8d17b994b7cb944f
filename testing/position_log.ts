/**
 * Every position a sync commits to PostgreSQL, in commit order, for the fault tests: a trigger on
 * `mysql_gp_sync_position` copies each written row into a log table in the same transaction. A
 * position that moves back means a batch was committed from behind an earlier one (two runs of
 * one sync taking turns, a replay after a lost commit answer), which is what makes rows flap; a
 * poll would miss one that is overtaken again within milliseconds, the log does not.
 *
 * Both runs of a sync update the same row, so the second waits for the first one's commit before
 * its trigger draws the next sequence number: the log's order is the commit order. The log also
 * names the PostgreSQL session (backend pid) of each commit: a sync commits through one session
 * at a time and a new session after a reconnect never hands back to the old one, so a session
 * that commits again after another one did means two runs were writing at once, even when no
 * position happened to move back.
 *
 * @module
 */
import type postgres from "postgres";
import { type BinlogPosition, comparePositions, formatPosition } from "../src/offsets/position.ts";
import { POSITION_TABLE } from "../src/sink/position_store.ts";

const LOG_TABLE = "mgs_test_position_log";
/** Problems of each kind listed at most; one is already a failure. */
const MAX_REPORTED = 5;

/** The committed positions of one sync. */
export class PositionLog {
  readonly #table: string;
  readonly #log: string;
  readonly #function: string;

  constructor(readonly syncId: string, readonly schema = "public") {
    this.#table = `${schema}.${POSITION_TABLE}`;
    this.#log = `${schema}.${LOG_TABLE}`;
    this.#function = `${schema}.${LOG_TABLE}_append`;
  }

  /** Starts logging; call once the sync has created its position table. */
  async install(pg: postgres.Sql): Promise<void> {
    await pg.unsafe(`
      CREATE TABLE ${this.#log} (
        seq bigserial PRIMARY KEY, sync_id text, bin_name text, bin_pos bigint,
        backend integer DEFAULT pg_backend_pid());
      CREATE FUNCTION ${this.#function}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ${this.#log} (sync_id, bin_name, bin_pos)
          VALUES (NEW.sync_id, NEW.bin_name, NEW.bin_pos);
        RETURN NEW;
      END $$;
      CREATE TRIGGER ${LOG_TABLE} AFTER INSERT OR UPDATE ON ${this.#table}
        FOR EACH ROW EXECUTE FUNCTION ${this.#function}();`);
  }

  /** The position committed now, or null when there is none or PostgreSQL does not answer. */
  async read(pg: postgres.Sql): Promise<BinlogPosition | null> {
    try {
      const rows = await pg.unsafe<{ bin_name: string; bin_pos: string }[]>(
        `SELECT bin_name, bin_pos::text AS bin_pos FROM ${this.#table} WHERE sync_id = $1`,
        [this.syncId],
      );
      return rows.length === 0 ? null : { file: rows[0].bin_name, pos: Number(rows[0].bin_pos) };
    } catch {
      return null;
    }
  }

  /**
   * What the logged commits show wrong: positions that moved back, and sessions that committed
   * again after another session had (two writers at once). Empty when neither happened.
   */
  async problems(pg: postgres.Sql): Promise<string[]> {
    const rows = await pg.unsafe<{ bin_name: string; bin_pos: string; backend: number }[]>(
      `SELECT bin_name, bin_pos::text AS bin_pos, backend FROM ${this.#log}
        WHERE sync_id = $1 ORDER BY seq`,
      [this.syncId],
    );
    const backwards: string[] = [];
    const interleaved: string[] = [];
    const replaced = new Set<number>();
    let previous: (BinlogPosition & { backend: number }) | null = null;
    for (const row of rows) {
      const current = { file: row.bin_name, pos: Number(row.bin_pos), backend: row.backend };
      const at = (p: BinlogPosition & { backend: number }) =>
        `${formatPosition(p)} (backend ${p.backend})`;
      if (previous && comparePositions(current, previous) < 0) {
        backwards.push(`${at(previous)} -> ${at(current)}`);
      }
      if (previous && previous.backend !== current.backend) replaced.add(previous.backend);
      if (replaced.has(current.backend) && previous?.backend !== current.backend) {
        interleaved.push(`${at(previous!)} then ${at(current)}`);
      }
      previous = current;
    }
    const problems: string[] = [];
    if (backwards.length > 0) {
      problems.push(
        `the committed position moved back ${backwards.length} times: ` +
          backwards.slice(0, MAX_REPORTED).join(", "),
      );
    }
    if (interleaved.length > 0) {
      problems.push(
        `two sessions took turns committing (two writers at once) ${interleaved.length} times: ` +
          interleaved.slice(0, MAX_REPORTED).join(", "),
      );
    }
    return problems;
  }
}
