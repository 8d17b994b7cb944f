/**
 * The target side of `check`: PostgreSQL login and privileges, the position table, every route's
 * target table and columns against their source columns (on Greenplum also its distribution and
 * storage, see greenplum.ts), and whether the source still has the binlog `run` would start from.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { charsetSupport } from "../convert/charset.ts";
import { incompatibility } from "../convert/compatibility.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import type { SourceColumn } from "../convert/types.ts";
import type { SourceTable } from "../schema/table.ts";
import { errorMessage } from "../util/log.ts";
import { formatPosition } from "../offsets/position.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import type { TableRoute } from "../tables/routes.ts";
import { PositionStore, type StoredPosition } from "../sink/position_store.ts";
import { SchemaStore } from "../sink/schema_store.ts";
import { connectTarget, type Sql, tableExists } from "../sink/postgres.ts";
import { describeTarget, keyIndexed, targetColumnFor, type TargetTable } from "../sink/target.ts";
import { fail, type Finding, ok, warn } from "./finding.ts";
import { greenplumFindings } from "./greenplum.ts";
import { historyFinding } from "./history.ts";

/** What the target side of `check` found. */
export interface TargetCheck {
  findings: Finding[];
  /** The position saved in PostgreSQL for this sync_id; undefined when it could not be read. */
  stored: StoredPosition | null | undefined;
}

/** Checks PostgreSQL: login, privileges, the position table and every route's target table. */
export async function checkTarget(config: Config, routes: TableRoute[]): Promise<TargetCheck> {
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
    for (const route of routes) findings.push(...await routeFindings(config, sql, route));
    findings.push(...await greenplumFindings(config, sql, routes));
    return { findings, stored };
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

/** A target column's constraints that decide whether a row can be inserted. */
export interface ColumnRules {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
}

async function routeFindings(config: Config, sql: Sql, route: TableRoute): Promise<Finding[]> {
  const { source } = route;
  const label = `${source.schema}.${source.table} -> ${route.pgSchema}.${route.pgTable}`;
  const target = await describeTarget(sql, route.pgSchema, route.pgTable);
  if (!target) {
    return [fail(
      "target_table",
      `${label}: the target table does not exist in ${config.pgDbname}; create it: ${
        createTableSql(route)
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
  const columnProblems = columnFindings(route, target, rules);
  findings.push(...columnProblems);
  const key = keyOf(source);
  const keyColumns = key.map((k) => targetColumnFor(target, k)?.name ?? k);
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
      `${label}: ${source.columns.length} column(s) compatible, ${matched}`,
    ));
  }
  return findings;
}

/** Every source column lands in a target column of a compatible type; inserts cannot fail. */
export function columnFindings(
  route: TableRoute,
  target: TargetTable,
  rules: ColumnRules[],
): Finding[] {
  const { source } = route;
  const findings: Finding[] = [];
  const table = qualified(route.pgSchema, route.pgTable);
  const filled = new Set<string>();
  for (const column of source.columns) {
    const where = `${source.schema}.${source.table}.${column.name}`;
    const match = targetColumnFor(target, column.name);
    if (!match) {
      findings.push(fail(
        "columns",
        `${where} has no column in ${route.pgSchema}.${route.pgTable}: ALTER TABLE ${table} ` +
          `ADD COLUMN ${quoteIdent(column.name)} ${typeFor(column)}`,
      ));
      continue;
    }
    filled.add(match.name);
    // An undecodable charset is reported once by the charset check.
    if (column.charset && charsetSupport(column.charset) === "unsupported") continue;
    const reason = incompatibility(column, match);
    if (reason) {
      findings.push(fail(
        "columns",
        `${where} -> ${match.name}: ${reason}; change the column: ALTER TABLE ${table} ALTER ` +
          `COLUMN ${quoteIdent(match.name)} TYPE ${typeFor(column)}`,
      ));
    } else if (column.nullable && rules.find((r) => r.name === match.name)?.notNull) {
      findings.push(warn(
        "columns",
        `${where} may be NULL but ${match.name} is NOT NULL, so such rows would stop the sync: ` +
          `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(match.name)} DROP NOT NULL`,
      ));
    }
  }
  for (const rule of rules) {
    if (!filled.has(rule.name) && rule.notNull && !rule.hasDefault) {
      findings.push(fail(
        "columns",
        `${route.pgSchema}.${route.pgTable}.${rule.name} is NOT NULL without a default and has no ` +
          `MySQL column, so every insert would fail: ALTER TABLE ${table} ALTER COLUMN ${
            quoteIdent(rule.name)
          } DROP NOT NULL (or SET DEFAULT ...)`,
      ));
    }
  }
  return findings;
}

function typeFor(column: SourceColumn): string {
  try {
    return pgTypeFor(column);
  } catch {
    return "<a type for " + column.columnType + ">";
  }
}

/** A CREATE TABLE for the route with the default type mapping, as the fix for a missing table. */
function createTableSql(route: TableRoute): string {
  const columns = route.source.columns.map((c) => `${quoteIdent(c.name)} ${typeFor(c)}`);
  const key = keyOf(route.source);
  if (key.length > 0) columns.push(`PRIMARY KEY (${key.map(quoteIdent).join(", ")})`);
  return `CREATE TABLE ${qualified(route.pgSchema, route.pgTable)} (${columns.join(", ")})`;
}

/** The columns of the key that identifies the table's rows; none when its whole row does. */
function keyOf(source: SourceTable): string[] {
  const identity = rowIdentity(source);
  return identity.kind === "whole-row" ? [] : identity.columns;
}

async function columnRules(sql: Sql, route: TableRoute): Promise<ColumnRules[]> {
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

async function missingPrivileges(sql: Sql, route: TableRoute): Promise<string[]> {
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
