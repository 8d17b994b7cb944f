/**
 * What changed between two definitions of a table, as a list of plain changes: columns added,
 * dropped, moved, retyped or made (not) nullable, and primary or unique keys changed. Pure; the
 * ground for following a table's definition through the binlog's DDL.
 *
 * @module
 */

/** What the diff compares of a table definition; a `SourceTable` is one. */
export interface ComparedDefinition {
  /** Columns in table order. */
  columns: readonly ComparedColumn[];
  /** Primary key columns in key order; empty when there is none. */
  primaryKey: readonly string[];
  /** The columns of each unique key in key order, when known. */
  uniqueKeys?: readonly (readonly string[])[];
}

/** What the diff compares of a column. */
export interface ComparedColumn {
  name: string;
  /** The type as MySQL's COLUMN_TYPE prints it, e.g. `decimal(10,2) unsigned`. */
  columnType: string;
  /** Whether the column accepts NULL, when known. */
  nullable?: boolean;
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
  | { kind: "primary-key-changed"; from: string[]; to: string[] }
  | { kind: "unique-key-dropped"; columns: string[] }
  | { kind: "unique-key-added"; columns: string[] };

/**
 * The changes that turn `before` into `after`: drops in the old column order, then the changes of
 * each column in the new order, then the keys. Names are compared ignoring case, as MySQL compares
 * column names; changes name a kept column as `after` spells it. Nullability and unique keys are
 * compared only when both definitions know them. The fewest moves that explain the new order are
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
    if (old.columnType !== column.columnType) {
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
  });
  if (keyText(before.primaryKey) !== keyText(after.primaryKey)) {
    changes.push({
      kind: "primary-key-changed",
      from: [...before.primaryKey],
      to: [...after.primaryKey],
    });
  }
  if (before.uniqueKeys && after.uniqueKeys) {
    const oldKeys = new Set(before.uniqueKeys.map(keyText));
    const newKeys = new Set(after.uniqueKeys.map(keyText));
    for (const key of before.uniqueKeys) {
      if (!newKeys.has(keyText(key))) {
        changes.push({ kind: "unique-key-dropped", columns: [...key] });
      }
    }
    for (const key of after.uniqueKeys) {
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

function folded(name: string): string {
  return name.toLowerCase();
}

/** A key's columns as one comparable text, ignoring case. */
function keyText(columns: readonly string[]): string {
  return columns.map(folded).join("\u0000");
}
