import type { Config } from "../config/config.ts";
import { FatalError, UserError } from "../config/errors.ts";
import { qualified } from "../convert/ident.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { newStats, type OpCounts, type SyncStats } from "../observe/stats.ts";
import { writeMasterInfo } from "../offsets/master_info.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import {
  BinlogReader,
  type EventTable,
  type RowsChange,
  type SourceTransaction,
} from "../source/binlog.ts";
import { followedRoutes } from "../tables/followed.ts";
import { catalogLookup, keyLookup, type SourceTable } from "../source/catalog.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget, describePgError, type Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { BatchWriter } from "../sink/writer.ts";
import { Batch } from "./batch.ts";
import { type LossReporter, TablePlan } from "./plan.ts";
import { binlogFilter, type Route, tableKey } from "../tables/routes.ts";
import { startPosition } from "./start_position.ts";
import { sleep } from "../util/sleep.ts";

/** Pause between reconnect attempts grows to this. */
const MAX_BACKOFF_MS = 30_000;
/** master.info is rewritten at most this often while running. */
const MIRROR_EVERY_MS = 1_000;
/** The read loop lets other I/O run at least this often (milliseconds). */
const YIELD_EVERY_MS = 2;
/** A batch is flushed once its transactions' binlog events reach this size (bounds memory). */
const BATCH_MAX_BYTES = 8 << 20;
/** Position-only commits (binlog traffic for tables we do not follow) at most this often. */
const IDLE_POSITION_MS = 1_000;

/**
 * Follows the binlog into PostgreSQL until `signal` aborts. Connection losses on either side are
 * retried with backoff from the last committed position; problems only the user can fix are thrown
 * as UserError when they show up at start, and retried (logged as ERROR) when they appear later.
 */
export async function replicate(
  config: Config,
  log: Logger,
  signal: AbortSignal,
  stats: SyncStats = newStats(),
): Promise<void> {
  let attempt = 0;
  let streamed = false;
  while (!signal.aborted) {
    const session = new Session(config, log, signal, stats);
    const appliedBefore = stats.batchesApplied;
    try {
      await session.run(() => streamed = true);
      return;
    } catch (err) {
      if (signal.aborted) return;
      const message = errorMessage(err);
      stats.lastError = message;
      if (err instanceof FatalError || (!streamed && err instanceof UserError)) throw err;
      // The backoff restarts only after progress: a failure that recurs at once (a refused row)
      // is retried ever more slowly instead of every second.
      if (stats.batchesApplied > appliedBefore) attempt = 0;
      attempt++;
      stats.reconnects++;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 6));
      log.error(
        `${message}; retrying in ${Math.round(delay / 1000)}s from the last applied position`,
      );
      await sleep(delay, signal);
    } finally {
      await session.close();
    }
  }
}

class Session {
  #sql: Sql | null = null;
  #copiers: Sql[] = [];
  #writer: BatchWriter | null = null;
  #mirroredAt = 0;
  #unmirrored: BinlogPosition | null = null;
  #source: SourceConnection | null = null;
  #reader: BinlogReader | null = null;
  #plans = new Map<string, TablePlan>();
  /** `#plans` by the reader's table object, which stays the same for a table's events. */
  #planOfTable = new WeakMap<EventTable, TablePlan | null>();
  #routes = new Map<string, Route>();
  #tables: SourceTable[] = [];
  #reportedLoss = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly stats: SyncStats,
  ) {}

  async run(onStreaming: () => void): Promise<void> {
    const { config, log } = this;
    const sql = this.#sql = await connectTarget(config).catch((err) => {
      throw describePgError(err, config);
    });
    // With parallel writers, each COPYs its part of a batch; this connection merges and commits.
    const writers = config.concurrentSize > 1 ? config.concurrentSize : 0;
    for (let i = 0; i < writers; i++) this.#copiers.push(await connectTarget(config));
    const source = this.#source = await connectSource(config);
    const store = new PositionStore(config.positionSchema, config.syncId);
    await store.ensure(sql);
    await this.#loadRoutes(source, sql);
    const from = await startPosition(config.dataDir, store, sql, source, log);
    // The query connection is not needed while streaming; zongji keeps its own.
    await source.end();
    this.#source = null;
    const reader = this.#reader = new BinlogReader(
      config,
      catalogLookup(this.#tables),
      keyLookup(this.#tables),
    );
    await reader.start(from, binlogFilter(this.#routes));
    log.info(`streaming from ${formatPosition(from)} (${this.#routes.size} tables)`);
    onStreaming();
    const writer = this.#writer = new BatchWriter(sql, store, this.#copiers, {
      sharedStaging: { schema: config.positionSchema, syncId: config.syncId },
      plainMaxRows: config.batchPlainMaxRows,
    });
    await this.#stream(reader, writer);
  }

  async close(): Promise<void> {
    this.#reader?.stop();
    if (this.#unmirrored) await this.#mirror(this.#unmirrored, true);
    await this.#writer?.close().catch(() => {});
    await this.#source?.end().catch(() => {});
    for (const copier of this.#copiers) await copier.end({ timeout: 5 }).catch(() => {});
    await this.#sql?.end({ timeout: 5 }).catch(() => {});
  }

  async #loadRoutes(source: SourceConnection, sql: Sql): Promise<void> {
    const { config } = this;
    const routes = await followedRoutes(config, source, this.log);
    this.#tables = routes.map((route) => route.source);
    this.#routes = new Map(routes.map((r) => [tableKey(r.source.schema, r.source.table), r]));
    this.#plans.clear();
    this.#planOfTable = new WeakMap();
    for (const [key, route] of this.#routes) {
      const target = await describeTarget(sql, route.pgSchema, route.pgTable);
      if (!target) {
        throw new UserError(
          `PostgreSQL table ${route.pgSchema}.${route.pgTable} (target of MySQL ${route.source.schema}.` +
            `${route.source.table}) does not exist in database ${config.pgDbname}; create it first ` +
            `(or load it with "mysql-gp-sync snapshot")`,
        );
      }
      this.#plans.set(key, new TablePlan(route, target, this.#reportLoss));
    }
  }

  #reportLoss: LossReporter = (what, table, column) => {
    this.stats.valuesAltered++;
    const key = `${what}\u0000${table}\u0000${column}`;
    if (this.#reportedLoss.has(key)) return;
    this.#reportedLoss.add(key);
    this.log.warn(
      what === "zero-date"
        ? `${table}.${column}: zero date stored as NULL (PostgreSQL has no zero date); further ones are counted, not logged`
        : `${table}.${column}: NUL byte removed from text (PostgreSQL text cannot hold it); further ones are counted, not logged`,
    );
  };

  #planFor = (change: RowsChange): TablePlan | undefined => {
    let plan = this.#planOfTable.get(change.table);
    if (plan === undefined) {
      plan = this.#plans.get(tableKey(change.table.schema, change.table.table)) ?? null;
      this.#planOfTable.set(change.table, plan);
    }
    return plan ?? undefined;
  };

  async #stream(reader: BinlogReader, writer: BatchWriter): Promise<void> {
    const { config, signal } = this;
    let batch = new Batch();
    let inflight: Promise<void> = Promise.resolve();
    let applying = false;
    let failure: unknown = null;
    const flush = async () => {
      const full = batch;
      batch = new Batch();
      await inflight;
      if (failure) throw failure;
      applying = true;
      inflight = this.#apply(writer, full).catch((err) => {
        failure = describePgError(err, config);
      }).finally(() => {
        applying = false;
        // What gathered meanwhile may go now; the read loop may be waiting for the next unit.
        reader.interrupt();
      });
    };
    // Nothing is waiting to be read and PostgreSQL is idle: waiting longer would only add lag.
    const idle = () => !applying && reader.backlog === 0;
    const onAbort = () => reader.stop();
    signal.addEventListener("abort", onAbort);
    let busySince = performance.now();
    try {
      while (true) {
        if (failure) throw failure;
        // With a backlog, reading resolves without ever waiting on I/O, so PostgreSQL's answers
        // to the batch being applied would sit unread until the backlog is gone: let them in.
        // A timer it must be: behind setImmediate (or a MessagePort) they waited ~200 ms in Deno.
        if (applying && performance.now() - busySince > YIELD_EVERY_MS) {
          await new Promise((resolve) => setTimeout(resolve, 0));
          busySince = performance.now();
        }
        const limit = batch.tables.size > 0 ? config.batchMaxMs : IDLE_POSITION_MS;
        const wait = batch.empty
          ? IDLE_POSITION_MS
          : Math.max(0, batch.startedAt + limit - Date.now());
        // Taken without a promise while units are queued: one per transaction adds up.
        let tx = reader.take();
        try {
          tx ??= await reader.next(signal.aborted ? 0 : wait);
        } catch (err) {
          // Apply what was read completely before giving up the session.
          await flush();
          await inflight;
          throw err;
        }
        this.stats.sourceAliveAt = reader.lastEventAt;
        if (tx === null && signal.aborted) break;
        if (tx) {
          this.stats.readPosition = tx.position;
          if (tx.partial) {
            await flush();
            await inflight;
            if (failure) throw failure;
            await this.#applyLarge(reader, writer, tx);
          } else if (tx.statement) {
            await flush();
            await inflight;
            await this.#onStatement(writer, tx);
          } else {
            if (batch.conflicts(tx, this.#planFor)) await flush();
            batch.add(tx, this.#planFor);
          }
        }
        if (
          !batch.empty &&
          (batch.changes >= config.batchMaxRows || batch.bytes >= BATCH_MAX_BYTES ||
            batch.transactions >= config.concurrentAckWin ||
            (batch.tables.size > 0 && idle()) ||
            Date.now() - batch.startedAt >=
              (batch.tables.size > 0 ? config.batchMaxMs : IDLE_POSITION_MS))
        ) {
          await flush();
        }
      }
      await flush();
      await inflight;
      if (failure) throw failure;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async #apply(writer: BatchWriter, batch: Batch): Promise<void> {
    if (batch.empty || batch.position === null) return;
    const started = performance.now();
    await writer.apply(batch);
    this.#recordApplied(batch, performance.now() - started);
    await this.#mirror(batch.position);
  }

  /**
   * A transaction too large to hold whole arrives in pieces; they are applied inside one
   * PostgreSQL transaction while the reader keeps the rest back (it pauses when its queue is full).
   */
  async #applyLarge(reader: BinlogReader, writer: BatchWriter, first: SourceTransaction) {
    const { signal } = this;
    const planFor = this.#planFor;
    let earlierRows = 0;
    let final = first;
    const rolledBack = new Error("rolled back on the source");
    async function* pieces(): AsyncGenerator<Batch> {
      let unit: SourceTransaction | null = first;
      while (true) {
        final = unit;
        if (unit.rolledBack) throw rolledBack;
        const piece = new Batch();
        piece.add(unit, planFor);
        yield piece;
        if (unit.partial) earlierRows += unit.rowCount;
        if (!unit.partial) return;
        do {
          unit = await reader.next(IDLE_POSITION_MS);
          if (unit === null && signal.aborted) {
            throw new Error(
              "stopped inside a large transaction; it is applied again from its start",
            );
          }
        } while (unit === null);
      }
    }
    const started = performance.now();
    let applied: Batch | null;
    try {
      applied = await writer.applyInPieces(pieces());
    } catch (err) {
      if (err !== rolledBack) throw err;
      earlierRows = 0;
      applied = new Batch();
      applied.add(final, planFor);
      await writer.apply(applied);
    }
    if (applied?.position) {
      this.stats.rowsApplied += earlierRows;
      this.#recordApplied(applied, performance.now() - started);
      await this.#mirror(applied.position);
    }
  }

  /**
   * Mirrors the applied position into master.info at most once a second (PostgreSQL holds the
   * authoritative copy; the seed's tool also saved about once a second). `close` writes the last.
   */
  async #mirror(position: BinlogPosition, force = false): Promise<void> {
    this.#unmirrored = position;
    if (!force && Date.now() - this.#mirroredAt < MIRROR_EVERY_MS) return;
    this.#mirroredAt = Date.now();
    this.#unmirrored = null;
    await writeMasterInfo(this.config.dataDir, position);
  }

  #recordApplied(batch: Batch, applyMs = 0): void {
    const { stats } = this;
    for (const table of batch.tables.values()) {
      const name = table.plan.sourceName;
      stats.perTable.set(name, (stats.perTable.get(name) ?? 0) + table.size);
      const ops = stats.perTableOps.get(name) ?? { insert: 0, update: 0, delete: 0 };
      ops.insert += table.ops.insert;
      ops.update += table.ops.update;
      ops.delete += table.ops.delete;
      stats.perTableOps.set(name, ops);
    }
    stats.appliedPosition = batch.position;
    stats.appliedAt = Date.now();
    stats.appliedSourceTime = batch.sourceTimestamp;
    stats.rowsApplied += batch.changes;
    stats.transactionsApplied += batch.transactions;
    stats.batchesApplied++;
    this.log.debug(
      `applied ${batch.changes} row changes in ${batch.transactions} transactions up to ${
        formatPosition(batch.position!)
      } in ${Math.round(applyMs)} ms`,
    );
  }

  /** A standalone statement (DDL): TRUNCATE of a followed table is replayed; others are logged. */
  async #onStatement(writer: BatchWriter, tx: SourceTransaction): Promise<void> {
    const statement = tx.statement!;
    const batch = new Batch();
    batch.add({ ...tx, changes: [], rowCount: 0 }, this.#planFor);
    const touched = this.#followedTablesIn(statement.schema, statement.sql);
    const truncate = /^\s*TRUNCATE\b/i.test(statement.sql);
    if (truncate && touched.length > 0) {
      for (const plan of touched) {
        await writer.truncate(plan.targetName, batch);
        this.log.info(
          `TRUNCATE of ${plan.sourceName} applied to ${
            qualified(plan.target.schema, plan.target.table)
          }`,
        );
      }
    } else {
      if (touched.length > 0) {
        this.log.warn(
          `DDL on followed table(s) ${
            touched.map((p) => p.sourceName).join(", ")
          } is not replayed: ` +
            `${statement.sql.slice(0, 200)}; change the PostgreSQL table to match if needed`,
        );
        await this.#refreshTargets(touched);
      }
      await writer.apply(batch);
    }
    this.#recordApplied(batch);
    await this.#mirror(batch.position!);
  }

  /** Followed tables whose name appears in a statement (a cheap scan, good enough to decide on a refresh). */
  #followedTablesIn(defaultSchema: string, sql: string): TablePlan[] {
    const text = sql.replace(/`/g, "").toLowerCase();
    return [...this.#plans.values()].filter((plan) => {
      const { schema, table } = plan.route.source;
      const name = table.toLowerCase();
      const pattern = new RegExp(
        `(^|[^\\w$.])(${escapeRegExp(schema.toLowerCase())}\\.)?${escapeRegExp(name)}($|[^\\w$])`,
      );
      const match = pattern.exec(text);
      return match !== null && (match[2] !== undefined || schema === defaultSchema);
    });
  }

  async #refreshTargets(plans: TablePlan[]): Promise<void> {
    for (const plan of plans) {
      const target = await describeTarget(this.#sql!, plan.target.schema, plan.target.table);
      if (!target) continue;
      const key = tableKey(plan.route.source.schema, plan.route.source.table);
      this.#plans.set(key, new TablePlan(plan.route, target, this.#reportLoss));
    }
    this.#planOfTable = new WeakMap();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
