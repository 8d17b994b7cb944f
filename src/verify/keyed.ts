/**
 * Verify of a table whose rows have a key: compared chunk by chunk in the source's key order, the
 * differing keys compared again once the sync has applied what was in flight, then (still
 * differing) once more with their source rows locked, and with `repair` rewritten.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { sourceHead } from "../source/binlog_status.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { type KeyValue, type SourceRow, SourceRows } from "../tables/source_rows.ts";
import { Comparer, type KeyDiff, REPAIR_LOCK_SECONDS } from "./comparer.ts";
import type { VerifySession } from "./session.ts";
import type { TableReport } from "./verify.ts";

/**
 * A differing key is compared again up to this many times, each time after the sync has applied
 * everything up to the moment its source row was read. What still differs then is compared once
 * more with its source rows locked (see {@link TableVerifier}).
 */
const PLAIN_ROUNDS = 3;

/**
 * The longest the locked comparison waits for the sync: writers of those rows wait as long. Also
 * how long it waits for its locks (`innodb_lock_wait_timeout`, seconds).
 */
const LOCKED_WAIT_MS = 5_000;

/** PostgreSQL's lock_not_available, raised when the repair's table lock times out. */
const LOCK_TIMEOUT = "55P03";

/** MySQL errors of a lock not granted: lock wait timeout, deadlock. */
const LOCK_NOT_GRANTED = new Set([1205, 1213]);

/**
 * Compares one table in chunks of the source's key order. A chunk whose rows all compare equal
 * costs one COPY and one query. The keys of chunks that differ are collected and compared again
 * (up to a chunk's worth at a time) after the sync has caught up with the moment they were read,
 * so changes still in flight are not reported; collecting them makes one wait for the sync serve
 * many chunks.
 */
export class TableVerifier {
  readonly #reader: SourceRows;
  readonly #comparer: Comparer;
  /** Differing keys waiting to be compared again. */
  #pending: KeyDiff[] = [];

  constructor(
    private readonly codec: RowCodec,
    private readonly session: VerifySession,
    private readonly report: TableReport,
    /** The target is shared, untagged, with other source tables (see `Comparer`). */
    private readonly shared = false,
  ) {
    this.#reader = new SourceRows(session.source, codec);
    this.#comparer = new Comparer(session.sql, codec, session.dialect, shared);
  }

  async run(): Promise<void> {
    const { chunkRows } = this.session.options;
    await this.#comparer.prepare();
    if (!this.#comparer.keyIndexed) {
      const key = this.codec.keyIndexes.map((i) => this.codec.targetColumns[i].name);
      const note = `PostgreSQL table ${this.report.target} has no index on its key (${
        key.join(", ")
      }): verify reads the whole table for every chunk; the sync's deletes need one too`;
      this.session.notes.push(note);
      this.session.log.warn(note);
    }
    let lo: (string | null)[] | null = null;
    let next = this.#read(null);
    while (true) {
      const rows = await next;
      const last = rows[rows.length - 1];
      const full = rows.length >= chunkRows;
      // Read the next page from MySQL while PostgreSQL compares this one
      if (full) next = this.#read(this.#reader.keyOf(last));
      const hi = full ? this.#encodedKey(last) : null;
      const differing = await this.#comparer.checkChunk(this.codec.copyLines(rows), lo, hi);
      this.report.rows += rows.length;
      this.report.chunks++;
      // A re-check waits for the sync: the page read ahead meanwhile is stale, read it again
      if (differing > 0 && await this.#collect() && full) {
        next = this.#read(this.#reader.keyOf(last));
      }
      if (!full) break;
      lo = hi;
    }
    await this.#flush();
    // A shared target's rows in no source table are found once, after all of them
    if (!this.shared && await this.#comparer.findUnseen() > 0) {
      await this.#collect();
      await this.#flush();
    }
  }

  async close(): Promise<void> {
    await this.#comparer.close();
  }

  #read(after: KeyValue[] | null): Promise<SourceRow[]> {
    const rows = this.#reader.page(after, this.session.options.chunkRows);
    rows.catch(() => {}); // awaited in the next turn, which reports a failure
    return rows;
  }

  /** The key of `row` as encoded for PostgreSQL (the chunk bound in the target). */
  #encodedKey(row: SourceRow): (string | null)[] {
    const fields = this.codec.encode(row);
    return this.codec.keyIndexes.map((i) => fields[i]);
  }

  /** Takes the differences the comparer recorded; true if that started a re-check. */
  async #collect(): Promise<boolean> {
    const { chunkRows } = this.session.options;
    let flushed = false;
    let after = 0;
    while (true) {
      const { diffs, last } = await this.#comparer.diffPage(after, chunkRows);
      if (diffs.length === 0) return flushed;
      after = last;
      this.#pending.push(...diffs);
      if (this.#pending.length >= chunkRows) {
        await this.#flush();
        flushed = true;
      }
    }
  }

  /** Re-checks, reports and (with repair) rewrites the collected keys, a chunk's worth at a time. */
  async #flush(): Promise<void> {
    const { chunkRows, repair } = this.session.options;
    while (this.#pending.length > 0) {
      const diffs = this.#pending.splice(0, chunkRows);
      const confirmed = await this.#recheck(diffs);
      this.report.inFlight += Math.max(0, diffs.length - confirmed.length);
      this.#record(confirmed);
      if (repair && confirmed.length > 0) await this.#repair(confirmed);
    }
  }

  async #recheck(diffs: KeyDiff[]): Promise<KeyDiff[]> {
    let current = diffs;
    for (let round = 1; round <= PLAIN_ROUNDS; round++) {
      const rows = await this.#reader.byKeys(current.map((d) => d.mysqlKey));
      const position = await sourceHead(this.session.source);
      const caughtUp = position !== null && await this.session.waiter.reach(position);
      current = await this.#comparer.compareKeys(current, this.codec.copyLines(rows));
      // Without a sync that caught up, another round would only see the same target again
      if (current.length === 0 || !caughtUp) return current;
    }
    return await this.#lockedRecheck(current);
  }

  /**
   * Rows the source changes faster than the sync applies them never compare equal by waiting.
   * Held with shared locks, they cannot change (nor can an absent key be inserted) while the sync
   * applies everything up to the position read after locking them, so the comparison is exact. The
   * locks cost writers of these few rows a wait of at most {@link LOCKED_WAIT_MS}, as
   * pt-table-checksum's locking reads do.
   */
  async #lockedRecheck(diffs: KeyDiff[]): Promise<KeyDiff[]> {
    const { source, waiter } = this.session;
    await source.query(`SET SESSION innodb_lock_wait_timeout = ${LOCKED_WAIT_MS / 1000}`);
    await source.query("START TRANSACTION");
    try {
      const rows = await this.#reader.byKeys(diffs.map((d) => d.mysqlKey), { lock: true });
      const position = await sourceHead(source);
      if (position !== null) await waiter.reach(position, LOCKED_WAIT_MS);
      return await this.#comparer.compareKeys(diffs, this.codec.copyLines(rows));
    } catch (err) {
      // Writers hold them: report what the last unlocked comparison found
      if (LOCK_NOT_GRANTED.has((err as { errno?: number }).errno ?? 0)) return diffs;
      throw err;
    } finally {
      await source.query("ROLLBACK");
    }
  }

  async #repair(diffs: KeyDiff[]): Promise<void> {
    const done = await this.#comparer.repair(diffs, async () => {
      const rows = await this.#reader.byKeys(diffs.map((d) => d.mysqlKey));
      return this.codec.copyLines(rows);
    }).catch((err) => {
      if ((err as { code?: string }).code !== LOCK_TIMEOUT) throw err;
      throw new UserError(
        `could not lock ${this.report.target} for the repair within ${REPAIR_LOCK_SECONDS} s ` +
          `(is the sync applying a large transaction?); run verify --repair again`,
        1,
      );
    });
    const repaired = this.report.repaired ??= { deleted: 0, inserted: 0 };
    repaired.deleted += done.deleted;
    repaired.inserted += done.inserted;
  }

  #record(diffs: KeyDiff[]): void {
    const names = this.codec.keyIndexes.map((i) => this.codec.targetColumns[i].name);
    for (const diff of diffs) {
      this.report[diff.kind]++;
      if (this.report.differences.length < this.session.options.listLimit) {
        this.report.differences.push({
          kind: diff.kind,
          key: Object.fromEntries(names.map((name, i) => [name, diff.key[i]])),
        });
      }
    }
  }
}
