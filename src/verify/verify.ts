/**
 * `verify`: proves that every followed table in PostgreSQL holds what the source holds, and with
 * `repair` rewrites the rows that differ. Works while the sync runs (see {@link TableVerifier}).
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { followedRoutes, sourceName, targetName } from "../tables/followed.ts";
import { makeRowCodec, type RowCodec } from "../tables/row_codec.ts";
import { type KeyValue, type SourceRow, SourceRows } from "../tables/source_rows.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import type { Route } from "../tables/routes.ts";
import { sourceHead } from "../source/binlog_status.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { detectDialect, type TargetDialect } from "../sink/dialect.ts";
import { connectTarget, type Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { Comparer, type DiffKind, type KeyDiff, REPAIR_LOCK_SECONDS } from "./comparer.ts";
import { KeylessVerifier } from "./keyless.ts";
import { SyncWaiter } from "./sync_wait.ts";

export interface VerifyOptions {
  /** Only these `schema.table` (null: every followed table). */
  tables: string[] | null;
  /** Rewrite the rows that differ. */
  repair: boolean;
  /** Source rows per chunk. */
  chunkRows: number;
  /** Longest wait for the sync to apply what a re-check needs (ms). */
  waitMs: number;
  /** Differing keys listed per table at most; the counts are always complete. */
  listLimit: number;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = {
  tables: null,
  repair: false,
  chunkRows: 10_000,
  waitMs: 60_000,
  listLimit: 100,
};

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

export interface RowDifference {
  kind: DiffKind;
  /** Key column -> value as PostgreSQL prints it. */
  key: Record<string, string>;
}

export interface TableReport {
  source: string;
  target: string;
  /** Source rows compared. */
  rows: number;
  chunks: number;
  seconds: number;
  missing: number;
  extra: number;
  different: number;
  /** Rows that differed at first and matched once the sync had applied the changes in flight. */
  inFlight: number;
  /** The first differences found (at most `listLimit`). */
  differences: RowDifference[];
  /** Rows rewritten by `repair`: deleted from the target, then inserted from the source. */
  repaired: { deleted: number; inserted: number } | null;
  /** Why the table could not be compared (then it counts as differing). */
  error: string | null;
}

export interface VerifyReport {
  tables: TableReport[];
  /** Every table compared and no difference found. */
  equal: boolean;
  /** Every difference found was rewritten (always false without `repair`). */
  repaired: boolean;
  /** Why some re-checks could not wait for the sync (differences may be changes in flight). */
  notes: string[];
  seconds: number;
}

/** Compares (and with `repair` fixes) every followed table, or those in `options.tables`. */
export async function verify(
  config: Config,
  options: VerifyOptions,
  log: Logger,
): Promise<VerifyReport> {
  const started = performance.now();
  const source = await connectSource(config);
  let sql: Sql | null = null;
  try {
    sql = await connectTarget(config);
    const routes = await followedRoutes(config, source, log, options.tables);
    const waiter = new SyncWaiter(
      sql,
      new PositionStore(config.positionSchema, config.syncId),
      options.waitMs,
    );
    const dialect = await detectDialect(sql);
    const tables: TableReport[] = [];
    const notes: string[] = [];
    for (const route of routes) {
      tables.push(await verifyTable(route, { source, sql, dialect, waiter, options, log, notes }));
    }
    const differs = (t: TableReport) => t.error !== null || t.missing + t.extra + t.different > 0;
    const equal = !tables.some(differs);
    return {
      tables,
      equal,
      repaired: options.repair && !equal && tables.every((t) => t.error === null),
      notes: [...notes, ...waiter.notes.values()],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await source.end().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

interface Session {
  source: SourceConnection;
  sql: Sql;
  dialect: TargetDialect;
  waiter: SyncWaiter;
  options: VerifyOptions;
  log: Logger;
  /** What the report should tell besides the differences. */
  notes: string[];
}

async function verifyTable(route: Route, session: Session): Promise<TableReport> {
  const report: TableReport = {
    source: sourceName(route),
    target: targetName(route),
    rows: 0,
    chunks: 0,
    seconds: 0,
    missing: 0,
    extra: 0,
    different: 0,
    inFlight: 0,
    differences: [],
    repaired: null,
    error: null,
  };
  const started = performance.now();
  const target = await describeTarget(session.sql, route.pgSchema, route.pgTable);
  if (!target) {
    report.error =
      `PostgreSQL table ${report.target} does not exist (load it with "mysql-gp-sync snapshot")`;
    session.log.error(`verify ${report.source}: ${report.error}`);
    return report;
  }
  // Both sides change a value PostgreSQL cannot hold the same way; nothing to report here.
  const codec = makeRowCodec(route, target, () => {});
  const verifier = route.identity.kind === "whole-row"
    ? new KeylessVerifier(codec, session, report)
    : new TableVerifier(codec, session, report);
  try {
    await verifier.run();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new Error(`verifying ${report.source}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await verifier.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  const rate = Math.round(report.rows / Math.max(report.seconds, 0.001));
  const found = report.missing + report.extra + report.different;
  session.log.info(
    `verify ${report.source} -> ${report.target}: ${report.rows} rows in ${
      report.seconds.toFixed(1)
    } s (${rate} rows/s), ${
      found === 0
        ? "equal"
        : `${report.missing} missing, ${report.extra} extra, ${report.different} different`
    }${
      report.repaired
        ? `; repaired: ${report.repaired.deleted} deleted, ${report.repaired.inserted} inserted`
        : ""
    }`,
  );
  return report;
}

/**
 * Compares one table in chunks of the source's key order. A chunk whose rows all compare equal
 * costs one COPY and one query. The keys of chunks that differ are collected and compared again
 * (up to a chunk's worth at a time) after the sync has caught up with the moment they were read,
 * so changes still in flight are not reported; collecting them makes one wait for the sync serve
 * many chunks.
 */
class TableVerifier {
  readonly #reader: SourceRows;
  readonly #comparer: Comparer;
  /** Differing keys waiting to be compared again. */
  #pending: KeyDiff[] = [];

  constructor(
    private readonly codec: RowCodec,
    private readonly session: Session,
    private readonly report: TableReport,
  ) {
    this.#reader = new SourceRows(session.source, codec);
    this.#comparer = new Comparer(session.sql, codec, session.dialect);
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
    if (await this.#comparer.findUnseen() > 0) {
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
