/**
 * The queue of one direction of the test proxy (`proxy.ts`): chunks read from one socket wait here
 * until they are due (read time plus the delay then in force) and are written to the other socket
 * in the order they were read. It is bounded: once it holds `capacityBytes` the proxy stops reading,
 * so a paused or slowed proxy pushes back through TCP instead of buffering without limit.
 *
 * @module
 */

interface Chunk {
  bytes: Uint8Array;
  dueAt: number;
}

/** A FIFO of byte chunks, each due at a time, never overtaking an earlier one. */
export class DelayedChunks {
  /** Chunks not yet taken start at `#head`, so taking one does not copy the array. */
  #chunks: (Chunk | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #lastDueAt = 0;

  constructor(readonly capacityBytes: number) {
    if (!(capacityBytes > 0)) throw new RangeError(`capacityBytes must be positive`);
  }

  /**
   * Queues `bytes`, read at `now`, to be written `delayMs` later; never before a chunk queued
   * earlier (a delay lowered meanwhile must not reorder the stream).
   */
  push(bytes: Uint8Array, now: number, delayMs: number): void {
    const dueAt = Math.max(now + Math.max(0, delayMs), this.#lastDueAt);
    this.#lastDueAt = dueAt;
    this.#chunks.push({ bytes, dueAt });
    this.#bytes += bytes.length;
  }

  /** Milliseconds until the first chunk is due: 0 when due now, Infinity when empty. */
  waitMs(now: number): number {
    const first = this.#chunks[this.#head];
    return first ? Math.max(0, first.dueAt - now) : Infinity;
  }

  /** Takes the first chunk if it is due at `now`. */
  takeDue(now: number): Uint8Array | null {
    if (this.waitMs(now) > 0) return null;
    const chunk = this.#chunks[this.#head]!;
    this.#chunks[this.#head++] = undefined;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= chunk.bytes.length;
    return chunk.bytes;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#head === this.#chunks.length;
  }

  /** Whether the reader should stop reading until some bytes are taken. */
  get full(): boolean {
    return this.#bytes >= this.capacityBytes;
  }
}
