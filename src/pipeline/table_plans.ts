/**
 * The plans of a session's followed tables: built from the routes and the PostgreSQL tables at
 * start, found for each binlog rows event, and rebuilt when DDL may have changed a target.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import type { EventTable, RowsChange } from "../source/transaction.ts";
import type { SourceTable } from "../schema/table.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { followedRoutes } from "../tables/followed.ts";
import { type Route, tableKey } from "../tables/routes.ts";
import { type LossReporter, TablePlan } from "./plan.ts";

export class TablePlans {
  #plans = new Map<string, TablePlan>();
  /** `#plans` by the reader's table object, which stays the same for a table's events. */
  #planOfTable = new WeakMap<EventTable, TablePlan | null>();
  #routes = new Map<string, Route>();
  #tables: SourceTable[] = [];

  constructor(private readonly reportLoss: LossReporter) {}

  /** Followed routes by `tableKey` of their source table. */
  get routes(): Map<string, Route> {
    return this.#routes;
  }

  /** The followed source tables, columns loaded. */
  get sourceTables(): SourceTable[] {
    return this.#tables;
  }

  /** Every plan, in route order. */
  get all(): IterableIterator<TablePlan> {
    return this.#plans.values();
  }

  /**
   * Loads the followed routes and plans every one against its PostgreSQL table; throws UserError
   * when a target table is missing or a column pair cannot be converted.
   */
  async load(config: Config, source: SourceConnection, sql: Sql, log: Logger): Promise<void> {
    const routes = await followedRoutes(config, source, log);
    this.#tables = routes.map((route) => route.source);
    this.#routes = new Map(routes.map((r) => [tableKey(r.source.schema, r.source.table), r]));
    this.#plans.clear();
    this.#planOfTable = new WeakMap();
    for (const [key, route] of this.#routes) {
      const target = await describeTarget(sql, route.pgSchema, route.pgTable);
      if (!target) {
        throw new UserError(
          `PostgreSQL table ${route.pgSchema}.${route.pgTable} (target of MySQL ${route.source.schema}.` +
            `${route.source.table}) does not exist in database ${config.pgDbname}; create it first ` +
            `(or load it with "mysql-gp-sync snapshot")`,
        );
      }
      this.#plans.set(key, new TablePlan(route, target, this.reportLoss));
    }
  }

  /** The plan of a rows event's table; undefined when the table is not followed. */
  planFor = (change: RowsChange): TablePlan | undefined => {
    let plan = this.#planOfTable.get(change.table);
    if (plan === undefined) {
      plan = this.#plans.get(tableKey(change.table.schema, change.table.table)) ?? null;
      this.#planOfTable.set(change.table, plan);
    }
    return plan ?? undefined;
  };

  /** Plans `plans` again against their PostgreSQL tables as they are now (after DDL). */
  async refresh(sql: Sql, plans: readonly TablePlan[]): Promise<void> {
    for (const plan of plans) {
      const target = await describeTarget(sql, plan.target.schema, plan.target.table);
      if (!target) continue;
      const key = tableKey(plan.route.source.schema, plan.route.source.table);
      this.#plans.set(key, new TablePlan(plan.route, target, this.reportLoss));
    }
    this.#planOfTable = new WeakMap();
  }
}
