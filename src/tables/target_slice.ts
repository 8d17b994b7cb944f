/**
 * Which rows of a target table belong to which followed tables, for `snapshot` (what it may empty
 * and must find empty) and `verify` (what it compares): a route with a source tag owns the rows
 * holding its tag value; routes without one that land in the same target share all of it, and
 * rows there cannot be told to come from one of them.
 *
 * @module
 */
import { qualified, quoteIdent, quoteLiteral } from "../convert/ident.ts";
import type { ColumnPairing } from "./column_pairing.ts";
import type { TableRoute } from "./routes.ts";

/** The rows of a target one route (or a group of routes) owns. */
export interface TargetSlice {
  /** The target, quoted. */
  target: string;
  /**
   * SQL condition on the target's alias `t` selecting the slice (the tag column equal to the
   * route's value); null: the whole target.
   */
  rows: string | null;
  /**
   * SQL condition on `t` selecting the slice's rows the source still has: the soft-delete flag not
   * set; null: every row of the slice.
   */
  live: string | null;
  /** For messages: `schema.table` of the target, with the condition when there is one. */
  label: string;
}

/**
 * The slice of the route whose column pairing is `pairing` (the target's own spelling of the tag
 * and flag columns).
 */
export function targetSlice(route: TableRoute, pairing: ColumnPairing): TargetSlice {
  const { tag, deleted } = pairing.appended;
  const column = (index: number) => `t.${quoteIdent(pairing.targetColumns[index].name)}`;
  const name = `${route.pgSchema}.${route.pgTable}`;
  const value = tag === null ? null : pairing.constants[tag - pairing.sourceColumns.length];
  return {
    target: qualified(route.pgSchema, route.pgTable),
    rows: tag === null ? null : `${column(tag)} = ${quoteLiteral(value)}`,
    live: deleted === null ? null : `${column(deleted)} IS NOT TRUE`,
    label: tag === null ? name : `${name} where ${pairing.targetColumns[tag].name} = '${value}'`,
  };
}

/** `WHERE` and the conditions given (null ones left out), or nothing when none is given. */
export function whereOf(...conditions: (string | null)[]): string {
  const given = conditions.filter((c): c is string => c !== null);
  return given.length === 0 ? "" : ` WHERE ${given.join(" AND ")}`;
}

/** Members of one run that own the same rows of one target. */
export interface SliceGroup<T> {
  slice: TargetSlice;
  members: T[];
}

/**
 * `members` grouped by the rows they own, in the order each group first appears: each tag value
 * of a target is a group, and all the untagged members of a target are one, so that a target is
 * emptied (and found empty) once, not once per source table.
 */
export function sliceGroups<T>(
  members: readonly T[],
  sliceOf: (member: T) => TargetSlice,
): SliceGroup<T>[] {
  const groups = new Map<string, SliceGroup<T>>();
  for (const member of members) {
    const slice = sliceOf(member);
    const key = `${slice.target}\u0000${slice.rows ?? ""}`;
    const group = groups.get(key);
    if (group) group.members.push(member);
    else groups.set(key, { slice, members: [member] });
  }
  return [...groups.values()];
}

/** The statement emptying the slice before a load: TRUNCATE for a whole target, else DELETE. */
export function emptySlice(slice: TargetSlice): string {
  return slice.rows === null
    ? `TRUNCATE ${slice.target}`
    : `DELETE FROM ${slice.target} t WHERE ${slice.rows}`;
}
