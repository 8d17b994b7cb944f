/**
 * The one builder of how a source column layout fills its PostgreSQL table: the source columns the
 * route replicates (its `columns` selection), the target column of each (found as the sync finds
 * it, `targetColumnFor`), the encoder of each pair, where the row identity's columns sit, and the
 * fields the route appends (the source tag, the soft-delete flag and time). The sync's row
 * encoders (`TablePlan`) and the snapshot and verify codec (`makeRowCodec`) are both built from
 * it, so they cannot disagree.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { makeEncoder } from "../convert/encode.ts";
import { quoteIdent } from "../convert/ident.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import type { Encoder, LossHandler, SourceColumn, TargetColumn } from "../convert/types.ts";
import { targetColumnFor, type TargetTable } from "../sink/target.ts";
import { sourceName } from "./followed.ts";
import type { Route, TableRoute } from "./routes.ts";

/**
 * Where the fields appended after the source columns sit, all positions within the fields (and
 * `targetColumns`); null where the route has no such field.
 */
export interface AppendedFields {
  /** The source tag (`source_column`): the constant naming this source table; part of the key. */
  tag: number | null;
  /** The soft-delete flag: "f" in every row written from a source row, "t" once deleted. */
  deleted: number | null;
  /** The soft-delete time: NULL while the row lives, the deleting commit's time afterwards. */
  deletedAt: number | null;
}

/**
 * A source column layout paired with its target table. A row's fields are the replicated source
 * columns' (in source column order), then the appended ones (`appended`: tag, flag, time, those
 * the route has), whose values in a live row are `constants`.
 */
export interface ColumnPairing {
  /** The source columns replicated: the route's selection, identity columns always among them. */
  sourceColumns: SourceColumn[];
  /** The target column of every field: one per source column, then the appended fields'. */
  targetColumns: TargetColumn[];
  /** Source value -> PostgreSQL text, per source column. */
  encoders: Encoder[];
  /**
   * Positions of the route's identity columns, in key order, within `sourceColumns` and the fields
   * alike (all source columns: whole row). Within one source table they identify a row; the
   * target's key adds the tag (`appended.tag`) when there is one.
   */
  keyIndexes: number[];
  appended: AppendedFields;
  /** The appended fields' values in a row written from a live source row, in field order. */
  constants: (string | null)[];
}

/** What a target lacking one of the route's appended columns needs, and why (`check` says it too). */
export const APPENDED_COLUMNS = {
  tag: {
    key: "source_column",
    type: "text NOT NULL",
    why: "; put it in the primary key too, beside the source key",
  },
  deleted: { key: "soft_delete_column", type: "boolean NOT NULL DEFAULT false", why: "" },
  deletedAt: { key: "soft_delete_time_column", type: "timestamptz", why: "" },
} as const;

/**
 * Pairs `sources` (a layout of the route's source table) with `target`. Throws UserError when a
 * column has no home or cannot be converted, with the fix, and `missingKey(column)` when an
 * identity column is not in the layout.
 */
export function pairColumns(
  route: Route,
  target: TargetTable,
  sources: readonly SourceColumn[],
  onLoss: LossHandler,
  missingKey: (column: string) => Error,
): ColumnPairing {
  const pairs = matchColumns(route, target, replicatedColumns(route, sources));
  const encoders = pairEncoders(route, target, pairs, onLoss);
  const names = pairs.map(([source]) => source.name.toLowerCase());
  // A whole row is that of the layout at hand, whichever columns DDL has added or dropped since
  const keyIndexes = route.identity.kind === "whole-row"
    ? names.map((_, i) => i)
    : route.identity.columns.map((key) => {
      const index = names.indexOf(key.toLowerCase());
      if (index < 0) throw missingKey(key);
      return index;
    });
  const targetColumns = pairs.map(([, target]) => target);
  const appended: AppendedFields = { tag: null, deleted: null, deletedAt: null };
  const constants: (string | null)[] = [];
  for (const { role, column, value } of appendedColumns(route)) {
    appended[role] = targetColumns.length;
    targetColumns.push(appendedColumn(route, target, role, column));
    constants.push(value);
  }
  return {
    sourceColumns: pairs.map(([source]) => source),
    targetColumns,
    encoders,
    keyIndexes,
    appended,
    constants,
  };
}

/**
 * The columns the route appends after the source columns, in field order: the source tag, the
 * soft-delete flag and time, those it has, each with its value in a row written from a live
 * source row.
 */
export function appendedColumns(
  route: Pick<TableRoute, "sourceTag" | "softDelete">,
): { role: keyof AppendedFields; column: string; value: string | null }[] {
  const found: { role: keyof AppendedFields; column: string; value: string | null }[] = [];
  if (route.sourceTag) {
    found.push({ role: "tag", column: route.sourceTag.column, value: route.sourceTag.value });
  }
  if (route.softDelete) {
    found.push({ role: "deleted", column: route.softDelete.column, value: "f" });
    const time = route.softDelete.timeColumn;
    if (time) found.push({ role: "deletedAt", column: time, value: null });
  }
  return found;
}

/**
 * The columns of `sources` the route replicates: its selection and its identity columns (a whole
 * row is identified by the selected columns: the target holds the multiset of their values).
 */
export function replicatedColumns<T extends { name: string }>(
  route: Pick<Route, "columns" | "identity">,
  sources: readonly T[],
): T[] {
  const selected = route.columns;
  if (selected === null) return [...sources];
  const identity = route.identity.kind === "whole-row"
    ? new Set<string>()
    : new Set(route.identity.columns.map((name) => name.toLowerCase()));
  return sources.filter((s) => {
    const name = s.name.toLowerCase();
    return selected.has(name) || identity.has(name);
  });
}

/** The target column of an appended field; UserError with the ALTER TABLE adding it. */
function appendedColumn(
  route: TableRoute,
  target: TargetTable,
  role: keyof AppendedFields,
  column: string,
): TargetColumn {
  const found = targetColumnFor(target, column);
  if (found) return found;
  const { key, type, why } = APPENDED_COLUMNS[role];
  const table = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
  throw new UserError(
    `PostgreSQL table ${target.schema}.${target.table} (target of MySQL ${sourceName(route)}) ` +
      `has no column "${column}", which the [[rule]]'s ${key} names; add it: ALTER TABLE ` +
      `${table} ADD COLUMN ${quoteIdent(column)} ${type}${why}`,
    1,
  );
}

/** Each source column with the target column it fills; UserError with the fix for one without. */
function matchColumns(
  route: Route,
  target: TargetTable,
  sources: readonly SourceColumn[],
): [SourceColumn, TargetColumn][] {
  return sources.map((s) => {
    const t = targetColumnFor(target, s.name);
    if (!t) {
      const table = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
      throw new UserError(
        `column "${s.name}" of MySQL table ${sourceName(route)} has no column in PostgreSQL ` +
          `table ${target.schema}.${target.table}; add it: ALTER TABLE ${table} ADD COLUMN ` +
          `${quoteIdent(s.name)} ${typeHint(s)}`,
        1,
      );
    }
    return [s, t];
  });
}

/** The encoder of every (source, target) column pair; UserError naming both for an impossible one. */
function pairEncoders(
  route: Route,
  target: TargetTable,
  pairs: readonly [SourceColumn, TargetColumn][],
  onLoss: LossHandler,
): Encoder[] {
  return pairs.map(([s, t]) => {
    try {
      return makeEncoder(s, t, onLoss);
    } catch (err) {
      throw new UserError(
        `MySQL ${sourceName(route)}.${s.name} (${s.columnType}) cannot be written to ` +
          `PostgreSQL ${target.schema}.${target.table}.${t.name} (${t.type}): ${
            (err as Error).message
          }`,
        1,
      );
    }
  });
}

/** The type `snapshot` would give the column, or a placeholder for a type it cannot map. */
function typeHint(column: SourceColumn): string {
  try {
    return pgTypeFor(column);
  } catch {
    return "<type>";
  }
}
