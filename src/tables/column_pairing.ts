/**
 * The one builder of how a source column layout fills its PostgreSQL table: the target column of
 * each source column (found as the sync finds it, `targetColumnFor`), the encoder of each pair and
 * where the row identity's columns sit. The sync's row encoders (`TablePlan`) and the snapshot and
 * verify codec (`makeRowCodec`) are both built from it, so they cannot disagree.
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
import type { Route } from "./routes.ts";

/** A source column layout paired with its target table; the lists are in source column order. */
export interface ColumnPairing {
  sourceColumns: SourceColumn[];
  /** The target column each source column fills. */
  targetColumns: TargetColumn[];
  /** Source value -> PostgreSQL text, per column. */
  encoders: Encoder[];
  /** Positions of the route's identity columns within the lists, in key order (all: whole row). */
  keyIndexes: number[];
}

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
  const pairs = matchColumns(route, target, sources);
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
  return {
    sourceColumns: pairs.map(([source]) => source),
    targetColumns: pairs.map(([, target]) => target),
    encoders,
    keyIndexes,
  };
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
