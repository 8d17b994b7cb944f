/**
 * What the sink reads from a batch: the contract the pipeline's batches fulfil, so that the sink
 * needs nothing from the layers above it.
 *
 * @module
 */
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

/** One table's share of a batch: the last state of every key the batch touched. */
export interface TableChanges {
  readonly plan: TableRoute;
  readonly encoder: RowLayout;
  /** Number of rows the apply writes. */
  readonly size: number;
  /** The rows, when the batch has only inserted into the table; otherwise null. */
  readonly insertedRows: readonly (readonly (string | null)[])[] | null;
  /** Key (text of the key fields) to final state. */
  readonly states: ReadonlyMap<string, FinalState>;
  /** Key fields of a state entry, in key order. */
  keyFields(key: string): readonly string[];
}

/** Whole source transactions merged into the final state per (table, key). */
export interface BatchChanges {
  /** Where reading resumes once this batch is applied; null for a batch with nothing to store. */
  readonly position: BinlogPosition | null;
  readonly gtid: string | null;
  readonly tables: ReadonlyMap<unknown, TableChanges>;
}
