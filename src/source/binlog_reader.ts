/**
 * Reads the binlog as a replica through zongji and hands out committed units in order, holding
 * each transaction's rows until its commit and pausing the replication connection while too much
 * is queued. Decoding is zongji's with our patches (`prepareTableMap`, `installRowReader`), and
 * the events every transaction repeats are read straight from the packets (`decodeFrequentEvents`).
 *
 * @module
 */
import ZongJi, {
  type AnyBinlogEvent,
  type DeleteRowsEvent,
  type QueryEvent,
  type UpdateRowsEvent,
  type WriteRowsEvent,
} from "@vlasky/zongji";
import type { Config } from "../config/config.ts";
import { FatalError } from "../config/errors.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { Logger } from "../util/log.ts";
import { describeBinlogError } from "./binlog_errors.ts";
import { sourceOptions } from "./mysql.ts";
import type { EventTable, RowsChange, SourceTransaction } from "./transaction.ts";
import { checkZongJiFields, logMissingInternal, type MissingInternal } from "./zongji/internals.ts";
import { decodeFrequentEvents, type PacketEventSink } from "./zongji/packet_events.ts";
import { installRowReader } from "./zongji/row_event_patch.ts";
import type {
  CatalogLookup,
  KeyLookup,
  RowKind,
  TableMapEventLike,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "./zongji/shapes.ts";
import { prepareTableMap } from "./zongji/table_map_reuse.ts";

export interface ReaderOptions {
  /** Queued binlog bytes above which the replication connection is paused. */
  highWaterBytes?: number;
  /** Read the frequent events straight from the packets (`decodeFrequentEvents`); default true. */
  decodePackets?: boolean;
  /** Where a zongji internal the decoding relies on but does not find is reported, once each. */
  log?: Pick<Logger, "warn">;
}

/** What a unit ending at an event takes from it. */
interface EventEnd {
  nextPosition: number;
  timestamp: number;
  gtid?: string;
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

/**
 * Binlog bytes of queued transactions beyond this make the reader pause the replication
 * connection. Decoded rows take 10-20 times their binlog size in memory, so this stays small;
 * rows read further ahead only outlive more garbage collections (4 MB against 256 kB: single-row
 * transactions synced about a sixth slower).
 */
const DEFAULT_HIGH_WATER_BYTES = 256 << 10;
/** The server sends a heartbeat after this much silence, so a quiet stream is not a dead one. */
const HEARTBEAT_SECONDS = 1;
/** A transaction whose row events exceed this is handed out in pieces of about this size. */
const PIECE_BYTES = 4 << 20;
/** No event nor heartbeat for this long means the connection is dead (e.g. network loss without RST). */
const STALL_MS = 15_000;
const NO_CONNECTION_COST = "no heartbeats (a quiet source is taken for a lost connection after " +
  `${STALL_MS / 1000} s) and no pausing of a stream that runs ahead (memory is unbounded)`;

/**
 * Reads the binlog as a replica and hands out committed units in order.
 *
 * Rows of a transaction are held until its commit event, so a consumer never sees half of one and
 * never sees rolled-back work. The queue is bounded: above the high-water mark the replication
 * connection is paused (TCP back-pressure to the server) until the consumer catches up.
 */
export class BinlogReader {
  #zongji: ZongJi;
  /**
   * Units not yet handed out start at `#head` (shift() would copy the array each time); slots
   * before it are emptied, so handed-out units are not kept alive until the array is trimmed.
   */
  #queue: (SourceTransaction | undefined)[] = [];
  #head = 0;
  #queuedBytes = 0;
  #paused = false;
  #failure: Error | null = null;
  #waiter: (() => void) | null = null;
  #open: RowsChange[] = [];
  #openRows = 0;
  #openBytes = 0;
  #openGtid: string | undefined;
  #file = "";
  #highWater: number;
  #stopped = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #decodePackets: boolean;
  #reportMissing: MissingInternal;
  /** Time of the newest event seen, including heartbeats (ms since epoch). */
  lastEventAt = 0;
  /** Events read straight from the packets rather than by zongji (see `decodeFrequentEvents`). */
  packetDecodedEvents = 0;

  constructor(
    private readonly config: Config,
    private readonly catalog: CatalogLookup,
    private readonly keyColumns: KeyLookup,
    options: ReaderOptions = {},
  ) {
    this.#highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.#decodePackets = options.decodePackets ?? true;
    this.#zongji = new ZongJi(sourceOptions(config));
    this.#reportMissing = logMissingInternal(options.log);
    checkZongJiFields(this.#zongji, this.#reportMissing);
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
        if (this.#decodePackets) {
          decodeFrequentEvents(this.#zongji, this.#packetEvents, this.#reportMissing);
        }
        this.lastEventAt = Date.now();
        this.#watchdog = setInterval(() => this.#checkAlive(), 1000);
        resolve();
      });
      this.#zongji.start({
        serverId: this.config.serverId,
        filename: from.file,
        position: from.pos,
        includeEvents: EVENTS,
        includeSchema: tables,
      });
      if (!this.#zongji.connection) this.#reportMissing("ZongJi.connection", NO_CONNECTION_COST);
      // Queued on the replication connection ahead of zongji's own set-up, so before the dump
      // request: the server then sends heartbeats whenever it has nothing else to send.
      const nanoseconds = HEARTBEAT_SECONDS * 1e9;
      this.#zongji.connection?.query(
        `SET @master_heartbeat_period = ${nanoseconds}, @source_heartbeat_period = ${nanoseconds}`,
        () => {},
      );
    });
  }

  #checkAlive(): void {
    const silent = Date.now() - this.lastEventAt;
    if (!this.#paused && silent > STALL_MS) {
      this.#fail(
        new Error(
          `no data nor heartbeat from MySQL for ${Math.round(silent / 1000)}s (connection lost?)`,
        ),
      );
    }
  }

  /** The next committed unit, or null if none arrived within `timeoutMs`. Throws once the stream failed. */
  async next(timeoutMs: number): Promise<SourceTransaction | null> {
    if (this.#head === this.#queue.length && this.#failure === null && timeoutMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#waiter = null;
    }
    const tx = this.take();
    if (tx === null && this.#failure) throw this.#failure;
    return tx;
  }

  /** The next committed unit if one is queued, without waiting (nor throwing). */
  take(): SourceTransaction | null {
    if (this.#head === this.#queue.length) return null;
    const tx = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= tx.bytes;
    if (this.#paused && this.#queuedBytes < this.#highWater / 2) {
      this.#paused = false;
      this.lastEventAt = Date.now();
      this.#zongji.connection?.resume();
    }
    return tx;
  }

  /** Units read and not yet handed out. */
  get backlog(): number {
    return this.#queue.length - this.#head;
  }

  /** Ends a pending `next` early (it returns null if nothing arrived), so its caller re-checks. */
  interrupt(): void {
    this.#wake();
  }

  /** Disconnects; queued units stay readable. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#watchdog);
    this.#zongji.stop();
    this.#wake();
  }

  /** `stop()`, for `using`. */
  [Symbol.dispose](): void {
    this.stop();
  }

  #fail(err: Error): void {
    if (this.#stopped || this.#failure) return;
    this.#failure = err;
    clearInterval(this.#watchdog);
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
      case "tablemap": {
        // Before zongji decodes the rows that use it: raw bytes for text, repaired charsets, and
        // before images (which only identify rows) decoded no further than their keys.
        const zongji = this.#zongji as unknown as ZongJiLike;
        const tableMap = event as unknown as TableMapEventLike;
        prepareTableMap(zongji, tableMap, this.catalog, this.keyColumns, this.#reportMissing);
        return;
      }
      case "gtid":
      case "anonymousgtid":
      case "mariadbgtid":
        return this.#startGroup(event.gtid);
      case "writerows":
        return this.#addRowsEvent("insert", event as WriteRowsEvent);
      case "updaterows":
        return this.#addRowsEvent("update", event as UpdateRowsEvent);
      case "deleterows":
        return this.#addRowsEvent("delete", event as DeleteRowsEvent);
      case "xid":
        return this.#commit(event);
      case "query":
        return this.#onQuery(event as QueryEvent);
      case "transactionpayload":
      case "partialupdaterows":
        throw new FatalError(
          "the source writes compressed transactions or partial JSON updates, which cannot be decoded; " +
            "set binlog_transaction_compression=OFF and binlog_row_value_options='' on the source",
        );
    }
  }

  #addRowsEvent(kind: RowKind, event: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent) {
    installRowReader(event, kind, this.#reportMissing);
    const entry = event.tableMap[(event as unknown as { tableId: number }).tableId];
    if (entry) this.#addRows(kind, entry, event.rows, event.size, event);
  }

  #addRows(
    kind: RowKind,
    entry: ZongJiTableMapEntry,
    rows: unknown[],
    size: number,
    end: EventEnd,
  ): void {
    this.#open.push({ kind, table: eventTable(entry), rows } as RowsChange);
    this.#openRows += rows.length;
    this.#openBytes += size;
    if (this.#openBytes >= PIECE_BYTES) this.#enqueue(this.#takeOpen(end, { partial: true }));
  }

  /** The events `decodeFrequentEvents` reads without zongji. */
  #packetEvents: PacketEventSink = {
    gtid: (gtid) => {
      this.packetDecodedEvents++;
      this.#startGroup(gtid);
    },
    rows: (kind, entry, rows, size, timestamp) => {
      this.packetDecodedEvents++;
      // A piece's position is not a resume point (MariaDB's row events carry none).
      this.#addRows(kind, entry, rows, size, { nextPosition: 0, timestamp });
    },
    commit: (nextPosition, timestamp) => {
      this.packetDecodedEvents++;
      this.lastEventAt = Date.now();
      this.#commit({ nextPosition, timestamp });
    },
  };

  /** A GTID event: what is open belongs to no committed transaction. */
  #startGroup(gtid: string | undefined): void {
    this.#discardOpen();
    this.#openGtid = gtid;
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
      return this.#commit(event, { rolledBack: true });
    }
    this.#commit(event, { statement: { schema: event.schema, sql } });
  }

  #commit(
    event: EventEnd,
    extra: Pick<SourceTransaction, "statement" | "rolledBack"> = {},
  ): void {
    this.#enqueue(this.#takeOpen(event, extra));
    this.#openGtid = undefined;
  }

  /** The rows gathered so far as a unit ending at `event`; the open transaction starts afresh. */
  #takeOpen(
    event: EventEnd,
    extra: Pick<SourceTransaction, "statement" | "partial" | "rolledBack">,
  ): SourceTransaction {
    const file = this.#zongji.options?.filename ?? this.#file;
    const unit: SourceTransaction = {
      changes: this.#open,
      rowCount: this.#openRows,
      bytes: this.#openBytes,
      position: { file, pos: event.nextPosition },
      timestamp: event.timestamp,
      gtid: this.#openGtid ?? event.gtid,
      ...extra,
    };
    this.#discardOpen();
    return unit;
  }

  #enqueue(unit: SourceTransaction): void {
    this.#queue.push(unit);
    this.#queuedBytes += unit.bytes;
    if (!this.#paused && this.#queuedBytes > this.#highWater) {
      this.#paused = true;
      this.#zongji.connection?.pause();
    }
    this.#wake();
  }

  #discardOpen(): void {
    this.#open = [];
    this.#openRows = 0;
    this.#openBytes = 0;
  }
}

const eventTables = new WeakMap<ZongJiTableMapEntry, EventTable>();

/**
 * The table of a row event, one object per table map entry: the entry outlives the events of a
 * table, so consumers can key their own lookups on the object.
 */
function eventTable(entry: ZongJiTableMapEntry): EventTable {
  let table = eventTables.get(entry);
  if (table === undefined) {
    table = { schema: entry.parentSchema, table: entry.tableName, columns: entry.columnSchemas };
    eventTables.set(entry, table);
  }
  return table;
}
