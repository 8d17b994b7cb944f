/**
 * The followed tables as `run`, `snapshot` and `verify` see them: `[[source]]` with `*` expanded,
 * each with its row identity (tables without a primary key skipped by `skip_no_pk_table`),
 * `[[rule]]` routes, optionally narrowed to the `--tables` subset; and the same rules for a table
 * created later.
 *
 * @module
 */
import type { Config, SourceConfig } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { matchesName } from "../config/names.ts";
import type { Logger } from "../util/log.ts";
import type { SourceTable } from "../schema/table.ts";
import { buildRoutes, type Route, routeOf, type TableRoute } from "./routes.ts";
import { describeIdentity, rowIdentity } from "./row_identity.ts";
import { loadColumns, resolveSourceTables } from "../source/catalog.ts";
import { describeMySqlError, type SourceConnection } from "../source/mysql.ts";

/** What becomes of a table `[[source]]` names that does not exist (yet), for its WARN line. */
const MISSING_TABLES = {
  /** `run`: followed from its CREATE TABLE in the binlog. */
  follow: "they are followed from their CREATE TABLE",
  /** `snapshot`, `verify`: left out. */
  skip: "skipped",
} as const;

/**
 * The routes of the followed tables, columns loaded, in config order; only those named in `only`
 * (`schema.table`) when given. Tables `[[source]]` names that do not exist are left out with a
 * WARN saying what becomes of them (`missing`). Throws UserError for what `run` would refuse too.
 */
export async function followedRoutes(
  config: Config,
  source: SourceConnection,
  log: Logger,
  only: readonly string[] | null = null,
  missing: keyof typeof MISSING_TABLES = "skip",
): Promise<Route[]> {
  const found = await resolveSourceTables(source, config.sources).catch((err) => {
    throw describeMySqlError(err, config);
  });
  const absent = only === null
    ? found.missing
    : found.missing.filter((name) => only.includes(name));
  if (absent.length > 0) {
    log.warn(
      `${config.file}: [[source]] names tables that do not exist in MySQL: ` +
        `${absent.join(", ")}; ${MISSING_TABLES[missing]}`,
    );
  }
  let tables = found.tables;
  if (only !== null) {
    const names = new Set(only);
    const known = new Set(tables.map((t) => `${t.schema}.${t.table}`));
    const unknown = [...names].filter((name) => !known.has(name) && !absent.includes(name));
    if (unknown.length > 0) {
      throw new UserError(
        `--tables: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not followed ` +
          `(the [[source]] sections of ${config.file} list ${[...known].join(", ") || "nothing"})`,
      );
    }
    tables = tables.filter((t) => names.has(`${t.schema}.${t.table}`));
  }
  // The identity depends on the columns: a unique key with a nullable column does not identify
  await loadColumns(source, tables);
  const routes: Route[] = [];
  for (const route of buildRoutes(tables, config.rules, config.instanceName).values()) {
    const identified = withIdentity(route, config, log);
    if (identified) routes.push(identified);
  }
  return routes;
}

/**
 * The route of `table` (columns loaded), a table created after the start, by the rules applied at
 * start: null when it is skipped (no primary key, skip_no_pk_table = true).
 */
export function newTableRoute(table: SourceTable, config: Config, log: Logger): Route | null {
  return withIdentity(routeOf(table, config.rules, config.instanceName), config, log);
}

/** Whether a `[[source]]` entry names `schema.table`, by name, `*` or pattern. */
export function coveredBySources(
  sources: readonly SourceConfig[],
  schema: string,
  table: string,
): boolean {
  return sources.some((s) =>
    matchesName(s.schema, schema) && s.tables.some((name) => matchesName(name, table))
  );
}

/**
 * The route with its row identity; null with a WARN when skipped (no primary key). Throws
 * UserError for a soft delete on a table without a key.
 */
function withIdentity(route: TableRoute, config: Config, log: Logger): Route | null {
  const identity = rowIdentity(route.source);
  if (identity.kind !== "primary-key" && config.skipNoPkTable) {
    log.warn(`skipping ${sourceName(route)}: it has no primary key (skip_no_pk_table = true)`);
    return null;
  }
  if (identity.kind === "whole-row" && route.softDelete) {
    throw new UserError(
      `${config.file}: the [[rule]] for ${sourceName(route)} sets soft_delete_column, but the ` +
        `table has no primary key nor NOT NULL unique key: a deleted row could not be told from ` +
        `its identical copies, so it cannot be kept flagged; add a primary key to the MySQL ` +
        `table, or give this table a [[rule]] without soft_delete_column`,
    );
  }
  if (identity.kind !== "primary-key") {
    log.info(
      `${sourceName(route)} has no primary key: its rows are matched by their ${
        describeIdentity(identity)
      }`,
    );
  }
  return { ...route, identity };
}

/** `--tables a.t1,b.t2` as a list of `schema.table` names; null when the flag is absent. */
export function parseTableList(text: string | undefined): string[] | null {
  if (text === undefined) return null;
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const bad = names.find((name) => !/^[^.]+\.[^.]+$/.test(name));
  if (names.length === 0 || bad !== undefined) {
    throw new UserError(
      `--tables: expected schema.table names separated by commas (e.g. shop.t_user,shop.line), got ${
        JSON.stringify(bad ?? text)
      }`,
    );
  }
  return names;
}

/** `schema.table` of a route's source, for messages. */
export function sourceName(route: TableRoute): string {
  return `${route.source.schema}.${route.source.table}`;
}

/** `schema.table` of a route's target, for messages. */
export function targetName(route: TableRoute): string {
  return `${route.pgSchema}.${route.pgTable}`;
}
