/**
 * The target side of `check`: PostgreSQL login and privileges, the position table, every route's
 * target table and columns against their source columns (on Greenplum also its distribution and
 * storage, see greenplum.ts), and whether the source still has the binlog `run` would start from.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { errorMessage } from "../util/log.ts";
import { formatPosition } from "../offsets/position.ts";
import { hasPostgis } from "../tables/create_table.ts";
import { replicatedColumns } from "../tables/column_pairing.ts";
import type { Route } from "../tables/routes.ts";
import { PositionStore, type StoredPosition } from "../sink/position_store.ts";
import { SchemaStore } from "../sink/schema_store.ts";
import { detectDialect, type TargetDialect } from "../sink/dialect.ts";
import { connectTarget, type Sql, tableExists } from "../sink/postgres.ts";
import { describeTarget, keyIndexed } from "../sink/target.ts";
import { fail, type Finding, ok, warn } from "./finding.ts";
import { greenplumFindings } from "./greenplum.ts";
import { historyFinding } from "./history.ts";
import {
  columnFindings,
  type ColumnRules,
  createTableHint,
  sourceTagKeyFindings,
  targetKeyColumns,
  type UniqueIndex,
} from "./target_rules.ts";

/** What the target side of `check` found. */
export interface TargetCheck {
  findings: Finding[];
  /** The position saved in PostgreSQL for this sync_id; undefined when it could not be read. */
  stored: StoredPosition | null | undefined;
}

/** Checks PostgreSQL: login, privileges, the position table and every route's target table. */
export async function checkTarget(config: Config, routes: Route[]): Promise<TargetCheck> {
  let sql: Sql;
  try {
    sql = await connectTarget(config);
  } catch (err) {
    return { findings: [fail("postgresql", errorMessage(err))], stored: undefined };
  }
  try {
    const findings = [await serverFinding(config, sql)];
    const store = new PositionStore(config.positionSchema, config.syncId);
    findings.push(await positionTableFinding(config, sql, store));
    const stored = await store.read(sql).catch(() => undefined);
    const schemas = new SchemaStore(config.positionSchema, config.syncId);
    const followed = routes.map((route) => `${route.source.schema}.${route.source.table}`);
    findings.push(historyFinding(await schemas.state(sql), followed, schemas.table, !!stored));
    const creation = { dialect: await detectDialect(sql), postgis: await hasPostgis(sql) };
    for (const route of routes) {
      findings.push(...await routeFindings(config, sql, route, creation));
    }
    findings.push(...await greenplumFindings(config, sql, routes));
    return { findings: distinct(findings), stored };
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
  }
}

async function serverFinding(config: Config, sql: Sql): Promise<Finding> {
  const [row] = await sql<{ version: string; temp: boolean; user: string }[]>`
    SELECT version() AS version, current_user AS user,
           has_database_privilege(current_database(), 'TEMP') AS temp`;
  const where = `${config.pgHost}:${config.pgPort}, database ${config.pgDbname}`;
  if (!row.temp) {
    return fail(
      "postgresql",
      `${row.user} may not create temporary tables in ${config.pgDbname}, which every batch ` +
        `stages rows in: GRANT TEMP ON DATABASE ${quoteIdent(config.pgDbname)} TO ${
          quoteIdent(row.user)
        }`,
    );
  }
  return ok("postgresql", `connected to ${where} as ${row.user} (${row.version.split(" on ")[0]})`);
}

async function positionTableFinding(
  config: Config,
  sql: Sql,
  store: PositionStore,
): Promise<Finding> {
  // One question per query: privilege functions fail on objects that do not exist.
  if (await tableExists(sql, store.table)) {
    const [{ write }] = await sql<{ write: boolean }[]>`
      SELECT has_table_privilege(${store.table}, 'SELECT')
         AND has_table_privilege(${store.table}, 'INSERT')
         AND has_table_privilege(${store.table}, 'UPDATE') AS write`;
    return write ? ok("position_table", `position table ${store.table} is writable`) : fail(
      "position_table",
      `cannot write the position table ${store.table}: GRANT SELECT, INSERT, UPDATE ON ${store.table} TO ${
        quoteIdent(config.pgUser)
      }`,
    );
  }
  const schemas = await sql<{ create: boolean }[]>`
    SELECT has_schema_privilege(oid, 'CREATE') AS create
      FROM pg_catalog.pg_namespace WHERE nspname = ${config.positionSchema}`;
  if (schemas.length === 0) {
    return fail(
      "position_table",
      `position_schema "${config.positionSchema}" does not exist in ${config.pgDbname}: create it ` +
        `(CREATE SCHEMA ${
          quoteIdent(config.positionSchema)
        }) or set position_schema in ${config.file}`,
    );
  }
  return schemas[0].create
    ? ok("position_table", `position table ${store.table} will be created on first run`)
    : fail(
      "position_table",
      `${config.pgUser} may not create the position table ${store.table}: GRANT CREATE ON SCHEMA ${
        quoteIdent(config.positionSchema)
      } TO ${quoteIdent(config.pgUser)}`,
    );
}

/**
 * The findings of one route shared with other routes into the same target (its added columns, its
 * unique keys) name the target alone: the same finding once.
 */
function distinct(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.level} ${f.check} ${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function routeFindings(
  config: Config,
  sql: Sql,
  route: Route,
  creation: { dialect: TargetDialect; postgis: boolean },
): Promise<Finding[]> {
  const { source } = route;
  const label = `${source.schema}.${source.table} -> ${route.pgSchema}.${route.pgTable}`;
  const target = await describeTarget(sql, route.pgSchema, route.pgTable);
  if (!target) {
    return [fail(
      "target_table",
      `${label}: the target table does not exist in ${config.pgDbname}; ${
        createTableHint(route, creation)
      }`,
    )];
  }
  const findings: Finding[] = [];
  const rules = await columnRules(sql, route);
  const privileges = await missingPrivileges(sql, route);
  if (privileges.length > 0) {
    findings.push(fail(
      "target_table",
      `${label}: ${config.pgUser} lacks ${privileges.join(", ")}: GRANT ${
        privileges.join(", ")
      } ON ${qualified(route.pgSchema, route.pgTable)} TO ${quoteIdent(config.pgUser)}`,
    ));
  }
  findings.push(...columnFindings(route, target, rules));
  findings.push(...sourceTagKeyFindings(route, target, await uniqueIndexes(sql, route)));
  const keyColumns = targetKeyColumns(route, target);
  let indexed = false;
  if (keyColumns.length > 0) {
    indexed = keyIndexed(target, keyColumns);
    if (!indexed) {
      findings.push(warn(
        "target_index",
        `${label}: no index on the key (${keyColumns.join(", ")}), so every batch's DELETE ... ` +
          `USING scans the whole table: CREATE INDEX ON ${
            qualified(route.pgSchema, route.pgTable)
          } (${keyColumns.map(quoteIdent).join(", ")})`,
      ));
    }
  }
  if (findings.length === 0) {
    const matched = keyColumns.length > 0
      ? `key (${keyColumns.join(", ")}) indexed`
      : "rows matched by their whole value";
    findings.push(ok(
      "target_table",
      `${label}: ${
        replicatedColumns(route, source.columns).length
      } column(s) compatible, ${matched}`,
    ));
  }
  return findings;
}

/** The unique indexes of the route's target, with the constraints they back. */
async function uniqueIndexes(sql: Sql, route: Route): Promise<UniqueIndex[]> {
  return await sql<UniqueIndex[]>`
    SELECT ic.relname AS index, con.conname AS constraint, coalesce(con.contype = 'p', false)
             AS primary,
           array(
             SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              ORDER BY k.n) AS columns
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_constraint con
        ON con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u')
     WHERE n.nspname = ${route.pgSchema} AND c.relname = ${route.pgTable}
       AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`;
}

async function columnRules(sql: Sql, route: Route): Promise<ColumnRules[]> {
  return await sql<ColumnRules[]>`
    SELECT a.attname AS name, a.attnotnull AS "notNull", a.atthasdef AS "hasDefault"
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${route.pgSchema} AND c.relname = ${route.pgTable}
       AND a.attnum > 0 AND NOT a.attisdropped`;
}

/** Privileges each batch needs (TRUNCATE replays a source TRUNCATE). */
const TABLE_PRIVILEGES = ["SELECT", "INSERT", "DELETE", "TRUNCATE"] as const;

async function missingPrivileges(sql: Sql, route: Route): Promise<string[]> {
  const table = qualified(route.pgSchema, route.pgTable);
  const missing: string[] = [];
  // One privilege per call: with a list, has_table_privilege is true if any one is held.
  for (const privilege of TABLE_PRIVILEGES) {
    const [row] = await sql<{ held: boolean }[]>`
      SELECT has_table_privilege(${table}, ${privilege}) AS held`;
    if (!row.held) missing.push(privilege);
  }
  return missing;
}

/** Where `run` will start, and whether the source still has that binlog. */
export function startFinding(
  start: { position: { file: string; pos: number }; from: string } | null,
  binlog: { head: { file: string; pos: number }; files: { name: string; size: number }[] } | null,
): Finding | null {
  if (!binlog) return null;
  const oldest = binlog.files[0];
  if (!start) {
    return warn(
      "position",
      `no saved position: run would start at the oldest binlog (${oldest?.name ?? "none"}:4) and ` +
        "replay all of it; after loading the existing rows, set where to start with " +
        '"mysql-gp-sync pos set FILE POS" (SHOW MASTER STATUS at the time of the copy)',
    );
  }
  const { position, from } = start;
  const file = binlog.files.find((f) => f.name === position.file);
  if (!file) {
    return fail(
      "position",
      `the saved position ${formatPosition(position)} (${from}) is in a binlog file the source ` +
        `no longer has (oldest: ${oldest?.name ?? "none"}): changes since then are lost; reload ` +
        'the tables and set a new position with "pos set"',
    );
  }
  if (position.pos > file.size) {
    return fail(
      "position",
      `the saved position ${
        formatPosition(position)
      } (${from}) is beyond the end of ${file.name} ` +
        `(${file.size} bytes); set a valid one with "pos set"`,
    );
  }
  return ok("position", `run resumes at ${formatPosition(position)} (${from})`);
}
