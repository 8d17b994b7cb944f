/**
 * The definition of a source table: its columns in table order and its primary key.
 *
 * @module
 */
import type { SourceColumn } from "../convert/types.ts";

/** A source table as the catalog describes it now. */
export interface SourceTable {
  schema: string;
  table: string;
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** Columns in table order (filled by `loadColumns`). */
  columns: SourceColumn[];
}
