/**
 * The BatchWriter: applies each batch and its binlog position in one transaction, choosing per
 * table how its rows go in (plain statements, COPY straight into the target, or staging and a
 * merge, staged by parallel copiers when there are any and measurement says they pay).
 *
 * @module
 */
import type { Logger } from "../util/log.ts";
import { directRows, KeysAlreadyStored, sendDirect } from "./apply_direct.ts";
import { applyKeyless } from "./apply_keyless.ts";
import { ParallelCopiers, type SharedStaging } from "./apply_parallel.ts";
import { applyPlain } from "./apply_plain.ts";
import { merge, SessionStaging } from "./apply_staged.ts";
import { POSTGRES, type TargetDialect } from "./dialect.ts";
import type { BatchChanges, TableChanges } from "./input.ts";
import type { PositionStore } from "./position_store.ts";
import type { Queryable, Sql } from "./postgres.ts";
import { Merges, refusedRows, stagedKeyAt } from "./refused_rows.ts";
import { pipelinedTransaction, type Sent, type Transaction } from "./transaction.ts";
import { type WriterMode, WriterSplit } from "./writer_split.ts";

export interface WriterOptions {
  /** Needed with copiers. */
  sharedStaging?: SharedStaging;
  /**
   * A table's share of a batch up to this many rows goes in as plain DELETE and INSERT
   * statements: for a few rows that takes about half the time of staging (0.9 against 1.5 ms for
   * one row, 1.0 against 2.3 ms for ten, the same at a hundred, on this machine).
   */
  plainMaxRows?: number;
  /** The target's dialect (`detectDialect` tells it); PostgreSQL when not given. */
  dialect?: TargetDialect;
  /** Where the writer says how it uses the copiers, and when that changes. */
  log?: Logger;
}

/**
 * Applies batches to PostgreSQL, each batch and its binlog position in one transaction: per table,
 * COPY the final states into staging, delete every touched key from the target and insert the
 * surviving rows. This needs neither `ON CONFLICT` nor `MERGE`, so it runs on PostgreSQL and
 * Greenplum 6/7 alike; how staging tables are made differs (dialect.ts).
 *
 * With parallel writers (`copiers`), a batch may be split by key hash and every writer COPY its
 * part into its own unlogged staging table at the same time; the merge and the position still
 * commit in one transaction, so a source transaction never becomes visible piecemeal. Whether a
 * batch is split is measured (writer_split.ts): only while splitting is faster than one writer.
 *
 * A table with only a few rows in the batch skips staging: its keys are deleted and its rows
 * inserted by plain statements carrying the same text values as literals.
 *
 * A keyless table (rows identified by their whole value) goes its own way: apply_keyless.ts.
 *
 * A table the batch only inserts into skips staging too: its rows are COPYed straight into the
 * target, which a unique index on the key makes safe. Should the target already hold one of the
 * keys, the index refuses the COPY, the batch rolls back and is applied again with the merge, as
 * is that table from then on.
 */
export class BatchWriter {
  readonly #staging: SessionStaging;
  readonly #parallel: ParallelCopiers | null;
  /** Whether the copiers are used, by measurement; null without copiers. */
  readonly #split: WriterSplit | null;
  readonly #log: Logger | undefined;
  /** Targets found holding keys the source inserted: their inserts are merged, not COPYed. */
  readonly #mergeOnly = new Set<string>();
  readonly #plainMaxRows: number;
  readonly #dialect: TargetDialect;
  /** The answer to the last COPY sent without waiting for it (its failure is reported elsewhere). */
  #copied: Promise<void> = Promise.resolve();

  constructor(
    private readonly sql: Sql,
    private readonly positions: PositionStore,
    copiers: Sql[] = [],
    options: WriterOptions = {},
  ) {
    this.#dialect = options.dialect ?? POSTGRES;
    this.#plainMaxRows = options.plainMaxRows ?? 0;
    this.#staging = new SessionStaging(this.#dialect);
    const shared = options.sharedStaging;
    if (copiers.length > 0 && shared === undefined) throw new Error("copiers need sharedStaging");
    this.#parallel = shared && copiers.length > 0
      ? new ParallelCopiers(sql, copiers, shared, this.#dialect)
      : null;
    this.#split = this.#parallel ? new WriterSplit(copiers.length, this.#dialect.name) : null;
    this.#log = options.log;
    if (this.#split) this.#log?.info(`writers: ${this.#split.describe()}`);
  }

  /** Applies the batch and stores its position atomically. */
  async apply(batch: BatchChanges): Promise<void> {
    try {
      await this.#applyOnce(batch);
    } catch (err) {
      if (!(err instanceof KeysAlreadyStored)) throw err;
      // Nothing was applied; each retry merges one more table, so this ends.
      this.#mergeOnly.add(err.table.plan.targetName);
      await this.apply(batch);
    }
  }

  async #applyOnce(batch: BatchChanges): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    const tables = [...batch.tables.values()].filter((t) => t.size > 0);
    const parallel = this.#parallel;
    const split = this.#split;
    // The tables copiers could stage: keyed ones going through staging.
    const bulk = new Set(
      parallel
        ? tables.filter((t) =>
          !t.plan.wholeRow && !this.#plain(t) && !directRows(t, this.#mergeOnly)
        )
        : [],
    );
    let rows = 0;
    for (const table of bulk) rows += table.size;
    const mode: WriterMode = split?.choose(rows) ?? "one";
    const started = performance.now();
    // The copiers COPY while this session sends the rest of the batch; their tables are merged
    // once they have committed.
    const copied = mode === "split" ? parallel!.copy([...bulk]) : null;
    copied?.catch(() => {});
    await this.#transaction(async (tx) => {
      // Sent first, so that its answer comes with the first COPY's rather than a round trip later.
      const stored = this.positions.write(tx, position, batch.gtids);
      stored.catch(() => {});
      const merges = new Merges();
      const own = copied ? tables.filter((table) => !bulk.has(table)) : tables;
      await this.#applyTables(tx, own, false, merges);
      for (const [table, names] of await copied ?? []) {
        merges.add(table, merge(tx, table, names, this.#dialect));
      }
      return { answers: Promise.all([merges.done(), stored]) };
    });
    const changed = split?.record(mode, rows, performance.now() - started);
    if (changed) this.#log?.info(changed);
  }

  /**
   * Applies a transaction too large to hold in memory, piece by piece, inside one PostgreSQL
   * transaction, so it still becomes visible all at once. `pieces` yields the batches in binlog
   * order; the position of the last one is stored with them. Throwing from `pieces` rolls back.
   */
  async applyInPieces<B extends BatchChanges>(pieces: AsyncIterable<B>): Promise<B | null> {
    let last: B | null = null;
    await this.#transaction(async (tx) => {
      for await (const piece of pieces) {
        const merges = new Merges();
        const tables = [...piece.tables.values()].filter((table) => table.size > 0);
        await this.#applyTables(tx, tables, true, merges);
        await merges.done();
        last = piece;
      }
      const final = last as B | null;
      // Its answer comes with COMMIT's.
      const stored = final?.position && this.positions.write(tx, final.position, final.gtids);
      return { answers: stored || Promise.resolve() };
    });
    return last;
  }

  /**
   * Runs `work`, what a source statement calls for (a replayed DDL or TRUNCATE, the CREATE TABLE
   * of a new table's target), and stores the position after the statement, in one transaction.
   * Staging tables made so far are dropped afterwards: their layout may be a changed target's old
   * one (each is made again, as it is now, when next needed).
   */
  async applyStatements(
    batch: BatchChanges,
    work: (tx: Queryable) => Promise<void>,
  ): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    try {
      // BEGIN and the position write go out without waiting for their answers, as a batch's do.
      await pipelinedTransaction(this.sql, async (tx) => {
        await work(tx);
        return { answers: this.positions.write(tx, position, batch.gtids) };
      });
    } finally {
      this.#staging.forget();
      await this.#parallel?.close();
    }
  }

  /** Drops the shared staging tables this writer created. */
  async close(): Promise<void> {
    await this.#parallel?.close();
  }

  async #transaction(work: (tx: Transaction) => Promise<Sent>): Promise<void> {
    try {
      await pipelinedTransaction(this.sql, work);
    } catch (err) {
      this.#staging.forget();
      throw err;
    }
  }

  /**
   * Applies `tables` in turn. Their answers come later: should a statement fail because an
   * earlier one did (PostgreSQL then refuses everything until the rollback), the earlier failure
   * is the one thrown, so a refused row or a key already stored is reported as such.
   */
  async #applyTables(
    tx: Transaction,
    tables: readonly TableChanges[],
    reusedStaging: boolean,
    merges: Merges,
  ): Promise<void> {
    try {
      for (const table of tables) await this.#applyTable(tx, table, reusedStaging, merges);
    } catch (err) {
      // Everything sent before has its answer by now (they come in order): any failure among them
      // is thrown here.
      await merges.done();
      throw err;
    }
  }

  /** Stages `table`'s rows and sends the statements that merge them, which join `merges`. */
  async #applyTable(
    tx: Transaction,
    table: TableChanges,
    reusedStaging: boolean,
    merges: Merges,
  ): Promise<void> {
    if (this.#plain(table) && !table.plan.wholeRow) {
      return merges.add(table, applyPlain(tx, table));
    }
    // The answer to a COPY's end is not waited for before what follows goes out, except before
    // the next COPY: once a COPY has finished, postgres.js sends a stray CopyFail (its stream's
    // autoDestroy), harmless outside a COPY, fatal to one begun meanwhile ("COPY from stdin
    // failed: null", seen with two tables COPYed in one batch).
    await this.#copied;
    if (table.plan.wholeRow) {
      const direct = !reusedStaging && !this.#mergeOnly.has(table.plan.targetName);
      const how = { staging: this.#staging, reused: reusedStaging, direct, dialect: this.#dialect };
      const { answer } = await applyKeyless(tx, table, merges, how);
      this.#copied = answer.catch(() => {});
      return;
    }
    const direct = reusedStaging ? null : directRows(table, this.#mergeOnly);
    if (direct) {
      const { answer } = await sendDirect(tx, table, direct);
      this.#copied = answer.catch(() => {});
      return merges.add(table, answer);
    }
    const named = (err: unknown) => {
      throw refusedRows(err, table, stagedKeyAt(table));
    };
    const { name, answer } = await this.#staging.send(tx, table, reusedStaging).catch(named);
    this.#copied = answer.catch(() => {});
    merges.add(table, answer.catch(named));
    merges.add(table, merge(tx, table, [name], this.#dialect));
  }

  #plain(table: TableChanges): boolean {
    return table.size <= this.#plainMaxRows;
  }
}
