/**
 * What a DDL statement does to table definitions, as plain data: the statement-level changes
 * (create, drop, rename, truncate, alter) and the operations of one ALTER TABLE, in statement
 * order. `parse.ts` produces them, `apply_table.ts` and `apply_tables.ts` carry them out.
 *
 * @module
 */
import type { ColumnDefault, TableColumn } from "../table.ts";

/** A table as a statement names it, resolved against the session's default schema. */
export interface TableName {
  schema: string;
  table: string;
}

/** What the reader knows of the session and server that wrote the statement. */
export interface DdlContext {
  /** The session's default schema (the Query event's database); empty when there is none. */
  defaultSchema: string;
  /** Which server wrote it: their COLUMN_TYPE texts and comment syntax differ. */
  flavor: "mariadb" | "mysql";
  /**
   * The server's `explicit_defaults_for_timestamp` (on by default in MySQL 8 and MariaDB 10.10+).
   * When off, a TIMESTAMP column naming neither NULL nor a DEFAULT gets attributes chosen by the
   * server from the rest of the table, which is not understood.
   */
  explicitDefaultsForTimestamp?: boolean;
  /** `NO_BACKSLASH_ESCAPES` in the session's sql_mode: a backslash in a string is itself. */
  noBackslashEscapes?: boolean;
}

/** A column as a statement defines it; `charset` absent: text in the table's default charset. */
export interface ColumnSpec extends Omit<TableColumn, "charset" | "default"> {
  /** The character set the statement names (or its type implies); null: the column holds no text. */
  charset?: string | null;
  default: ColumnDefault;
  /**
   * TEXT(n): the smallest text type that holds n characters in the column's charset, known only
   * once the charset is (`columnType` is `text` until then).
   */
  textChars?: number;
  /** The BINARY attribute of a text type: the `_bin` collation of the column's charset. */
  binaryCollation?: boolean;
  /** PRIMARY KEY or UNIQUE written in the column definition itself. */
  inlineKey?: "primary" | "unique";
}

/** Where an added or changed column goes; absent: an added one last, a changed one in place. */
export type ColumnPosition = { first: true } | { after: string };

/** An index as a statement defines it (PRIMARY KEY is an operation of its own). */
export interface IndexSpec {
  /** Absent: MySQL names it after its first column. */
  name?: string;
  columns: string[];
  unique: boolean;
  functional?: boolean;
  /** The index of a FOREIGN KEY: created only when no index starts with its columns. */
  forForeignKey?: boolean;
}

/** One operation of an ALTER TABLE (or of CREATE/DROP INDEX, which are ALTERs in disguise). */
export type AlterOperation =
  | { kind: "add-column"; column: ColumnSpec; position?: ColumnPosition; ifNotExists: boolean }
  | { kind: "drop-column"; name: string; ifExists: boolean }
  /** CHANGE (a new name in `column.name`) and MODIFY (the same name): a full redefinition. */
  | {
    kind: "change-column";
    name: string;
    column: ColumnSpec;
    position?: ColumnPosition;
    ifExists: boolean;
  }
  | { kind: "rename-column"; name: string; to: string }
  /** ALTER COLUMN ... SET DEFAULT / DROP DEFAULT (then `{ kind: "none" }`). */
  | { kind: "set-default"; name: string; default: ColumnDefault; ifExists: boolean }
  | { kind: "add-primary-key"; columns: string[] }
  | { kind: "drop-primary-key" }
  | { kind: "add-index"; index: IndexSpec; ifNotExists: boolean }
  | { kind: "drop-index"; name: string; ifExists: boolean }
  | { kind: "rename-index"; name: string; to: string }
  /** DROP CONSTRAINT: a unique key of that name goes; a CHECK or FOREIGN KEY changes no layout. */
  | { kind: "drop-constraint"; name: string; ifExists: boolean }
  /** The table's default charset/collation: for columns defined from now on. */
  | { kind: "table-charset"; charset?: string; collation?: string }
  /** CONVERT TO CHARACTER SET: every text column, and the table default. */
  | { kind: "convert-charset"; charset: string; collation?: string }
  | { kind: "rename-table"; to: TableName }
  /** Partition maintenance: no layout change, but DROP/TRUNCATE remove rows without row events. */
  | { kind: "partition"; action: string; removesRows: boolean };

/** One change a statement makes. */
export type SchemaChange =
  | {
    kind: "create-table";
    table: TableName;
    ifNotExists: boolean;
    /** MariaDB's CREATE OR REPLACE: an existing table is dropped first. */
    orReplace: boolean;
    columns: ColumnSpec[];
    /** The keys and table options, in the ALTER vocabulary, applied after the columns. */
    operations: AlterOperation[];
  }
  | {
    kind: "create-table-like";
    table: TableName;
    like: TableName;
    ifNotExists: boolean;
    orReplace: boolean;
  }
  | { kind: "drop-table"; table: TableName; ifExists: boolean }
  /** One pair of RENAME TABLE; several pairs are carried out in order (swaps go through a name). */
  | { kind: "rename-table"; from: TableName; to: TableName }
  | { kind: "truncate-table"; table: TableName }
  | { kind: "alter-table"; table: TableName; ifExists: boolean; operations: AlterOperation[] }
  /** DROP DATABASE: every table of the schema goes. */
  | { kind: "drop-schema"; schema: string };

/** What a statement does, or why it could not be told. */
export type DdlOutcome =
  | { understood: true; changes: SchemaChange[] }
  /** `tables`: those the statement names (as far as the quick scan found them). */
  | { understood: false; reason: string; tables: TableName[] };

/** Thrown inside the reader for a statement it cannot understand; the reason is the message. */
export class DdlNotUnderstood extends Error {
  override name = "DdlNotUnderstood";
}

/**
 * Thrown when changes do not fit the definition they are applied to (a column to drop is not
 * there, a default charset is unknown...): the definition is out of step with the source.
 */
export class SchemaChangeError extends Error {
  override name = "SchemaChangeError";
}
