/**
 * Carries out one ALTER TABLE on a table definition the way MySQL and MariaDB do
 * (`mysql_prepare_alter_table`): table charset options first; then the columns, where DROP,
 * CHANGE, MODIFY, RENAME COLUMN and ALTER COLUMN all name columns by their old names (so
 * `RENAME COLUMN a TO b, RENAME COLUMN b TO a` swaps), changed columns stay in place unless
 * positioned, and added and positioned columns go in statement order (AFTER names a column of the
 * new list); then the keys, which follow renamed columns and lose dropped ones; then CONVERT TO
 * CHARACTER SET over every text column.
 *
 * @module
 */
import { dataTypeOf } from "../../convert/types.ts";
import type { ColumnDefault, SourceTable, TableColumn, TableIndex } from "../table.ts";
import {
  type AlterOperation,
  type ColumnPosition,
  type ColumnSpec,
  SchemaChangeError,
} from "./changes.ts";
import { charsetName, charsetOfCollation, convertedTextType } from "./charsets.ts";
import { resolveColumn, type TableDefaults } from "./resolve_column.ts";

/** The definition `table` has after `operations`; throws {@link SchemaChangeError} on a misfit. */
export function applyAlterTable(
  table: SourceTable,
  operations: readonly AlterOperation[],
): SourceTable {
  const defaults = tableDefaults(table, operations);
  const { columns, skipped } = alteredColumns(table.columns, operations, defaults);
  const keys = alteredKeys(table, operations.filter((o) => !skipped.has(o)), columns);
  for (const name of keys.primaryKey) {
    const index = findColumn(columns, name);
    columns[index] = { ...columns[index], nullable: false };
  }
  const result: SourceTable = { ...table, columns, primaryKey: keys.primaryKey };
  if (keys.indexes === undefined) delete result.indexes;
  else result.indexes = keys.indexes;
  setOptional(result, "defaultCharset", defaults.charset);
  setOptional(result, "defaultCollation", defaults.collation);
  for (const operation of operations) {
    if (operation.kind === "convert-charset") {
      result.columns = result.columns.map((column) =>
        converted(column, operation.charset, operation.collation)
      );
    } else if (operation.kind === "rename-table") {
      result.schema = operation.to.schema;
      result.table = operation.to.table;
    }
  }
  return result;
}

function setOptional<K extends "defaultCharset" | "defaultCollation">(
  table: SourceTable,
  key: K,
  value: string | undefined,
): void {
  if (value === undefined) delete table[key];
  else table[key] = value;
}

/** The table's default charset and collation once the statement's options are applied. */
function tableDefaults(table: SourceTable, operations: readonly AlterOperation[]): TableDefaults {
  let charset = table.defaultCharset;
  let collation = table.defaultCollation;
  for (const operation of operations) {
    if (operation.kind !== "table-charset" && operation.kind !== "convert-charset") continue;
    if (operation.charset !== undefined) {
      charset = charsetName(operation.charset);
      collation = operation.collation === undefined ? undefined : charsetName(operation.collation);
    } else if (operation.collation !== undefined) {
      collation = charsetName(operation.collation);
      charset = charsetOfCollation(collation) ?? charset;
    }
  }
  return { charset, collation };
}

function folded(name: string): string {
  return name.toLowerCase();
}

/** The index of column `name` in `columns` (names compare ignoring case), or -1. */
function findColumn(columns: readonly { name: string }[], name: string): number {
  const wanted = folded(name);
  return columns.findIndex((column) => folded(column.name) === wanted);
}

/** CHANGE, MODIFY or RENAME COLUMN: a column redefined, named by its old name. */
type ColumnChange = Extract<AlterOperation, { kind: "change-column" | "rename-column" }>;

/** What a statement does to the old columns, by their folded old names. */
interface OldColumnPlan {
  dropped: Set<string>;
  changed: Map<string, ColumnChange>;
  /** ALTER COLUMN SET/DROP DEFAULT; several on one column: the last counts. */
  newDefaults: Map<string, ColumnDefault>;
  /** Operations skipped by IF [NOT] EXISTS (their inline keys go with them). */
  skipped: Set<AlterOperation>;
}

/**
 * Checks the operations naming old columns against them: a column is dropped or redefined once,
 * and only when it is there (or IF EXISTS skips the operation).
 */
function planOldColumns(
  old: readonly TableColumn[],
  operations: readonly AlterOperation[],
): OldColumnPlan {
  const plan: OldColumnPlan = {
    dropped: new Set(),
    changed: new Map(),
    newDefaults: new Map(),
    skipped: new Set(),
  };
  const isThere = (name: string) => findColumn(old, name) >= 0;
  for (const operation of operations) {
    if (operation.kind === "drop-column") {
      if (isThere(operation.name)) plan.dropped.add(folded(operation.name));
      else if (!operation.ifExists) misfit(`column ${operation.name} to drop is not there`);
      continue;
    }
    if (
      operation.kind !== "change-column" && operation.kind !== "rename-column" &&
      operation.kind !== "set-default"
    ) continue;
    const name = folded(operation.name);
    if (!isThere(operation.name) || plan.dropped.has(name)) {
      if (operation.kind !== "rename-column" && operation.ifExists) {
        plan.skipped.add(operation);
        continue;
      }
      misfit(`column ${operation.name} to change is not there`);
    }
    if (plan.changed.has(name)) misfit(`column ${operation.name} is changed twice`);
    if (operation.kind === "set-default") plan.newDefaults.set(name, operation.default);
    else plan.changed.set(name, operation);
  }
  for (const name of plan.newDefaults.keys()) {
    if (plan.changed.has(name)) misfit(`column ${name} is changed twice`);
  }
  return plan;
}

/** The new column list, and the operations skipped by IF [NOT] EXISTS. */
function alteredColumns(
  old: readonly TableColumn[],
  operations: readonly AlterOperation[],
  defaults: TableDefaults,
): { columns: TableColumn[]; skipped: Set<AlterOperation> } {
  const { dropped, changed, newDefaults, skipped } = planOldColumns(old, operations);
  // changed columns stay in place; positioned ones move when their turn comes
  const columns: TableColumn[] = [];
  const redefined = new Map<ColumnChange, TableColumn>();
  for (const column of old) {
    const name = folded(column.name);
    if (dropped.has(name)) continue;
    const change = changed.get(name);
    const newDefault = newDefaults.get(name);
    let result = column;
    if (change?.kind === "rename-column") result = { ...column, name: change.to };
    else if (change?.kind === "change-column") result = resolveColumn(change.column, defaults);
    else if (newDefault !== undefined) result = { ...column, default: newDefault };
    if (change !== undefined) redefined.set(change, result);
    columns.push(result);
  }
  for (const operation of operations) {
    if (operation.kind === "add-column") {
      if (operation.ifNotExists && findColumn(columns, operation.column.name) >= 0) {
        skipped.add(operation);
        continue;
      }
      place(columns, resolveColumn(operation.column, defaults), operation.position);
    } else if (operation.kind === "change-column" && operation.position !== undefined) {
      const column = redefined.get(operation);
      if (column === undefined) continue;
      columns.splice(columns.indexOf(column), 1);
      place(columns, column, operation.position);
    }
  }
  columns.forEach((column, i) => {
    if (findColumn(columns, column.name) !== i) {
      misfit(`column ${column.name} would be there twice`);
    }
  });
  return { columns, skipped };
}

/** Puts `column` at `position` in `columns` (last when there is none). */
function place(columns: TableColumn[], column: TableColumn, position: ColumnPosition | undefined) {
  if (position === undefined) columns.push(column);
  else if ("first" in position) columns.unshift(column);
  else {
    const after = findColumn(columns, position.after);
    if (after < 0) misfit(`column ${position.after} named by AFTER is not there`);
    columns.splice(after + 1, 0, column);
  }
}

interface Keys {
  primaryKey: string[];
  /** Undefined while the table's indexes are not all known. */
  indexes: TableIndex[] | undefined;
}

/**
 * The keys after the statement, as MySQL builds them: the old keys less those dropped, their
 * columns following renamed columns and naming columns of the new list (a column dropped and
 * added again keeps its keys; an index left without any goes), then the keys added.
 */
function alteredKeys(
  table: SourceTable,
  operations: readonly AlterOperation[],
  columns: readonly TableColumn[],
): Keys {
  const renamed = new Map<string, string>();
  for (const operation of operations) {
    if (operation.kind === "rename-column") renamed.set(folded(operation.name), operation.to);
    else if (operation.kind === "change-column" && findColumn(table.columns, operation.name) >= 0) {
      renamed.set(folded(operation.name), operation.column.name);
    }
  }
  const follow = (names: readonly string[]) =>
    names.map((name) => renamed.get(folded(name)) ?? name)
      .filter((name) => findColumn(columns, name) >= 0)
      .map((name) => columnName(columns, name));
  // old keys are dropped and renamed first: the statement names them as they were
  const keys: Keys = {
    primaryKey: [...table.primaryKey],
    indexes: table.indexes?.map((index) => ({ ...index, columns: [...index.columns] })),
  };
  const ofOldKeys = operations.filter((o) => OLD_KEY_OPERATIONS.has(o.kind));
  for (const operation of ofOldKeys) applyKeyOperation(keys, operation, columns);
  keys.primaryKey = follow(keys.primaryKey);
  keys.indexes = keys.indexes?.map((index) => ({ ...index, columns: follow(index.columns) }))
    .filter((index) => index.columns.length > 0 || index.functional);
  for (const operation of operations) {
    if (!OLD_KEY_OPERATIONS.has(operation.kind)) applyKeyOperation(keys, operation, columns);
  }
  return keys;
}

/** Key operations naming keys of the table before the statement. */
const OLD_KEY_OPERATIONS: ReadonlySet<AlterOperation["kind"]> = new Set([
  "drop-primary-key",
  "drop-index",
  "drop-constraint",
  "rename-index",
]);

/** The spelling `columns` has for `name`, which is among them. */
function columnName(columns: readonly TableColumn[], name: string): string {
  return columns[findColumn(columns, name)].name;
}

function applyKeyOperation(
  keys: Keys,
  operation: AlterOperation,
  columns: readonly TableColumn[],
): void {
  switch (operation.kind) {
    case "add-column":
    case "change-column":
      addInlineKey(keys, operation.column, columns);
      return;
    case "drop-primary-key":
      if (keys.primaryKey.length === 0) misfit("there is no primary key to drop");
      keys.primaryKey = [];
      return;
    case "add-primary-key":
      if (keys.primaryKey.length > 0) misfit("the table already has a primary key");
      keys.primaryKey = operation.columns.map((name) => keyColumn(columns, name));
      return;
    case "add-index": {
      const known = keys.indexes;
      if (known === undefined) return;
      const { name, forForeignKey, ...index } = operation.index;
      if (forForeignKey && known.some((key) => startsWith(key.columns, index.columns))) return;
      if (name !== undefined && findIndex(known, name) >= 0) {
        if (operation.ifNotExists) return;
        misfit(`index ${name} is already there`);
      }
      const key = { ...index, columns: index.columns.map((c) => keyColumn(columns, c)) };
      known.push({
        name: name ?? generatedName(known, key.columns[0] ?? "functional_index"),
        ...key,
      });
      return;
    }
    case "drop-index":
    case "drop-constraint": {
      if (operation.kind === "drop-index" && folded(operation.name) === "primary") {
        keys.primaryKey = [];
        return;
      }
      const found = keys.indexes === undefined ? -1 : findIndex(keys.indexes, operation.name);
      // a constraint not among the indexes is a CHECK or a FOREIGN KEY
      if (found >= 0) keys.indexes!.splice(found, 1);
      else if (operation.kind === "drop-index" && keys.indexes && !operation.ifExists) {
        misfit(`index ${operation.name} to drop is not there`);
      }
      return;
    }
    case "rename-index": {
      const found = keys.indexes === undefined ? -1 : findIndex(keys.indexes, operation.name);
      if (found >= 0) keys.indexes![found] = { ...keys.indexes![found], name: operation.to };
      else if (keys.indexes) misfit(`index ${operation.name} to rename is not there`);
    }
  }
}

/** PRIMARY KEY or UNIQUE written in a column definition. */
function addInlineKey(keys: Keys, spec: ColumnSpec, columns: readonly TableColumn[]): void {
  if (spec.inlineKey === "primary") {
    applyKeyOperation(keys, { kind: "add-primary-key", columns: [spec.name] }, columns);
  } else if (spec.inlineKey === "unique") {
    const index = { columns: [spec.name], unique: true };
    applyKeyOperation(keys, { kind: "add-index", index, ifNotExists: false }, columns);
  }
}

/** A key column as the table spells it; throws when the table has no such column. */
function keyColumn(columns: readonly TableColumn[], name: string): string {
  const index = findColumn(columns, name);
  if (index < 0) misfit(`key column ${name} is not there`);
  return columns[index].name;
}

/** Whether key columns `columns` begin with `prefix` (names compare ignoring case). */
function startsWith(columns: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((name, i) => columns[i] !== undefined && folded(columns[i]) === folded(name));
}

function findIndex(indexes: readonly TableIndex[], name: string): number {
  return indexes.findIndex((index) => folded(index.name) === folded(name));
}

/** MySQL's name for an unnamed index: its first column, then `_2`, `_3`... until free. */
function generatedName(indexes: readonly TableIndex[], base: string): string {
  const taken = (name: string) => folded(name) === "primary" || findIndex(indexes, name) >= 0;
  if (!taken(base)) return base;
  let suffix = 2;
  while (taken(`${base}_${suffix}`)) suffix++;
  return `${base}_${suffix}`;
}

/** A column after CONVERT TO CHARACTER SET: text ones change charset (and TEXT types grow). */
function converted(
  column: TableColumn,
  charset: string,
  collation: string | undefined,
): TableColumn {
  if (column.charset === null) return column;
  const to = charsetName(charset);
  const columnType = convertedTextType(column.columnType, column.charset, to);
  const result: TableColumn = {
    ...column,
    charset: to,
    columnType,
    dataType: dataTypeOf(columnType),
  };
  if (collation === undefined) delete result.collation;
  else result.collation = charsetName(collation);
  return result;
}

function misfit(message: string): never {
  throw new SchemaChangeError(message);
}
