/**
 * The statements whose text differs between the targets: PostgreSQL, and Greenplum 6/7 (with
 * Cloudberry, its descendant). Both take the same merge, which needs neither `ON CONFLICT` nor
 * `MERGE` (Greenplum 6 has neither); they differ in how staging tables are made and in how a
 * table `snapshot` creates is spread over Greenplum's segments.
 *
 * @module
 */
import { qualified, quoteIdent } from "../convert/ident.ts";
import type { Queryable } from "./postgres.ts";

/** Flag column of staging tables; its name cannot clash because staging holds only target columns. */
export const DELETED = quoteIdent("__mysql_gp_sync_deleted");

/** What a staging table is made for. */
export interface StagingLayout {
  /** `"schema"."table"` of the target. */
  target: string;
  /** Quoted names of the target columns the staged rows fill. */
  columns: readonly string[];
  /** Quoted names of every column of the target. */
  targetColumns: readonly string[];
}

/** A table `snapshot` creates: plain names, types as PostgreSQL spells them. */
export interface NewTable {
  schema: string;
  table: string;
  /** Every column accepts NULL except the key's (its constraint implies NOT NULL). */
  columns: readonly { name: string; type: string }[];
  /** The key's columns in key order; empty for a table without one. */
  key: readonly string[];
}

export interface TargetDialect {
  readonly name: "postgres" | "greenplum";
  /**
   * Creates the session's staging table `bare` (named {@link tempStagingName} afterwards), which
   * empties itself at each commit.
   */
  tempStaging(bare: string, layout: StagingLayout): string[];
  /** Creates `name` (qualified) as staging any session can fill. */
  sharedStaging(name: string, layout: StagingLayout): string[];
  /** Empties the shared staging table `name` before a copier fills it. */
  clearSharedStaging(name: string): string;
  /**
   * Planner settings sent in one message with the merge's first DELETE, ending in "; ". Lookups
   * of one key at a time are wanted when the target's key is `indexed`.
   */
  mergeSettings(indexed: boolean): string;
  /** `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE`. */
  createTable(table: NewTable): string[];
}

/** The qualified name of the session's staging table `bare`. */
export function tempStagingName(bare: string): string {
  return `pg_temp.${bare}`;
}

export const POSTGRES: TargetDialect = {
  name: "postgres",
  tempStaging(bare, layout) {
    return [
      `DROP TABLE IF EXISTS ${tempStagingName(bare)}`,
      `CREATE TEMP TABLE ${bare} ON COMMIT DELETE ROWS AS ${emptyStagingQuery(layout)}`,
    ];
  },
  sharedStaging(name, layout) {
    // Unlogged: staging is rebuilt from the binlog after a crash anyway, so no WAL is needed.
    return [
      `DROP TABLE IF EXISTS ${name}`,
      `CREATE UNLOGGED TABLE ${name} AS ${emptyStagingQuery(layout)}`,
    ];
  },
  clearSharedStaging(name) {
    return `TRUNCATE ${name}`;
  },
  mergeSettings: joinSettings,
  createTable(table) {
    return createTable(table, "");
  },
};

/**
 * Greenplum (measured on 6.24): `CREATE TABLE ... (LIKE t)` inherits t's distribution key, so
 * every segment joins its own staged rows to its own share of the target; a CREATE TABLE AS is
 * distributed by its first column (or randomly), and the merge's DELETE USING then moves rows
 * between segments.
 */
export const GREENPLUM: TargetDialect = {
  name: "greenplum",
  tempStaging(bare, layout) {
    const name = tempStagingName(bare);
    return [
      // The first COPY into a table without statistics would otherwise ANALYZE it, inside the COPY.
      // Set for the session, as long as the table lives: a rollback undoes both, and both are
      // made again.
      `SET gp_autostats_mode = none`,
      `DROP TABLE IF EXISTS ${name}`,
      `CREATE TEMP TABLE ${bare} (LIKE ${layout.target}, ${DELETED} boolean) ON COMMIT DELETE ROWS`,
      nullsAllowed(name, layout),
    ];
  },
  sharedStaging(name, layout) {
    return [
      `DROP TABLE IF EXISTS ${name}`,
      `CREATE UNLOGGED TABLE ${name} (LIKE ${layout.target}, ${DELETED} boolean)`,
      nullsAllowed(name, layout),
    ];
  },
  clearSharedStaging(name) {
    // A copier's session has no setup step of its own; sent in one message with the TRUNCATE,
    // the setting costs no round trip.
    return `SET LOCAL gp_autostats_mode = none; TRUNCATE ${name}`;
  },
  mergeSettings: joinSettings,
  createTable(table) {
    const spread = table.key.length > 0
      ? `DISTRIBUTED BY (${table.key.map(quoteIdent).join(", ")})`
      : "DISTRIBUTED RANDOMLY";
    return createTable(table, ` ${spread}`);
  },
};

/** The dialect of the server that reported `version` (`SELECT version()`). */
export function dialectOf(version: string): TargetDialect {
  return /Greenplum Database|Cloudberry/.test(version) ? GREENPLUM : POSTGRES;
}

/** Asks the server connected to `sql` what it is; once per connection suffices. */
export async function detectDialect(sql: Queryable): Promise<TargetDialect> {
  const [{ version }] = await sql<{ version: string }[]>`SELECT version()`;
  return dialectOf(version);
}

/** CREATE TABLE AS copies types but not constraints: deleted keys carry NULLs elsewhere. */
function emptyStagingQuery(layout: StagingLayout): string {
  return `SELECT ${
    layout.columns.join(", ")
  }, false AS ${DELETED} FROM ${layout.target} WITH NO DATA`;
}

/** LIKE copies NOT NULL constraints, which staged deleted keys (NULLs elsewhere) would break. */
function nullsAllowed(name: string, layout: StagingLayout): string {
  const columns = layout.targetColumns.map((column) => `ALTER COLUMN ${column} DROP NOT NULL`);
  return `ALTER TABLE ${name} ${columns.join(", ")}`;
}

function joinSettings(indexed: boolean): string {
  // Left to its costs, the planner hashes the whole target whenever a batch is more than a
  // small fraction of it (2,048 staged rows against 120,000: 22 ms, and growing with the
  // table); an index lookup per staged key costs the same however large the table grows.
  // Without a key index the hash join is the only sensible plan, so the defaults stay.
  const lookups = indexed ? "off" : "DEFAULT";
  return `SET LOCAL enable_hashjoin TO ${lookups}; SET LOCAL enable_mergejoin TO ${lookups}; `;
}

/**
 * No NOT NULL beyond the key: a NOT NULL DATETIME can still hold MySQL's zero date, which arrives
 * as NULL.
 */
function createTable(table: NewTable, suffix: string): string[] {
  const columns = table.columns.map((column) => `${quoteIdent(column.name)} ${column.type}`);
  if (table.key.length > 0) columns.push(`PRIMARY KEY (${table.key.map(quoteIdent).join(", ")})`);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.schema)}`,
    `CREATE TABLE ${qualified(table.schema, table.table)} (\n  ${
      columns.join(",\n  ")
    }\n)${suffix}`,
  ];
}
