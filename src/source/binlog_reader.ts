/**
 * Reads the binlog as a replica through zongji and hands out committed units in order, holding
 * each transaction's rows until its commit and pausing the replication connection while too much
 * is queued. Decoding is zongji's with our patches (`prepareTableMap`, `installRowReader`), and
 * the events every transaction repeats are read straight from the packets (`decodeFrequentEvents`).
 * Column layouts come from the schema history, which takes each DDL statement as it is read
 * (`SchemaHistory.applyStatement`), so that rows decode with the layout they were written with.
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
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import type { Logger } from "../util/log.ts";
import type { SchemaHistory } from "../schema/history.ts";
import { describeBinlogError } from "./binlog_errors.ts";
import { type ReadStart, startOptions } from "./binlog_start.ts";
import { sourceOptions } from "./mysql.ts";
import { imageBytes, OpenTransaction, type UnitKind } from "./open_transaction.ts";
import { queryAction, statementInsideTransaction } from "./query_events.ts";
import type { EventTable, RowsChange, SourceTransaction } from "./transaction.ts";
import { BinlogLayouts, type LayoutOptions } from "./zongji/binlog_layouts.ts";
import { checkZongJiFields, logMissingInternal, type MissingInternal } from "./zongji/internals.ts";
import { explainMetadataError } from "./zongji/metadata_errors.ts";
import { decodeFrequentEvents, type PacketEventSink } from "./zongji/packet_events.ts";
import { installRowReader } from "./zongji/row_event_patch.ts";
import type {
  KeyLookup,
  RowKind,
  TableMapEventLike,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "./zongji/shapes.ts";
import { prepareTableMap } from "./zongji/table_map_reuse.ts";

export interface ReaderOptions extends LayoutOptions {
  /** Queued units' estimated memory (`SourceTransaction.bytes`) above which reading pauses. */
  highWaterBytes?: number;
  /** Read the frequent events straight from the packets (`decodeFrequentEvents`); default true. */
  decodePackets?: boolean;
  /** Where a zongji internal the decoding relies on but does not find is reported, once each. */
  log?: Pick<Logger, "warn"> & Partial<Pick<Logger, "info">>;
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
 * Queued units whose rows are estimated to take more than this make the reader pause the
 * replication connection. Rows read further ahead only outlive more garbage collections (4 MB of
 * binlog against 256 kB, about 12 MB against 768 kB of estimate: single-row transactions synced
 * about a sixth slower).
 */
const DEFAULT_HIGH_WATER_BYTES = 768 << 10;
/** The server sends a heartbeat after this much silence, so a quiet stream is not a dead one. */
const HEARTBEAT_SECONDS = 1;
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
 *
 * Once reading fails (a lost connection, an event that cannot be decoded), the transaction being
 * read is dropped, the connection is closed and nothing read after the failure is queued: the
 * units queued before it are still handed out, then `next` throws, so no transaction is ever
 * applied before an earlier one.
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
  #open = new OpenTransaction();
  /** End of the last whole unit read: where the transaction being read starts. */
  #readTo: BinlogPosition = { file: "", pos: 0 };
  #file = "";
  #highWater: number;
  #stopped = false;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #decodePackets: boolean;
  #reportMissing: MissingInternal;
  #layouts: BinlogLayouts;
  /** Time of the newest event seen, including heartbeats (ms since epoch). */
  lastEventAt = 0;
  /** Events read straight from the packets rather than by zongji (see `decodeFrequentEvents`). */
  packetDecodedEvents = 0;

  /**
   * `history`: the definitions at `from` of `start` (the reader applies the DDL it reads to it).
   */
  constructor(
    private readonly config: Config,
    history: SchemaHistory,
    private readonly keyColumns: KeyLookup,
    options: ReaderOptions = {},
  ) {
    this.#highWater = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.#decodePackets = options.decodePackets ?? true;
    this.#zongji = new ZongJi(sourceOptions(config));
    this.#reportMissing = logMissingInternal(options.log);
    checkZongJiFields(this.#zongji, this.#reportMissing);
    const zongji = this.#zongji as unknown as ZongJiLike;
    this.#layouts = new BinlogLayouts(zongji, history, (err) => this.#fail(err), options);
    this.#zongji.on("binlog", (event) => {
      try {
        this.#onEvent(event);
      } catch (err) {
        this.#fail(err as Error);
      }
    });
    this.#zongji.on("error", (err) => {
      this.#fail(explainMetadataError(err, this.#readTo) ?? describeBinlogError(err, config));
    });
  }

  /**
   * Connects and starts streaming at `from` (a position, or after a GTID state); resolves once the
   * server accepted the request.
   */
  start(from: BinlogPosition | ReadStart, tables: Record<string, string[]>): Promise<void> {
    const start = "byGtid" in from ? from : { position: from, applied: null, byGtid: false };
    this.#file = start.position.file;
    this.#readTo = start.position;
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
        ...startOptions(start),
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

  /** Ends reading at a failure: nothing read after it is handed out (see the class doc). */
  #fail(err: Error): void {
    if (this.#stopped || this.#failure) return;
    this.#failure = err;
    this.#open = new OpenTransaction();
    // zongji goes on streaming after some errors (a table map it could not complete: it skips
    // that table's row events); stopped, it delivers nothing more.
    this.stop();
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
        const layouts = this.#layouts;
        prepareTableMap(
          zongji,
          tableMap,
          layouts.catalog,
          this.keyColumns,
          this.#reportMissing,
          layouts.verify,
        );
        return;
      }
      case "gtid":
      case "anonymousgtid":
      case "mariadbgtid":
        return this.#open.begin(event.gtid);
      case "writerows":
        return this.#addRowsEvent("insert", event as WriteRowsEvent);
      case "updaterows":
        return this.#addRowsEvent("update", event as UpdateRowsEvent);
      case "deleterows":
        return this.#addRowsEvent("delete", event as DeleteRowsEvent);
      case "xid":
        return this.#enqueue(this.#take(event));
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
    const tableId = (event as unknown as { tableId: number }).tableId;
    const entry = event.tableMap[tableId];
    if (!entry) {
      // zongji emits no row event without its table map; should it, the rows must not go unseen.
      throw new Error(
        `a ${kind} row event for table id ${tableId} in the transaction after ` +
          `${formatPosition(this.#readTo)} arrived without the table map that describes its rows`,
      );
    }
    this.#addRows(kind, entry, event.rows, event.size, event);
  }

  #addRows(
    kind: RowKind,
    entry: ZongJiTableMapEntry,
    rows: unknown[],
    size: number,
    end: EventEnd,
  ): void {
    const { table, imageBytes } = tableInfo(entry);
    const images = kind === "update" ? 2 * rows.length : rows.length;
    const full = this.#open.add({ kind, table, rows } as RowsChange, size + images * imageBytes);
    if (full) this.#enqueue(this.#take(end, { partial: true }));
  }

  /** The events `decodeFrequentEvents` reads without zongji. */
  #packetEvents: PacketEventSink = {
    // Called by the packet decoder inside mysql2's packet handling, which a throw would escape to.
    gtid: (gtid) => {
      this.packetDecodedEvents++;
      try {
        this.#open.begin(gtid);
      } catch (err) {
        this.#fail(err as Error);
      }
    },
    rows: (kind, entry, rows, size, timestamp) => {
      this.packetDecodedEvents++;
      // A piece's position is not a resume point (MariaDB's row events carry none).
      this.#addRows(kind, entry, rows, size, { nextPosition: 0, timestamp });
    },
    commit: (nextPosition, timestamp) => {
      this.packetDecodedEvents++;
      this.lastEventAt = Date.now();
      this.#enqueue(this.#open.take(this.#position(nextPosition), timestamp, undefined));
    },
  };

  #onQuery(event: QueryEvent): void {
    const sql = event.query.trim();
    const action = queryAction(sql);
    switch (action.kind) {
      case "begin":
        return this.#open.begin(undefined);
      case "commit":
        return this.#enqueue(this.#take(event));
      case "savepoint":
        return this.#open.savepoint(action.name);
      case "rollbackTo":
        return this.#open.rollbackTo(action.name);
      case "rollback": {
        // A transaction that also touched non-transactional tables is logged and rolled back.
        const position = this.#position(event.nextPosition);
        return this.#enqueue(this.#open.rollback(position, event.timestamp, event.gtid));
      }
    }
    if (this.#open.touched) throw statementInsideTransaction(sql, this.#readTo);
    // Applied at once, so that the rows after it decode with the layout it makes.
    const ddl = this.#layouts.applyStatement(sql, event.schema);
    const statement = ddl ? { schema: event.schema, sql, ddl } : { schema: event.schema, sql };
    this.#enqueue(this.#take(event, { statement }));
  }

  /** What the open transaction holds, as a unit ending at `event`. */
  #take(event: EventEnd, kind?: UnitKind): SourceTransaction {
    return this.#open.take(this.#position(event.nextPosition), event.timestamp, event.gtid, kind);
  }

  #position(nextPosition: number): BinlogPosition {
    return { file: this.#zongji.options?.filename ?? this.#file, pos: nextPosition };
  }

  #enqueue(unit: SourceTransaction): void {
    // Nothing read after a failure is handed out (see #fail).
    if (this.#failure !== null) return;
    if (!unit.partial) this.#readTo = unit.position;
    this.#queue.push(unit);
    this.#queuedBytes += unit.bytes;
    if (!this.#paused && this.#queuedBytes > this.#highWater) {
      this.#paused = true;
      this.#zongji.connection?.pause();
    }
    this.#wake();
  }
}

/** What the reader derives once per zongji table map entry. */
interface TableInfo {
  /**
   * The table of the entry's row events, one object per entry: the entry outlives the events of
   * a table, so consumers can key their own lookups on the object.
   */
  table: EventTable;
  /** Estimated memory of one decoded row image. */
  imageBytes: number;
}

const tableInfos = new WeakMap<ZongJiTableMapEntry, TableInfo>();

function tableInfo(entry: ZongJiTableMapEntry): TableInfo {
  let info = tableInfos.get(entry);
  if (info === undefined) {
    const columns = entry.columnSchemas;
    info = {
      table: { schema: entry.parentSchema, table: entry.tableName, columns },
      imageBytes: imageBytes(entry.columns?.length ?? columns.length),
    };
    tableInfos.set(entry, info);
  }
  return info;
}
