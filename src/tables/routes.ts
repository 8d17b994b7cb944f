import type { RuleConfig } from "../config/config.ts";
import type { SourceTable } from "../source/catalog.ts";

/** One followed table: where it comes from, where it goes, and the key that identifies its rows. */
export interface Route {
  source: SourceTable;
  pgSchema: string;
  pgTable: string;
  /** `[[rule]]` wrote this route (false: the default, same name in schema public). */
  explicit: boolean;
}

/** Key under which routes are looked up for a binlog event. */
export function tableKey(schema: string, table: string): string {
  return `${schema}\u0000${table}`;
}

/** Pairs every followed source table with its `[[rule]]`, or the default `public.<table>`. */
export function buildRoutes(tables: SourceTable[], rules: RuleConfig[]): Map<string, Route> {
  const byTable = new Map(rules.map((r) => [tableKey(r.schema, r.table), r]));
  const routes = new Map<string, Route>();
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
export function binlogFilter(routes: Map<string, Route>): Record<string, string[]> {
  const filter: Record<string, string[]> = {};
  for (const { source } of routes.values()) {
    (filter[source.schema] ??= []).push(source.table);
  }
  return filter;
}
