/**
 * Where the source's binlog is now, for the lag that status, metrics and statsd report: one kept
 * connection, a short timeout, answers shared by concurrent callers, never an exception.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { errorMessage } from "../util/log.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { type BinlogFile, binlogFiles, lagBytes, sourceHead } from "../source/binlog_status.ts";
import { findMember, followingMember, memberName } from "../source/members.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";

/** What the source said about its binlog, or why it could not be asked. */
export interface SourceSnapshot {
  /** The position the source writes next; null when unknown (see `error`) or binlog is off. */
  head: BinlogPosition | null;
  /** Bytes between the given applied position and `head`; null when not known. */
  lagBytes: number | null;
  error: string | null;
}

/** A status query waits at most this long for the source, then reports it as not answering. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Asks the source where its binlog is, for status and lag gauges. One connection, opened on first
 * use and kept (statsd asks every second); a lost connection is dropped and reopened next time.
 * Answers are reused for `maxAgeMs` so concurrent callers cost one query.
 */
export class SourceProbe {
  #connection: Promise<SourceConnection> | null = null;
  /** The member of the replication group `#connection` goes to (`host:port`). */
  #connectedTo: string | null = null;
  #last: { at: number; key: string; value: Promise<SourceSnapshot> } | null = null;

  /**
   * `server`: the member of the replication group to ask (`host:port`, the one followed), when
   * known; `mysql_addr` otherwise.
   */
  constructor(
    private readonly config: Config,
    private readonly maxAgeMs = 1_000,
    private readonly server: () => string | null = () => null,
  ) {}

  /** The source's head and the lag of `applied` behind it. Never throws. */
  read(applied: BinlogPosition | null): Promise<SourceSnapshot> {
    const key = applied ? `${applied.file}:${applied.pos}` : "";
    const now = Date.now();
    if (this.#last && this.#last.key === key && now - this.#last.at < this.maxAgeMs) {
      return this.#last.value;
    }
    const value = withTimeout(this.#query(applied), PROBE_TIMEOUT_MS).catch(
      (err): SourceSnapshot => {
        this.#drop();
        return { head: null, lagBytes: null, error: errorMessage(err) };
      },
    );
    this.#last = { at: now, key, value };
    return value;
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    this.#last = null;
    if (connection) await connection.then((c) => c.end()).catch(() => {});
  }

  async #query(applied: BinlogPosition | null): Promise<SourceSnapshot> {
    const connection = await this.#connect();
    const head = await sourceHead(connection);
    let lag: number | null = null;
    if (applied && head) {
      // The file list is only needed across files; a long list is not worth asking for each time.
      const files: BinlogFile[] = applied.file === head.file ? [] : await binlogFiles(connection);
      lag = lagBytes(applied, head, files);
    }
    return {
      head,
      lagBytes: lag,
      error: head ? null : "binary logging is off on the source (log_bin)",
    };
  }

  #connect(): Promise<SourceConnection> {
    const member = findMember(this.config, this.server());
    const server = member ? memberName(member) : null;
    if (this.#connection && server !== this.#connectedTo) this.#drop();
    if (!this.#connection) {
      this.#connectedTo = server;
      const config = member ? followingMember(this.config, member) : this.config;
      const opening = connectSource(config).then((connection) => {
        // Without a listener a connection the server closes while idle would crash the process.
        connection.on("error", () => {
          if (this.#connection === opening) this.#connection = null;
          connection.destroy();
        });
        return connection;
      });
      opening.catch(() => {
        if (this.#connection === opening) this.#connection = null;
      });
      this.#connection = opening;
    }
    return this.#connection;
  }

  #drop(): void {
    const connection = this.#connection;
    this.#connection = null;
    connection?.then((c) => c.destroy()).catch(() => {});
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the source did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
