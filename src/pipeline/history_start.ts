/**
 * The schema history a session starts reading with: the versions PostgreSQL holds at the start
 * position, and for followed tables without one a seed from today's catalog, written before
 * streaming. A seed is exact at the binlog's end; at a position the binlog has moved past it is
 * provisional (a DDL in between would make it wrong), which FULL column metadata corrects as it
 * reads, and without which the start is refused unless `schema_history_seed = "catalog"`.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import { type BinlogPosition, comparePositions, formatPosition } from "../offsets/position.ts";
import type { TableName } from "../schema/ddl/changes.ts";
import { SchemaHistory } from "../schema/history.ts";
import { type SourceTable, tableKey } from "../schema/table.ts";
import { sourceHead } from "../source/binlog_status.ts";
import type { SourceConnection } from "../source/mysql.ts";
import { catalogDefinitions, schemaCharsets } from "../source/table_definitions.ts";
import type { Sql } from "../sink/postgres.ts";
import type { SchemaStore } from "../sink/schema_store.ts";
import { coveredBySources } from "../tables/followed.ts";

/** What a session's reader starts with. */
export interface HistoryStart {
  history: SchemaHistory;
  /** The source's `explicit_defaults_for_timestamp`, which reading DDL needs; unknown if absent. */
  explicitDefaultsForTimestamp?: boolean;
  /**
   * The history at `at` as PostgreSQL holds it, for a reader that starts again there (a statement
   * may have changed it beyond what the reader applied: definitions read again from the catalog).
   */
  reload(sql: Sql, at: BinlogPosition): Promise<SchemaHistory>;
  /**
   * `tableKey`s of followed tables left without a definition (see `seed`): their CREATE TABLE may
   * still come; rows of one before it cannot be decoded.
   */
  unseeded: ReadonlySet<string>;
}

/** What seeding reads and writes. */
interface SeedContext {
  config: Config;
  source: SourceConnection;
  sql: Sql;
  store: SchemaStore;
  from: BinlogPosition;
  variables: ReadonlyMap<string, string>;
  log: Logger;
}

/**
 * The history at `from` as PostgreSQL holds it, `followed` tables that have none there seeded
 * from the catalog first. Throws FatalError when a seed cannot be trusted (see the module doc).
 */
export async function startHistory(
  config: Config,
  source: SourceConnection,
  sql: Sql,
  store: SchemaStore,
  from: BinlogPosition,
  followed: readonly SourceTable[],
  log: Logger,
): Promise<HistoryStart> {
  const variables = await globalVariables(source);
  const stored = await store.load(sql, from);
  const known = new Set(stored.map((version) => tableKey(version.schema, version.table)));
  const missing = followed.filter((table) => !known.has(tableKey(table.schema, table.table)));
  const unseeded = missing.length === 0 ? [] : await seed(
    { config, source, sql, store, from, variables, log },
    missing,
    stored.length === 0,
  );
  const charsets = await schemaCharsets(source);
  const scope = {
    covers: (name: TableName) => coveredBySources(config.sources, name.schema, name.table),
    coversSchema: (schema: string) => config.sources.some((s) => s.schema === schema),
  };
  const reload = async (sql: Sql, at: BinlogPosition) => {
    const definitions: SourceTable[] = [];
    const provisional: string[] = [];
    for (const version of await store.load(sql, at)) {
      if (version.definition === null) continue;
      definitions.push(version.definition);
      if (version.provisional) provisional.push(tableKey(version.schema, version.table));
    }
    const schemaCharset = (schema: string) => charsets.get(schema);
    return new SchemaHistory({ definitions, provisional, schemaCharset }, scope);
  };
  const history = await reload(sql, from);
  const explicit = variables.get("explicit_defaults_for_timestamp");
  const start: HistoryStart = { history, reload, unseeded: new Set(unseeded) };
  if (explicit !== undefined) start.explicitDefaultsForTimestamp = /^(on|1)$/i.test(explicit);
  return start;
}

/**
 * Seeds `tables` from the catalog at `from` (see the module doc), or refuses: at a `firstStart`
 * (no history at all) with a FatalError; otherwise (tables added to the config, or created while
 * the sync was down, whose CREATE TABLE may still come) by leaving them without a definition,
 * returning their `tableKey`s.
 */
async function seed(
  context: SeedContext,
  tables: readonly SourceTable[],
  firstStart: boolean,
): Promise<string[]> {
  const { config, source, sql, store, from, variables, log } = context;
  const head = await sourceHead(source);
  const atHead = head !== null && comparePositions(from, head) === 0;
  const metadata = variables.get("binlog_row_metadata");
  const names = listed(tables.map((t) => `${t.schema}.${t.table}`));
  const behind = `${formatPosition(from)}, which the binlog has moved past (it is at ${
    head ? formatPosition(head) : "an unknown position"
  })`;
  const full = metadata?.toUpperCase() === "FULL";
  if (!atHead && !full && config.schemaHistorySeed !== "catalog") {
    const why = `no schema history of ${names} at the start position ${behind}, and the source ` +
      `writes no column metadata (binlog_row_metadata = ${metadata ?? "absent"})`;
    const wayOut = `load the tables with "mysql-gp-sync snapshot", which starts their history, ` +
      `or, if no DDL changed them since ${formatPosition(from)}, set schema_history_seed = ` +
      `"catalog" in ${config.file}`;
    if (firstStart) {
      throw new FatalError(
        `${why}: rows written before an ALTER TABLE since then would be decoded with today's ` +
          `columns. ${wayOut[0].toUpperCase()}${wayOut.slice(1)}`,
      );
    }
    log.warn(
      `${why}: they take their definition from their CREATE TABLE, should the binlog hold it; ` +
        `a change to one before that stops the sync (then ${wayOut})`,
    );
    return tables.map((table) => tableKey(table.schema, table.table));
  }
  const definitions = await catalogDefinitions(source, tables);
  await sql.unsafe(store.seedStatements(definitions, from, "catalog", !atHead));
  if (atHead) {
    log.info(`schema history of ${names} starts at ${formatPosition(from)}, from the catalog`);
  } else if (full) {
    log.info(
      `schema history of ${names} starts at ${behind}, from today's catalog: the binlog's ` +
        "column metadata corrects it where a DDL changed a table since",
    );
  } else {
    log.warn(
      `schema history of ${names} starts at ${behind}, from today's catalog ` +
        `(schema_history_seed = "catalog"): rows written before a DDL since then would be ` +
        "decoded with today's columns",
    );
  }
  return [];
}

/** The source's settings that starting a history needs, by lower-case name. */
async function globalVariables(source: SourceConnection): Promise<Map<string, string>> {
  const [rows] = await source.query(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN " +
      "('binlog_row_metadata', 'explicit_defaults_for_timestamp')",
  );
  return new Map(
    (rows as { Variable_name: string; Value: string }[]).map((row) => [
      row.Variable_name.toLowerCase(),
      row.Value,
    ]),
  );
}

/** Names for a message: the first few, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
