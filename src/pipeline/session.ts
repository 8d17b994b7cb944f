/**
 * One replication session: connects to both sides, plans the followed tables, then streams the
 * binlog into PostgreSQL in batches, one applying while the next gathers, until stopped or failed.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import type { Logger } from "../util/log.ts";
import type { SyncStats } from "../observe/stats.ts";
import { formatPosition } from "../offsets/position.ts";
import { BinlogReader } from "../source/binlog_reader.ts";
import type { SourceTransaction } from "../source/transaction.ts";
import { catalogLookup } from "../source/catalog.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget, describePgError, type Sql } from "../sink/postgres.ts";
import { detectDialect } from "../sink/dialect.ts";
import { BatchWriter } from "../sink/writer.ts";
import { keyLookup } from "../tables/row_identity.ts";
import { binlogFilter } from "../tables/routes.ts";
import { recordApplied } from "./applied_stats.ts";
import { Batch } from "./batch.ts";
import { mustFlush, readWaitMs } from "./flush_policy.ts";
import { applyLargeTransaction } from "./large_transaction.ts";
import { lossWarnings } from "./loss_warnings.ts";
import { MasterInfoMirror } from "./mirror.ts";
import { startPosition } from "./start_position.ts";
import { applyStatement } from "./statements.ts";
import { TablePlans } from "./table_plans.ts";

/** The read loop lets other I/O run at least this often (milliseconds). */
const YIELD_EVERY_MS = 2;

export class Session {
  #sql: Sql | null = null;
  #copiers: Sql[] = [];
  #writer: BatchWriter | null = null;
  #source: SourceConnection | null = null;
  #reader: BinlogReader | null = null;
  readonly #plans: TablePlans;
  readonly #mirror: MasterInfoMirror;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly stats: SyncStats,
  ) {
    this.#plans = new TablePlans(lossWarnings(stats, log));
    this.#mirror = new MasterInfoMirror(config.dataDir);
  }

  /** Connects and streams until `signal` aborts; calls `onStreaming` once the binlog flows. */
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
    const plans = this.#plans;
    await plans.load(config, source, sql, log);
    const from = await startPosition(config.dataDir, store, sql, source, log);
    // The query connection is not needed while streaming; zongji keeps its own.
    await source.end();
    this.#source = null;
    const reader = this.#reader = new BinlogReader(
      config,
      catalogLookup(plans.sourceTables),
      keyLookup(plans.routes.values()),
      { log },
    );
    await reader.start(from, binlogFilter(plans.routes));
    log.info(`streaming from ${formatPosition(from)} (${plans.routes.size} tables)`);
    onStreaming();
    const writer = this.#writer = new BatchWriter(sql, store, this.#copiers, {
      sharedStaging: { schema: config.positionSchema, syncId: config.syncId },
      plainMaxRows: config.batchPlainMaxRows,
      dialect: await detectDialect(sql),
    });
    await this.#stream(reader, writer, sql);
  }

  async close(): Promise<void> {
    this.#reader?.stop();
    await this.#mirror.flush();
    await this.#writer?.close().catch(() => {});
    await this.#source?.end().catch(() => {});
    for (const copier of this.#copiers) await copier.end({ timeout: 5 }).catch(() => {});
    await this.#sql?.end({ timeout: 5 }).catch(() => {});
  }

  async #stream(reader: BinlogReader, writer: BatchWriter, sql: Sql): Promise<void> {
    const { config, signal } = this;
    const planFor = this.#plans.planFor;
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
        const wait = readWaitMs(batch, config, Date.now());
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
            await this.#applyLarge(tx, reader, writer);
          } else if (tx.statement) {
            await flush();
            await inflight;
            const applied = await applyStatement(tx, writer, this.#plans, sql, this.log);
            recordApplied(this.stats, this.log, applied);
            await this.#mirror.update(applied.position!);
          } else {
            if (batch.conflicts(tx, planFor)) await flush();
            batch.add(tx, planFor);
          }
        }
        if (mustFlush(batch, applying, reader.backlog, Date.now(), config)) await flush();
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
    recordApplied(this.stats, this.log, batch, performance.now() - started);
    await this.#mirror.update(batch.position);
  }

  async #applyLarge(
    first: SourceTransaction,
    reader: BinlogReader,
    writer: BatchWriter,
  ): Promise<void> {
    const started = performance.now();
    const applied = await applyLargeTransaction(
      first,
      reader,
      writer,
      this.#plans.planFor,
      this.signal,
    );
    if (applied) {
      this.stats.rowsApplied += applied.earlierRows;
      recordApplied(this.stats, this.log, applied.last, performance.now() - started);
      await this.#mirror.update(applied.last.position!);
    }
  }
}
