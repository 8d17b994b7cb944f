/**
 * Loads tables chunk by chunk with several readers at once. Each reader has its own source
 * connection; each chunk is read in one consistent read (`ChunkReads`) and copied into its target
 * in one PostgreSQL transaction with its checkpoint, so a chunk is either wholly loaded and
 * recorded or not at all, whichever moment the load stops.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { CopyIn } from "../sink/copy_in.ts";
import type { Sql } from "../sink/postgres.ts";
import { pipelinedTransaction } from "../sink/transaction.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { type SourceRow, SourceRows } from "../tables/source_rows.ts";
import type { SourceConnection } from "../source/mysql.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import type { Checkpoints } from "./checkpoints.ts";
import { ChunkQueue, type QueuedChunk } from "./chunk_queue.ts";
import { type ChunkRange, type DoneChunk, keyFromText, remainingWork } from "./chunks.ts";
import type { ChunkReads } from "./consistent_read.ts";
import { count, type TableProgress } from "./progress.ts";

/** Source rows per read inside a chunk: a reader holds about two such pages at a time. */
const PAGE_ROWS = 10_000;

/** A table to load and what is already loaded of it. */
export interface TableLoad {
  codec: RowCodec;
  /** Chunks loaded and checkpointed: those of an interrupted run, then this run's. */
  done: DoneChunk[];
  progress: TableProgress;
}

/** What the readers work with. */
export interface LoadMeans {
  /** One source connection per reader. */
  readers: readonly SourceConnection[];
  /** The consistent reads of those connections. */
  reads: ChunkReads;
  /** Finds split points (no snapshot needed). */
  planner: SourceConnection;
  /** Target connections, as many as readers. */
  pool: Sql;
  checkpoints: Checkpoints;
  /** Rows per chunk: per consistent read and per PostgreSQL transaction. */
  chunkRows: number;
  log: Logger;
}

/**
 * Loads what is left of `tables` (what their `done` chunks do not cover), appending each chunk
 * loaded to `done`. On the first failure the readers stop after their current chunk and it is
 * thrown; the chunks loaded until then stay, with their checkpoints.
 */
export async function loadTables(tables: readonly TableLoad[], means: LoadMeans): Promise<void> {
  const queue = new ChunkQueue(
    tables.map((t) => ({ codec: t.codec, work: remainingWork(t.done) })),
    means.planner,
    means.chunkRows,
    (index) => finished(tables[index], means.log),
  );
  let failure: unknown = null;
  const reader = async (index: number) => {
    while (failure === null) {
      let chunk: QueuedChunk | null;
      try {
        chunk = await queue.take();
        if (chunk === null) return;
        const table = tables[chunk.table];
        table.progress.start();
        table.done.push(await loadChunk(index, table, chunk.range, means));
        table.progress.chunks++;
        queue.loaded(chunk);
      } catch (err) {
        failure ??= err;
        return;
      }
    }
  };
  await Promise.all(means.readers.map((_, index) => reader(index)));
  if (failure !== null) throw failure;
}

/**
 * Reads `range` in reader `index`'s consistent read and copies it into the target in one
 * transaction that also records its checkpoint.
 */
async function loadChunk(
  index: number,
  table: TableLoad,
  range: ChunkRange,
  means: LoadMeans,
): Promise<DoneChunk> {
  const { codec, progress } = table;
  const source = sourceName(codec.route);
  const target = targetName(codec.route);
  const columns = codec.targetColumns.map((c) => quoteIdent(c.name)).join(", ");
  const statement = `COPY ${
    qualified(codec.route.pgSchema, codec.route.pgTable)
  } (${columns}) FROM STDIN`;
  const reader = new SourceRows(means.readers[index], codec);
  const pageRows = Math.min(PAGE_ROWS, means.chunkRows);
  try {
    let done!: DoneChunk;
    // BEGIN goes out with the COPY, the checkpoint and COMMIT behind the rows: two round trips
    // per chunk, where waiting for each answer took five.
    await pipelinedTransaction(means.pool, async (tx) => {
      const copy = await CopyIn.open(tx, statement);
      const position = await means.reads.begin(index);
      let rows = 0;
      try {
        const pages = codec.route.identity.kind === "whole-row"
          ? reader.all(pageRows)
          : rangePages(reader, range, pageRows);
        for await (const page of pages) {
          await copy.write(codec.copyLines(page));
          rows += page.length;
          progress.add(page.length);
        }
      } finally {
        await means.reads.end(index);
      }
      const { answer } = await copy.send();
      done = { ...range, rows, position };
      return { answers: Promise.all([answer, means.checkpoints.add(tx, source, target, done)]) };
    });
    return done;
  } catch (err) {
    // Data exceptions and constraint violations: a row the target's own rules refuse
    if (!/^2[23]/.test((err as { code?: string }).code ?? "")) throw err;
    throw new UserError(
      `PostgreSQL refused a row of ${source} for ${target}: ${errorMessage(err)}; the position ` +
        `is unchanged and the chunks loaded before stay: once the row or the table is fixed, ` +
        `snapshot run again continues after them`,
      1,
    );
  }
}

/** The rows of `range` a page at a time; the next page is read while the caller handles one. */
async function* rangePages(
  reader: SourceRows,
  range: ChunkRange,
  pageRows: number,
): AsyncGenerator<SourceRow[]> {
  const after = range.after === null ? null : keyFromText(range.after);
  const through = range.through === null ? null : keyFromText(range.through);
  let next = reader.page(after, pageRows, through);
  while (true) {
    const page = await next;
    const full = page.length >= pageRows;
    // Read the next page from MySQL while this one travels to PostgreSQL
    if (full) {
      next = reader.page(reader.keyOf(page[page.length - 1]), pageRows, through);
      next.catch(() => {}); // awaited in the next turn; a failure there is reported then
    }
    yield page;
    if (!full) return;
  }
}

/** Logs a table's end. */
function finished(table: TableLoad, log: Logger): void {
  const progress = table.progress;
  progress.finish();
  const seconds = progress.seconds();
  const resumed = progress.resumed > 0 ? ` (after ${count(progress.resumed)} loaded before)` : "";
  log.info(
    `loaded ${sourceName(table.codec.route)} -> ${targetName(table.codec.route)}: ` +
      `${count(progress.loaded)} rows in ${seconds.toFixed(1)} s ` +
      `(${count(progress.rate())} rows/s)${resumed}`,
  );
}
