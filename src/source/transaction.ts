/**
 * What the binlog reader hands out: committed units of the binlog (transactions, standalone
 * statements, pieces of very large transactions) and the row changes they hold.
 *
 * @module
 */
import type { ZongJiColumnSchema } from "../convert/types.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { DdlApplied } from "../schema/history.ts";

/** A row image keyed by column name, values as the decoder produced them. */
export type Row = Record<string, unknown>;

/** The table a row event belongs to, with the column layout in force when it was written. */
export interface EventTable {
  schema: string;
  table: string;
  columns: readonly ZongJiColumnSchema[];
}

/** The rows of one row event. */
export type RowsChange =
  | { kind: "insert"; table: EventTable; rows: Row[] }
  | { kind: "update"; table: EventTable; rows: { before: Row; after: Row }[] }
  | { kind: "delete"; table: EventTable; rows: Row[] };

/** A committed unit of the binlog: a transaction, or a standalone statement such as DDL. */
export interface SourceTransaction {
  changes: RowsChange[];
  rowCount: number;
  /**
   * Estimated memory of its decoded rows: the binlog size of its row events plus a cost per row
   * image and column (`imageBytes`), since narrow rows take many times their binlog size.
   */
  bytes: number;
  /** Where reading resumes after this unit. */
  position: BinlogPosition;
  /** When the source wrote it (ms since epoch). */
  timestamp: number;
  gtid?: string;
  /**
   * The statement of a standalone (non-transactional) query event, e.g. DDL; `ddl` when it
   * touched a table of the schema history (which the reader has applied it to already).
   */
  statement?: { schema: string; sql: string; ddl?: DdlApplied };
  /**
   * A piece of a transaction too large to hold whole; more pieces follow and the last one (without
   * this flag) carries the commit position. `position` of a piece is not a resume point.
   */
  partial?: boolean;
  /** The transaction ended in ROLLBACK (logged because it touched non-transactional tables). */
  rolledBack?: boolean;
}
