/**
 * The followed tables as `snapshot` and `verify` see them: the same selection `run` makes
 * (`[[source]]` with `*` expanded, tables without a row identity refused or skipped by
 * `skip_no_pk_table`, `[[rule]]` routes), optionally narrowed to the `--tables` subset.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import { buildRoutes, type Route, type TableRoute } from "./routes.ts";
import { rowIdentity } from "./row_identity.ts";
import { loadColumns, resolveSourceTables } from "../source/catalog.ts";
import { describeMySqlError, type SourceConnection } from "../source/mysql.ts";

/**
 * The routes of the followed tables, columns loaded, in config order; only those named in `only`
 * (`schema.table`) when given. Throws UserError for what `run` would refuse too.
 */
export async function followedRoutes(
  config: Config,
  source: SourceConnection,
  log: Logger,
  only: readonly string[] | null = null,
): Promise<Route[]> {
  const found = await resolveSourceTables(source, config.sources).catch((err) => {
    throw describeMySqlError(err, config);
  });
  if (found.missing.length > 0) {
    throw new UserError(
      `${config.file}: [[source]] names tables that do not exist in MySQL: ${
        found.missing.join(", ")
      }`,
    );
  }
  let tables = found.tables;
  if (only !== null) {
    const names = new Set(only);
    const known = new Set(tables.map((t) => `${t.schema}.${t.table}`));
    const unknown = [...names].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new UserError(
        `--tables: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not followed ` +
          `(the [[source]] sections of ${config.file} list ${[...known].join(", ") || "nothing"})`,
      );
    }
    tables = tables.filter((t) => names.has(`${t.schema}.${t.table}`));
  }
  const routes: Route[] = [];
  for (const route of buildRoutes(tables, config.rules).values()) {
    const identity = rowIdentity(route.source);
    if (identity !== null) {
      routes.push({ ...route, identity });
      continue;
    }
    const name = sourceName(route);
    if (config.skipNoPkTable) {
      log.warn(`skipping ${name}: it has no primary key (skip_no_pk_table = true)`);
      continue;
    }
    throw new UserError(
      `MySQL table ${name} has no primary key; add one, or set skip_no_pk_table = true in ${config.file}`,
    );
  }
  await loadColumns(source, routes.map((route) => route.source));
  return routes;
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
