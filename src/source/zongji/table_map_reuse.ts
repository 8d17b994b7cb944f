/**
 * Prepares zongji's entry for a table map event (`patchTableMap`, then `prepareRowReaders`), and
 * takes the entry prepared for an identical earlier event instead of having zongji parse and
 * prepare it again: a table map precedes every transaction's rows, and zongji rebuilds its entry
 * from the event's full metadata each time. The reuse wraps the metadata parsing of zongji's
 * TableMap class (which the package does not export); the packet decoder asks for a prepared entry
 * with `reusePreparedTableMap`.
 *
 * @module
 */
import type { ZongJiColumnSchema } from "../../convert/types.ts";
import { builtFromHistory } from "./history_layout.ts";
import type { MissingInternal } from "./internals.ts";
import { prepareRowReaders } from "./row_readers.ts";
import type {
  CatalogLookup,
  KeyLookup,
  ParserLike,
  TableMapEventLike,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "./shapes.ts";
import { patchTableMap, selfDescribing } from "./table_map_repair.ts";

const BODY_START = Symbol("offset of the table map event body");
const EVENT_BYTES = Symbol("table map event body (a view of the packet)");
const REUSED = Symbol("prepared entry taken again");

/** A zongji TableMap event with the marks the wrapped parsing leaves on it. */
interface MarkedTableMapEvent extends TableMapEventLike {
  [BODY_START]?: number;
  [EVENT_BYTES]?: Uint8Array;
  [REUSED]?: PreparedEntry;
}

/**
 * Everything a `tablemap` event needs before zongji reads the rows that use it: `patchTableMap`,
 * then `prepareRowReaders`. Call it from the `binlog` listener for every `tablemap` event.
 *
 * A table map precedes every transaction's rows, and zongji rebuilds its entry from the event's
 * full metadata each time. When a table id's event has exactly the bytes of one seen before, the
 * entry prepared then is taken again: zongji skips its metadata parsing and this function returns
 * at once. For single-row transactions this was a third of the decoding time.
 *
 * `verify` sees each entry built anew (not one taken again) before it is patched: it may throw to
 * refuse the entry's layout.
 */
export function prepareTableMap(
  zongji: ZongJiLike,
  event: MarkedTableMapEvent,
  catalog: CatalogLookup,
  keyColumns: KeyLookup,
  report: MissingInternal,
  verify: (entry: ZongJiTableMapEntry, event: TableMapEventLike) => void = () => {},
): void {
  installTableMapReuse(event, report);
  if (event[REUSED]) return;
  const built = zongji.tableMap[event.tableId];
  if (built?.columns) verify(built, event);
  patchTableMap(zongji, event, catalog);
  prepareRowReaders(zongji, event, keyColumns);
  const entry = zongji.tableMap[event.tableId];
  const bytes = event[EVENT_BYTES];
  // Only entries built from the event alone or from the schema history: zongji builds others
  // from INFORMATION_SCHEMA as it is now. A history entry holds until the history changes, when
  // `forgetPreparedTable` drops it.
  if (!bytes || !entry?.columns) return;
  if (!selfDescribing(zongji, event) && !builtFromHistory(entry)) return;
  let known = preparedEntries.get(zongji.tableMap);
  if (!known) {
    known = { checksumBytes: zongji.useChecksum ? 4 : 0, byTableId: new Map() };
    preparedEntries.set(zongji.tableMap, known);
  }
  // Table ids change with DDL and table cache evictions; old ones never come back.
  if (known.byTableId.size >= MAX_PREPARED_TABLES) known.byTableId.clear();
  known.byTableId.set(event.tableId, {
    // A copy: the event's bytes are a view of the packet, kept only while it is decoded.
    bytes: withoutChecksum(bytes, known.checksumBytes).slice(),
    entry,
    columnNames: event.columnNames,
  });
}

/**
 * The entry prepared for table id `tableId` from a table map event body equal to `body` (up to
 * the packet's end, checksum included), made zongji's entry for the id again; undefined when
 * there is none, and the event has to go through zongji (and `prepareTableMap`).
 */
export function reusePreparedTableMap(
  zongji: ZongJiLike,
  tableId: number,
  body: Uint8Array,
): ZongJiTableMapEntry | undefined {
  const known = preparedFor(zongji.tableMap, tableId, body);
  if (!known) return undefined;
  return zongji.tableMap[tableId] = known.entry;
}

/**
 * Forgets the entries of table `schema`.`table`, zongji's and those prepared, whose layout a DDL
 * statement may have changed: its next table map is built anew.
 */
export function forgetPreparedTable(zongji: ZongJiLike, schema: string, table: string): void {
  const ofTable = (entry: ZongJiTableMapEntry) =>
    entry.parentSchema === schema && entry.tableName === table;
  for (const [id, entry] of Object.entries(zongji.tableMap)) {
    if (ofTable(entry)) delete zongji.tableMap[Number(id)];
  }
  const known = preparedEntries.get(zongji.tableMap)?.byTableId;
  for (const [id, prepared] of known ?? []) {
    if (ofTable(prepared.entry)) known!.delete(id);
  }
}

/** The checksum covers the event header too (time, position), so it differs every time. */
function withoutChecksum(body: Uint8Array, checksumBytes: number): Uint8Array {
  return body.subarray(0, body.length - checksumBytes);
}

const MAX_PREPARED_TABLES = 1024;

/** A table map entry as `prepareTableMap` left it, with the event bytes it was built from. */
interface PreparedEntry {
  bytes: Uint8Array;
  entry: ZongJiTableMapEntry;
  columnNames: unknown;
}

/** Per zongji `tableMap` object: table id to its last prepared entry. */
const preparedEntries = new WeakMap<
  object,
  { checksumBytes: number; byTableId: Map<number, PreparedEntry> }
>();

/** The prepared entry of `tableId` in `tableMap`, if it was built from `body` (as received). */
function preparedFor(
  tableMap: object,
  tableId: number,
  body: Uint8Array,
): PreparedEntry | undefined {
  const prepared = preparedEntries.get(tableMap);
  const known = prepared?.byTableId.get(tableId);
  if (!known || !equalBytes(known.bytes, withoutChecksum(body, prepared!.checksumBytes))) {
    return undefined;
  }
  return known;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** zongji's TableMap event while it parses itself. */
interface TableMapParsing extends MarkedTableMapEvent {
  tableMap: Record<number, ZongJiTableMapEntry>;
}

interface MetadataParser extends ParserLike {
  _packetEnd: number;
}

/** The methods of zongji's TableMap class (not exported by the package) that the reuse wraps. */
interface TableMapMethods {
  _readTableId(this: TableMapParsing, parser: MetadataParser): void;
  _readColumnMetadata(this: TableMapParsing, parser: MetadataParser): void;
  _readOptionalMetadata(this: TableMapParsing, parser: MetadataParser, zongji: unknown): void;
  buildColumnSchemas(this: TableMapParsing): ZongJiColumnSchema[];
  updateColumnInfo(this: TableMapParsing): void;
}

const WRAPPED_METHODS: readonly (keyof TableMapMethods)[] = [
  "_readTableId",
  "_readColumnMetadata",
  "_readOptionalMetadata",
  "buildColumnSchemas",
  "updateColumnInfo",
];

const REUSE_OFF = "table maps identical to an earlier one are parsed and prepared again, " +
  "and the packet decoder passes them to zongji: decoding is slower";

/** TableMap classes wrapped, or found without the methods to wrap. */
const settledTableMapClasses = new WeakSet<object>();

/**
 * Wraps the metadata parsing of zongji's TableMap class (once; the first event shows the class):
 * an event whose body equals the prepared one of its table id skips the parsing, and zongji's
 * building of the entry takes the prepared entry instead.
 */
function installTableMapReuse(event: object, report: MissingInternal): void {
  const proto = Object.getPrototypeOf(event) as TableMapMethods;
  if (settledTableMapClasses.has(proto)) return;
  settledTableMapClasses.add(proto);
  const missing = WRAPPED_METHODS.filter((method) => typeof proto[method] !== "function");
  if (missing.length > 0) {
    report(`TableMap.prototype.${missing.join(", ")}`, REUSE_OFF);
    return;
  }
  const { _readTableId, _readColumnMetadata, _readOptionalMetadata } = proto;
  const { buildColumnSchemas, updateColumnInfo } = proto;
  proto._readTableId = function (parser) {
    this[BODY_START] = parser._offset;
    _readTableId.call(this, parser);
  };
  proto._readColumnMetadata = function (parser) {
    if (!parsingStateFound(this, parser)) {
      report("TableMap.tableMap or Parser._buffer, _offset, _packetEnd", REUSE_OFF);
      _readColumnMetadata.call(this, parser);
      return;
    }
    const body = parser._buffer.subarray(this[BODY_START], parser._packetEnd);
    const known = preparedFor(this.tableMap, this.tableId, body);
    if (known) {
      this[REUSED] = known;
      // What zongji's own checks read to choose the path that builds the entry from the event.
      this.columnNames = known.columnNames;
      parser._offset = parser._packetEnd;
      return;
    }
    this[EVENT_BYTES] = body;
    _readColumnMetadata.call(this, parser);
  };
  proto._readOptionalMetadata = function (parser, zongji) {
    if (!this[REUSED]) _readOptionalMetadata.call(this, parser, zongji);
  };
  proto.buildColumnSchemas = function () {
    return this[REUSED]?.entry.columnSchemas ?? buildColumnSchemas.call(this);
  };
  proto.updateColumnInfo = function () {
    const known = this[REUSED];
    if (known) this.tableMap[this.tableId] = known.entry;
    else updateColumnInfo.call(this);
  };
}

/** Whether the event and its parser hold what the wrapped `_readColumnMetadata` reads. */
function parsingStateFound(event: TableMapParsing, parser: MetadataParser): boolean {
  return typeof event.tableMap === "object" && event.tableMap !== null &&
    typeof event[BODY_START] === "number" && parser._buffer instanceof Uint8Array &&
    typeof parser._packetEnd === "number";
}
