/**
 * Hands out the chunks of a load to its readers, table after table: first the exact ranges an
 * interrupted run left between its checkpoints, then the rest of the table split as it goes, each
 * split point `chunkRows` rows after the previous one (a table without a key in one chunk). A
 * table is finished when nothing of it is left to hand out and its last chunk is loaded.
 *
 * @module
 */
import type { SourceConnection } from "../source/mysql.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { type KeyValue, SourceRows } from "../tables/source_rows.ts";
import { type ChunkRange, keyFromText, keyText, type RemainingWork } from "./chunks.ts";

/** A table the queue hands out chunks of. */
export interface QueuedTable {
  codec: RowCodec;
  work: RemainingWork;
}

/** A chunk handed out: its table (by index) and its range. */
export interface QueuedChunk {
  table: number;
  range: ChunkRange;
}

/** The chunks of every table, handed out one at a time, in key order within a table. */
export class ChunkQueue {
  #table = 0;
  #gap = 0;
  /** Where the next split starts in the current table's tail; null once the tail is planned. */
  #tail: RemainingWork["tail"] = null;
  #tailFor = -1;
  /**
   * The split after `#tail.after`, already asked for: the next one is looked up as soon as a
   * chunk is handed out, so readers do not wait for the server to walk a chunk's keys.
   */
  #split: Promise<KeyValue[] | null> | null = null;
  /** Chunks handed out and not yet loaded, per table. */
  readonly #loading: number[];
  /** Serializes take(): one split query at a time, chunks handed out in order. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly tables: readonly QueuedTable[],
    /** Splits tables, outside any snapshot: any split point will do, every row is in one range. */
    private readonly planner: SourceConnection,
    private readonly chunkRows: number,
    /** Called once per table when its last chunk is loaded. */
    private readonly onTableDone: (table: number) => void,
  ) {
    this.#loading = tables.map(() => 0);
  }

  /** The next chunk to load, or null when every table is handed out. */
  take(): Promise<QueuedChunk | null> {
    const next = this.#turn.then(() => this.#next());
    this.#turn = next.catch(() => {});
    return next;
  }

  /** A chunk handed out by take() is loaded. */
  loaded(chunk: QueuedChunk): void {
    this.#loading[chunk.table]--;
    if (this.#loading[chunk.table] === 0 && chunk.table < this.#table) {
      this.onTableDone(chunk.table);
    }
  }

  async #next(): Promise<QueuedChunk | null> {
    while (this.#table < this.tables.length) {
      const table = this.#table;
      const range = await this.#nextOf(table);
      if (range !== null) {
        this.#loading[table]++;
        return { table, range };
      }
      this.#table++;
      this.#gap = 0;
      if (this.#loading[table] === 0) this.onTableDone(table);
    }
    return null;
  }

  /** The next range of `table`, or null when all of it is handed out. */
  async #nextOf(table: number): Promise<ChunkRange | null> {
    const { codec, work } = this.tables[table];
    if (this.#gap < work.gaps.length) return work.gaps[this.#gap++];
    if (this.#tailFor !== table) {
      this.#tailFor = table;
      this.#tail = work.tail;
      this.#split = null;
    }
    const tail = this.#tail;
    if (tail === null) return null;
    const split = await (this.#split ?? this.#splitAfter(codec, tail.after));
    const through = split === null ? null : keyText(split);
    this.#tail = through === null ? null : { after: through, ordinal: tail.ordinal + 1 };
    this.#split = through === null ? null : this.#splitAfter(codec, through);
    return { ordinal: tail.ordinal, after: tail.after, through };
  }

  /**
   * Looks up the split `chunkRows` rows after `after` (the start when null). A table without a key
   * is one chunk: only a key orders rows into ranges, and its rows must all be of one instant.
   */
  #splitAfter(codec: RowCodec, after: string | null): Promise<KeyValue[] | null> {
    if (codec.route.identity.kind === "whole-row") return Promise.resolve(null);
    const split = new SourceRows(this.planner, codec).keyAfter(
      after === null ? null : keyFromText(after),
      this.chunkRows,
    );
    split.catch(() => {}); // awaited by the next take(); a failure is reported there
    return split;
  }
}
