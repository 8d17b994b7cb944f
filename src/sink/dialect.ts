/**
 * The statements whose text differs between the targets: PostgreSQL, and Greenplum 6/7 (with
 * Cloudberry, its descendant). Both take the same merge, which needs neither `ON CONFLICT` nor
 * `MERGE` (Greenplum 6 has neither); they differ in how staging tables are made, in how a
 * table `snapshot` creates is spread over Greenplum's segments, and in the DDL replays Greenplum
 * refuses because of that spread.
 *
 * @module
 */
import { qualified, quoteIdent } from "../convert/ident.ts";
import type { Queryable } from "./postgres.ts";

/** Flag column of staging tables; its name cannot clash because staging holds only target columns. */
export const DELETED = quoteIdent("__mysql_gp_sync_deleted");

const DELETED_FLAG: ExtraColumn = { name: DELETED, type: "boolean" };

/** Count column of a keyless table's staging: copies of the row to add (> 0) or remove (< 0). */
export const COPIES = quoteIdent("__mysql_gp_sync_copies");

/** What a staging table is made for. */
export interface StagingLayout {
  /** `"schema"."table"` of the target. */
  target: string;
  /** Quoted names of the target columns the staged rows fill. */
  columns: readonly string[];
  /** Quoted names of every column of the target. */
  targetColumns: readonly string[];
  /** The column after the target's: {@link DELETED} (boolean) when not given. */
  flag?: ExtraColumn;
}

/** A column of a {@link NewTable}: plain name, type as PostgreSQL spells it. */
export interface NewTableColumn {
  name: string;
  /** The type, with any constraint or default after it (`boolean NOT NULL DEFAULT false`). */
  type: string;
}

/** A table `snapshot` creates: plain names, types as PostgreSQL spells them. */
export interface NewTable {
  schema: string;
  table: string;
  /**
   * Every column accepts NULL except the key's (its constraint implies NOT NULL) and those whose
   * type says otherwise.
   */
  columns: readonly NewTableColumn[];
  /** The key's columns in key order; empty for a table without one. */
  key: readonly string[];
  /** How Greenplum spreads it: these columns, randomly, or (null) by the key. */
  distributedBy: readonly string[] | "randomly" | null;
  /** Storage parameters, the text of `WITH (...)`; null: none. */
  options: string | null;
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
  /**
   * `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE`. PostgreSQL has no distribution: it ignores
   * `distributedBy`; a randomly spread Greenplum table gets no primary key (Greenplum refuses one).
   */
  createTable(table: NewTable): string[];
  /** Why the target refuses `table`'s `distributedBy`, with the fix; null when it takes it. */
  refusedDistribution(table: NewTable): string | null;
  /**
   * System columns that locate one row of a table, `ctid` (on Greenplum a ctid is unique only
   * within its segment, so with `gp_segment_id`).
   */
  readonly rowLocator: readonly string[];
  /**
   * Deletes from `target` the rows `located` lists: a query whose columns are named as
   * {@link rowLocator}'s, over `target` itself, so the locations are current.
   */
  deleteLocated(target: string, located: string): string;
  /**
   * Creates the session's table `bare` (named {@link tempStagingName} afterwards) for rows that
   * outlive a transaction, such as the keys verify has seen: typed like the target's
   * `layout.columns`, then the `extra` columns; it keeps its rows across commits.
   */
  tempKeptTable(bare: string, layout: StagingLayout, extra: readonly ExtraColumn[]): string[];
  /**
   * The names of a table's distribution key columns in order, from a query taking the table's
   * qualified name as $1 (`name` in each row); null when the target has no such thing.
   */
  readonly distributionKeyQuery: string | null;
  /**
   * Why `table` cannot take the primary key `key` (target column names), with the statements
   * that make it possible; null when it can.
   */
  refusedPrimaryKey(table: string, target: KeyedTable, key: readonly string[]): string | null;
  /** Why `column` of `table` cannot change to `type`, with the way round; null when it can. */
  refusedRetype(table: string, target: KeyedTable, column: string, type: string): string | null;
}

/** What the refusals of a DDL replay look at. */
export interface KeyedTable {
  primaryKey: { constraint: string; columns: readonly string[] } | null;
  distributionKey: readonly string[];
}

/** A column of a work table that the target does not have. */
export interface ExtraColumn {
  /** Quoted name. */
  name: string;
  /** Type as PostgreSQL spells it. */
  type: string;
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
    return createTable(table, table.key, "");
  },
  refusedDistribution: () => null,
  rowLocator: ["ctid"],
  deleteLocated(target, located) {
    // A TID scan fetches just those rows; a join by ctid would read the whole table again.
    return `DELETE FROM ${target} WHERE ctid = ANY (ARRAY(${located}))`;
  },
  tempKeptTable(bare, layout, extra) {
    const columns = [...layout.columns, ...extra.map((c) => `NULL::${c.type} AS ${c.name}`)];
    return [
      `DROP TABLE IF EXISTS ${tempStagingName(bare)}`,
      `CREATE TEMP TABLE ${bare} AS SELECT ${
        columns.join(", ")
      } FROM ${layout.target} WITH NO DATA`,
    ];
  },
  distributionKeyQuery: null,
  refusedPrimaryKey: () => null,
  refusedRetype: () => null,
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
      `CREATE TEMP TABLE ${bare} (LIKE ${layout.target}, ${flagOf(layout)}) ON COMMIT DELETE ROWS`,
      nullsAllowed(name, layout),
    ];
  },
  sharedStaging(name, layout) {
    return [
      `DROP TABLE IF EXISTS ${name}`,
      `CREATE UNLOGGED TABLE ${name} (LIKE ${layout.target}, ${flagOf(layout)})`,
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
    const by = table.distributedBy ?? table.key;
    const spread = by === "randomly" || by.length === 0
      ? "DISTRIBUTED RANDOMLY"
      : `DISTRIBUTED BY (${by.map(quoteIdent).join(", ")})`;
    return createTable(table, by === "randomly" ? [] : table.key, ` ${spread}`);
  },
  refusedDistribution(table) {
    const by = table.distributedBy;
    if (by === null || by === "randomly") return null;
    const names = table.columns.map((c) => c.name);
    const unknown = by.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      return `${table.schema}.${table.table} would have no column ${unknown.join(", ")} ` +
        `(it has ${names.join(", ")}); name columns it has`;
    }
    const outside = by.filter((name) => !table.key.includes(name));
    if (table.key.length > 0 && outside.length > 0) {
      return `Greenplum requires the distribution key of ${table.schema}.${table.table} to be ` +
        `within its primary key (${table.key.join(", ")}), and ${outside.join(", ")} is not; ` +
        `distribute by key columns, or "randomly" (then the table gets no primary key)`;
    }
    return null;
  },
  rowLocator: ["gp_segment_id", "ctid"],
  deleteLocated(target, located) {
    return `DELETE FROM ${target} t USING (${located}) d ` +
      `WHERE t.gp_segment_id = d.gp_segment_id AND t.ctid = d.ctid`;
  },
  tempKeptTable(bare, layout, extra) {
    // LIKE: spread like the target, so joining it with the target or staging stays on each segment
    const name = tempStagingName(bare);
    return [
      `SET gp_autostats_mode = none`,
      `DROP TABLE IF EXISTS ${name}`,
      `CREATE TEMP TABLE ${bare} (LIKE ${layout.target}${
        extra.map((c) => `, ${c.name} ${c.type}`).join("")
      })`,
      nullsAllowed(name, layout),
    ];
  },
  distributionKeyQuery: `SELECT a.attname AS name
      FROM gp_distribution_policy p
     CROSS JOIN unnest(p.distkey::int2[]) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = p.localoid AND a.attnum = k.attnum
     WHERE p.localoid = $1::regclass
     ORDER BY k.n`,
  refusedPrimaryKey(table, target, key) {
    const spread = target.distributionKey;
    if (key.length === 0 || spread.every((column) => key.includes(column))) return null;
    const columns = key.map(quoteIdent).join(", ");
    return `Greenplum refuses a primary key (${key.join(", ")}) on ${table} that does not ` +
      `contain its distribution key (${spread.join(", ")}); redistribute the table by the new ` +
      `key yourself: ${dropKey(table, target)}ALTER TABLE ${table} SET DISTRIBUTED BY ` +
      `(${columns}); ALTER TABLE ${table} ADD PRIMARY KEY (${columns})`;
  },
  refusedRetype(table, target, column, type) {
    const spread = target.distributionKey;
    if (!spread.includes(column)) return null;
    const quoted = quoteIdent(column);
    const key = target.primaryKey
      ? `; ALTER TABLE ${table} ADD PRIMARY KEY (${
        target.primaryKey.columns.map(quoteIdent).join(", ")
      })`
      : "";
    return `Greenplum cannot change the type of column ${column} of ${table}, which is in its ` +
      `distribution key; change it yourself: ${dropKey(table, target)}ALTER TABLE ${table} SET ` +
      `DISTRIBUTED RANDOMLY; ALTER TABLE ${table} ALTER COLUMN ${quoted} TYPE ${type} USING ` +
      `${quoted}::${type}; ALTER TABLE ${table} SET DISTRIBUTED BY ` +
      `(${spread.map(quoteIdent).join(", ")})${key}`;
  },
};

/** The statement dropping `target`'s primary key, with "; " after it; empty without one. */
function dropKey(table: string, target: KeyedTable): string {
  return target.primaryKey
    ? `ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(target.primaryKey.constraint)}; `
    : "";
}

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
  const flag = layout.flag ?? DELETED_FLAG;
  return `SELECT ${
    layout.columns.join(", ")
  }, NULL::${flag.type} AS ${flag.name} FROM ${layout.target} WITH NO DATA`;
}

/** The definition of the staging's flag column. */
function flagOf(layout: StagingLayout): string {
  const flag = layout.flag ?? DELETED_FLAG;
  return `${flag.name} ${flag.type}`;
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
 * No NOT NULL beyond the key's and those the columns' types carry: a NOT NULL DATETIME can still
 * hold MySQL's zero date, which arrives as NULL.
 */
function createTable(table: NewTable, key: readonly string[], spread: string): string[] {
  const columns = table.columns.map((column) => `${quoteIdent(column.name)} ${column.type}`);
  if (key.length > 0) columns.push(`PRIMARY KEY (${key.map(quoteIdent).join(", ")})`);
  const options = table.options === null ? "" : ` WITH (${table.options})`;
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(table.schema)}`,
    `CREATE TABLE ${qualified(table.schema, table.table)} (\n  ${
      columns.join(",\n  ")
    }\n)${options}${spread}`,
  ];
}

/**
 * Catalog queries only Greenplum (5, 6, 7) and Cloudberry answer, for `check`. Each table is named
 * by `$1` (schema) and `$2` (table); none is sent to PostgreSQL.
 */
export const GREENPLUM_CATALOG = {
  /**
   * The columns (`name`) of catalog table `$1` (e.g. `pg_catalog.gp_distribution_policy`): GP5
   * has `attrnums`, GP6 and later `distkey` and `policytype`; `pg_class.relstorage` is gone in GP7.
   */
  catalogColumns: `SELECT a.attname::text AS name
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
  /**
   * A table's distribution policy: `policy` (`p` hashed, `r` replicated; NULL before GP6) and the
   * key's column names in key order (`columns`, empty when distributed randomly); no row when the
   * table has no policy. `keyColumn` is `distkey` (GP6+, an int2vector) or `attrnums` (GP5).
   * generate_series rather than WITH ORDINALITY: GP5 is PostgreSQL 8.3.
   */
  distributionPolicy(keyColumn: "distkey" | "attrnums", withPolicyType: boolean): string {
    const key = `p.${keyColumn}::int2[]`;
    return `SELECT ${withPolicyType ? "p.policytype::text" : "NULL::text"} AS policy,
           array(SELECT a.attname::text
                   FROM generate_series(array_lower(${key}, 1), array_upper(${key}, 1)) AS i
                   JOIN pg_catalog.pg_attribute a
                     ON a.attrelid = p.localoid AND a.attnum = (${key})[i]
                  ORDER BY i) AS columns
      FROM pg_catalog.gp_distribution_policy p
      JOIN pg_catalog.pg_class c ON c.oid = p.localoid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`;
  },
  /**
   * How a table is stored: `appendOnly` (a pg_appendonly row), `options` (reloptions, e.g.
   * `appendoptimized=true`, `orientation=column`), `accessMethod` (GP7+: `heap`, `ao_row`,
   * `ao_column`) and `storage` (GP5/6 `relstorage`: `h`, `a`, `c`; NULL when `withRelstorage` is
   * false).
   */
  tableStorage(withRelstorage: boolean): string {
    return `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_appendonly ao WHERE ao.relid = c.oid)
             AS "appendOnly",
           coalesce(c.reloptions, '{}')::text[] AS options,
           am.amname::text AS "accessMethod",
           ${withRelstorage ? "c.relstorage::text" : "NULL::text"} AS storage
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     WHERE n.nspname = $1 AND c.relname = $2`;
  },
  /** Whether UPDATE and DELETE lock rows (on) or whole tables (off, GP6's default). */
  deadlockDetector: "SHOW gp_enable_global_deadlock_detector",
} as const;
