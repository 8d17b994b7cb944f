import ZongJi, {
  type AnyBinlogEvent,
  type ColumnSchema,
  type DeleteRowsEvent,
  type QueryEvent,
  type UpdateRowsEvent,
  type WriteRowsEvent,
} from "@vlasky/zongji";
import type { Config } from "../config/config.ts";
import {
  type CatalogLookup,
  patchTableMap,
  type TableMapEventLike,
  type ZongJiLike,
} from "../convert/zongji.ts";
import { UserError } from "../config/errors.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import { sourceOptions } from "./mysql.ts";

/** A row image keyed by column name, values as the decoder produced them. */
export type Row = Record<string, unknown>;

/** The table a row event belongs to, with the column layout in force when it was written. */
export interface EventTable {
  schema: string;
  table: string;
  columns: ColumnSchema[];
}

/** The rows of one row event. */
export type RowsChange =
  | { kind: "insert"; table: EventTable; rows: Row[] }
  | { kind: "update"; table: EventTable; rows: { before: Row; after: Row }[] }
  | { kind: "delete"; table: EventTable; rows: Row[] };

/** A committed unit of the binlog: a transaction, or a standalone statement such as DDL. */
export interface SourceTransaction {
  changes: RowsChange[];
  rowCount: number;
  /** Where reading resumes after this unit. */
  position: BinlogPosition;
  /** When the source wrote it (ms since epoch). */
  timestamp: number;
  gtid?: string;
  /** The statement of a standalone (non-transactional) query event, e.g. DDL. */
  statement?: { schema: string; sql: string };
}

const EVENTS = [
  "rotate",
  "tablemap",
  "writerows",
  "updaterows",
  "deleterows",
  "xid",
  "query",
  "gtid",
  "anonymousgtid",
  "mariadbgtid",
  "heartbeat",
  "transactionpayload",
  "partialupdaterows",
];

/** Row changes queued beyond this make the reader pause the replication connection. */
const DEFAULT_HIGH_WATER_ROWS = 200_000;

/**
 * Reads the binlog as a replica and hands out committed units in order.
 *
 * Rows of a transaction are held until its commit event, so a consumer never sees half of one and
 * never sees rolled-back work. The queue is bounded: above the high-water mark the replication
 * connection is paused (TCP back-pressure to the server) until the consumer catches up.
 */
export class BinlogReader {
  #zongji: ZongJi;
  #queue: SourceTransaction[] = [];
  #queuedRows = 0;
  #paused = false;
  #failure: Error | null = null;
  #waiter: (() => void) | null = null;
  #open: RowsChange[] = [];
  #openRows = 0;
  #openGtid: string | undefined;
  #file = "";
  #highWater: number;
  #stopped = false;
  /** Time of the newest event seen, including heartbeats (ms since epoch). */
  lastEventAt = 0;

  constructor(
    private readonly config: Config,
    private readonly catalog: CatalogLookup,
    options: { highWaterRows?: number } = {},
  ) {
    this.#highWater = options.highWaterRows ?? DEFAULT_HIGH_WATER_ROWS;
    this.#zongji = new ZongJi(sourceOptions(config));
    this.#zongji.on("binlog", (event) => {
      try {
        this.#onEvent(event);
      } catch (err) {
        this.#fail(err as Error);
      }
    });
    this.#zongji.on("error", (err) => this.#fail(describeBinlogError(err, config)));
  }

  /** Connects and starts streaming at `from`; resolves once the server accepted the request. */
  start(from: BinlogPosition, tables: Record<string, string[]>): Promise<void> {
    this.#file = from.file;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(describeBinlogError(err, this.config));
      this.#zongji.once("error", onError);
      this.#zongji.once("ready", () => {
        this.#zongji.off("error", onError);
        resolve();
      });
      this.#zongji.start({
        serverId: this.config.serverId,
        filename: from.file,
        position: from.pos,
        includeEvents: EVENTS,
        includeSchema: tables,
      });
    });
  }

  /** The next committed unit, or null if none arrived within `timeoutMs`. Throws once the stream failed. */
  async next(timeoutMs: number): Promise<SourceTransaction | null> {
    if (this.#queue.length === 0 && this.#failure === null && timeoutMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#waiter = null;
    }
    const tx = this.#queue.shift();
    if (tx === undefined) {
      if (this.#failure) throw this.#failure;
      return null;
    }
    this.#queuedRows -= tx.rowCount;
    if (this.#paused && this.#queuedRows < this.#highWater / 2) {
      this.#paused = false;
      this.#zongji.connection?.resume();
    }
    return tx;
  }

  /** Disconnects; queued units stay readable. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#zongji.stop();
    this.#wake();
  }

  #fail(err: Error): void {
    if (this.#stopped || this.#failure) return;
    this.#failure = err;
    this.#wake();
  }

  #wake(): void {
    this.#waiter?.();
  }

  #onEvent(event: AnyBinlogEvent): void {
    this.lastEventAt = Date.now();
    switch (event.getEventName()) {
      case "rotate":
        this.#file = (event as { binlogName: string }).binlogName;
        return;
      case "tablemap":
        // Before zongji decodes the rows that use it: raw bytes for text, repaired charsets.
        patchTableMap(
          this.#zongji as unknown as ZongJiLike,
          event as unknown as TableMapEventLike,
          this.catalog,
        );
        return;
      case "gtid":
      case "anonymousgtid":
      case "mariadbgtid":
        this.#discardOpen();
        this.#openGtid = event.gtid;
        return;
      case "writerows":
        return this.#addRows("insert", event as WriteRowsEvent);
      case "updaterows":
        return this.#addRows("update", event as UpdateRowsEvent);
      case "deleterows":
        return this.#addRows("delete", event as DeleteRowsEvent);
      case "xid":
        return this.#commit(event);
      case "query":
        return this.#onQuery(event as QueryEvent);
      case "transactionpayload":
      case "partialupdaterows":
        throw new UserError(
          "the source writes compressed transactions or partial JSON updates, which cannot be decoded; " +
            "set binlog_transaction_compression=OFF and binlog_row_value_options='' on the source",
          1,
        );
    }
  }

  #addRows(kind: RowsChange["kind"], event: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent) {
    const entry = event.tableMap[(event as unknown as { tableId: number }).tableId];
    if (!entry) return;
    const table = {
      schema: entry.parentSchema,
      table: entry.tableName,
      columns: entry.columnSchemas,
    };
    this.#open.push({ kind, table, rows: event.rows } as RowsChange);
    this.#openRows += event.rows.length;
  }

  #onQuery(event: QueryEvent): void {
    const sql = event.query.trim();
    const word = sql.slice(0, 9).toUpperCase();
    if (word.startsWith("BEGIN")) {
      this.#discardOpen();
      return;
    }
    if (word.startsWith("COMMIT")) return this.#commit(event);
    if (word.startsWith("ROLLBACK")) {
      // A transaction that also touched non-transactional tables is logged and then rolled back.
      this.#discardOpen();
      return this.#commit(event);
    }
    this.#commit(event, { schema: event.schema, sql });
  }

  #commit(event: AnyBinlogEvent, statement?: SourceTransaction["statement"]): void {
    const file = this.#zongji.options.filename ?? this.#file;
    const tx: SourceTransaction = {
      changes: this.#open,
      rowCount: this.#openRows,
      position: { file, pos: event.nextPosition },
      timestamp: event.timestamp,
      gtid: this.#openGtid ?? event.gtid,
      statement,
    };
    this.#open = [];
    this.#openRows = 0;
    this.#openGtid = undefined;
    this.#queue.push(tx);
    this.#queuedRows += tx.rowCount;
    if (!this.#paused && this.#queuedRows > this.#highWater) {
      this.#paused = true;
      this.#zongji.connection?.pause();
    }
    this.#wake();
  }

  #discardOpen(): void {
    this.#open = [];
    this.#openRows = 0;
  }
}

/** Explains the replication errors a DBA can act on. */
function describeBinlogError(err: unknown, config: Config): Error {
  const e = err as { errno?: number; code?: string; message?: string };
  const message = e.message ?? String(err);
  if (
    e.errno === 1236 ||
    /binlog|binary log/i.test(message) && /purged|not find|could not find/i.test(message)
  ) {
    return new UserError(
      `the source cannot serve the saved binlog position (${message.split("\n")[0]}); ` +
        `the file was probably purged: load the tables again (mysql-gp-sync snapshot) and set a current position with "pos set"`,
      1,
    );
  }
  if (e.code === "ER_SPECIFIC_ACCESS_DENIED_ERROR" || e.errno === 1227) {
    return new UserError(
      `the MySQL user "${config.mysqlUser}" lacks replication privileges: ` +
        `GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '${config.mysqlUser}'`,
      1,
    );
  }
  return err instanceof Error ? err : new Error(message);
}
