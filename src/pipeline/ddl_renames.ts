/**
 * RENAME TABLE (and ALTER TABLE ... RENAME TO) on the targets, one pair at a time: a followed
 * table's target is renamed after the rules, or kept when the new name is one nobody follows
 * (it is then vacated); a table nobody followed that takes a followed name (the swap of an online
 * schema change, `RENAME TABLE t TO _t_old, _t_new TO t`) takes over the target, whose rows are
 * the shadow's (the tools keep the shadow equal to the original by triggers or by reading the
 * binlog, and the original's changes reached the target) and which is brought to the shadow's
 * layout by ALTERs.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { qualified } from "../convert/ident.ts";
import type { TableName } from "../schema/ddl/changes.ts";
import { tableKey } from "../schema/table.ts";
import { renameTargetStatements } from "../sink/ddl_replay.ts";
import { createTableStatements, namingTableOptions } from "../tables/create_table.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";
import { describe, repairHint, type ReplayState, reroute } from "./ddl_replay_state.ts";

/** One pair of RENAME TABLE (or ALTER TABLE ... RENAME TO). */
export async function renameTable(
  state: ReplayState,
  from: TableName,
  to: TableName,
): Promise<void> {
  const { plans } = state.context;
  const route = state.route(from);
  if (route) {
    state.setRoute(from, null);
    if (!plans.covers(to)) {
      state.vacate(route, { definition: route.source, table: from });
      state.record(
        from,
        `renamed to ${to.schema}.${to.table}, which no [[source]] names: no longer followed; ` +
          `${targetName(route)} is kept`,
      );
      return;
    }
    return await moveTarget(state, route, to);
  }
  if (!plans.covers(to)) return;
  const definition = await state.definition(to);
  if (!definition) return;
  const moved = reroute(state, definition);
  state.setRoute(to, moved);
  if (!moved) return;
  const target = await state.target(moved);
  if (!target) {
    await namingTableOptions(moved, () => state.run(createTableStatements(moved, state.context)));
    state.warn(
      `${sourceName(moved)} comes from ${from.schema}.${from.table}, which was not followed ` +
        `(${state.context.at}): its rows so far are not in the new ${targetName(moved)}; ` +
        repairHint(moved),
    );
    return state.record(
      to,
      `followed from ${from.schema}.${from.table}; created ${targetName(moved)}`,
    );
  }
  refuseHeld(state, moved);
  const vacated = state.vacatedTarget(moved);
  const replay = await state.alterTarget(moved, target, vacated?.definition ?? null, []);
  state.vacate(moved, null);
  if (!vacated) {
    state.warn(
      `${from.schema}.${from.table} took the name ${sourceName(moved)} (${state.context.at}) ` +
        `and its rows are taken to be those ${targetName(moved)} holds; if they are not, ` +
        repairHint(moved),
    );
  }
  state.record(
    to,
    describe(
      `${from.schema}.${from.table} took its place; ${targetName(moved)} keeps its rows`,
      replay,
    ),
  );
}

/** The target of followed `route` follows its table to the name `to`. */
async function moveTarget(state: ReplayState, route: Route, to: TableName): Promise<void> {
  const renamed = reroute(state, { ...route.source, ...to }, route);
  state.setRoute(to, renamed);
  if (!renamed) return;
  const from = { schema: route.pgSchema, table: route.pgTable };
  const into = { schema: renamed.pgSchema, table: renamed.pgTable };
  if (tableKey(from.schema, from.table) === tableKey(into.schema, into.table)) {
    return state.record(
      to,
      `renamed from ${sourceName(route)}; same target ${targetName(route)}`,
    );
  }
  refuseHeld(state, renamed);
  if (await state.target(renamed)) {
    const quoted = qualified(into.schema, into.table);
    const [{ empty }] = await state.context.tx.unsafe<{ empty: boolean }[]>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${quoted}) AS empty`,
    );
    if (!empty) {
      throw new UserError(
        `${state.statementAt(sourceName(route))} renames it to ${sourceName(renamed)}, whose ` +
          `target ${targetName(renamed)} exists and holds rows no followed table has (left by ` +
          `an earlier DROP TABLE or made by hand): drop or rename ${targetName(renamed)}, and ` +
          'the sync goes on (set ddl_drop_table = "drop" to have dropped tables\' targets go ' +
          "with them)",
        1,
      );
    }
    await state.run([`DROP TABLE ${quoted}`]);
  }
  await state.run(renameTargetStatements(from, into));
  state.vacate(renamed, null);
  state.record(
    to,
    `renamed from ${sourceName(route)}; ${targetName(route)} renamed to ${targetName(renamed)}`,
  );
}

/** Refuses a target that another table followed at this point of the statement writes to. */
function refuseHeld(state: ReplayState, route: Route): void {
  const target = targetName(route);
  const holders = [...state.context.plans.all].map((plan): TableName => plan.route.source)
    .concat(state.changedNames());
  for (const name of holders) {
    const other = state.route(name);
    if (!other || sourceName(other) === sourceName(route)) continue;
    if (targetName(other) === target) {
      throw new UserError(
        `${state.statementAt(sourceName(route))} would make ${sourceName(route)} write to ` +
          `${target}, which ${sourceName(other)} writes to: give one of them another target ` +
          `with a [[rule]] in ${state.context.config.file}`,
        1,
      );
    }
  }
}
