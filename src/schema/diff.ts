/**
 * What changed between two definitions of a table, as a list of plain changes: columns added,
 * dropped, moved, retyped, put in another charset or made (not) nullable, and primary or unique keys
 * changed. Pure; the ground for following a table's definition through the binlog's DDL. Types
 * compare in a form both servers and both sources (catalog, DDL) share: MariaDB's `int(11)` is
 * MySQL 8's `int`.
 *
 * @module
 */
import { lowerTypeText } from "../convert/types.ts";

/** What the diff compares of a table definition; a `SourceTable` is one. */
export interface ComparedDefinition {
  /** Columns in table order. */
  columns: readonly ComparedColumn[];
  /** Primary key columns in key order; empty when there is none. */
  primaryKey: readonly string[];
  /** The columns of each unique key in key order, when known. */
  uniqueKeys?: readonly (readonly string[])[];
  /** All indexes but the primary key, when known (as a `SourceTable` holds them); the unique
   * ones count as unique keys when `uniqueKeys` is absent. */
  indexes?: readonly ComparedIndex[];
}

/** What the diff reads of an index. */
export interface ComparedIndex {
  columns: readonly string[];
  unique: boolean;
  /** An expression among the key parts: the columns alone are not unique. */
  functional?: boolean;
}

/** What the diff compares of a column. */
export interface ComparedColumn {
  name: string;
  /** The type as MySQL's COLUMN_TYPE prints it, e.g. `decimal(10,2) unsigned`. */
  columnType: string;
  /** Whether the column accepts NULL, when known. */
  nullable?: boolean;
  /** Its character set (null: holds no text), when known. */
  charset?: string | null;
}

/**
 * One difference. Indexes are positions in the column list: of the old definition for a dropped
 * column and `from`, of the new one otherwise. A rename cannot be told from two definitions, so it
 * shows as a drop and an add.
 */
export type TableChange =
  | { kind: "column-dropped"; column: string; index: number }
  | { kind: "column-added"; column: string; index: number; columnType: string }
  | { kind: "column-moved"; column: string; from: number; to: number }
  | { kind: "column-type-changed"; column: string; from: string; to: string }
  | { kind: "column-nullability-changed"; column: string; nullable: boolean }
  | { kind: "column-charset-changed"; column: string; from: string | null; to: string | null }
  | { kind: "primary-key-changed"; from: string[]; to: string[] }
  | { kind: "unique-key-dropped"; columns: string[] }
  | { kind: "unique-key-added"; columns: string[] };

/**
 * The changes that turn `before` into `after`: drops in the old column order, then the changes of
 * each column in the new order, then the keys. Names are compared ignoring case, as MySQL compares
 * column names; changes name a kept column as `after` spells it. Nullability, charsets and unique
 * keys are compared only when both definitions know them. The fewest moves that explain the new order are
 * reported (the columns off a longest run kept in order).
 */
export function diffTables(before: ComparedDefinition, after: ComparedDefinition): TableChange[] {
  const changes: TableChange[] = [];
  const oldIndex = new Map(before.columns.map((column, i) => [folded(column.name), i]));
  const newNames = new Set(after.columns.map((column) => folded(column.name)));
  before.columns.forEach((column, index) => {
    if (!newNames.has(folded(column.name))) {
      changes.push({ kind: "column-dropped", column: column.name, index });
    }
  });
  const moved = movedColumns(after, oldIndex);
  after.columns.forEach((column, index) => {
    const from = oldIndex.get(folded(column.name));
    if (from === undefined) {
      changes.push({
        kind: "column-added",
        column: column.name,
        index,
        columnType: column.columnType,
      });
      return;
    }
    const old = before.columns[from];
    if (moved.has(index)) {
      changes.push({ kind: "column-moved", column: column.name, from, to: index });
    }
    changes.push(...keptColumnChanges(old, column));
  });
  if (keyText(before.primaryKey) !== keyText(after.primaryKey)) {
    changes.push({
      kind: "primary-key-changed",
      from: [...before.primaryKey],
      to: [...after.primaryKey],
    });
  }
  const beforeKeys = uniqueKeysOf(before);
  const afterKeys = uniqueKeysOf(after);
  if (beforeKeys && afterKeys) {
    const oldKeys = new Set(beforeKeys.map(keyText));
    const newKeys = new Set(afterKeys.map(keyText));
    for (const key of beforeKeys) {
      if (!newKeys.has(keyText(key))) {
        changes.push({ kind: "unique-key-dropped", columns: [...key] });
      }
    }
    for (const key of afterKeys) {
      if (!oldKeys.has(keyText(key))) changes.push({ kind: "unique-key-added", columns: [...key] });
    }
  }
  return changes;
}

/**
 * New indexes of the kept columns that moved: all but a longest subsequence of them whose old
 * order is their new order (patience sorting over their old indexes, taken in the new order).
 */
function movedColumns(
  after: ComparedDefinition,
  oldIndex: ReadonlyMap<string, number>,
): Set<number> {
  const kept: { newIndex: number; oldIndex: number }[] = [];
  after.columns.forEach((column, newIndex) => {
    const old = oldIndex.get(folded(column.name));
    if (old !== undefined) kept.push({ newIndex, oldIndex: old });
  });
  // tails[k]: the position in `kept` ending the best run of length k + 1 found so far
  const tails: number[] = [];
  const previous = new Array<number>(kept.length).fill(-1);
  kept.forEach(({ oldIndex: value }, i) => {
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (kept[tails[middle]].oldIndex < value) low = middle + 1;
      else high = middle;
    }
    if (low > 0) previous[i] = tails[low - 1];
    tails[low] = i;
  });
  const inOrder = new Set<number>();
  for (let i = tails.at(-1) ?? -1; i >= 0; i = previous[i]) {
    inOrder.add(i);
  }
  const moved = new Set<number>();
  kept.forEach(({ newIndex }, i) => {
    if (!inOrder.has(i)) moved.add(newIndex);
  });
  return moved;
}

/**
 * The changes of a column kept under the same name: its type, nullability and charset (the last
 * two when both sides know them).
 */
function keptColumnChanges(old: ComparedColumn, column: ComparedColumn): TableChange[] {
  const changes: TableChange[] = [];
  if (comparableColumnType(old.columnType) !== comparableColumnType(column.columnType)) {
    changes.push({
      kind: "column-type-changed",
      column: column.name,
      from: old.columnType,
      to: column.columnType,
    });
  }
  if (
    old.nullable !== undefined && column.nullable !== undefined &&
    old.nullable !== column.nullable
  ) {
    changes.push({
      kind: "column-nullability-changed",
      column: column.name,
      nullable: column.nullable,
    });
  }
  if (old.charset !== undefined && column.charset !== undefined && old.charset !== column.charset) {
    changes.push({
      kind: "column-charset-changed",
      column: column.name,
      from: old.charset,
      to: column.charset,
    });
  }
  return changes;
}

/** The unique keys of a definition, when known. */
function uniqueKeysOf(definition: ComparedDefinition): readonly (readonly string[])[] | undefined {
  return definition.uniqueKeys ??
    definition.indexes?.filter((index) => index.unique && !index.functional)
      .map((index) => index.columns);
}

/**
 * A COLUMN_TYPE in the form both servers share: lower case outside quotes, integer display widths dropped (MySQL 8 drops
 * them, MariaDB shows them) except for ZEROFILL and `tinyint(1)`, which MySQL 8 keeps too; `year`
 * without MariaDB's `(4)`; MySQL 8's `geomcollection` as `geometrycollection`.
 */
export function comparableColumnType(columnType: string): string {
  const type = lowerTypeText(columnType);
  if (/\bzerofill\b/.test(type)) return type;
  return type
    .replace(
      /^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/,
      (whole, name: string) => whole === "tinyint(1)" ? whole : name,
    )
    .replace(/^year\(4\)$/, "year")
    .replace(/^geomcollection$/, "geometrycollection");
}

function folded(name: string): string {
  return name.toLowerCase();
}

/** A key's columns as one comparable text, ignoring case. */
function keyText(columns: readonly string[]): string {
  return columns.map(folded).join("\u0000");
}
