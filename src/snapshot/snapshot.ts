/**
 * `snapshot`: loads the followed tables into PostgreSQL while the source keeps running, and sets
 * the position so that `run` continues exactly where the loaded data ends.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import type postgres from "postgres";
import { qualified, quoteIdent } from "../convert/ident.ts";
import type { LossHandler } from "../convert/types.ts";
import { CopyIn } from "../sink/copy_in.ts";
import { followedRoutes, sourceName, targetName } from "../tables/followed.ts";
import { makeRowCodec, type RowCodec } from "../tables/row_codec.ts";
import { SourceRows } from "../tables/source_rows.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { readMasterInfo, writeMasterInfo } from "../offsets/master_info.ts";
import { type BinlogPosition, comparePositions, formatPosition } from "../offsets/position.ts";
import type { Route } from "../tables/routes.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget, type Sql } from "../sink/postgres.ts";
import { detectDialect, type TargetDialect } from "../sink/dialect.ts";
import { describeTarget } from "../sink/target.ts";
import { endConsistentRead, startConsistentRead } from "./consistent_read.ts";
import { createTableStatements } from "./create_table.ts";

export interface SnapshotOptions {
  /** Only these `schema.table` (null: every followed table). */
  tables: string[] | null;
  /** Empty target tables that hold rows instead of refusing to load into them. */
  truncate: boolean;
  /** Source rows per read (memory is bounded by about two of them). */
  chunkRows: number;
}

export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = {
  tables: null,
  truncate: false,
  chunkRows: 10_000,
};

export interface SnapshotTableReport {
  source: string;
  target: string;
  rows: number;
  seconds: number;
  /** The target table did not exist and was created. */
  created: boolean;
  /** The target held rows, which were removed (`--truncate`). */
  truncated: boolean;
}

export interface SnapshotReport {
  tables: SnapshotTableReport[];
  /** The source position the loaded data corresponds to. */
  snapshotPosition: BinlogPosition;
  /** Where `run` starts: the snapshot's, or an earlier saved one (see {@link snapshot}). */
  position: BinlogPosition;
  seconds: number;
}

/** The application name under which connectTarget connects every command. */
const APPLICATION_NAME = "mysql-gp-sync";

/**
 * Loads the tables and sets the position, all in one PostgreSQL transaction: a failure leaves the
 * targets and the position as they were (tables created for the load stay, empty).
 *
 * With `tables` naming only some followed tables, a saved position that is earlier than the
 * snapshot is kept: `run` then replays the loaded tables' changes between the two, which ends in
 * the same rows (each change carries its whole row), while moving the position forward would
 * lose the other tables' changes in between.
 */
export async function snapshot(
  config: Config,
  options: SnapshotOptions,
  log: Logger,
): Promise<SnapshotReport> {
  const started = performance.now();
  const source = await connectSource(config);
  let sql: Sql | null = null;
  try {
    sql = await connectTarget(config);
    await refuseWhileOthersConnected(sql);
    const store = new PositionStore(config.positionSchema, config.syncId);
    const routes = await followedRoutes(config, source, log, options.tables);
    const postgis = await hasPostgis(sql);
    const dialect = await detectDialect(sql);
    const losses = new LossLog(log);
    const tables = await prepareTargets(sql, routes, { postgis, dialect, losses, options, log });

    const snapshotPosition = await startConsistentRead(source);
    log.info(
      `snapshot of ${tables.length} tables at ${formatPosition(snapshotPosition)}` +
        ` (the source keeps running)`,
    );
    let position = snapshotPosition;
    const reports: SnapshotTableReport[] = [];
    try {
      await sql.begin(async (tx) => {
        for (const table of tables) reports.push(await load(tx, source, table, options, log));
        await store.ensure(tx);
        if (options.tables !== null) {
          const saved = await store.read(tx) ?? await readMasterInfo(config.dataDir);
          if (saved && comparePositions(saved, snapshotPosition) < 0) {
            position = { file: saved.file, pos: saved.pos };
            log.info(
              `keeping the earlier position ${formatPosition(position)}: run replays the ` +
                `loaded tables' changes since then, which ends in the same rows`,
            );
          }
        }
        await store.write(tx, position);
      });
    } finally {
      await endConsistentRead(source).catch(() => {});
    }
    await writeMasterInfo(config.dataDir, position);
    log.info(
      `position set to ${formatPosition(position)}: "mysql-gp-sync run" continues from there`,
    );
    return {
      tables: reports,
      snapshotPosition,
      position,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await source.end().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

/** A table to load: its route and how its rows are encoded into its (possibly new) target. */
interface Loaded {
  route: Route;
  codec: RowCodec;
  created: boolean;
  /** The target holds rows, to be removed first (`--truncate`). */
  truncate: boolean;
}

/**
 * Checks every target before changing any: existing ones must be empty (or `--truncate` given)
 * and able to hold every source column; then creates the missing ones.
 */
async function prepareTargets(
  sql: Sql,
  routes: Route[],
  { postgis, dialect, losses, options, log }: {
    postgis: boolean;
    dialect: TargetDialect;
    losses: LossLog;
    options: SnapshotOptions;
    log: Logger;
  },
): Promise<Loaded[]> {
  // An existing target has its encoders (checked now); a missing one, its CREATE statements.
  const found: ({ route: Route; codec: RowCodec; truncate: boolean } | {
    route: Route;
    create: string[];
  })[] = [];
  const refused: string[] = [];
  for (const route of routes) {
    const target = await describeTarget(sql, route.pgSchema, route.pgTable);
    if (target === null) {
      found.push({ route, create: createTableStatements(route, { postgis, dialect }) });
      continue;
    }
    const codec = makeRowCodec(route, target, losses.handler(route));
    const [{ rows }] = await sql.unsafe<{ rows: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM ${qualified(route.pgSchema, route.pgTable)}) AS rows`,
    );
    if (rows && !options.truncate) refused.push(targetName(route));
    found.push({ route, codec, truncate: rows });
  }
  if (refused.length > 0) {
    const one = refused.length === 1;
    throw new UserError(
      `PostgreSQL ${one ? "table" : "tables"} ${refused.join(", ")} ${one ? "is" : "are"} ` +
        `not empty: loading into ${one ? "it" : "them"} would duplicate rows; empty ` +
        `${one ? "it" : "them"}, or pass --truncate to have snapshot do so`,
      1,
    );
  }
  const tables: Loaded[] = [];
  for (const table of found) {
    if ("codec" in table) {
      tables.push({ ...table, created: false });
      continue;
    }
    const { route, create } = table;
    await sql.begin(async (tx) => {
      for (const statement of create) await tx.unsafe(statement);
    });
    log.info(`created ${targetName(route)} for ${sourceName(route)}`);
    const target = (await describeTarget(sql, route.pgSchema, route.pgTable))!;
    const codec = makeRowCodec(route, target, losses.handler(route));
    tables.push({ route, codec, created: true, truncate: false });
  }
  return tables;
}

/** Streams one table from the snapshot into its target, a page at a time. */
async function load(
  tx: postgres.TransactionSql,
  source: SourceConnection,
  table: Loaded,
  options: SnapshotOptions,
  log: Logger,
): Promise<SnapshotTableReport> {
  const started = performance.now();
  const codec = table.codec;
  const name = qualified(table.route.pgSchema, table.route.pgTable);
  if (table.truncate) await tx.unsafe(`TRUNCATE ${name}`);
  const list = codec.targetColumns.map((c) => quoteIdent(c.name)).join(", ");
  const copy = await CopyIn.open(tx, `COPY ${name} (${list}) FROM STDIN`);
  const reader = new SourceRows(source, codec);
  let rows = 0;
  try {
    let next = reader.page(null, options.chunkRows);
    while (true) {
      const page = await next;
      const full = page.length >= options.chunkRows;
      // Read the next page from MySQL while this one travels to PostgreSQL
      if (full) {
        next = reader.page(reader.keyOf(page[page.length - 1]), options.chunkRows);
        next.catch(() => {}); // awaited in the next turn; a failure there is reported then
      }
      await copy.write(codec.copyLines(page));
      rows += page.length;
      if (!full) break;
    }
    await copy.end();
  } catch (err) {
    // Data exceptions and constraint violations: a row the target's own rules refuse
    if (!/^2[23]/.test((err as { code?: string }).code ?? "")) throw err;
    throw new UserError(
      `PostgreSQL refused a row of ${sourceName(table.route)} for ${targetName(table.route)}: ` +
        `${errorMessage(err)}; nothing was loaded and the position is unchanged`,
      1,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  log.info(
    `loaded ${sourceName(table.route)} -> ${targetName(table.route)}: ${rows} rows in ${
      seconds.toFixed(1)
    } s (${Math.round(rows / Math.max(seconds, 0.001))} rows/s)`,
  );
  return {
    source: sourceName(table.route),
    target: targetName(table.route),
    rows,
    seconds,
    created: table.created,
    truncated: table.truncate,
  };
}

/**
 * Refuses while another mysql-gp-sync session uses this database: a running `run` would go on from
 * its own position, overwriting the one the snapshot sets, and a change it applied to a table
 * before the snapshot replaced that table's rows would be lost. (`run`, `verify` and the other
 * commands all connect under the application name mysql-gp-sync.)
 */
async function refuseWhileOthersConnected(sql: Sql): Promise<void> {
  const others = await sql<{ pid: number; client: string | null; since: string }[]>`
    SELECT pid, client_addr::text AS client, to_char(backend_start, 'YYYY-MM-DD HH24:MI:SS') AS since
      FROM pg_stat_activity
     WHERE application_name = ${APPLICATION_NAME} AND pid <> pg_backend_pid()
       AND datname = current_database()`;
  if (others.length === 0) return;
  const first = others[0];
  throw new UserError(
    `another mysql-gp-sync process is connected to this database (PostgreSQL pid ${first.pid}` +
      `${first.client ? ` from ${first.client}` : ""}, since ${first.since}` +
      `${others.length > 1 ? `, and ${others.length - 1} more` : ""}): stop "mysql-gp-sync run" ` +
      `(stop.sh) and any verify before snapshot`,
    1,
  );
}

async function hasPostgis(sql: Sql): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM pg_extension WHERE extname = 'postgis'`;
  return rows.length > 0;
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
