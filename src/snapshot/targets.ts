/**
 * The targets of a snapshot, made ready before anything is loaded: each checked (empty, or
 * `--truncate` given, or holding exactly what an interrupted snapshot's checkpoints say it loaded,
 * which the load then continues), missing ones created, the ones to refill emptied.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { qualified } from "../convert/ident.ts";
import type { LossHandler } from "../convert/types.ts";
import type { TargetDialect } from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import { createTableStatements } from "../tables/create_table.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import { makeRowCodec, type RowCodec } from "../tables/row_codec.ts";
import type { Route } from "../tables/routes.ts";
import type { Logger } from "../util/log.ts";
import type { Checkpoints } from "./checkpoints.ts";
import type { DoneChunk } from "./chunks.ts";

/** A table to load: how its rows are encoded into its (possibly new) target, what is loaded. */
export interface PreparedTable {
  codec: RowCodec;
  /** The target did not exist and was created. */
  created: boolean;
  /** The target held rows, which were removed (`--truncate`). */
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

/** What was found of one route's target before anything changed. */
type Found =
  | { route: Route; create: string[] }
  | { route: Route; codec: RowCodec; empty: boolean; resumed: DoneChunk[] };

/**
 * Checks every target before changing any, then creates the missing ones and, in one
 * transaction, empties those to refill and forgets the checkpoints of every table not resumed.
 */
export async function prepareTargets(
  sql: Sql,
  routes: readonly Route[],
  settings: TargetSettings,
): Promise<PreparedTable[]> {
  const { checkpoints, log } = settings;
  const losses = new LossLog(log);
  const saved = await checkpoints.read(sql);
  const found: Found[] = [];
  const nonEmpty: string[] = [];
  const changed: string[] = [];
  for (const route of routes) {
    const target = await describeTarget(sql, route.pgSchema, route.pgTable);
    if (target === null) {
      found.push({ route, create: createTableStatements(route, settings) });
      continue;
    }
    const codec = makeRowCodec(route, target, losses.handler(route));
    const name = qualified(route.pgSchema, route.pgTable);
    const before = saved.get(sourceName(route));
    if (before && before.target === targetName(route)) {
      // Resumable only if the target holds exactly the rows of the checkpointed chunks
      const loaded = before.chunks.reduce((n, chunk) => n + chunk.rows, 0);
      const [{ rows }] = await sql.unsafe<{ rows: number }[]>(
        `SELECT count(*)::float8 AS rows FROM ${name}`,
      );
      if (rows === loaded) {
        found.push({ route, codec, empty: rows === 0, resumed: before.chunks });
        continue;
      }
      if (rows > 0 && !settings.truncate) {
        changed.push(`${targetName(route)} holds ${rows} rows, not the ${loaded} it had loaded`);
      }
      found.push({ route, codec, empty: rows === 0, resumed: [] });
      continue;
    }
    const [{ rows }] = await sql.unsafe<{ rows: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ${name}) AS rows`,
    );
    if (rows && !settings.truncate) nonEmpty.push(targetName(route));
    found.push({ route, codec, empty: !rows, resumed: [] });
  }
  refuse(nonEmpty, changed);

  const tables: PreparedTable[] = [];
  for (const table of found) {
    if ("codec" in table) {
      const { codec, empty, resumed } = table;
      tables.push({ codec, created: false, truncated: !empty && resumed.length === 0, resumed });
      continue;
    }
    const { route, create } = table;
    await sql.begin(async (tx) => {
      for (const statement of create) await tx.unsafe(statement);
    });
    log.info(`created ${targetName(route)} for ${sourceName(route)}`);
    const target = (await describeTarget(sql, route.pgSchema, route.pgTable))!;
    const codec = makeRowCodec(route, target, losses.handler(route));
    tables.push({ codec, created: true, truncated: false, resumed: [] });
  }
  await sql.begin(async (tx) => {
    await checkpoints.ensure(tx);
    const fresh = tables.filter((t) => t.resumed.length === 0);
    await checkpoints.discard(tx, fresh.map((t) => sourceName(t.codec.route)));
    for (const { codec } of tables.filter((t) => t.truncated)) {
      await tx.unsafe(`TRUNCATE ${qualified(codec.route.pgSchema, codec.route.pgTable)}`);
    }
  });
  return tables;
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
