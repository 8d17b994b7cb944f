/**
 * `snapshot`: loads the followed tables into PostgreSQL while the source keeps running, chunk by
 * chunk with several readers, resumable after an interruption, and sets the position so that
 * `run` continues exactly where the loaded data ends.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { readMasterInfo, writeMasterInfo } from "../offsets/master_info.ts";
import { type BinlogPosition, comparePositions, formatPosition } from "../offsets/position.ts";
import { memberName } from "../source/members.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { catalogDefinitions } from "../source/table_definitions.ts";
import { detectDialect } from "../sink/dialect.ts";
import { PositionStore } from "../sink/position_store.ts";
import { SchemaStore } from "../sink/schema_store.ts";
import { connectTarget, type Sql } from "../sink/postgres.ts";
import { takeRunLock } from "../sink/run_lock.ts";
import { hasPostgis } from "../tables/create_table.ts";
import { followedRoutes, sourceName, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";
import type { Logger } from "../util/log.ts";
import { Checkpoints } from "./checkpoints.ts";
import { type ChunkReads, openChunkReads } from "./consistent_read.ts";
import { recordLoadPositions } from "./load_positions.ts";
import { loadTables, type TableLoad } from "./parallel_load.ts";
import { count, LoadProgress } from "./progress.ts";
import { NO_PROGRESS, type ProgressView } from "./progress_view.ts";
import { estimateRows } from "./row_estimate.ts";
import { type PreparedTable, prepareTargets } from "./targets.ts";

export interface SnapshotOptions {
  /** Only these `schema.table` (null: every followed table). */
  tables: string[] | null;
  /** Empty target tables that hold rows instead of refusing to load into them. */
  truncate: boolean;
  /**
   * Rows per chunk: a key range read in one consistent read and loaded in one PostgreSQL
   * transaction with its checkpoint (what an interruption can lose).
   */
  chunkRows: number;
  /** Shows the progress while loading. */
  progress: ProgressView;
}

export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = {
  tables: null,
  truncate: false,
  chunkRows: 100_000,
  progress: NO_PROGRESS,
};

export interface SnapshotTableReport {
  source: string;
  target: string;
  /** Rows the target holds from this snapshot, those of an interrupted one included. */
  rows: number;
  /** Of `rows`, those an interrupted snapshot had loaded (the load continued after them). */
  resumedRows: number;
  /** Chunks loaded by this run. */
  chunks: number;
  seconds: number;
  /** The target table did not exist and was created. */
  created: boolean;
  /** The target held rows, which were removed (`--truncate`). */
  truncated: boolean;
}

export interface SnapshotReport {
  tables: SnapshotTableReport[];
  /**
   * The oldest of the chunks' read positions: every loaded row is as of it or later, so `run`
   * replaying the binlog from here ends in the source's rows.
   */
  snapshotPosition: BinlogPosition;
  /** The newest of them: once `run` has applied up to here, the target is a consistent image. */
  consistentFrom: BinlogPosition;
  /** Where `run` starts: `snapshotPosition`, or an earlier saved one (see {@link snapshot}). */
  position: BinlogPosition;
  /** Source connections that read at once. */
  readers: number;
  seconds: number;
}

/** The application name under which connectTarget connects every command. */
const APPLICATION_NAME = "mysql-gp-sync";

/**
 * Loads the tables and then sets the position.
 *
 * Each chunk (a key range) is read in its own consistent read and committed with its checkpoint
 * in one PostgreSQL transaction, so the targets fill chunk by chunk and a load that stops (a
 * failure, a kill) keeps exactly the rows of its checkpointed chunks; run again, it continues
 * with the rest. The position is written once, after every chunk, in one transaction that also
 * drops the checkpoints: until then the stored position is unchanged and `run` is kept out by
 * the sync's run lock, held by this process. That position is the oldest chunk's read position:
 * later chunks were read later (on MariaDB each chunk has its own read; resumed chunks always
 * do), and replaying the binlog from the oldest over rows read later ends in the same rows,
 * since applying deletes every touched key and inserts its final row. A keyless table, whose
 * changes must not be applied twice, is loaded in one read, and its position is recorded for
 * `run` to skip the changes it holds (`recordLoadPositions`).
 *
 * With `tables` naming only some followed tables, a saved position that is earlier is kept for
 * the same reason, while moving it forward would lose the other tables' changes in between.
 */
export async function snapshot(
  config: Config,
  options: SnapshotOptions,
  log: Logger,
): Promise<SnapshotReport> {
  const started = performance.now();
  const source = await connectSource(config);
  const readers: SourceConnection[] = [];
  let sql: Sql | null = null;
  let pool: Sql | null = null;
  let reads: ChunkReads | null = null;
  try {
    sql = await connectTarget(config);
    const routes = await followedRoutes(config, source, log, options.tables);
    const untagged = routes.filter((route) => route.sourceTag === null);
    if (untagged.length > 0) await refuseWhileOthersConnected(sql, untagged);
    await takeRunLock(sql, config, null);
    const store = new PositionStore(config.positionSchema, config.syncId);
    const checkpoints = new Checkpoints(config.positionSchema, config.syncId);
    const definitions = await catalogDefinitions(source, routes.map((route) => route.source));
    const prepared = await prepareTargets(sql, routes, {
      postgis: await hasPostgis(sql),
      dialect: await detectDialect(sql),
      truncate: options.truncate,
      checkpoints,
      log,
    });

    const progress = new LoadProgress();
    const { tables, chunksLeft } = await tablesToLoad(prepared, source, progress, options, log);
    // More readers than chunks would only hold connections
    const readerCount = Math.max(1, Math.min(config.concurrentSize, chunksLeft));
    for (let i = 0; i < readerCount; i++) readers.push(await connectSource(config));
    pool = await connectTarget(config, readerCount);
    reads = await openChunkReads(readers);
    log.info(
      `snapshot of ${tables.length} tables in chunks of ${count(options.chunkRows)} rows with ` +
        `${readerCount} ${readerCount === 1 ? "reader" : "readers"} (${
          reads.perChunk
            ? "a consistent read per chunk, no lock"
            : "one consistent read for all, opened under a brief global read lock"
        }); the source keeps running`,
    );
    options.progress.start(progress);
    try {
      await loadTables(tables, {
        readers,
        reads,
        planner: source,
        pool,
        checkpoints,
        chunkRows: options.chunkRows,
        log,
      });
    } finally {
      options.progress.stop();
    }
    const positions = tables.flatMap((t) => t.done.map((chunk) => chunk.position));
    if (positions.length === 0) {
      // No table: the position is simply the source's, as of a consistent read
      positions.push(await reads.begin(0));
      await reads.end(0);
    }
    positions.sort(comparePositions);
    const snapshotPosition = positions[0];
    const consistentFrom = positions[positions.length - 1];
    let position = snapshotPosition;
    const consistentReads = reads;
    await sql.begin(async (tx) => {
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
      // The GTID state of that point too, so that run can resume by GTID on any group member.
      const gtids = await consistentReads.gtidStateAt(position);
      await store.set(
        tx,
        position,
        gtids,
        memberName({ host: config.mysqlHost, port: config.mysqlPort }),
      );
      // The loaded tables' schema history starts here; at a kept earlier position it is a guess.
      const schemas = new SchemaStore(config.positionSchema, config.syncId);
      await schemas.ensure(tx);
      const guessed = comparePositions(position, snapshotPosition) < 0;
      await tx.unsafe(schemas.seedStatements(definitions, position, "snapshot", guessed));
      await recordLoadPositions(tx, config, tables, position);
      await checkpoints.discard(
        tx,
        options.tables === null ? null : tables.map((t) => sourceName(t.codec.route)),
      );
    });
    await writeMasterInfo(config.dataDir, position);
    log.info(
      `position set to ${formatPosition(position)}: "mysql-gp-sync run" continues from there` +
        (comparePositions(consistentFrom, position) > 0
          ? ` (the target is a consistent image of the source once run has passed ` +
            `${formatPosition(consistentFrom)})`
          : ""),
    );
    return {
      tables: tables.map((table, i) => ({
        source: sourceName(table.codec.route),
        target: targetName(table.codec.route),
        rows: table.progress.total,
        resumedRows: table.progress.resumed,
        chunks: table.progress.chunks,
        seconds: table.progress.seconds(),
        created: prepared[i].created,
        truncated: prepared[i].truncated,
      })),
      snapshotPosition,
      consistentFrom,
      position,
      readers: readerCount,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await reads?.close().catch(() => {});
    for (const reader of readers) await reader.end().catch(() => {});
    await source.end().catch(() => {});
    await pool?.end({ timeout: 5 }).catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * The tables to load, each with its progress against the source's row count, and about how many
 * chunks are left to load in all.
 */
async function tablesToLoad(
  prepared: readonly PreparedTable[],
  source: SourceConnection,
  progress: LoadProgress,
  options: SnapshotOptions,
  log: Logger,
): Promise<{ tables: TableLoad[]; chunksLeft: number }> {
  const tables: TableLoad[] = [];
  let chunksLeft = 0;
  for (const table of prepared) {
    const name = sourceName(table.codec.route);
    const { schema, table: bare } = table.codec.route.source;
    const estimate = await estimateRows(source, schema, bare);
    const resumed = table.resumed.reduce((n, chunk) => n + chunk.rows, 0);
    tables.push({
      codec: table.codec,
      done: [...table.resumed],
      progress: progress.add(name, estimate, resumed),
    });
    chunksLeft += Math.max(1, Math.ceil((estimate - resumed) / options.chunkRows));
    if (resumed > 0) {
      log.info(
        `resuming ${name}: ${table.resumed.length} chunks (${count(resumed)} rows) were loaded ` +
          `by the interrupted snapshot`,
      );
    }
  }
  return { tables, chunksLeft };
}

/**
 * Refuses while another mysql-gp-sync session uses this database and the snapshot loads a route
 * without a source tag (`untagged`), which owns its whole target: a running `run` would go on
 * from its own position, overwriting the one the snapshot sets, and a change it applied to a
 * table before the snapshot replaced that table's rows would be lost. (`run`, `verify` and the
 * other commands all connect under the application name mysql-gp-sync.) Its own run is kept out
 * by the run lock; a snapshot whose every route has a source tag touches only its own slices,
 * which no other sync writes, so other syncs may run meanwhile.
 */
async function refuseWhileOthersConnected(sql: Sql, untagged: readonly Route[]): Promise<void> {
  const others = await sql<{ pid: number; client: string | null; since: string }[]>`
    SELECT pid, client_addr::text AS client, to_char(backend_start, 'YYYY-MM-DD HH24:MI:SS') AS since
      FROM pg_stat_activity
     WHERE application_name = ${APPLICATION_NAME} AND pid <> pg_backend_pid()
       AND datname = current_database()`;
  if (others.length === 0) return;
  const first = others[0];
  const route = untagged[0];
  throw new UserError(
    `another mysql-gp-sync process is connected to this database (PostgreSQL pid ${first.pid}` +
      `${first.client ? ` from ${first.client}` : ""}, since ${first.since}` +
      `${others.length > 1 ? `, and ${others.length - 1} more` : ""}) and ${sourceName(route)} ` +
      `has no source_column, so snapshot replaces all of ${targetName(route)}, which it may ` +
      `write: stop "mysql-gp-sync run" (stop.sh) and any verify before snapshot, or give the ` +
      `[[rule]] a source_column so that the snapshot loads only its own rows`,
    1,
  );
}
