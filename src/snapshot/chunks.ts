/**
 * The chunks of a table's load: key ranges `(after, through]` numbered in key order, their keys in
 * the text form the checkpoints store, and what is left to load when some chunks are done.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { BinlogPosition } from "../offsets/position.ts";
import type { KeyValue } from "../tables/source_rows.ts";

/**
 * A key range of one table: the rows whose key follows `after` and is not beyond `through` (open
 * at either end when null). Keys are in their stored text form ({@link keyText}). Ordinals grow
 * with the keys, so done chunks sorted by ordinal are sorted by key without comparing keys here
 * (which only MySQL can do under the column's collation).
 */
export interface ChunkRange {
  ordinal: number;
  after: string | null;
  through: string | null;
}

/** A chunk whose rows committed together with its checkpoint. */
export interface DoneChunk extends ChunkRange {
  rows: number;
  /** The binlog position of the consistent read the chunk's rows come from. */
  position: BinlogPosition;
}

/** What is left of a table whose chunks `done` are loaded. */
export interface RemainingWork {
  /** Exact ranges between done chunks (chunks that were loading when the load stopped). */
  gaps: ChunkRange[];
  /** Where the still unplanned part of the table starts; null when the table's end was planned. */
  tail: { after: string | null; ordinal: number } | null;
}

/** `key` as stored in a checkpoint: JSON, bytes as `{"hex": ...}`. */
export function keyText(key: readonly KeyValue[]): string {
  return JSON.stringify(
    key.map((value) => Buffer.isBuffer(value) ? { hex: value.toString("hex") } : value),
  );
}

/** The key {@link keyText} stored. */
export function keyFromText(text: string): KeyValue[] {
  return (JSON.parse(text) as (string | number | { hex: string })[]).map((value) =>
    typeof value === "object" ? Buffer.from(value.hex, "hex") : value
  );
}

/**
 * The ranges not covered by `done`: the gaps between consecutive done chunks (each a range that
 * was planned exactly, so it is loaded as one chunk numbered between its neighbours) and the tail
 * after the last one. Chunks were planned one after the other, each starting where the previous
 * one ends, so consecutive ordinals always meet; a gap always has a free ordinal.
 */
export function remainingWork(done: readonly DoneChunk[]): RemainingWork {
  const sorted = [...done].sort((a, b) => a.ordinal - b.ordinal);
  const gaps: ChunkRange[] = [];
  let end: string | null = null;
  let ordinal = 0;
  for (const chunk of sorted) {
    if (chunk.after !== end) {
      if (chunk.ordinal <= ordinal + 1) {
        throw new Error(
          `snapshot checkpoints do not fit together: chunk ${chunk.ordinal} starts after ` +
            `${chunk.after ?? "the start"}, chunk ${ordinal} ends at ${end ?? "the start"}`,
        );
      }
      gaps.push({ ordinal: ordinal + 1, after: end, through: chunk.after });
    }
    end = chunk.through;
    ordinal = chunk.ordinal;
    if (end === null) return { gaps, tail: null };
  }
  return { gaps, tail: { after: end, ordinal: ordinal + 1 } };
}
