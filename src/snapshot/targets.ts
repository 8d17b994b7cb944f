/**
 * The targets of a snapshot, made ready before anything is loaded: each slice a load fills (a
 * source tag's rows, or a whole target) checked (empty, or `--truncate` given, or holding exactly
 * what an interrupted snapshot's checkpoints say it loaded, which the load then continues),
 * missing targets created, the slices to refill emptied.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import type { LossHandler } from "../convert/types.ts";
import type { TargetDialect } from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { createTableStatements, namingTableOptions } from "../tables/create_table.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import { makeRowCodec, type RowCodec } from "../tables/row_codec.ts";
import type { Route } from "../tables/routes.ts";
import type { Logger } from "../util/log.ts";
import {
  emptySlice,
  type SliceGroup,
  sliceGroups,
  type TargetSlice,
  targetSlice,
  whereOf,
} from "../tables/target_slice.ts";
import type { Checkpoints, TableCheckpoints } from "./checkpoints.ts";
import type { DoneChunk } from "./chunks.ts";

/** A table to load: how its rows are encoded into its (possibly new) target, what is loaded. */
export interface PreparedTable {
  codec: RowCodec;
  /** The target did not exist and was created. */
  created: boolean;
  /** Its slice of the target held rows, which were removed (`--truncate`). */
  truncated: boolean;
  /** Chunks an interrupted snapshot loaded, which this one keeps and continues after. */
  resumed: DoneChunk[];
}

/** What preparing needs besides the routes. */
export interface TargetSettings {
  postgis: boolean;
  dialect: TargetDialect;
  /** Empty targets that hold rows instead of refusing them. */
  truncate: boolean;
  checkpoints: Checkpoints;
  log: Logger;
}

/** A route of an existing target: its codec and the rows of the target it owns. */
interface Existing {
  route: Route;
  codec: RowCodec;
  slice: TargetSlice;
}

/** What a slice group was found holding, for the routes of the group. */
interface Found {
  /** The slice holds no row. */
  empty: boolean;
  /** Per route: the chunks an interrupted snapshot loaded there, kept (none: loaded afresh). */
  resumed: Map<Route, DoneChunk[]>;
}

/**
 * Checks every existing target before changing any, then creates the missing ones (once per
 * target) and, in one transaction, empties the slices to refill and forgets the checkpoints of
 * every table not resumed. A route with a source tag owns the rows with its tag: only those are
 * checked and emptied, so other source tables' and other instances' rows of a merged target are
 * never touched. Untagged routes that share a target own it together: it is checked and emptied
 * once, before any of them loads.
 */
export async function prepareTargets(
  sql: Sql,
  routes: readonly Route[],
  settings: TargetSettings,
): Promise<PreparedTable[]> {
  const { checkpoints, log } = settings;
  const losses = new LossLog(log);
  const saved = await checkpoints.read(sql);
  const existing: Existing[] = [];
  const missing = new Map<string, Route[]>();
  for (const route of routes) {
    const name = targetName(route);
    if (missing.has(name)) {
      missing.get(name)!.push(route);
      continue;
    }
    const target = await describeTarget(sql, route.pgSchema, route.pgTable);
    if (target === null) {
      missing.set(name, [route]);
      continue;
    }
    const codec = makeRowCodec(route, target, losses.handler(route));
    existing.push({ route, codec, slice: targetSlice(route, codec) });
  }
  const nonEmpty: string[] = [];
  const changed: string[] = [];
  const groups = sliceGroups(existing, (e) => e.slice);
  const found = new Map<SliceGroup<Existing>, Found>();
  for (const group of groups) {
    found.set(group, await inspect(sql, group, saved, settings.truncate, { nonEmpty, changed }));
  }
  refuse(nonEmpty, changed);

  const tables = new Map<Route, PreparedTable>();
  const emptied: TargetSlice[] = [];
  for (const group of groups) {
    const { empty, resumed } = found.get(group)!;
    const kept = [...resumed.values()].some((chunks) => chunks.length > 0);
    if (!empty && !kept) emptied.push(group.slice);
    for (const { route, codec } of group.members) {
      const chunks = resumed.get(route) ?? [];
      tables.set(route, { codec, created: false, truncated: !empty && !kept, resumed: chunks });
    }
  }
  for (const [name, shared] of missing) {
    await namingTableOptions(shared[0], () =>
      sql.begin(async (tx) => {
        for (const statement of createTableStatements(shared[0], settings)) {
          await tx.unsafe(statement);
        }
      }));
    log.info(`created ${name} for ${shared.map(sourceName).join(", ")}`);
    const target = (await describeTarget(sql, shared[0].pgSchema, shared[0].pgTable))!;
    for (const route of shared) {
      const codec = makeRowCodec(route, target, losses.handler(route));
      tables.set(route, { codec, created: true, truncated: false, resumed: [] });
    }
  }
  const prepared = routes.map((route) => tables.get(route)!);
  await sql.begin(async (tx) => {
    await checkpoints.ensure(tx);
    const fresh = prepared.filter((t) => t.resumed.length === 0);
    await checkpoints.discard(tx, fresh.map((t) => sourceName(t.codec.route)));
    for (const slice of emptied) await tx.unsafe(emptySlice(slice));
  });
  return prepared;
}

/**
 * What a slice group holds. Resumable only if it holds exactly the rows its members' checkpoints
 * say were loaded; otherwise, holding rows, it is listed in `problems` unless `truncate`.
 */
async function inspect(
  sql: Sql,
  group: SliceGroup<Existing>,
  saved: ReadonlyMap<string, TableCheckpoints>,
  truncate: boolean,
  problems: { nonEmpty: string[]; changed: string[] },
): Promise<Found> {
  const { slice, members } = group;
  const where = whereOf(slice.rows);
  const resumed = new Map<Route, DoneChunk[]>();
  for (const { route } of members) {
    const before = saved.get(sourceName(route));
    if (before && before.target === targetName(route)) resumed.set(route, before.chunks);
  }
  if (resumed.size === 0) {
    const [{ rows }] = await sql.unsafe<{ rows: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ${slice.target} t${where}) AS rows`,
    );
    if (rows && !truncate) problems.nonEmpty.push(slice.label);
    return { empty: !rows, resumed: new Map() };
  }
  const loaded = [...resumed.values()].flat().reduce((n, chunk) => n + chunk.rows, 0);
  const [{ rows }] = await sql.unsafe<{ rows: number }[]>(
    `SELECT count(*)::float8 AS rows FROM ${slice.target} t${where}`,
  );
  if (rows === loaded) return { empty: rows === 0, resumed };
  if (rows > 0 && !truncate) {
    problems.changed.push(`${slice.label} holds ${rows} rows, not the ${loaded} it had loaded`);
  }
  return { empty: rows === 0, resumed: new Map() };
}

/** Refuses targets that hold rows no checkpoint accounts for. */
function refuse(nonEmpty: readonly string[], changed: readonly string[]): void {
  if (nonEmpty.length > 0) {
    const one = nonEmpty.length === 1;
    throw new UserError(
      `PostgreSQL ${one ? "table" : "tables"} ${nonEmpty.join(", ")} ${one ? "is" : "are"} ` +
        `not empty: loading into ${one ? "it" : "them"} would duplicate rows; empty ` +
        `${one ? "it" : "them"}, or pass --truncate to have snapshot do so`,
      1,
    );
  }
  if (changed.length > 0) {
    throw new UserError(
      `an interrupted snapshot cannot be continued: ${changed.join("; ")}, so ` +
        `${changed.length === 1 ? "it was" : "they were"} changed since; pass --truncate to ` +
        `load ${changed.length === 1 ? "it" : "them"} again from the start`,
      1,
    );
  }
}

/** Warns of values PostgreSQL cannot hold (changed on the way), once per column and kind. */
class LossLog {
  #seen = new Set<string>();
  constructor(private readonly log: Logger) {}

  handler(route: Route): LossHandler {
    return (what, column) => {
      const name = `${sourceName(route)}.${column}`;
      if (this.#seen.has(`${name}\u0000${what}`)) return;
      this.#seen.add(`${name}\u0000${what}`);
      this.log.warn(
        what === "zero-date"
          ? `${name}: zero date stored as NULL (PostgreSQL has no zero date)`
          : `${name}: NUL byte removed from text (PostgreSQL text cannot hold it)`,
      );
    };
  }
}
