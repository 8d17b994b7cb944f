/**
 * What the replay of one DDL statement on the targets holds while it goes through the statement's
 * changes inside the transaction of its position (`ddl_targets.ts`, `ddl_renames.ts`): the
 * followed tables as the statement has changed them so far, and the primitives both use (run a
 * statement, read a target, bring a target to a definition, note what happened).
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import type { TableName } from "../schema/ddl/changes.ts";
import type { TableVersion } from "../schema/history.ts";
import { type SourceTable, tableKey } from "../schema/table.ts";
import {
  alterTargetStatements,
  type ColumnRename,
  readReplayTarget,
  ReplayRefused,
  type ReplayTarget,
  type TableReplay,
} from "../sink/ddl_replay.ts";
import type { TargetDialect } from "../sink/dialect.ts";
import type { Queryable } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { replicatedColumns } from "../tables/column_pairing.ts";
import { targetKey } from "../tables/create_table.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import { newTableRoute, sourceName, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";
import type { TablePlan } from "./plan.ts";
import type { TablePlans, VacatedTarget } from "./table_plans.ts";

/** What the replay needs besides the changes. */
export interface ReplayContext {
  /** The transaction that commits the position after the statement. */
  tx: Queryable;
  plans: TablePlans;
  config: Config;
  log: Logger;
  dialect: TargetDialect;
  postgis: boolean;
  /** The statement, and where it ends, for messages. */
  statement: string;
  at: string;
  /** When the source ran it (ms since epoch). */
  executedAt: number;
  /** Definitions after the statement, from the schema history, by `tableKey`. */
  versions: ReadonlyMap<string, TableVersion>;
  /** Definitions before the statement of the followed tables. */
  before: (name: TableName) => SourceTable | undefined;
  /** The definition of a table read from the source catalog now (when the history has none). */
  catalog: (name: TableName) => Promise<SourceTable | null>;
}

/** What the replay leaves for after the commit. */
export interface ReplayOutcome {
  /** Followed tables that changed, by `tableKey`: their new plan (null: no longer followed). */
  follows: Map<string, { name: TableName; plan: TablePlan | null }>;
  /** Targets whose table left to a name nobody follows (null: taken again), by target name. */
  vacated: Map<string, VacatedTarget | null>;
  /** What happened to each table, for the log and `status`. */
  records: { table: TableName; outcome: string }[];
  warnings: string[];
  /** Definitions the schema history lacked, read from the catalog: the history takes them. */
  fromCatalog: SourceTable[];
}

/** The replay of one statement under way. */
export class ReplayState {
  readonly #routes = new Map<string, { name: TableName; route: Route | null }>();
  readonly #outcome: ReplayOutcome = {
    follows: new Map(),
    vacated: new Map(),
    records: [],
    warnings: [],
    fromCatalog: [],
  };

  constructor(readonly context: ReplayContext) {}

  /** Builds the plan of every table followed anew, against its target as the transaction has it. */
  async finish(): Promise<ReplayOutcome> {
    const { plans, tx } = this.context;
    for (const [key, { name, route }] of this.#routes) {
      if (route === null) {
        this.#outcome.follows.set(key, { name, plan: null });
        continue;
      }
      const target = await describeTarget(tx, route.pgSchema, route.pgTable);
      if (!target) throw new Error(`target ${targetName(route)} vanished during the replay`);
      this.#outcome.follows.set(key, { name, plan: plans.plan(route, target) });
    }
    return this.#outcome;
  }

  /** The route `name` has at this point of the statement. */
  route(name: TableName): Route | null {
    const key = tableKey(name.schema, name.table);
    const changed = this.#routes.get(key);
    if (changed) return changed.route;
    return this.context.plans.planOf(name)?.route ?? null;
  }

  /** Gives `name` its route from here on in the statement (null: not followed). */
  setRoute(name: TableName, route: Route | null): void {
    this.#routes.set(tableKey(name.schema, name.table), { name, route });
  }

  /** The followed tables of `schema` at this point of the statement. */
  followedIn(schema: string): { name: TableName; route: Route }[] {
    return this.#followed().filter(({ name }) => name.schema === schema);
  }

  /** The followed tables at this point of the statement. */
  #followed(): { name: TableName; route: Route }[] {
    const names = new Map<string, TableName>();
    for (const plan of this.context.plans.all) names.set(plan.sourceName, plan.route.source);
    for (const { name } of this.#routes.values()) names.set(`${name.schema}.${name.table}`, name);
    return [...names.values()].flatMap((name) => {
      const route = this.route(name);
      return route ? [{ name, route }] : [];
    });
  }

  /**
   * The definition of `name` after the statement: the history's, else (a shadow table created
   * from a copy of the definition, which the history does not follow) the catalog's now.
   */
  async definition(name: TableName): Promise<SourceTable | null> {
    const version = this.context.versions.get(tableKey(name.schema, name.table));
    if (version?.definition) return version.definition;
    const read = await this.context.catalog(name);
    if (read) this.#outcome.fromCatalog.push(read);
    return read;
  }

  /** Notes what happened to `table`, for the log and `status`. */
  record(table: TableName, outcome: string): void {
    this.#outcome.records.push({ table, outcome });
  }

  /** Runs `statements` in the transaction. */
  async run(statements: readonly string[]): Promise<void> {
    for (const statement of statements) await this.context.tx.unsafe(statement);
  }

  /** The target of `route` as the transaction has it; null when there is none. */
  async target(route: Route): Promise<ReplayTarget | null> {
    return await readReplayTarget(
      this.context.tx,
      this.context.dialect,
      route.pgSchema,
      route.pgTable,
    );
  }

  /**
   * Brings `target` to the target of `route` (its definition and key); `before` as the target was
   * made for, when known.
   */
  async alterTarget(
    route: Route,
    target: ReplayTarget,
    before: SourceTable | null,
    renames: readonly ColumnRename[],
  ): Promise<TableReplay> {
    const { config, dialect, postgis, executedAt } = this.context;
    let replay: TableReplay;
    const beforeIdentity = before && rowIdentity(before);
    try {
      // Only the replicated columns: the others do not exist on the target, whatever they become
      const change = {
        before: before && beforeIdentity &&
          selected(before, { columns: route.columns, identity: beforeIdentity }),
        after: withSiblings(selected(route.source, route), this.#siblings(route)),
        key: targetKey(route.identity, route),
        keyBefore: beforeIdentity && targetKey(beforeIdentity, route),
        renames,
      };
      replay = alterTargetStatements(target, change, {
        dropColumn: config.ddlDropColumn,
        dialect,
        postgis,
        executedAt,
      });
    } catch (error) {
      if (!(error instanceof ReplayRefused)) throw error;
      throw new UserError(`${this.statementAt(sourceName(route))}: ${error.message}`, 1);
    }
    await this.run(replay.statements);
    for (const warning of replay.warnings) this.warn(`${warning}; ${repairHint(route)}`);
    for (const name of unselectedChanges(before, route)) {
      replay.done.push(
        `column ${name} changed, which the [[rule]]'s columns leave out: not replicated`,
      );
    }
    return replay;
  }

  /**
   * The other followed tables landing in the target of `route` (a rule merging shards), their
   * columns as replicated: a column one of them still has stays on the target.
   */
  #siblings(route: Route): SourceTable[] {
    const self = tableKey(route.source.schema, route.source.table);
    return this.#followed().flatMap(({ name, route: other }) =>
      other.pgSchema === route.pgSchema && other.pgTable === route.pgTable &&
        tableKey(name.schema, name.table) !== self
        ? [selected(other.source, other)]
        : []
    );
  }

  /** The statement and where it ends, for messages about `table`. */
  statementAt(table: string): string {
    const { statement, at } = this.context;
    return `the DDL on ${table} ending at ${at} (${statement.slice(0, 200)})`;
  }

  /** The tables whose route this statement changed so far. */
  changedNames(): TableName[] {
    return [...this.#routes.values()].map((changed) => changed.name);
  }

  /** A target whose table left to a name nobody follows, this statement included. */
  vacatedTarget(route: Route): VacatedTarget | undefined {
    const key = targetName(route);
    if (this.#outcome.vacated.has(key)) return this.#outcome.vacated.get(key) ?? undefined;
    return this.context.plans.vacated(key);
  }

  /** Notes the target of `route` vacated by `table` (null: taken again). */
  vacate(route: Route, table: VacatedTarget | null): void {
    this.#outcome.vacated.set(targetName(route), table);
  }

  warn(warning: string): void {
    this.#outcome.warnings.push(warning);
  }
}

/**
 * The route of `definition` (a followed table's new one, or its new name's) by the rules applied
 * at start, keeping what `old` knew of the target's rows; null when the table is skipped now.
 */
export function reroute(state: ReplayState, definition: SourceTable, old?: Route): Route | null {
  const route = newTableRoute(definition, state.context.config, state.context.log);
  return route && old?.rowsAsOf ? { ...route, rowsAsOf: old.rowsAsOf } : route;
}

/** `table` with only the columns `route` replicates. */
function selected(table: SourceTable, route: Pick<Route, "columns" | "identity">): SourceTable {
  return route.columns === null
    ? table
    : { ...table, columns: replicatedColumns(route, table.columns) };
}

/** `table` with the columns of `siblings` it lacks, which their shared target keeps. */
function withSiblings(table: SourceTable, siblings: readonly SourceTable[]): SourceTable {
  const columns = [...table.columns];
  const names = new Set(columns.map((c) => c.name.toLowerCase()));
  for (const column of siblings.flatMap((sibling) => sibling.columns)) {
    if (names.has(column.name.toLowerCase())) continue;
    names.add(column.name.toLowerCase());
    columns.push(column);
  }
  return columns.length === table.columns.length ? table : { ...table, columns };
}

/** The columns the route leaves out that the statement added, dropped or changed. */
function unselectedChanges(before: SourceTable | null, route: Route): string[] {
  if (route.columns === null || before === null) return [];
  const replicated = new Set(
    replicatedColumns(route, route.source.columns).map((c) => c.name.toLowerCase()),
  );
  const shape = (table: SourceTable) =>
    new Map(
      table.columns.filter((c) => !replicated.has(c.name.toLowerCase()))
        .map((c) => [c.name.toLowerCase(), JSON.stringify(c)]),
    );
  const old = shape(before);
  const now = shape(route.source);
  const names = new Set([...old.keys(), ...now.keys()]);
  return [...names].filter((name) => old.get(name) !== now.get(name));
}

/** What a replay's log says it did to a target. */
export function describe(what: string, replay: TableReplay): string {
  return replay.done.length > 0
    ? `${what}: ${replay.done.join(", ")}`
    : `${what} (nothing to change on the target)`;
}

/** What to run when the target's rows may differ from the source's. */
export function repairHint(route: Route): string {
  return `run "mysql-gp-sync verify --repair --tables ${sourceName(route)}"`;
}
