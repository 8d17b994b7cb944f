/**
 * Which columns identify a followed table's rows: updates and deletes find their target row by
 * them, snapshot and verify read the source in their order, and the binlog decoder decodes only
 * them in before images. Decided here alone; today the primary key, and a table without one has
 * no identity (it is refused, or skipped by `skip_no_pk_table`).
 *
 * @module
 */
import type { SourceTable } from "../schema/table.ts";
import type { KeyLookup } from "../source/zongji/shapes.ts";
import type { Route } from "./routes.ts";

/** The columns that tell a table's rows apart, and what kind of key they are. */
export interface RowIdentity {
  kind: "primary-key" | "unique-key" | "whole-row";
  /** Source column names, in key order. */
  columns: string[];
}

/** How the rows of `table` are identified; null when they cannot be (it has no primary key). */
export function rowIdentity(table: SourceTable): RowIdentity | null {
  if (table.primaryKey.length === 0) return null;
  return { kind: "primary-key", columns: table.primaryKey };
}

/** The identity columns of each route, for the binlog decoder (see `prepareTableMap`). */
export function keyLookup(routes: Iterable<Route>): KeyLookup {
  const byTable = new Map<string, ReadonlySet<string>>();
  for (const { source, identity } of routes) {
    byTable.set(
      `${source.schema}\u0000${source.table}`,
      new Set(identity.columns.map((name) => name.toLowerCase())),
    );
  }
  return (schema, table) => byTable.get(`${schema}\u0000${table}`);
}
