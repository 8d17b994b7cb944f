/**
 * One replication session: connects to both sides, plans the followed tables, then streams the
 * binlog into PostgreSQL in batches, one applying while the next gathers, until stopped or failed.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import type { Logger } from "../util/log.ts";
import { settledWithin } from "../util/sleep.ts";
import type { SyncStats } from "../observe/stats.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import { BinlogReader } from "../source/binlog_reader.ts";
import { describeStart, type ReadStart } from "../source/binlog_start.ts";
import { memberName } from "../source/members.ts";
import type { SourceTransaction } from "../source/transaction.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { SchemaStore } from "../sink/schema_store.ts";
import { ConnectionWatch } from "../sink/connection_loss.ts";
import { connectTarget, describePgError, type Sql, targetWhere } from "../sink/postgres.ts";
import { RefusedRows } from "../sink/refused_rows.ts";
import { type Backend, takeRunLock } from "../sink/run_lock.ts";
import { detectDialect } from "../sink/dialect.ts";
import { BatchWriter } from "../sink/writer.ts";
import { keyLookup } from "../tables/row_identity.ts";
import { binlogFilter } from "../tables/routes.ts";
import { recordApplied } from "./applied_stats.ts";
import { Batch } from "./batch.ts";
import { mustFlush, readWaitMs } from "./flush_policy.ts";
import { applyLargeTransaction } from "./large_transaction.ts";
import { type HistoryStart, startHistory } from "./history_start.ts";
import { lossWarnings } from "./loss_warnings.ts";
import { MasterInfoMirror } from "./mirror.ts";
import { startPosition } from "./start_position.ts";
import { StallWarning } from "./stall_warning.ts";
import { loadLastDdl, noteDdl } from "./ddl_status.ts";
import { applyStatement } from "./statements.ts";
import { TablePlans } from "./table_plans.ts";

/** The read loop lets other I/O run at least this often (milliseconds). */
const YIELD_EVERY_MS = 2;
/** Closing waits this long at most for PostgreSQL (dropping shared staging, ending connections). */
const CLOSE_WAIT_MS = 5_000;

export class Session {
  #sql: Sql | null = null;
  #copiers: Sql[] = [];
  #writer: BatchWriter | null = null;
  #source: SourceConnection | null = null;
  #reader: BinlogReader | null = null;
  readonly #plans: TablePlans;
  readonly #mirror: MasterInfoMirror;
  /** Any connection to PostgreSQL lost ends the session at once (nothing waits on a dead one). */
  readonly #watch: ConnectionWatch;
  readonly #stall: StallWarning;
  /** The main connection's backend, which holds the run lock. */
  #backend: Backend | null = null;
  /** The position committed last: where the batch being applied starts. */
  #committed: BinlogPosition | null = null;
  /** The applied position in PostgreSQL, and the GTID state the batches advance. */
  readonly #store: PositionStore;
  /** The schema history the reader decodes with, and what reading DDL needs to know. */
  #history: HistoryStart | null = null;
  #schemas: SchemaStore;

  /**
   * `staleBackend`: the main backend of this process's previous session, which may still hold the
   * run lock when PostgreSQL has not noticed that connection is gone.
   */
  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly stats: SyncStats,
    private readonly staleBackend: Backend | null = null,
  ) {
    this.#plans = new TablePlans(lossWarnings(stats, log));
    this.#mirror = new MasterInfoMirror(config.dataDir);
    this.#store = new PositionStore(config.positionSchema, config.syncId);
    this.#watch = new ConnectionWatch(targetWhere(config));
    this.#stall = new StallWarning(log, targetWhere(config));
    this.#schemas = new SchemaStore(config.positionSchema, config.syncId);
  }

  /** The backend holding the run lock; null before it is taken. */
  get backend(): Backend | null {
    return this.#backend;
  }

  /** Connects and streams until `signal` aborts; calls `onStreaming` once the binlog flows. */
  async run(onStreaming: () => void): Promise<void> {
    const { config, log } = this;
    const lost = this.#watch.closed;
    const sql = this.#sql = await connectTarget(config, 1, lost).catch((err) => {
      throw describePgError(err, config);
    });
    this.#backend = await this.#pg(
      "taking the run lock",
      takeRunLock(sql, config, this.staleBackend),
    );
    // With parallel writers, each COPYs its part of a batch; this connection merges and commits.
    const writers = config.concurrentSize > 1 ? config.concurrentSize : 0;
    for (let i = 0; i < writers; i++) this.#copiers.push(await connectTarget(config, 1, lost));
    const source = this.#source = await connectSource(config);
    const server = memberName({ host: config.mysqlHost, port: config.mysqlPort });
    const store = this.#store;
    await this.#pg("creating the position table", store.ensure(sql));
    await this.#pg("creating the schema history table", this.#schemas.ensure(sql));
    const plans = this.#plans;
    // These read MySQL too: a wait may be either's, so only a loss ends them early.
    await this.#watch.guard(plans.load(config, source, sql, log));
    await this.#pg("reading the last DDL applied", loadLastDdl(this.stats, sql, config));
    const start = await this.#watch.guard(
      startPosition(config.dataDir, store, sql, source, server, log),
    );
    this.#committed = start.position;
    store.continueFrom(start.applied, server);
    this.stats.sourceServer = server;
    this.stats.appliedGtids = start.applied;
    this.#history = await this.#watch.guard(
      startHistory(config, source, sql, this.#schemas, start.position, plans.sourceTables, log),
    );
    await this.#watch.guard(plans.adoptHistory(this.#history.history.tables, sql, log));
    // The query connection is not needed while streaming; zongji keeps its own.
    await source.end();
    this.#source = null;
    const reader = await this.#startReader(start);
    log.info(`streaming from ${describeStart(start)} on ${server} (${plans.routes.size} tables)`);
    onStreaming();
    const writer = this.#writer = new BatchWriter(sql, store, this.#copiers, {
      sharedStaging: { schema: config.positionSchema, syncId: config.syncId },
      plainMaxRows: config.batchPlainMaxRows,
      dialect: await this.#pg("asking the server version", detectDialect(sql)),
      log,
    });
    await this.#stream(reader, writer, sql);
  }

  /**
   * A reader from `from` that decodes the followed tables as planned now, `previous` stopped
   * first (what it read and did not hand out is dropped).
   */
  async #startReader(
    from: BinlogPosition | ReadStart,
    previous?: BinlogReader,
  ): Promise<BinlogReader> {
    previous?.stop();
    const plans = this.#plans;
    this.stats.followed = [...plans.routes.values()].map((r) =>
      `${r.source.schema}.${r.source.table}`
    );
    const reader = this.#reader = new BinlogReader(
      this.config,
      this.#history!.history,
      keyLookup(plans.routes.values()),
      {
        log: this.log,
        explicitDefaultsForTimestamp: this.#history!.explicitDefaultsForTimestamp,
        unseeded: this.#history!.unseeded,
      },
    );
    await reader.start(from, binlogFilter(plans.routes));
    return reader;
  }

  /** Ends the session without waiting on a dead or silent PostgreSQL for long. */
  async close(): Promise<void> {
    this.#stall.close();
    const lost = this.#watch.error !== null;
    this.#watch.dispose();
    this.#reader?.stop();
    await this.#mirror.flush();
    // Shared staging is dropped on a live connection only, and not waited for long.
    if (!lost && this.#writer) await settledWithin(this.#writer.close(), CLOSE_WAIT_MS);
    await this.#source?.end().catch(() => {});
    const timeout = lost ? 0 : CLOSE_WAIT_MS / 1000;
    const clients = [...this.#copiers, ...this.#sql ? [this.#sql] : []];
    await Promise.all(clients.map((client) => client.end({ timeout }).catch(() => {})));
  }

  /**
   * Awaits PostgreSQL doing `what`: a WARN says so when it takes long, and the loss of any
   * connection ends the wait at once with that loss.
   */
  async #pg<T>(what: string | (() => string), work: Promise<T>): Promise<T> {
    this.#stall.begin(what);
    try {
      return await this.#watch.guard(work);
    } finally {
      this.#stall.end();
    }
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
    // A lost connection ends the loop at its next turn, a wait for the binlog included.
    const onLost = () => {
      failure ??= this.#watch.error;
      reader.interrupt();
    };
    this.#watch.signal.addEventListener("abort", onLost);
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
            await this.#storeVersions(tx, sql);
            const { batch: applied, followedChanged, ddl } = await this.#pg(
              `applying the statement at ${formatPosition(tx.position)}`,
              applyStatement(tx, writer, this.#plans, sql, this.log),
            );
            this.#committed = applied.position;
            this.stats.appliedGtids = this.#store.applied;
            recordApplied(this.stats, this.log, applied);
            noteDdl(this.stats, ddl);
            await this.#mirror.update(applied.position!);
            // What was read past the statement missed the tables it made followed: read it again,
            // with the history as stored there (the reader applied the DDL it read past it, and
            // a statement passed by hand takes definitions from the catalog).
            if (followedChanged) {
              const start = this.#history!;
              start.history = await this.#pg(
                "reading the schema history",
                start.reload(sql, applied.position!),
              );
              reader = await this.#startReader(applied.position!, reader);
            }
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
      this.#watch.signal.removeEventListener("abort", onLost);
    }
  }

  /**
   * Stores the history versions a DDL statement made, before the transaction that commits its
   * position: a start reads only versions at or before the committed position, so a crash in
   * between loses nothing (the statement is read and stored again) and doubles nothing.
   */
  async #storeVersions(tx: SourceTransaction, sql: Sql): Promise<void> {
    const ddl = tx.statement?.ddl;
    if (!ddl?.understood || ddl.versions.length === 0) return;
    const text = this.#schemas.writeStatements(
      ddl.versions,
      tx.position,
      tx.statement!.sql,
      tx.gtid ?? null,
    );
    await this.#pg(
      `storing the schema history of the statement at ${formatPosition(tx.position)}`,
      sql.begin((t) => t.unsafe(text)),
    );
  }

  async #apply(writer: BatchWriter, batch: Batch): Promise<void> {
    if (batch.empty || batch.position === null) return;
    const started = performance.now();
    const range = () => batchRange(this.#committed, batch);
    try {
      await this.#pg(
        () =>
          `applying a batch of ${batch.changes} row changes in ${batch.transactions} ` +
          `transaction(s) (${range()})`,
        writer.apply(batch),
      );
    } catch (err) {
      throw err instanceof RefusedRows ? new RefusedRows(`${err.message}; ${range()}`) : err;
    }
    this.#committed = batch.position;
    this.stats.appliedGtids = this.#store.applied;
    recordApplied(this.stats, this.log, batch, performance.now() - started);
    await this.#mirror.update(batch.position);
  }

  async #applyLarge(
    first: SourceTransaction,
    reader: BinlogReader,
    writer: BatchWriter,
  ): Promise<void> {
    const started = performance.now();
    const after = this.#committed ? ` after binlog ${formatPosition(this.#committed)}` : "";
    const what = `the large transaction${first.gtid ? ` GTID ${first.gtid}` : ""}${after}`;
    const stop = AbortSignal.any([this.signal, this.#watch.signal]);
    const applying = applyLargeTransaction(first, reader, writer, this.#plans.planFor, stop);
    const applied = await this.#pg(`applying ${what}`, applying).catch((err) => {
      throw err instanceof RefusedRows ? new RefusedRows(`${err.message}; in ${what}`) : err;
    });
    if (applied) {
      this.#committed = applied.last.position;
      this.stats.appliedGtids = this.#store.applied;
      this.stats.rowsApplied += applied.earlierRows;
      recordApplied(this.stats, this.log, applied.last, performance.now() - started);
      await this.#mirror.update(applied.last.position!);
    }
  }
}

/** `binlog FILE:POS to FILE:POS, GTID a to b`: where a batch's transactions lie, for messages. */
function batchRange(from: BinlogPosition | null, batch: Batch): string {
  const start = from ? `${formatPosition(from)} to ` : "up to ";
  const last = batch.gtid;
  const gtids = batch.firstGtid === null
    ? ""
    : batch.firstGtid === last
    ? `, GTID ${last}`
    : `, GTID ${batch.firstGtid} to ${last}`;
  return `binlog ${start}${formatPosition(batch.position!)}${gtids}`;
}
