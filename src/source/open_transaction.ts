/**
 * The transaction the binlog reader is in the middle of: its row changes so far with an estimate
 * of the memory they take, its savepoints, and the pieces of it already handed out (a transaction
 * too large to hold whole).
 *
 * @module
 */
import type { BinlogPosition } from "../offsets/position.ts";
import type { RowsChange, SourceTransaction } from "./transaction.ts";

/**
 * Memory a decoded row image takes besides its binlog bytes: the row object, and per column a
 * slot and for most types a value object (a view of the packet for raw bytes, a string, a boxed
 * number). Measured under Deno 2.9 (heap per image against binlog bytes per row): 2 integers 67
 * against 9; id, integer, 1-byte varchar, NULL 170 against 11; 20 integers 870 against 83; the
 * bench's 6 columns (5 read as raw bytes) 890 against 225. Narrow rows take 10 to 15 times their
 * binlog size, so binlog bytes alone let a piece of narrow rows exhaust the heap.
 */
const IMAGE_BYTES = 64;
const COLUMN_BYTES = 64;

/** The estimated memory of one decoded row image of a table with `columns` columns. */
export function imageBytes(columns: number): number {
  return IMAGE_BYTES + COLUMN_BYTES * columns;
}

/**
 * A transaction whose rows are estimated to take more than this is handed out in pieces of about
 * this size (about 38,000 rows of four narrow columns, 18,000 of the bench's six).
 */
export const PIECE_BYTES = 12 << 20;

/** Where a savepoint was set: what the transaction held then. */
interface Savepoint {
  changes: number;
  rows: number;
  bytes: number;
  pieces: number;
}

/** What else a unit is than a committed transaction. */
export type UnitKind = Pick<SourceTransaction, "statement" | "rolledBack" | "partial">;

const COMMITTED: UnitKind = {};

/** The rows of the transaction being read, held until its commit (or until they fill a piece). */
export class OpenTransaction {
  #changes: RowsChange[] = [];
  #rows = 0;
  #bytes = 0;
  /** Pieces of this transaction handed out so far. */
  #pieces = 0;
  /** Savepoints by lower-case name; null until the first (they are rare). */
  #savepoints: Map<string, Savepoint> | null = null;
  #gtid: string | undefined;

  /** Whether it holds rows or handed pieces of itself out. */
  get touched(): boolean {
    return this.#changes.length > 0 || this.#pieces > 0;
  }

  /** Adds the rows of a row event, `bytes` their estimated memory; true once a piece is full. */
  add(change: RowsChange, bytes: number): boolean {
    this.#changes.push(change);
    this.#rows += change.rows.length;
    this.#bytes += bytes;
    return this.#bytes >= PIECE_BYTES;
  }

  /**
   * A new event group (a GTID event or BEGIN) starts: rows still held belong to no committed
   * transaction and are dropped. Throws when pieces of that transaction were handed out already
   * (they cannot be taken back).
   */
  begin(gtid: string | undefined): void {
    if (this.#pieces > 0) {
      throw new Error(
        `a transaction of which ${this.#pieces} piece(s) were applied ended without a commit ` +
          `event at ${gtid === undefined ? "a new event group" : `GTID ${gtid}`}`,
      );
    }
    this.#reset();
    this.#gtid = gtid;
  }

  /**
   * The rows held as a unit that ends at `position` (written at `timestamp`). A piece
   * (`kind.partial`) leaves the transaction open with no rows held; any other unit ends it.
   */
  take(
    position: BinlogPosition,
    timestamp: number,
    gtid: string | undefined,
    kind = COMMITTED,
  ): SourceTransaction {
    const unit: SourceTransaction = {
      changes: this.#changes,
      rowCount: this.#rows,
      bytes: this.#bytes,
      position,
      timestamp,
      gtid: this.#gtid ?? gtid,
    };
    // Most units are plain transactions: no copying of an empty object for them.
    if (kind !== COMMITTED) Object.assign(unit, kind);
    this.#changes = [];
    this.#rows = 0;
    this.#bytes = 0;
    if (kind.partial) {
      this.#pieces++;
    } else {
      this.#reset();
      this.#gtid = undefined;
    }
    return unit;
  }

  /** A ROLLBACK ended the transaction: the unit that ends it, without its rows. */
  rollback(
    position: BinlogPosition,
    timestamp: number,
    gtid: string | undefined,
  ): SourceTransaction {
    this.#changes = [];
    this.#rows = 0;
    this.#bytes = 0;
    return this.take(position, timestamp, gtid, { rolledBack: true });
  }

  /** `SAVEPOINT name`: what is held now is what `rollbackTo(name)` returns to. */
  savepoint(name: string): void {
    this.#savepoints ??= new Map();
    this.#savepoints.set(name.toLowerCase(), {
      changes: this.#changes.length,
      rows: this.#rows,
      bytes: this.#bytes,
      pieces: this.#pieces,
    });
  }

  /**
   * `ROLLBACK TO name`: the rows added since the savepoint are dropped (the source logs them when
   * the rolled-back statements also changed non-transactional tables). Throws when it cannot: the
   * savepoint is unknown, or rows since it went out in a piece.
   */
  rollbackTo(name: string): void {
    const mark = this.#savepoints?.get(name.toLowerCase());
    if (!mark) throw new Error(`ROLLBACK TO savepoint ${name}, which the binlog never set`);
    if (mark.pieces !== this.#pieces) {
      throw new Error(
        `ROLLBACK TO savepoint ${name} inside a transaction too large to hold: the rows it undoes ` +
          `were applied in a piece already`,
      );
    }
    this.#changes.length = mark.changes;
    this.#rows = mark.rows;
    this.#bytes = mark.bytes;
  }

  #reset(): void {
    if (this.#changes.length > 0) this.#changes = [];
    this.#rows = 0;
    this.#bytes = 0;
    this.#pieces = 0;
    this.#savepoints = null;
  }
}
