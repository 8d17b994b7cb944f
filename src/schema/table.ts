/**
 * The definition of a source table: its columns in table order, its primary key and, when known,
 * its other indexes, default character set and the columns' defaults. The catalog fills the
 * required parts; DDL read from the binlog (`schema/ddl/`) can fill the rest. And the key tables
 * are looked up by.
 *
 * @module
 */
import type { SourceColumn } from "../convert/types.ts";

/** The key of table `schema`.`table` in maps of tables: names compare exactly, as on Linux. */
export function tableKey(schema: string, table: string): string {
  return `${schema}\u0000${table}`;
}

/** A source table as the catalog describes it now, or as DDL has made it. */
export interface SourceTable {
  schema: string;
  table: string;
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
  /** Columns in table order (filled by `loadColumns`). */
  columns: TableColumn[];
  /** Every index but the primary key, in creation order; absent when not known. */
  indexes?: TableIndex[];
  /** The table's default character set (what a text column naming none gets), when known. */
  defaultCharset?: string;
  /** The table's default collation, when known. */
  defaultCollation?: string;
}

/** A column as far as it is known: a {@link SourceColumn}, plus what DDL tells. */
export interface TableColumn extends SourceColumn {
  /** Collation of a text column, when known. */
  collation?: string;
  /** The DEFAULT clause; absent when not known. */
  default?: ColumnDefault;
  /** The expression of a generated column (`generated` is then set too), when known. */
  generation?: ColumnGeneration;
}

/**
 * A column's DEFAULT clause. Values are as the statement wrote them (MySQL converts them to the
 * column's type when it stores them: `1.5` shows as `1.50` in a `decimal(5,2)`).
 */
export type ColumnDefault =
  /** No DEFAULT clause: existing rows of an added column get NULL or the type's implicit value. */
  | { kind: "none" }
  | { kind: "null" }
  /** A string (its value, escapes undone) or a number (as written; TRUE and FALSE as 1 and 0). */
  | { kind: "literal"; value: string; quoted: boolean }
  /** A hexadecimal or bit literal, as the hex digits of its bytes. */
  | { kind: "bytes"; hex: string }
  /** CURRENT_TIMESTAMP and its synonyms (NOW(), LOCALTIMESTAMP...), with fractional digits. */
  | { kind: "current-timestamp"; fsp: number }
  /** Any other expression (MariaDB 10.2+, MySQL 8.0.13+), as written. */
  | { kind: "expression"; text: string };

/** How a generated column is computed. */
export interface ColumnGeneration {
  /** The expression as the statement wrote it, without its outer parentheses. */
  expression: string;
  /** STORED (PERSISTENT) rather than VIRTUAL. */
  stored: boolean;
}

/** An index other than the primary key. */
export interface TableIndex {
  name: string;
  /** The columns of its key parts in key order (prefix lengths dropped). */
  columns: string[];
  unique: boolean;
  /** Set when some key part is an expression: `columns` then do not make a row unique. */
  functional?: boolean;
}
