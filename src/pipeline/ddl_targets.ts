/**
 * What an understood DDL statement does to the targets of the followed tables, change by change
 * in statement order, inside the transaction that commits the position after it (PostgreSQL and
 * Greenplum DDL is transactional, so a failure leaves nothing half done): CREATE TABLE of a name
 * `[[source]]` covers makes its target as `snapshot` does; ALTER TABLE is replayed
 * (`sink/ddl_replay.ts`); DROP TABLE follows `ddl_drop_table`; TRUNCATE empties the target;
 * RENAME TABLE goes to `ddl_renames.ts`.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { qualified } from "../convert/ident.ts";
import type { AlterOperation, SchemaChange, TableName } from "../schema/ddl/changes.ts";
import { tableKey } from "../schema/table.ts";
import type { ColumnRename } from "../sink/ddl_replay.ts";
import { createTableStatements, namingTableOptions } from "../tables/create_table.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import { renameTable } from "./ddl_renames.ts";
import {
  describe,
  repairHint,
  type ReplayContext,
  type ReplayOutcome,
  ReplayState,
  reroute,
} from "./ddl_replay_state.ts";

export type { ReplayContext, ReplayOutcome };

/** Replays the changes of one statement; throws UserError for what the user must settle. */
export async function replayChanges(
  changes: readonly SchemaChange[],
  context: ReplayContext,
): Promise<ReplayOutcome> {
  const state = new ReplayState(context);
  for (const change of changes) {
    switch (change.kind) {
      case "create-table":
      case "create-table-like":
        await create(state, change.table, change.orReplace);
        break;
      case "drop-table":
        await drop(state, change.table);
        break;
      case "drop-schema":
        for (const { name } of state.followedIn(change.schema)) await drop(state, name);
        break;
      case "truncate-table":
        await truncate(state, change.table);
        break;
      case "rename-table":
        await renameTable(state, change.from, change.to);
        break;
      case "alter-table":
        await alter(state, change.table, change.operations);
    }
  }
  return await state.finish();
}

/** CREATE TABLE: a name `[[source]]` covers is followed from here. */
async function create(
  state: ReplayState,
  name: TableName,
  orReplace: boolean,
): Promise<void> {
  const { plans } = state.context;
  const current = state.route(name);
  if (current && !orReplace) return;
  if (!current && !plans.covers(name)) return;
  const definition = await state.definition(name);
  if (!definition) {
    state.warn(`${name.schema}.${name.table} was created but no longer exists`);
    return state.setRoute(name, null);
  }
  const route = reroute(state, definition, current ?? undefined);
  state.setRoute(name, route);
  if (!route) return;
  const target = await state.target(route);
  if (!target) {
    await namingTableOptions(route, () => state.run(createTableStatements(route, state.context)));
    state.vacate(route, null);
    return state.record(name, `created ${targetName(route)}`);
  }
  if (current) {
    // CREATE OR REPLACE: a new, empty table under the name.
    await state.run([`TRUNCATE ${qualified(route.pgSchema, route.pgTable)}`]);
  }
  const replay = await state.alterTarget(route, target, current?.source ?? null, []);
  state.vacate(route, null);
  state.record(name, describe(`into ${targetName(route)}, which exists`, replay));
}

/** DROP TABLE of a followed table, as `ddl_drop_table` says. */
async function drop(state: ReplayState, name: TableName): Promise<void> {
  const route = state.route(name);
  if (!route) return;
  const { config } = state.context;
  const target = targetName(route);
  switch (config.ddlDropTable) {
    case "stop":
      throw new UserError(
        `${state.statementAt(sourceName(route))} drops it, and ddl_drop_table = "stop" in ` +
          `${config.file}: drop or keep ${target} yourself, then let the sync pass the ` +
          `statement with "mysql-gp-sync ddl skip ${state.context.at}" (or set ddl_drop_table ` +
          `to "ignore" or "drop")`,
        1,
      );
    case "drop":
      await state.run([`DROP TABLE IF EXISTS ${qualified(route.pgSchema, route.pgTable)}`]);
      state.record(name, `dropped, and ${target} with it (ddl_drop_table = "drop")`);
      break;
    case "ignore":
      state.warn(
        `MySQL table ${sourceName(route)} was dropped (${state.context.at}); its target ` +
          `${target} is kept as it is (ddl_drop_table = "ignore"): drop it yourself when no ` +
          "longer needed",
      );
      state.record(name, `dropped; ${target} kept (ddl_drop_table = "ignore")`);
  }
  state.setRoute(name, null);
}

async function truncate(state: ReplayState, name: TableName): Promise<void> {
  const route = state.route(name);
  if (!route) return;
  await state.run([`TRUNCATE ${qualified(route.pgSchema, route.pgTable)}`]);
  state.record(name, `TRUNCATE applied to ${targetName(route)}`);
}

async function alter(
  state: ReplayState,
  name: TableName,
  operations: readonly AlterOperation[],
): Promise<void> {
  const rename = operations.findLast((o) => o.kind === "rename-table");
  const to = rename?.kind === "rename-table" ? rename.to : name;
  const route = state.route(name);
  if (!route) {
    if (tableKey(to.schema, to.table) !== tableKey(name.schema, name.table)) {
      await renameTable(state, name, to);
    }
    return;
  }
  const after = await state.definition(to);
  if (!after) throw new Error(`no definition of ${to.schema}.${to.table} after its ALTER TABLE`);
  const target = await state.target(route);
  if (!target) {
    throw new UserError(
      `${state.statementAt(sourceName(route))}: its target ${targetName(route)} does not ` +
        `exist; create it as the source table is after the statement, then start again`,
      1,
    );
  }
  const altered = reroute(state, { ...after, ...name }, route);
  state.setRoute(name, altered);
  if (!altered) return;
  const before = state.context.before(name) ?? route.source;
  const replay = await state.alterTarget(altered, target, before, columnRenames(operations));
  for (const operation of operations) {
    if (operation.kind === "partition" && operation.removesRows) {
      state.warn(
        `${state.statementAt(sourceName(route))} removed rows the binlog does not list ` +
          `(${operation.action} PARTITION); they are still in ${targetName(route)}: ` +
          repairHint(route),
      );
    }
  }
  state.record(name, describe("altered", replay));
  if (rename?.kind === "rename-table") await renameTable(state, name, to);
}

/** The column renames of an ALTER TABLE, in order. */
function columnRenames(operations: readonly AlterOperation[]): ColumnRename[] {
  return operations.flatMap((operation): ColumnRename[] => {
    if (operation.kind === "rename-column") return [{ from: operation.name, to: operation.to }];
    if (operation.kind === "change-column" && operation.column.name !== operation.name) {
      return [{ from: operation.name, to: operation.column.name }];
    }
    return [];
  });
}
