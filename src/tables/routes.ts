/**
 * Where each followed source table goes: its `[[rule]]` target or the default `public.<table>`,
 * and the table filter the binlog decoder is given.
 *
 * @module
 */
import type { RuleConfig } from "../config/config.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { type SourceTable, tableKey } from "../schema/table.ts";
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
  /**
   * The target's rows already include every change up to this position: a keyless table that
   * `snapshot` loaded as of a later position than the one `run` starts from. Its changes up to
   * here are skipped, since applying a whole-row change twice would count it twice.
   */
  rowsAsOf?: BinlogPosition;
}

/** Pairs every source table with its `[[rule]]`, or the default `public.<table>`. */
export function buildRoutes(tables: SourceTable[], rules: RuleConfig[]): Map<string, TableRoute> {
  return new Map(
    tables.map((source) => [tableKey(source.schema, source.table), routeOf(source, rules)]),
  );
}

/** The source table with its `[[rule]]`, or the default `public.<table>`. */
export function routeOf(source: SourceTable, rules: readonly RuleConfig[]): TableRoute {
  const rule = rules.find((r) => r.schema === source.schema && r.table === source.table);
  return {
    source,
    pgSchema: rule?.pgSchema ?? "public",
    pgTable: rule?.pgTable ?? source.table,
    explicit: rule !== undefined,
  };
}

/** `includeSchema` filter for zongji: only these tables' row events are decoded. */
export function binlogFilter(routes: Map<string, TableRoute>): Record<string, string[]> {
  const filter: Record<string, string[]> = {};
  for (const { source } of routes.values()) {
    (filter[source.schema] ??= []).push(source.table);
  }
  return filter;
}
