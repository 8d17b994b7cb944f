/**
 * Where each followed source table goes: its `[[rule]]` target or the default `public.<table>`,
 * and the table filter the binlog decoder is given.
 *
 * @module
 */
import type { RuleConfig } from "../config/config.ts";
import type { SourceTable } from "../schema/table.ts";
import type { RowIdentity } from "./row_identity.ts";

/** A source table and the PostgreSQL table its rows go to. */
export interface TableRoute {
  source: SourceTable;
  pgSchema: string;
  pgTable: string;
  /** `[[rule]]` wrote this route (false: the default, same name in schema public). */
  explicit: boolean;
}

/** One followed table: where it comes from, where it goes, and the key that identifies its rows. */
export interface Route extends TableRoute {
  identity: RowIdentity;
}

/** Key under which routes are looked up for a binlog event. */
export function tableKey(schema: string, table: string): string {
  return `${schema}\u0000${table}`;
}

/** Pairs every source table with its `[[rule]]`, or the default `public.<table>`. */
export function buildRoutes(tables: SourceTable[], rules: RuleConfig[]): Map<string, TableRoute> {
  const byTable = new Map(rules.map((r) => [tableKey(r.schema, r.table), r]));
  const routes = new Map<string, TableRoute>();
  for (const source of tables) {
    const rule = byTable.get(tableKey(source.schema, source.table));
    routes.set(tableKey(source.schema, source.table), {
      source,
      pgSchema: rule?.pgSchema ?? "public",
      pgTable: rule?.pgTable ?? source.table,
      explicit: rule !== undefined,
    });
  }
  return routes;
}

/** `includeSchema` filter for zongji: only these tables' row events are decoded. */
export function binlogFilter(routes: Map<string, TableRoute>): Record<string, string[]> {
  const filter: Record<string, string[]> = {};
  for (const { source } of routes.values()) {
    (filter[source.schema] ??= []).push(source.table);
  }
  return filter;
}
