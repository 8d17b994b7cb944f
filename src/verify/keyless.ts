/**
 * Verify of a keyless table (rows identified by their whole value): no key orders its rows into
 * chunks, so the whole table is compared at once, as a multiset: every distinct row must have as
 * many copies in the target as in the source (duplicates counted).
 *
 * A first comparison reads the source plainly, waits for the sync to apply what the source had
 * written by then, and compares. Rows that differ may be changes still in flight, so the table is
 * compared again, up to {@link PLAIN_ROUNDS} times; what still differs is compared once more with
 * the source's rows locked (a locking read of the whole table: its writers wait meanwhile, at most
 * about {@link LOCKED_WAIT_MS} for the sync plus the read), which is exact. A repair happens only
 * there, and only once the sync has applied everything up to the locked read: a keyless table's
 * changes are not idempotent, so a repair ahead of the sync would be counted twice once it caught
 * up.
 *
 * @module
 */
import { copyIn } from "../sink/copy_in.ts";
import { quoteIdent } from "../convert/ident.ts";
import { sourceHead } from "../source/binlog_status.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { SourceRows } from "../tables/source_rows.ts";
import { targetSlice, whereOf } from "../tables/target_slice.ts";
import { REPAIR_LOCK_SECONDS } from "./comparer.ts";
import { KEYLESS_WORK_TABLES, KeylessStatements } from "./keyless_statements.ts";
import type { VerifySession } from "./session.ts";
import type { TableReport } from "./verify.ts";

/** Whole-table comparisons without locks before the locked one (each reads the whole table). */
const PLAIN_ROUNDS = 2;

/** The longest the locked comparison waits for the sync (its locks hold the table's writers). */
const LOCKED_WAIT_MS = 5_000;

/** MySQL errors of a lock not granted: lock wait timeout, deadlock. */
const LOCK_NOT_GRANTED = new Set([1205, 1213]);

/** A distinct row whose copies differ. */
interface CountedDiff {
  rowText: string;
  source: number;
  target: number;
}

export class KeylessVerifier {
  readonly #reader: SourceRows;
  readonly #statements: KeylessStatements;
  /** Whether the sync had applied everything up to the last comparison's read. */
  #caughtUp = false;

  constructor(
    private readonly codec: RowCodec,
    private readonly session: VerifySession,
    private readonly report: TableReport,
  ) {
    this.#reader = new SourceRows(session.source, codec);
    const target = `${quoteIdent(codec.target.schema)}.${quoteIdent(codec.target.table)}`;
    const columns = codec.targetColumns.map((c) => quoteIdent(c.name));
    const { rows, live } = targetSlice(codec.route, codec);
    this.#statements = new KeylessStatements(target, columns, session.dialect, whereOf(rows, live));
  }

  async run(): Promise<void> {
    const { sql, dialect } = this.session;
    const layout = {
      target: this.#statements.target,
      columns: this.codec.targetColumns.map((c) => quoteIdent(c.name)),
      targetColumns: this.codec.target.columns.map((c) => quoteIdent(c.name)),
    };
    for (const statement of dialect.tempKeptTable(KEYLESS_WORK_TABLES.rows, layout, [])) {
      await sql.unsafe(statement);
    }
    for (const statement of this.#statements.createCounts) await sql.unsafe(statement);
    let first: number | null = null;
    let copies = 0;
    for (let round = 1; round <= PLAIN_ROUNDS; round++) {
      copies = await this.#compare(false);
      first ??= copies;
      if (copies === 0) {
        this.report.inFlight += first;
        return;
      }
    }
    const locked = await this.#lockedCompare();
    if (locked === null) {
      const note =
        `${this.report.target}: the locked comparison could not lock the source's rows ` +
        `within ${LOCKED_WAIT_MS / 1000} s (writers hold them); its differences may be changes ` +
        "in flight";
      this.session.notes.push(note);
      this.session.log.warn(note);
    }
    copies = locked ?? copies;
    this.report.inFlight += Math.max(0, (first ?? 0) - copies);
    await this.#record();
  }

  async close(): Promise<void> {
    for (const statement of this.#statements.dropTables) {
      await this.session.sql.unsafe(statement).catch(() => {});
    }
  }

  /**
   * Reads the source (with locks when `locked`, inside the caller's transaction), waits for the
   * sync to pass the source's position after the read, and stores the rows whose copies differ.
   * Returns how many copies differ.
   */
  async #compare(locked: boolean): Promise<number> {
    const { sql, options, waiter } = this.session;
    await sql.unsafe(this.#statements.clearRows);
    let rows = 0;
    // A COPY per page: a read that fails (a lock not granted) leaves no COPY open
    for await (const page of this.#reader.all(options.chunkRows, { lock: locked })) {
      await copyIn(sql, this.#statements.copyRows, this.codec.copyLines(page));
      rows += page.length;
    }
    this.report.rows = rows;
    this.report.chunks++;
    const position = await sourceHead(this.session.source);
    this.#caughtUp = position !== null &&
      await waiter.reach(position, locked ? LOCKED_WAIT_MS : undefined);
    await sql.unsafe(this.#statements.clearCounts);
    await sql.unsafe(this.#statements.compare());
    let copies = 0;
    for await (const diff of this.#diffs()) copies += Math.abs(diff.source - diff.target);
    return copies;
  }

  /**
   * The comparison with every source row locked, and the repair when asked for; null when the
   * locks were not granted in time (writers hold them).
   */
  async #lockedCompare(): Promise<number | null> {
    const { source, options, log, notes } = this.session;
    await source.query(`SET SESSION innodb_lock_wait_timeout = ${LOCKED_WAIT_MS / 1000}`);
    await source.query("START TRANSACTION");
    try {
      const copies = await this.#compare(true);
      if (options.repair && copies > 0) {
        if (this.#caughtUp) await this.#repair();
        else {
          const note = `${this.report.target} was not repaired: the sync has not applied ` +
            `everything the source had written (is it running?), and a keyless table's changes ` +
            `would then be applied twice; run verify --repair again once it has caught up`;
          notes.push(note);
          log.warn(note);
        }
      }
      return copies;
    } catch (err) {
      if (LOCK_NOT_GRANTED.has((err as { errno?: number }).errno ?? 0)) return null;
      throw err;
    } finally {
      await source.query("ROLLBACK");
    }
  }

  /** Makes the target's copies of every stored row those of the source, in one transaction. */
  async #repair(): Promise<void> {
    const target = this.#statements.target;
    const done = await this.session.sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${REPAIR_LOCK_SECONDS}s'`);
      await tx.unsafe(`LOCK TABLE ${target} IN SHARE ROW EXCLUSIVE MODE`);
      const deleted = await tx.unsafe(this.#statements.repairDelete());
      const inserted = await tx.unsafe(this.#statements.repairInsert());
      return { deleted: deleted.count, inserted: inserted.count };
    });
    const repaired = this.report.repaired ??= { deleted: 0, inserted: 0 };
    repaired.deleted += done.deleted;
    repaired.inserted += done.inserted;
  }

  /** Counts the stored rows into the report: copies missing and extra, the first ones listed. */
  async #record(): Promise<void> {
    const { listLimit } = this.session.options;
    for await (const diff of this.#diffs()) {
      const kind = diff.source > diff.target ? "missing" : "extra";
      const copies = Math.abs(diff.source - diff.target);
      this.report[kind] += copies;
      if (this.report.differences.length < listLimit) {
        this.report.differences.push({
          kind,
          key: { row: diff.rowText, copies: `${diff.target} of ${diff.source}` },
        });
      }
    }
  }

  /** The stored rows, a page at a time. */
  async *#diffs(): AsyncGenerator<CountedDiff> {
    const { sql, options } = this.session;
    let after = "";
    while (true) {
      const page = await sql.unsafe<{ row_text: string; source: string; target: string }[]>(
        this.#statements.countsPage(options.chunkRows),
        [after],
      );
      for (const row of page) {
        yield { rowText: row.row_text, source: Number(row.source), target: Number(row.target) };
      }
      if (page.length < options.chunkRows) return;
      after = page[page.length - 1].row_text;
    }
  }
}
