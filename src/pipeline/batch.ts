/**
 * Source transactions merged into batches: the final state of every touched key per table (the
 * copies added or removed per distinct row, for a keyless table), with the counts, bytes and
 * position the flush policy and the position store need.
 *
 * @module
 */
import { GtidTrail } from "../offsets/gtid_trail.ts";
import { type BinlogPosition, comparePositions } from "../offsets/position.ts";
import type { OpCounts } from "../observe/stats.ts";
import type { Row, RowsChange, SourceTransaction } from "../source/transaction.ts";
import { KeylessTableBatch } from "./keyless_batch.ts";
import type { RowEncoder, TablePlan } from "./plan.ts";

/**
 * Joins key fields into one map key. Encoded fields never contain NUL (PostgreSQL text cannot hold
 * it, so the encoders remove it; other types have no NUL in their text form), so it separates
 * them unambiguously. Key fields are never null: the plan refuses a key PostgreSQL cannot store.
 */
const KEY_SEPARATOR = "\u0000";

function keyText(fields: (string | null)[]): string {
  return fields.length === 1 ? fields[0]! : fields.join(KEY_SEPARATOR);
}

/** `keyText` of the key fields within a whole row's fields, without gathering them first. */
function keyTextOf(fields: (string | null)[], keyIndexes: readonly number[]): string {
  let key = fields[keyIndexes[0]]!;
  for (let i = 1; i < keyIndexes.length; i++) key += KEY_SEPARATOR + fields[keyIndexes[i]];
  return key;
}

/** The final state of one key within a batch: the row to hold, or `null` for "deleted". */
export type FinalState = (string | null)[] | null;

/**
 * One target table's share of a batch: the last state of every key its source tables touched
 * (several, when a rule merges tables into one target; each encodes its rows with its own encoder,
 * of the same fields). One map for all of them means the last change of a key wins whichever
 * source table made it, so a key moving between them within a batch ends right.
 *
 * As long as the batch has only inserted into the table, its rows are kept as a list: their keys
 * are the row identity (the source's primary key) of rows that did not exist before, so they are
 * distinct, and no map is needed; a whole-row identity would not make them so, nor two source
 * tables without distinct source tags. The first update or delete turns the list into the map by
 * key.
 */
export class TableBatch {
  /** Source row changes merged in, by kind. */
  readonly ops: OpCounts = { insert: 0, update: 0, delete: 0 };
  #inserted: (string | null)[][] = [];
  #states: Map<string, FinalState> | null = null;

  constructor(readonly plan: TablePlan, readonly encoder: RowEncoder) {}

  /** Number of rows the apply writes. */
  get size(): number {
    return this.#states?.size ?? this.#inserted.length;
  }

  /** The rows, when the batch has only inserted into the table; otherwise null. */
  get insertedRows(): readonly (string | null)[][] | null {
    return this.#states === null ? this.#inserted : null;
  }

  /** Key (text of the key fields) to final state. */
  get states(): ReadonlyMap<string, FinalState> {
    return this.#keyed();
  }

  /** Key fields of a state entry, reconstructed from its key text. */
  keyFields(key: string): string[] {
    return key.split(KEY_SEPARATOR);
  }

  /** Keyed: no rows are counted (see `KeylessTableBatch`). */
  get rowCounts(): null {
    return null;
  }

  /** From now on, every row is kept by key: inserted keys may repeat (see the class). */
  keyByMap(): void {
    this.#keyed();
  }

  /** Records the row image `after` as the final state of its key. */
  upsert(encoder: RowEncoder, after: Row): void {
    const fields = encoder.encode(after);
    if (this.#states === null) this.#inserted.push(fields);
    else this.#states.set(keyTextOf(fields, encoder.keyIndexes), fields);
  }

  /**
   * Records the key of the row image `before` as deleted; on a soft-delete route, the image
   * flagged as deleted at `at` (the commit time) as its final state.
   */
  remove(encoder: RowEncoder, before: Row, at: string): void {
    this.#keyed().set(...this.#gone(encoder, before, at));
  }

  /** An UPDATE: a changed key deletes the old one, then the new image is the final state. */
  update(encoder: RowEncoder, before: Row, after: Row, at: string): void {
    const states = this.#keyed();
    const fields = encoder.encode(after);
    const newKey = keyTextOf(fields, encoder.keyIndexes);
    if (!encoder.sameKey(before, after)) {
      const [oldKey, state] = this.#gone(encoder, before, at);
      // Order within a batch does not matter: every touched key is deleted before any is inserted.
      if (oldKey !== newKey) states.set(oldKey, state);
    }
    states.set(newKey, fields);
  }

  /** The key of the row image `before` and what becomes of it when it leaves the source. */
  #gone(encoder: RowEncoder, before: Row, at: string): [string, FinalState] {
    if (encoder.softDeleted === null) return [keyText(encoder.encodeKey(before)), null];
    const fields = encoder.softDeleted(before, at);
    return [keyTextOf(fields, encoder.keyIndexes), fields];
  }

  #keyed(): Map<string, FinalState> {
    if (this.#states === null) {
      this.#states = new Map();
      for (const fields of this.#inserted) {
        this.#states.set(keyTextOf(fields, this.encoder.keyIndexes), fields);
      }
      this.#inserted = [];
    }
    return this.#states;
  }
}

/** One table's share of a batch, keyed or keyless. */
export type TableShare = TableBatch | KeylessTableBatch;

/**
 * Whole source transactions merged into the final state per (table, key).
 *
 * Applying a batch means: delete every touched key from the target, then insert the final row of
 * every key that still exists. That gives the same table state however often it is repeated, so
 * replaying a batch after a crash is harmless. A keyless table's counts (`KeylessTableBatch`)
 * are applied exactly once instead: its batches commit with their position, and a table loaded
 * as of a later position than the run's start skips what it holds already (`TablePlan.rowsAsOf`).
 */
export class Batch {
  /** The shares, by the plan of the first source table whose rows they took. */
  readonly tables = new Map<TablePlan, TableShare>();
  /** The share of every plan whose rows the batch holds, and the encoder they came with. */
  #held = new Map<TablePlan, { share: TableShare; encoder: RowEncoder }>();
  /** Row changes merged in per source table, by kind (a merged share counts them together). */
  readonly sourceOps = new Map<TablePlan, OpCounts>();
  /** How many source tables write into each share. */
  #sourcesOf = new Map<TableShare, number>();
  /** The first share of every target (`TablePlan.targetName`), which later source tables join. */
  #shareOfTarget = new Map<string, TableShare>();
  /** The source tags (null: none) of the source tables writing into each share. */
  #tagsOf = new Map<TableShare, Set<string | null>>();
  /** Row changes read from the binlog into this batch (before merging). */
  changes = 0;
  /** Estimated memory of the decoded rows merged in (`SourceTransaction.bytes`). */
  bytes = 0;
  transactions = 0;
  /** When the first transaction was added (ms since epoch, local clock). */
  startedAt = 0;
  /** Where reading resumes once this batch is applied. */
  position: BinlogPosition | null = null;
  gtid: string | null = null;
  /** The GTIDs of the transactions, for the GTID state stored with the position. */
  readonly gtids = new GtidTrail();
  /** GTID of the first transaction, for messages (`gtid` is the last one's). */
  firstGtid: string | null = null;
  /** Source commit time of the last transaction (ms since epoch). */
  sourceTimestamp = 0;

  get empty(): boolean {
    return this.transactions === 0;
  }

  /**
   * True if adding `tx` would put rows of a different column layout beside existing ones: of a
   * source table, or of another source table into the same target.
   */
  conflicts(
    tx: SourceTransaction,
    planFor: (change: RowsChange) => TablePlan | undefined,
  ): boolean {
    for (const change of tx.changes) {
      const plan = planFor(change);
      if (!plan) continue;
      const encoder = plan.encoderFor(change.table.columns);
      const held = this.#held.get(plan);
      if (held !== undefined) {
        if (held.encoder !== encoder) return true;
        continue;
      }
      const share = this.#shareOfTarget.get(plan.targetName);
      if (share && !sameFields(share, plan, encoder)) return true;
    }
    return false;
  }

  /** The share `plan`'s rows went to and how many source tables write into it; undefined: none. */
  heldBy(plan: TablePlan): { share: TableShare; sources: number } | undefined {
    const held = this.#held.get(plan);
    return held && { share: held.share, sources: this.#sourcesOf.get(held.share)! };
  }

  /** Merges a committed transaction into the batch. */
  add(tx: SourceTransaction, planFor: (change: RowsChange) => TablePlan | undefined): void {
    if (this.transactions === 0) {
      this.startedAt = Date.now();
      this.firstGtid = tx.gtid ?? null;
    }
    this.transactions++;
    this.changes += tx.rowCount;
    this.bytes += tx.bytes;
    this.position = tx.position;
    this.gtid = tx.gtid ?? null;
    if (tx.gtid !== undefined) this.gtids.note(tx.gtid);
    this.sourceTimestamp = tx.timestamp;
    // The deleting commit's time of soft-deleted rows, made once per transaction that has one
    let at: string | null = null;
    for (const change of tx.changes) {
      const plan = planFor(change);
      if (!plan) continue;
      // A table loaded as of a later position than the batch's already holds this change.
      const loaded = plan.rowsAsOf;
      if (loaded && comparePositions(tx.position, loaded) <= 0) continue;
      const encoder = plan.encoderFor(change.table.columns);
      const table = this.#shareOf(plan, encoder);
      table.ops[change.kind] += change.rows.length;
      let ops = this.sourceOps.get(plan);
      if (!ops) this.sourceOps.set(plan, ops = { insert: 0, update: 0, delete: 0 });
      ops[change.kind] += change.rows.length;
      if (change.kind !== "insert" && encoder.softDeleted) at ??= commitTime(tx.timestamp);
      switch (change.kind) {
        case "insert":
          for (const row of change.rows) table.upsert(encoder, row);
          break;
        case "delete":
          for (const row of change.rows) table.remove(encoder, row, at ?? "");
          break;
        case "update":
          for (const { before, after } of change.rows) {
            table.update(encoder, before, after, at ?? "");
          }
          break;
      }
    }
  }

  /**
   * The share `plan`'s rows go to: its target's, when another source table of the same fields
   * has one already (a merged target); else a share of its own.
   */
  #shareOf(plan: TablePlan, encoder: RowEncoder): TableShare {
    const held = this.#held.get(plan);
    if (held !== undefined) return held.share;
    let share: TableShare;
    const joined = this.#shareOfTarget.get(plan.targetName);
    if (joined && sameFields(joined, plan, encoder)) {
      share = joined;
      this.#joinTags(joined, plan);
    } else {
      share = plan.wholeRow ? new KeylessTableBatch(plan, encoder) : new TableBatch(plan, encoder);
      this.tables.set(plan, share);
      this.#tagsOf.set(share, new Set([plan.route.sourceTag?.value ?? null]));
      if (!joined) this.#shareOfTarget.set(plan.targetName, share);
    }
    this.#held.set(plan, { share, encoder });
    this.#sourcesOf.set(share, (this.#sourcesOf.get(share) ?? 0) + 1);
    return share;
  }

  /**
   * Notes that `plan` writes into `share` too. Without distinct source tags, the source tables'
   * inserted keys may be equal: the share keeps its rows by key from now on.
   */
  #joinTags(share: TableShare, plan: TablePlan): void {
    const tags = this.#tagsOf.get(share)!;
    const tag = plan.route.sourceTag?.value ?? null;
    if (tag === null || tags.has(tag) || tags.has(null)) {
      if (share instanceof TableBatch) share.keyByMap();
    }
    tags.add(tag);
  }
}

/** Whether rows of `plan` encoded by `encoder` have the fields of `share`'s rows. */
function sameFields(share: TableShare, plan: TablePlan, encoder: RowEncoder): boolean {
  const held = share.encoder;
  return share.plan.wholeRow === plan.wholeRow &&
    held.columns.join(KEY_SEPARATOR) === encoder.columns.join(KEY_SEPARATOR) &&
    held.keyIndexes.join() === encoder.keyIndexes.join();
}

/** A commit time (ms since epoch) as timestamptz text, in UTC. */
export function commitTime(ms: number): string {
  return new Date(ms).toISOString();
}
