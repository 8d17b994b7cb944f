/**
 * `COPY ... FROM STDIN` through postgres.js with back-pressure: text is written as it is produced
 * and the writer waits whenever the connection's buffer is full, so memory stays bounded however
 * much is copied.
 *
 * @module
 */
import type { Writable } from "node:stream";
import type { Queryable } from "./postgres.ts";

/** {@link copyLines} sends COPY data in chunks of about this many characters. */
const COPY_CHUNK_CHARS = 1 << 20;

/** An open COPY FROM STDIN (text format). */
export class CopyIn {
  #failure: Error | null = null;
  readonly #done: Promise<void>;
  readonly #endSent: Promise<void>;

  private constructor(private readonly stream: Writable, rejected: Promise<never>) {
    // postgres.js sends CopyDone from the stream's final step and takes the next statement from
    // then on; the answer comes a round trip later.
    const final = (stream as unknown as Finalizing)._final;
    this.#endSent = new Promise<void>((resolve) => {
      (stream as unknown as Finalizing)._final = (callback) => {
        final.call(stream, callback);
        resolve();
      };
    });
    const finished = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    this.#done = Promise.race([finished, rejected]).catch((err: Error) => {
      this.#failure ??= err;
      throw this.#failure;
    });
    // The failure is reported by write() or end(); without this it would also be unhandled.
    this.#done.catch(() => {});
  }

  /** Starts `statement` (a `COPY ... FROM STDIN`) on `sql`. */
  static async open(sql: Queryable, statement: string): Promise<CopyIn> {
    const query = sql.unsafe(statement);
    // postgres.js 3.4 neither finishes nor fails the stream when the server rejects the data
    // after its end was sent (porsager/postgres#1173); it only calls the query's reject, which
    // has settled long before (with the stream). Watching that call is the one sign of it.
    const rejected = new Promise<never>((_, reject) => {
      const pending = query as unknown as { reject: (err: unknown) => void };
      const original = pending.reject;
      pending.reject = (err) => {
        reject(err);
        original.call(pending, err);
      };
    });
    rejected.catch(() => {});
    return new CopyIn(await query.writable(), rejected);
  }

  /** Sends COPY text (whole lines); waits while the connection is saturated. */
  async write(text: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (text.length === 0 || this.stream.write(text)) return;
    let drained!: () => void;
    const drain = new Promise<void>((resolve) => drained = resolve);
    this.stream.once("drain", drained);
    try {
      // A stream that failed never drains
      await Promise.race([drain, this.#done.catch(() => {})]);
    } finally {
      this.stream.off("drain", drained);
    }
    if (this.#failure) throw this.#failure;
  }

  /** Finishes the COPY; resolves once PostgreSQL has accepted every row, throws if it did not. */
  async end(): Promise<void> {
    await (await this.send()).answer;
  }

  /**
   * Finishes the COPY without waiting for PostgreSQL's answer: resolves once the end of the data
   * is sent, when the connection takes the next statement (pipelined behind the COPY), to the
   * answer still due (wrapped, so that awaiting this does not wait for it).
   */
  async send(): Promise<{ answer: Promise<void> }> {
    if (this.#failure) throw this.#failure;
    this.stream.end();
    // A COPY refused before its end was written never sends it
    await Promise.race([this.#endSent, this.#done]);
    return { answer: this.#done };
  }
}

/** The part of a Node.js Writable that runs its `final` option. */
interface Finalizing {
  _final: (callback: (error?: Error | null) => void) => void;
}

/** COPYs `text` (COPY text lines) with `statement`, in one go. */
export async function copyIn(sql: Queryable, statement: string, text: string): Promise<void> {
  const copy = await CopyIn.open(sql, statement);
  await copy.write(text);
  await copy.end();
}

/** COPYs `lines` (COPY text lines) with `statement`, sent in chunks. */
export async function copyLines(
  sql: Queryable,
  statement: string,
  lines: Iterable<string>,
): Promise<void> {
  await (await sendLines(sql, statement, lines)).answer;
}

/**
 * {@link copyLines} without waiting for PostgreSQL's answer to the end: resolves once everything
 * is sent, to the answer still due (see {@link CopyIn.send}).
 */
export async function sendLines(
  sql: Queryable,
  statement: string,
  lines: Iterable<string>,
): Promise<{ answer: Promise<void> }> {
  const copy = await CopyIn.open(sql, statement);
  let chunk = "";
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= COPY_CHUNK_CHARS) {
      await copy.write(chunk);
      chunk = "";
    }
  }
  await copy.write(chunk);
  return await copy.send();
}
