/**
 * What the sink reads from a batch: the contract the pipeline's batches fulfil, so that the sink
 * needs nothing from the layers above it.
 *
 * @module
 */
import type { GtidTrail } from "../offsets/gtid_trail.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { TargetTable } from "./target.ts";

/** The final state of one key within a batch: the row to hold, or `null` for "deleted". */
export type FinalState = readonly (string | null)[] | null;

/** Where a table's rows go, and where they come from (for messages). */
export interface TableRoute {
  /** `"schema"."table"` of the target. */
  readonly targetName: string;
  /** `schema.table` of the source. */
  readonly sourceName: string;
  readonly target: TargetTable;
  /** The rows are identified by their whole value (no key): `TableChanges.rowCounts` holds them. */
  readonly wholeRow: boolean;
}

/** How the fields of a table's rows are laid out. */
export interface RowLayout {
  /** Target columns filled, in field order. */
  readonly columns: readonly string[];
  /** Positions of the key columns within `columns`. */
  readonly keyIndexes: readonly number[];
  /** The target columns of the key, in key order. */
  readonly keyColumns: readonly string[];
}

/** A distinct row of a table identified by its whole row, and how many copies a batch makes. */
export interface CountedRow {
  /** The row's fields, in `RowLayout.columns` order. */
  readonly fields: readonly (string | null)[];
  /** Copies the batch adds (more than 0) or removes (less than 0); never 0. */
  readonly count: number;
}

/**
 * One table's share of a batch: the last state of every key the batch touched; for a table whose
 * rows are identified by their whole row, how many copies of each row it adds or removes.
 */
export interface TableChanges {
  readonly plan: TableRoute;
  readonly encoder: RowLayout;
  /** Number of rows the apply writes. */
  readonly size: number;
  /** The rows, when the batch has only inserted into the table; otherwise null. */
  readonly insertedRows: readonly (readonly (string | null)[])[] | null;
  /**
   * Key (text of the key fields) to final state. For a whole-row identity, each counted row with
   * its fields when it is added, null when it is removed (for messages: `rowCounts` tells).
   */
  readonly states: ReadonlyMap<string, FinalState>;
  /** Key fields of a state entry, in key order. */
  keyFields(key: string): readonly (string | null)[];
  /**
   * Set when the table's rows are identified by their whole row (it has no key): each distinct row
   * by its text, with the copies to add or remove. Null for a keyed table.
   */
  readonly rowCounts: ReadonlyMap<string, CountedRow> | null;
}

/** Whole source transactions merged into the final state per (table, key). */
export interface BatchChanges {
  /** Where reading resumes once this batch is applied; null for a batch with nothing to store. */
  readonly position: BinlogPosition | null;
  /** The GTIDs of its transactions, which advance the GTID state stored with the position. */
  readonly gtids: GtidTrail;
  readonly tables: ReadonlyMap<unknown, TableChanges>;
}
