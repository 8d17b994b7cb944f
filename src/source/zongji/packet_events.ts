/**
 * Decodes the events that every transaction repeats straight from the replication packets.
 *
 * zongji turns each binlog event into a parser, a packet wrapper driven by a generator, an event
 * object and an emitted event, and checks its filters and GTID bookkeeping on the way. For
 * single-row transactions (a GTID, a table map, a row event and an XID each) that costs over ten
 * times what receiving the packets does: zongji alone read 60k such transactions a second where
 * mysql2 delivered their packets at 800k. So the common shapes are read here without those objects:
 *
 * - MariaDB GTID events without XA;
 * - table map events whose bytes equal those of the entry prepared for their table id
 *   (`reusePreparedTableMap`);
 * - uncompressed row events of tables whose images our own readers read (`imageReaders`), when
 *   the images end exactly where the event does;
 * - XID events.
 *
 * Every other event still goes through zongji, whose handling is unchanged; only zongji's resume
 * bookkeeping (`options.position`, the current GTID) misses the events taken here, and the reader
 * keeps its own.
 *
 * @module
 */
import type ZongJi from "@vlasky/zongji";
import { bytesBetween, int64Text, littleEndian } from "../../convert/binary.ts";
import type { MissingInternal } from "./internals.ts";
import { imageReaders } from "./row_readers.ts";
import type { RowKind, ZongJiLike, ZongJiTableMapEntry } from "./shapes.ts";
import { reusePreparedTableMap } from "./table_map_reuse.ts";

/** Where the events decoded here go. */
export interface PacketEventSink {
  /** A MariaDB GTID event started the event group `gtid`. */
  gtid(gtid: string): void;
  /** The rows of one row event (`size`: its bytes in the binlog, header excluded). */
  rows(
    kind: RowKind,
    entry: ZongJiTableMapEntry,
    rows: unknown[],
    size: number,
    timestamp: number,
  ): void;
  /** An XID event committed the transaction; reading resumes at `nextPosition`. */
  commit(nextPosition: number, timestamp: number): void;
}

/** mysql2's packet as zongji's command receives it. */
interface PacketLike {
  buffer: Uint8Array;
  /** Start of the payload: the OK marker, then the event header. */
  offset: number;
  end: number;
}

type PacketHandler = (packet: PacketLike, connection: unknown) => PacketHandler | null;

/** zongji's internals the decoding hooks into (none of them is in its type declarations). */
interface ZongJiInternals extends ZongJiLike {
  stopped: boolean;
  connection: unknown;
  /** zongji's replication command class, made anew by each start() before "ready". */
  BinlogClass?: { prototype: { binlogData: PacketHandler } };
}

const EVENT_HEADER = 19;
const CHECKSUM_BYTES = 4;
/** The OK marker that precedes every event in the replication stream. */
const MARKER = 1;
const BODY = MARKER + EVENT_HEADER;

const XID_EVENT = 16;
const TABLE_MAP_EVENT = 19;
const MARIADB_GTID_EVENT = 162;
const ROW_EVENT_KINDS: Readonly<Record<number, readonly [RowKind, number]>> = {
  // kind, and the length of the version 2 extra data field
  23: ["insert", 0],
  24: ["update", 0],
  25: ["delete", 0],
  30: ["insert", 2],
  31: ["update", 2],
  32: ["delete", 2],
};
const MARIADB_GTID_XA = 0x40 | 0x80;

/**
 * Makes `zongji`'s replication command hand the events above to `sink`. Call from the "ready"
 * listener: zongji emits it after building the command class and before sending the dump request.
 */
export function decodeFrequentEvents(
  zongji: ZongJi,
  sink: PacketEventSink,
  report: MissingInternal,
): void {
  const internals = zongji as unknown as ZongJiInternals;
  const proto = internals.BinlogClass?.prototype;
  const missing = [
    typeof proto?.binlogData !== "function" && "ZongJi.BinlogClass.prototype.binlogData",
    typeof internals.useChecksum !== "boolean" && "ZongJi.useChecksum",
    typeof internals.stopped !== "boolean" && "ZongJi.stopped",
  ].filter((name) => name !== false);
  if (!proto || missing.length > 0) {
    report(missing.join(", "), "every event is decoded by zongji: decoding is slower");
    return;
  }
  const zongjiHandler = proto.binlogData;
  const checksum = internals.useChecksum ? CHECKSUM_BYTES : 0;
  // One cursor for every row event: image readers move `_offset` through the packet.
  const cursor: { _buffer: Uint8Array; _offset: number } = {
    _buffer: new Uint8Array(0),
    _offset: 0,
  };

  const decoded = (packet: PacketLike): boolean => {
    const b = packet.buffer;
    const at = packet.offset;
    if (b[at] !== 0) return false;
    const end = packet.end - checksum;
    const body = at + BODY;
    const type = b[at + MARKER + 4];
    switch (type) {
      case XID_EVENT:
        sink.commit(littleEndian(b, at + MARKER + 13, 4), littleEndian(b, at + MARKER, 4) * 1000);
        return true;
      case MARIADB_GTID_EVENT: {
        if (body + 13 > end || (b[body + 12] & MARIADB_GTID_XA) !== 0) return false;
        const server = littleEndian(b, at + MARKER + 5, 4);
        sink.gtid(`${littleEndian(b, body + 8, 4)}-${server}-${int64Text(b, true, body)}`);
        return true;
      }
      case TABLE_MAP_EVENT:
        return reusePreparedTableMap(
          internals,
          littleEndian(b, body, 6),
          b.subarray(body, packet.end),
        ) !== undefined;
    }
    const rowKind = ROW_EVENT_KINDS[type];
    if (!rowKind) return false;
    const [kind, extraField] = rowKind;
    const entry = internals.tableMap[littleEndian(b, body, 6)];
    if (!entry) return false;
    const readers = imageReaders(entry, kind);
    if (!readers) return false;
    let p = body + 8;
    if (extraField) p += littleEndian(b, p, 2);
    const columns = b[p];
    if (columns >= 251) return false;
    p++;
    const bitmapBytes = (columns + 7) >> 3;
    const present = bytesBetween(b, p, p += bitmapBytes);
    const presentAfter = kind === "update" ? bytesBetween(b, p, p += bitmapBytes) : present;
    const [first, after] = readers;
    cursor._buffer = b;
    cursor._offset = p;
    const rows: unknown[] = [];
    while (cursor._offset < end) {
      if (kind === "update") {
        const before = first(cursor, present);
        rows.push({ before, after: after(cursor, presentAfter) });
      } else {
        rows.push(first(cursor, present));
      }
    }
    // Images that do not end where the event does were misread: zongji reads the event instead.
    if (cursor._offset !== end) return false;
    sink.rows(kind, entry, rows, end - body, littleEndian(b, at + MARKER, 4) * 1000);
    return true;
  };

  proto.binlogData = function (packet, connection) {
    // zongji drops what a stopped or replaced connection still delivers; leave that to it.
    const current = !internals.stopped && internals.connection === connection;
    return current && decoded(packet)
      ? proto.binlogData
      : zongjiHandler.call(this, packet, connection);
  };
}
