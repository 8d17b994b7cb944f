/**
 * The plans of a session's followed tables: built from the routes and the PostgreSQL tables at
 * start, found for each binlog rows event, and replaced, added or dropped as DDL replayed on the
 * targets changes them (`ddl_targets.ts`); and the targets whose tables left to names nobody
 * follows, which a table renamed onto their name may take over.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import { formatPosition } from "../offsets/position.ts";
import type { EventTable, RowsChange } from "../source/transaction.ts";
import type { SourceTable } from "../schema/table.ts";
import { readSourceTable } from "../source/catalog.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { loadDefinitions } from "../source/table_definitions.ts";
import { PositionStore } from "../sink/position_store.ts";
import { RowsAsOf } from "../sink/rows_as_of.ts";
import type { Sql } from "../sink/postgres.ts";
import { describeTarget, type TargetTable } from "../sink/target.ts";
import {
  coveredBySources,
  followedRoutes,
  newTableRoute,
  sourceName,
  targetName,
} from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";
import { tableKey } from "../schema/table.ts";
import type { TableName } from "../schema/ddl/changes.ts";
import { type LossReporter, TablePlan } from "./plan.ts";

/** A target whose table was renamed to a name nobody follows: it holds that table's rows. */
export interface VacatedTarget {
  /** The table's definition when it left, which the target was made for. */
  definition: SourceTable;
  /** The name it had. */
  table: TableName;
}

export class TablePlans {
  #plans = new Map<string, TablePlan>();
  /** `#plans` by the reader's table object, which stays the same for a table's events. */
  #planOfTable = new WeakMap<EventTable, TablePlan | null>();
  /** The tables whose rows are decoded: every plan's, and those awaiting their CREATE TABLE. */
  #routes = new Map<string, Route>();
  /**
   * Followed tables whose target was missing at start, in a sync that had applied before: made
   * and followed at their CREATE TABLE, should the binlog hold it (the table is newer than the
   * saved position); a change read before that stops the sync.
   */
  #awaitingCreate = new Set<string>();
  /**
   * Followed tables whose target does not fit the catalog's definition, in a sync that had
   * applied before: the binlog may still hold the DDL between the two (`adoptHistory` decides).
   */
  #unplanned = new Map<string, UserError>();
  /** Vacated targets by `schema.table` of the target (this session's: a restart forgets them). */
  #vacated = new Map<string, VacatedTarget>();
  #config: Config | null = null;

  constructor(private readonly reportLoss: LossReporter) {}

  /** The routes of the tables whose rows are decoded, by `tableKey` of their source table. */
  get routes(): Map<string, Route> {
    return this.#routes;
  }

  /** The source tables whose rows are decoded, columns loaded. */
  get sourceTables(): SourceTable[] {
    return [...this.#routes.values()].map((route) => route.source);
  }

  /** Every plan, in route order. */
  get all(): IterableIterator<TablePlan> {
    return this.#plans.values();
  }

  /**
   * Loads the followed routes and plans every one against its PostgreSQL table; throws UserError
   * when a column pair cannot be converted, or a target table is missing in a first run.
   */
  async load(config: Config, source: SourceConnection, sql: Sql, log: Logger): Promise<void> {
    this.#config = config;
    const routes = await followedRoutes(config, source, log, null, "follow");
    const applied = await new PositionStore(config.positionSchema, config.syncId).read(sql);
    const loaded = await new RowsAsOf(config.positionSchema, config.syncId).ahead(sql, applied);
    for (const route of routes) {
      route.rowsAsOf = loaded.get(sourceName(route));
      if (route.rowsAsOf) {
        log.info(
          `${sourceName(route)} was loaded as of ${formatPosition(route.rowsAsOf)}: its changes ` +
            "up to there are in the target already and are skipped",
        );
      }
    }
    this.#routes = new Map(routes.map((r) => [tableKey(r.source.schema, r.source.table), r]));
    this.#plans.clear();
    this.#awaitingCreate.clear();
    this.#planOfTable = new WeakMap();
    this.#unplanned.clear();
    for (const [key, route] of this.#routes) {
      const target = await describeTarget(sql, route.pgSchema, route.pgTable);
      if (target) {
        try {
          this.#plans.set(key, new TablePlan(route, target, this.reportLoss));
        } catch (error) {
          if (!(error instanceof UserError) || applied === null) throw error;
          this.#unplanned.set(key, error);
        }
        continue;
      }
      // A source table created after the saved position exists now, but its target comes with
      // its CREATE TABLE, still ahead in the binlog.
      if (applied === null) {
        throw new UserError(`${missingTarget(route, config)}; ${CREATE_OR_SNAPSHOT}`);
      }
      this.#awaitingCreate.add(key);
      log.warn(
        `${missingTarget(route, config)}: it is created when the CREATE TABLE of ` +
          `${sourceName(route)} is read, should that come after the saved position; should a ` +
          `change to ${sourceName(route)} come first, the sync stops (then ${CREATE_OR_SNAPSHOT})`,
      );
    }
  }

  /**
   * Takes the schema history's `definitions` at the start position, where they differ from the
   * catalog's (which is today's, maybe past DDL the binlog still holds): a followed table is
   * planned with the history's definition, which the replay of that DDL compares against; a table
   * `[[source]]` covers that the catalog no longer has (dropped or renamed after the position) is
   * followed again into its target, so that the statement that took it away is replayed. Throws
   * the UserError of a table whose target fits neither.
   */
  async adoptHistory(definitions: readonly SourceTable[], sql: Sql, log: Logger): Promise<void> {
    for (const definition of definitions) {
      if (!this.covers(definition)) continue;
      const key = tableKey(definition.schema, definition.table);
      const current = this.#routes.get(key);
      if (current && sameLayout(current.source, definition)) continue;
      const fresh = newTableRoute(definition, this.#config!, log);
      if (!fresh) continue;
      const route = current?.rowsAsOf ? { ...fresh, rowsAsOf: current.rowsAsOf } : fresh;
      const target = await describeTarget(sql, route.pgSchema, route.pgTable);
      // Without a target, its CREATE TABLE is still ahead (see #awaitingCreate), or nowhere.
      if (!target) continue;
      this.#routes.set(key, route);
      this.#plans.set(key, new TablePlan(route, target, this.reportLoss));
      this.#awaitingCreate.delete(key);
    }
    this.#planOfTable = new WeakMap();
    for (const [key, error] of this.#unplanned) if (!this.#plans.has(key)) throw error;
    this.#unplanned.clear();
  }

  /** The plan of a rows event's table; undefined when the table is not followed. */
  planFor = (change: RowsChange): TablePlan | undefined => {
    let plan = this.#planOfTable.get(change.table);
    if (plan === undefined) {
      const key = tableKey(change.table.schema, change.table.table);
      const awaiting = this.#awaitingCreate.has(key) ? this.#routes.get(key) : undefined;
      if (awaiting) {
        throw new UserError(
          `${missingTarget(awaiting, this.#config!)} and a change to ${sourceName(awaiting)} ` +
            `came before its CREATE TABLE; ${CREATE_OR_SNAPSHOT}`,
        );
      }
      plan = this.#plans.get(key) ?? null;
      this.#planOfTable.set(change.table, plan);
    }
    return plan ?? undefined;
  };

  /** The config the plans were loaded with. */
  get config(): Config {
    return this.#config!;
  }

  /** The plan of source table `name`; undefined when it is not followed. */
  planOf(name: TableName): TablePlan | undefined {
    return this.#plans.get(tableKey(name.schema, name.table));
  }

  /** Whether a `[[source]]` entry names `name` (by name or `*`). */
  covers(name: TableName): boolean {
    return coveredBySources(this.#config!.sources, name.schema, name.table);
  }

  /** The vacated target `schema.table`, if it is one. */
  vacated(target: string): VacatedTarget | undefined {
    return this.#vacated.get(target);
  }

  /** Notes targets vacated, and taken again (null), by `schema.table` of the target. */
  noteVacated(changes: ReadonlyMap<string, VacatedTarget | null>): void {
    for (const [target, vacated] of changes) {
      if (vacated) this.#vacated.set(target, vacated);
      else this.#vacated.delete(target);
    }
  }

  /**
   * The definition of `name` as the source catalog has it now, defaults included; null when there
   * is no such table.
   */
  async catalogDefinition(name: TableName): Promise<SourceTable | null> {
    const source = await connectSource(this.#config!);
    try {
      const table = await readSourceTable(source, name.schema, name.table);
      if (table) await loadDefinitions(source, [table]);
      return table;
    } finally {
      await source.end().catch(() => {});
    }
  }

  /**
   * The plan of `route` against its target as it is now (one that exists); throws UserError when
   * a column pair cannot be converted.
   */
  plan(route: Route, target: TargetTable): TablePlan {
    return new TablePlan(route, target, this.reportLoss);
  }

  /** Follows `table` from now on with `plan` (null: no longer follows it). */
  follow(table: TableName, plan: TablePlan | null): void {
    const key = tableKey(table.schema, table.table);
    this.#awaitingCreate.delete(key);
    if (plan) {
      this.#routes.set(key, plan.route);
      this.#plans.set(key, plan);
    } else {
      this.#routes.delete(key);
      this.#plans.delete(key);
    }
    this.#planOfTable = new WeakMap();
  }
}

/** Whether two definitions have the same columns (names and types) and primary key. */
function sameLayout(a: SourceTable, b: SourceTable): boolean {
  const layout = (t: SourceTable) =>
    JSON.stringify([t.columns.map((c) => [c.name, c.columnType]), t.primaryKey]);
  return layout(a) === layout(b);
}

const CREATE_OR_SNAPSHOT = 'create it first, or load it with "mysql-gp-sync snapshot"';

/** That the target of `route` does not exist, for messages. */
function missingTarget(route: Route, config: Config): string {
  return `PostgreSQL table ${targetName(route)} (target of MySQL ${sourceName(route)}) does not ` +
    `exist in database ${config.pgDbname}`;
}
