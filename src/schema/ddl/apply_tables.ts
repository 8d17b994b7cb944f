/**
 * Carries out a statement's schema changes on a set of known table definitions: CREATE adds one,
 * CREATE ... LIKE copies one, DROP and DROP DATABASE remove, RENAME moves (pairs in order, so
 * swaps work), ALTER goes through `applyAlterTable`. A table whose definition the changes do not
 * determine (created LIKE an unknown table, or renamed from one) leaves the set: a caller that
 * follows it must then read its definition elsewhere.
 *
 * @module
 */
import { type SourceTable, tableKey } from "../table.ts";
import {
  type AlterOperation,
  type ColumnSpec,
  type SchemaChange,
  SchemaChangeError,
  type TableName,
} from "./changes.ts";
import { applyAlterTable } from "./apply_table.ts";

/** Known definitions by `tableKey` (`schema/table.ts`). */
export type TableDefinitions = ReadonlyMap<string, SourceTable>;

/** What the changes need to know beyond the definitions. */
export interface ApplyContext {
  /**
   * The default character set of a schema (INFORMATION_SCHEMA.SCHEMATA), for a table created
   * without one; undefined when not known.
   */
  schemaCharset?: (schema: string) => string | undefined;
}

/** The key of a named table in {@link TableDefinitions}. */
function keyOf(name: TableName): string {
  return tableKey(name.schema, name.table);
}

/**
 * The definitions after `changes`, in a new map (`definitions` is not changed); throws
 * {@link SchemaChangeError} when a change does not fit them.
 */
export function applySchemaChanges(
  definitions: TableDefinitions,
  changes: readonly SchemaChange[],
  context: ApplyContext = {},
): Map<string, SourceTable> {
  const tables = new Map(definitions);
  for (const change of changes) applyChange(tables, change, context);
  return tables;
}

function applyChange(
  tables: Map<string, SourceTable>,
  change: SchemaChange,
  context: ApplyContext,
): void {
  switch (change.kind) {
    case "create-table":
    case "create-table-like": {
      const key = keyOf(change.table);
      if (tables.has(key) && !change.orReplace) {
        if (change.ifNotExists) return;
        throw new SchemaChangeError(`table ${describe(change.table)} to create is already there`);
      }
      tables.delete(key);
      const created = change.kind === "create-table"
        ? createdTable(change.table, change.columns, change.operations, context)
        : copiedTable(tables.get(keyOf(change.like)), change.table);
      if (created !== undefined) tables.set(key, created);
      return;
    }
    case "drop-table":
      tables.delete(keyOf(change.table));
      return;
    case "drop-schema":
      for (const [key, table] of tables) if (table.schema === change.schema) tables.delete(key);
      return;
    case "rename-table":
      move(tables, change.from, change.to, (table) => table);
      return;
    case "alter-table": {
      const rename = change.operations.findLast((o) => o.kind === "rename-table");
      const to = rename?.kind === "rename-table" ? rename.to : change.table;
      move(tables, change.table, to, (table) => applyAlterTable(table, change.operations));
      return;
    }
    case "truncate-table":
      return;
  }
}

/** Moves the definition of `from` to `to` through `alter`; `to` is unknown when `from` is. */
function move(
  tables: Map<string, SourceTable>,
  from: TableName,
  to: TableName,
  alter: (table: SourceTable) => SourceTable,
): void {
  const table = tables.get(keyOf(from));
  const renamed = keyOf(from) !== keyOf(to);
  if (renamed && tables.has(keyOf(to))) {
    throw new SchemaChangeError(`table ${describe(to)} to rename to is already there`);
  }
  tables.delete(keyOf(from));
  if (table !== undefined) tables.set(keyOf(to), { ...alter(table), ...to });
}

/** CREATE TABLE with columns: an empty table in the schema's charset, altered to have them. */
function createdTable(
  name: TableName,
  columns: readonly ColumnSpec[],
  operations: readonly AlterOperation[],
  context: ApplyContext,
): SourceTable {
  const empty: SourceTable = { ...name, primaryKey: [], columns: [], indexes: [] };
  const schemaCharset = context.schemaCharset?.(name.schema);
  if (schemaCharset !== undefined) empty.defaultCharset = schemaCharset;
  const adds = columns.map((column): AlterOperation => ({
    kind: "add-column",
    column,
    ifNotExists: false,
  }));
  return applyAlterTable(empty, [...adds, ...operations]);
}

/** CREATE TABLE ... LIKE: the same columns and keys under a new name; unknown from unknown. */
function copiedTable(like: SourceTable | undefined, name: TableName): SourceTable | undefined {
  if (like === undefined) return undefined;
  return structuredClone({ ...like, ...name });
}

function describe(name: TableName): string {
  return `${name.schema}.${name.table}`;
}
