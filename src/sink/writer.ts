import type postgres from "postgres";
import { CopyIn } from "./copy_in.ts";
import { copyText } from "../convert/copy.ts";
import { qualified, quoteIdent, quoteLiteral } from "../convert/ident.ts";
import type { Batch, FinalState, TableBatch } from "../pipeline/batch.ts";
import type { PositionStore } from "./position_store.ts";
import { duplicateKeysRefused, keyIndexed } from "./target.ts";
import type { Queryable, Sql } from "./postgres.ts";

/** Flag column of staging tables; its name cannot clash because staging holds only target columns. */
const DELETED = quoteIdent("__mysql_gp_sync_deleted");

/** COPY data is sent in chunks of about this many characters. */
const COPY_CHUNK_CHARS = 1 << 20;

/** Statements sent: a promise (wrapped, so that awaiting `Sent` does not wait for it). */
interface Sent {
  answers: Promise<unknown>;
}

/** A connection with a transaction open on it. */
type Transaction = postgres.ReservedSql;

/** Where the parallel writers stage their parts: shared tables, since temp tables are per session. */
export interface SharedStaging {
  schema: string;
  syncId: string;
}

export interface WriterOptions {
  /** Needed with copiers. */
  sharedStaging?: SharedStaging;
  /**
   * A table's share of a batch up to this many rows goes in as plain DELETE and INSERT
   * statements: for a few rows that takes about half the time of staging (0.9 against 1.5 ms for
   * one row, 1.0 against 2.3 ms for ten, the same at a hundred, on this machine).
   */
  plainMaxRows?: number;
}

/**
 * Applies batches to PostgreSQL, each batch and its binlog position in one transaction: per table,
 * COPY the final states into staging, delete every touched key from the target and insert the
 * surviving rows. This needs neither `ON CONFLICT` nor `MERGE`, so it runs unchanged on PostgreSQL
 * and Greenplum 6/7.
 *
 * With parallel writers (`copiers`), each batch is split by key hash and every writer COPYs its
 * part into its own unlogged staging table at the same time; the merge and the position still
 * commit in one transaction, so a source transaction never becomes visible piecemeal.
 *
 * A table with only a few rows in the batch skips staging: its keys are deleted and its rows
 * inserted by plain statements carrying the same text values as literals.
 *
 * A table the batch only inserts into skips staging too: its rows are COPYed straight into the
 * target, which a unique index on the key makes safe. Should the target already hold one of the
 * keys, the index refuses the COPY, the batch rolls back and is applied again with the merge, as
 * is that table from then on.
 */
export class BatchWriter {
  /** Temporary staging table per (target, column list) on the committing session. */
  #staging = new Map<string, string>();
  /** Shared staging tables per (target, column list), one per copier. */
  #shared = new Map<string, string[]>();

  /** Targets found holding keys the source inserted: their inserts are merged, not COPYed. */
  #mergeOnly = new Set<string>();

  readonly #sharedStaging: SharedStaging | undefined;
  readonly #plainMaxRows: number;

  constructor(
    private readonly sql: Sql,
    private readonly positions: PositionStore,
    private readonly copiers: Sql[] = [],
    options: WriterOptions = {},
  ) {
    this.#sharedStaging = options.sharedStaging;
    this.#plainMaxRows = options.plainMaxRows ?? 0;
  }

  /** Applies the batch and stores its position atomically. */
  async apply(batch: Batch): Promise<void> {
    try {
      await this.#applyOnce(batch);
    } catch (err) {
      if (!(err instanceof KeysAlreadyStored)) throw err;
      // Nothing was applied; each retry merges one more table, so this ends.
      this.#mergeOnly.add(err.table.plan.targetName);
      await this.apply(batch);
    }
  }

  async #applyOnce(batch: Batch): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    const tables = [...batch.tables.values()].filter((t) => t.size > 0);
    const bulk = this.copiers.length > 0
      ? tables.filter((t) => !this.#plain(t) && !this.#insertedOnly(t))
      : [];
    const staged = bulk.length > 0
      ? await this.#copyInParallel(bulk)
      : new Map<TableBatch, string[]>();
    await this.#transaction(async (tx) => {
      // Sent first, so that its answer comes with the first COPY's rather than a round trip later.
      const stored = this.positions.write(tx, position, batch.gtid);
      stored.catch(() => {});
      const merges = new Merges();
      for (const table of tables) {
        const names = staged.get(table);
        if (names) merges.add(table, this.#merge(tx, table, names));
        else await this.#applyTable(tx, table, false, merges);
      }
      return { answers: Promise.all([merges.done(), stored]) };
    });
  }

  /**
   * Applies a transaction too large to hold in memory, piece by piece, inside one PostgreSQL
   * transaction, so it still becomes visible all at once. `pieces` yields the batches in binlog
   * order; the position of the last one is stored with them. Throwing from `pieces` rolls back.
   */
  async applyInPieces(pieces: AsyncIterable<Batch>): Promise<Batch | null> {
    let last: Batch | null = null;
    await this.#transaction(async (tx) => {
      for await (const piece of pieces) {
        const merges = new Merges();
        for (const table of piece.tables.values()) {
          if (table.size > 0) await this.#applyTable(tx, table, true, merges);
        }
        await merges.done();
        last = piece;
      }
      const final = last as Batch | null;
      if (final?.position) await this.positions.write(tx, final.position, final.gtid);
      return { answers: Promise.resolve() };
    });
    return last;
  }

  /** Empties a target table (a TRUNCATE on the source) together with the position after it. */
  async truncate(target: string, batch: Batch): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    await this.sql.begin(async (tx) => {
      await tx.unsafe(`TRUNCATE ${target}`);
      await this.positions.write(tx, position, batch.gtid);
    });
  }

  /** Drops the shared staging tables this writer created. */
  async close(): Promise<void> {
    for (const names of this.#shared.values()) {
      for (const name of names) await this.sql.unsafe(`DROP TABLE IF EXISTS ${name}`);
    }
    this.#shared.clear();
  }

  /**
   * Runs `work` in a transaction on one connection. `work` resolves once it has sent its last
   * statement, to the promise of the answers still due; COMMIT follows at once. Neither BEGIN's
   * answer nor those of the last statements are waited for before what comes next is sent
   * (postgres.js's `begin` waits for both): two round trips less per batch.
   */
  async #transaction(work: (tx: Transaction) => Promise<Sent>): Promise<void> {
    const tx = await this.sql.reserve();
    try {
      const begun = tx.unsafe("BEGIN");
      // Should BEGIN fail, so does what follows it; that failure is the one reported.
      begun.catch(() => {});
      const { answers } = await work(tx);
      answers.catch(() => {});
      const committed = tx.unsafe("COMMIT");
      committed.catch(() => {});
      await begun;
      await answers;
      // After a failed statement, COMMIT ends the transaction with a ROLLBACK (and no error); the
      // failure was thrown above. This guards against one that was not awaited.
      const { command } = await committed;
      if (command !== "COMMIT") throw new Error(`PostgreSQL answered COMMIT with ${command}`);
    } catch (err) {
      await tx.unsafe("ROLLBACK").catch(() => {});
      // The rollback may have taken the creation of staging tables with it.
      this.#staging.clear();
      throw err;
    } finally {
      tx.release();
    }
  }

  /** Stages `table`'s rows and sends the statements that merge them, which join `merges`. */
  async #applyTable(
    tx: Transaction,
    table: TableBatch,
    reusedStaging: boolean,
    merges: Merges,
  ): Promise<void> {
    if (this.#plain(table)) return merges.add(table, applyPlain(tx, table));
    const columns = table.encoder.columns.map(quoteIdent);
    const inserted = reusedStaging ? null : this.#insertedOnly(table);
    if (inserted) {
      return await copyLines(tx, table.plan.targetName, columns, rowLines(inserted)).catch(
        (err) => {
          throw (err as { code?: string }).code === UNIQUE_VIOLATION
            ? new KeysAlreadyStored(table)
            : refusedRows(err, table);
        },
      );
    }
    try {
      const staging = await this.#stagingFor(tx, table, columns);
      // Staging empties itself at commit; pieces of one transaction must clear it in between.
      if (reusedStaging) await tx.unsafe(`TRUNCATE ${staging}`);
      await copyLines(tx, staging, [...columns, DELETED], stagedLines(table, table.states));
      merges.add(table, this.#merge(tx, table, [staging]));
    } catch (err) {
      throw refusedRows(err, table);
    }
  }

  #plain(table: TableBatch): boolean {
    return table.size <= this.#plainMaxRows;
  }

  /** The table's rows if they may be COPYed straight into the target (see the class doc). */
  #insertedOnly(table: TableBatch): readonly (string | null)[][] | null {
    const { insertedRows, encoder, plan } = table;
    if (insertedRows === null || this.#mergeOnly.has(plan.targetName)) return null;
    return duplicateKeysRefused(plan.target, encoder.keyColumns) ? insertedRows : null;
  }

  /** Deletes every key staged in `staging` from the target and inserts the surviving rows. */
  async #merge(tx: Transaction, table: TableBatch, staging: string[]): Promise<void> {
    const { encoder, plan } = table;
    const columns = encoder.columns.map(quoteIdent);
    const list = columns.join(", ");
    const matches = encoder.keyIndexes.map((i) => `t.${columns[i]} = s.${columns[i]}`)
      .join(" AND ");
    // Left to its costs, the planner hashes the whole target whenever a batch is more than a
    // small fraction of it (2,048 staged rows against 120,000: 22 ms, and growing with the
    // table); an index lookup per staged key costs the same however large the table grows.
    // Without a key index the hash join is the only sensible plan, so the defaults stay.
    const lookups = keyIndexed(plan.target, encoder.keyColumns) ? "off" : "DEFAULT";
    // Sent with the first DELETE: without parameters both go as one simple query.
    let settings = `SET LOCAL enable_hashjoin TO ${lookups}; ` +
      `SET LOCAL enable_mergejoin TO ${lookups}; `;
    // One statement per staging table (not a UNION ALL) keeps the plan of the single-writer path.
    // All are sent at once (postgres.js pipelines them): a round trip each would wait for this
    // process to turn to PostgreSQL's answer while it reads the binlog.
    const statements: Promise<unknown>[] = [];
    for (const s of staging) {
      statements.push(
        tx.unsafe(`${settings}DELETE FROM ${plan.targetName} t USING ${s} s WHERE ${matches}`),
      );
      settings = "";
    }
    for (const s of staging) {
      statements.push(tx.unsafe(
        `INSERT INTO ${plan.targetName} (${list}) SELECT ${list} FROM ${s} WHERE NOT ${DELETED}`,
      ));
    }
    await Promise.all(statements);
  }

  async #stagingFor(tx: Transaction, table: TableBatch, columns: string[]): Promise<string> {
    const id = layoutId(table);
    let name = this.#staging.get(id);
    if (name === undefined) {
      const bare = quoteIdent(`mysql_gp_sync_stage_${this.#staging.size + 1}`);
      name = `pg_temp.${bare}`;
      await tx.unsafe(`DROP TABLE IF EXISTS ${name}`);
      await tx.unsafe(
        `CREATE TEMP TABLE ${bare} ON COMMIT DELETE ROWS AS ${stagingQuery(table, columns)}`,
      );
      this.#staging.set(id, name);
    }
    return name;
  }

  /** Splits the tables' final states by key hash and COPYs part i through copier i, all at once. */
  async #copyInParallel(tables: TableBatch[]): Promise<Map<TableBatch, string[]>> {
    const staged = new Map<TableBatch, string[]>();
    const parts = this.copiers.map(() => new Map<TableBatch, Map<string, FinalState>>());
    for (const table of tables) {
      staged.set(table, await this.#sharedFor(table));
      const split = this.copiers.map(() => new Map<string, FinalState>());
      for (const [key, state] of table.states) split[hash(key) % split.length].set(key, state);
      split.forEach((states, i) => parts[i].set(table, states));
    }
    await Promise.all(this.copiers.map((copier, i) =>
      copier.begin(async (tx) => {
        for (const [table, states] of parts[i]) {
          const name = staged.get(table)![i];
          const columns = table.encoder.columns.map(quoteIdent);
          // Leftovers of a batch whose merge failed would be merged twice; start empty.
          await tx.unsafe(`TRUNCATE ${name}`);
          if (states.size > 0) {
            await copyLines(tx, name, [...columns, DELETED], stagedLines(table, states));
          }
        }
      })
    ));
    return staged;
  }

  async #sharedFor(table: TableBatch): Promise<string[]> {
    const id = layoutId(table);
    let names = this.#shared.get(id);
    if (names === undefined) {
      const { schema, syncId } = this.#sharedStaging!;
      const tag = hash(`${syncId}\u0000${id}`).toString(36);
      const columns = table.encoder.columns.map(quoteIdent);
      names = this.copiers.map((_, i) => qualified(schema, `mysql_gp_sync_stage_${tag}_${i}`));
      for (const name of names) {
        // Unlogged: staging is rebuilt from the binlog after a crash anyway, so no WAL is needed.
        await this.sql.unsafe(`DROP TABLE IF EXISTS ${name}`);
        await this.sql.unsafe(`CREATE UNLOGGED TABLE ${name} AS ${stagingQuery(table, columns)}`);
      }
      this.#shared.set(id, names);
    }
    return names;
  }
}

/**
 * Merge statements sent and not yet answered. postgres.js runs a transaction's statements in the
 * order they were sent, so later work need not wait for their answers; a failure still surfaces,
 * from `done`, named after its table.
 */
class Merges {
  #pending: Promise<void>[] = [];

  add(table: TableBatch, merge: Promise<void>): void {
    const named = merge.catch((err) => {
      throw refusedRows(err, table);
    });
    // Should a later statement fail first, the caller gives up before `done`: no unhandled rejection.
    named.catch(() => {});
    this.#pending.push(named);
  }

  async done(): Promise<void> {
    await Promise.all(this.#pending);
  }
}

const UNIQUE_VIOLATION = "23505";

/** A COPY straight into the target met a key the target already holds. */
class KeysAlreadyStored extends Error {
  constructor(readonly table: TableBatch) {
    super(`${table.plan.targetName} already holds keys the batch inserts`);
  }
}

/**
 * Names the table when PostgreSQL refuses data (a value it cannot store, a constraint), keeping
 * the server's own words and where it points; other errors (lost connections) pass unchanged.
 */
function refusedRows(err: unknown, table: TableBatch): unknown {
  const e = err as { code?: string; message?: string; where?: string };
  if (!/^2[23]/.test(e.code ?? "")) return err;
  const where = e.where ? ` (${e.where.split("\n")[0]})` : "";
  return new Error(
    `PostgreSQL refused rows of MySQL ${table.plan.sourceName} for ${table.plan.targetName}: ` +
      `${e.message}${where}`,
  );
}

/** Identifies a target table together with the column list its rows fill. */
function layoutId(table: TableBatch): string {
  return `${table.plan.targetName}\u0000${table.encoder.columns.join("\u0000")}`;
}

/** CREATE TABLE AS copies types but not constraints: deleted keys carry NULLs elsewhere. */
function stagingQuery(table: TableBatch, columns: string[]): string {
  return `SELECT ${
    columns.join(", ")
  }, false AS ${DELETED} FROM ${table.plan.targetName} WITH NO DATA`;
}

/** FNV-1a over UTF-16 code units: cheap and evenly spread for splitting keys among writers. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Deletes every key of `table` from the target and inserts its surviving rows, in one round trip.
 * The values are untyped literals: PostgreSQL reads them with the column types' input functions,
 * as it reads COPY text. (Parameters would not do: postgres.js rewrites them by the types the
 * server describes, a timestamp through JavaScript's Date, say.)
 */
async function applyPlain(tx: Transaction, table: TableBatch): Promise<void> {
  const columns = table.encoder.columns.map(quoteIdent);
  const keys = table.encoder.keyIndexes.map((i) => columns[i]);
  const keyTuples: string[] = [];
  const rowTuples: string[] = [];
  for (const [key, state] of table.states) {
    keyTuples.push(literalTuple(table.keyFields(key)));
    if (state !== null) rowTuples.push(literalTuple(state));
  }
  const target = table.plan.targetName;
  let statements = `DELETE FROM ${target} WHERE (${keys.join(", ")}) IN (${keyTuples.join(", ")})`;
  if (rowTuples.length > 0) {
    statements += `; INSERT INTO ${target} (${columns.join(", ")}) VALUES ${rowTuples.join(", ")}`;
  }
  // Without parameters postgres.js sends it as a simple query: both statements at once, and no
  // prepared statement left behind per text.
  await tx.unsafe(statements);
}

function literalTuple(fields: (string | null)[]): string {
  return `(${fields.map(quoteLiteral).join(", ")})`;
}

/** COPYs `lines` (COPY text lines) into `into`, sent in chunks. */
async function copyLines(
  tx: Queryable,
  into: string,
  columns: string[],
  lines: Iterable<string>,
): Promise<void> {
  const copy = await CopyIn.open(tx, `COPY ${into} (${columns.join(", ")}) FROM STDIN`);
  let chunk = "";
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= COPY_CHUNK_CHARS) {
      await copy.write(chunk);
      chunk = "";
    }
  }
  await copy.write(chunk);
  await copy.end();
}

function* rowLines(rows: readonly (string | null)[][]): Generator<string> {
  for (const row of rows) yield copyText(row);
}

/** Staging lines: each state with its deleted flag; deleted keys carry only their key fields. */
function* stagedLines(
  table: TableBatch,
  states: ReadonlyMap<string, FinalState>,
): Generator<string> {
  const width = table.encoder.columns.length;
  const keyIndexes = table.encoder.keyIndexes;
  for (const [key, state] of states) {
    if (state === null) {
      const fields = new Array<string | null>(width).fill(null);
      const keyFields = table.keyFields(key);
      keyIndexes.forEach((index, i) => fields[index] = keyFields[i]);
      yield copyText(fields, "t");
    } else {
      yield copyText(state, "f");
    }
  }
}
