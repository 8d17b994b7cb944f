/**
 * Where each followed source table goes: its `[[rule]]` target or the default `public.<table>`,
 * and the table filter the binlog decoder is given.
 *
 * @module
 */
import type { RuleConfig } from "../config/config.ts";
import { matchesName } from "../config/names.ts";
import { type SoftDelete, sourceValueOf } from "../config/table_rules.ts";
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
  /**
   * The source columns replicated (lower case), the row identity's always among them; null: all.
   */
  columns: ReadonlySet<string> | null;
  /** The target column naming this source table (part of the target key), and its value here. */
  sourceTag: { column: string; value: string } | null;
  /** Deleted rows stay in the target, flagged; null: they are deleted. */
  softDelete: SoftDelete | null;
  /** How a target created for this route is spread (Greenplum) and stored; null: the defaults. */
  distributedBy: string[] | "randomly" | null;
  tableOptions: string | null;
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

/**
 * Pairs every source table with its `[[rule]]`, or the default `public.<table>`; `instance` names
 * the source in a rule's `source_value`.
 */
export function buildRoutes(
  tables: SourceTable[],
  rules: RuleConfig[],
  instance: string,
): Map<string, TableRoute> {
  return new Map(
    tables.map((source) => [
      tableKey(source.schema, source.table),
      routeOf(source, rules, instance),
    ]),
  );
}

/** The source table with its first matching `[[rule]]`, or the default `public.<table>`. */
export function routeOf(
  source: SourceTable,
  rules: readonly RuleConfig[],
  instance: string,
): TableRoute {
  const rule = ruleOf(source, rules);
  return {
    source,
    pgSchema: rule?.pgSchema ?? "public",
    pgTable: rule?.pgTable ?? source.table,
    explicit: rule !== undefined,
    columns: rule?.columns ? new Set(rule.columns.map((name) => name.toLowerCase())) : null,
    sourceTag: rule?.sourceColumn
      ? {
        column: rule.sourceColumn,
        value: sourceValueOf(rule, instance, source.schema, source.table),
      }
      : null,
    softDelete: rule?.softDelete ?? null,
    distributedBy: rule?.distributedBy ?? null,
    tableOptions: rule?.tableOptions ?? null,
  };
}

/** The first `[[rule]]` whose schema and table (names or patterns) match `source`. */
export function ruleOf(
  source: { schema: string; table: string },
  rules: readonly RuleConfig[],
): RuleConfig | undefined {
  return rules.find((r) =>
    matchesName(r.schema, source.schema) && matchesName(r.table, source.table)
  );
}

/** `includeSchema` filter for zongji: only these tables' row events are decoded. */
export function binlogFilter(routes: Map<string, TableRoute>): Record<string, string[]> {
  const filter: Record<string, string[]> = {};
  for (const { source } of routes.values()) {
    (filter[source.schema] ??= []).push(source.table);
  }
  return filter;
}
