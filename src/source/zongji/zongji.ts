/**
 * Adjusts zongji's decoding of a table so that row values come out exact.
 *
 * zongji 0.9 decodes text itself with iconv-lite (wrong for some bytes of MySQL's latin1, sjis,
 * gb2312, ...), parses geometry into `{x, y}` objects (losing the SRID and the exact type), and,
 * on MariaDB with binlog_row_metadata=FULL, assigns character sets to the wrong columns whenever a
 * geometry column precedes a text column (MariaDB counts geometry columns in the charset list,
 * zongji does not), which turns text into binary and binary into text. `patchTableMap` makes
 * zongji hand over the raw bytes of every string, blob and geometry column instead (decoded later
 * by `makeEncoder` in the column's charset) and of BIGINT, DECIMAL and DATETIME2 columns (whose
 * decoding in zongji is slow), repairs the charsets in the column schemas, and fixes ENUM/SET
 * labels that contain commas or quotes. `prepareRowReaders` with `installRowReader` skip
 * the parsing of non-key columns in the before images of UPDATE and DELETE rows, which only have
 * to identify a row, and read the rows of tables made of integers and raw-byte columns without
 * zongji's per-value dispatch. `prepareTableMap` does both for a table map event, and takes the
 * entry prepared for an identical earlier one instead of having it parsed and prepared again.
 *
 * @module
 */
import { bytesBetween, decimalWidth, fractionWidth, littleEndian } from "../../convert/binary.ts";
import { charsetMaxBytes, decoderFor } from "../../convert/charset.ts";
import { parseLabels } from "../../convert/mapping.ts";
import type { SourceColumn, ZongJiColumnSchema } from "../../convert/types.ts";

/** zongji's `tableMap[id].columns[i]`. */
export interface ZongJiColumn {
  name: string;
  charset: string | null;
  type: number;
  metadata?: Record<string, unknown>;
}

/** zongji's `tableMap[id]`. */
export interface ZongJiTableMapEntry {
  columnSchemas: ZongJiColumnSchema[];
  parentSchema: string;
  tableName: string;
  columns?: ZongJiColumn[];
  /** Set by `prepareRowReaders`: the entry before images are read with. */
  beforeImage?: ZongJiTableMapEntry;
  /** Set by `prepareRowReaders` when every column is of a type our own reader reads. */
  readImage?: ImageReader;
}

/** The parts of a ZongJi instance the patch reads. */
export interface ZongJiLike {
  isMariaDb?: boolean;
  useChecksum?: boolean;
  tableMap: Record<number, ZongJiTableMapEntry>;
}

/** The parts of a zongji TableMap event the patch reads. */
export interface TableMapEventLike {
  tableId: number;
  hasSelfDescribingMetadata?: () => boolean;
  hasAmbiguousTemporalColumns?: () => boolean;
  /**
   * zongji's raw ENUM/SET labels from FULL metadata, per column index: the bytes in the column's
   * charset, which zongji itself decodes with iconv-lite (wrong for some bytes, see charset.ts).
   */
  _enumSetValues?: (readonly Uint8Array[] | undefined)[];
  columnNames?: unknown;
  [BODY_START]?: number;
  [EVENT_BYTES]?: Uint8Array;
  [REUSED]?: PreparedEntry;
}

/** Looks a column up in the current catalog (INFORMATION_SCHEMA), for what the binlog lacks. */
export type CatalogLookup = (
  schema: string,
  table: string,
  column: string,
) => SourceColumn | undefined;

// MySQL binlog column type codes
const TINY = 1;
const SHORT = 2;
const LONG = 3;
const FLOAT = 4;
const DOUBLE = 5;
const LONGLONG = 8;
const INT24 = 9;
const DATE = 10;
const YEAR = 13;
const VARCHAR = 15;
const BIT = 16;
const TIMESTAMP2 = 17;
const DATETIME2 = 18;
const TIME2 = 19;
const JSON_TYPE = 245;
const NEWDECIMAL = 246;
const BLOB_COMPRESSED = 140;
const VARCHAR_COMPRESSED = 141;
const ENUM = 247;
const SET = 248;
const TINY_BLOB = 249;
const MEDIUM_BLOB = 250;
const LONG_BLOB = 251;
const BLOB = 252;
const VAR_STRING = 253;
const STRING = 254;
const GEOMETRY = 255;

const CHARACTER_TYPES = new Set([
  VARCHAR,
  VAR_STRING,
  STRING,
  TINY_BLOB,
  MEDIUM_BLOB,
  LONG_BLOB,
  BLOB,
  BLOB_COMPRESSED,
  VARCHAR_COMPRESSED,
]);

/**
 * Call from the `binlog` listener for every `tablemap` event (include "tablemap" in
 * `includeEvents`); zongji emits it synchronously before it parses the rows that use it.
 *
 * `catalog` (the current INFORMATION_SCHEMA view, see `sourceColumnsFromInformationSchema`)
 * supplies what the binlog cannot: the charset of MariaDB text columns whose binlog charset zongji
 * discarded (text after a geometry column; without a catalog such a table throws, because guessing
 * would corrupt text silently), and the declared type of MariaDB JSON, UUID and INET columns.
 */
export function patchTableMap(
  zongji: ZongJiLike,
  event: TableMapEventLike,
  catalog?: CatalogLookup,
): void {
  const entry = zongji.tableMap[event.tableId];
  const columns = entry?.columns;
  if (!entry || !columns) return;
  if (
    zongji.isMariaDb && selfDescribing(zongji, event) && columns.some((c) => c.type === GEOMETRY)
  ) {
    repairMariaDbCharsets(entry, columns, catalog);
  }
  if (catalog) enrichFromCatalog(entry, catalog);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    const schema = entry.columnSchemas[i];
    switch (column.type) {
      case STRING:
      case VARCHAR:
      case VARCHAR_COMPRESSED: {
        // Read as a blob with the same length prefix: raw bytes, no charset, no padding
        const maxLength = Number(column.metadata?.max_length ?? 0);
        column.metadata = { ...column.metadata, length_size: maxLength > 255 ? 2 : 1 };
        column.type = column.type === VARCHAR_COMPRESSED ? BLOB_COMPRESSED : BLOB;
        column.charset = null;
        break;
      }
      case TINY_BLOB:
      case MEDIUM_BLOB:
      case LONG_BLOB:
      case BLOB:
      case BLOB_COMPRESSED:
        column.charset = null;
        break;
      case GEOMETRY:
        column.type = BLOB;
        column.charset = null;
        break;
      case LONGLONG:
      case NEWDECIMAL:
      case DATETIME2: {
        // Raw bytes, turned into text by makeEncoder (src/convert/binary.ts) much faster.
        const bytes = fixedWidth(column.type, column.metadata ?? {})!;
        column.type = BIT;
        column.metadata = { bits: bytes * 8 };
        break;
      }
      case ENUM:
      case SET: {
        // zongji maps a row's index/bitmap to these labels while it decodes the row. Without
        // binlog labels its fallback parser splits on every comma and keeps doubled quotes; with
        // them, iconv-lite decoded them (cp1252 for MySQL's latin1: 0x81 became U+FFFD).
        const labels = binlogLabels(event, i, schema.CHARACTER_SET_NAME) ??
          (column.type === ENUM ? schema.ENUM_VALUES : schema.SET_VALUES) ??
          parseLabels(schema.COLUMN_TYPE);
        if (column.type === ENUM) schema.ENUM_VALUES = labels;
        else schema.SET_VALUES = labels;
        break;
      }
    }
  }
}

/** Column `index`'s ENUM/SET labels from the binlog, decoded as the server decodes them. */
function binlogLabels(
  event: TableMapEventLike,
  index: number,
  charset: string | null,
): string[] | undefined {
  const raw = event._enumSetValues?.[index];
  if (!raw || charset === null) return undefined;
  const decode = decoderFor(charset);
  return decode ? raw.map((label) => decode(label)) : undefined;
}

/**
 * MariaDB's charset list covers text and geometry columns in table order; zongji handed its
 * entries to the text columns alone, so entry k went to the k-th text column. Re-deal them; the
 * entries zongji dropped off the end come from the catalog.
 *
 * Tied to zongji 0.9.0's behaviour: should an upgrade fix it, this would shift charsets again.
 * tests/convert_roundtrip_test.ts compares the repaired charsets with the catalog and would fail.
 */
function repairMariaDbCharsets(
  entry: ZongJiTableMapEntry,
  columns: ZongJiColumn[],
  catalog: CatalogLookup | undefined,
): void {
  const listed: number[] = [];
  const text: number[] = [];
  columns.forEach((c, i) => {
    if (CHARACTER_TYPES.has(c.type)) text.push(i);
    if (CHARACTER_TYPES.has(c.type) || c.type === GEOMETRY) listed.push(i);
  });
  const dealt = text.map((i) => entry.columnSchemas[i].CHARACTER_SET_NAME);
  const missing: string[] = [];
  listed.forEach((i, position) => {
    const column = columns[i];
    if (column.type === GEOMETRY) return;
    const schema = entry.columnSchemas[i];
    let charset: string | null;
    if (position < dealt.length) {
      charset = dealt[position];
    } else {
      const known = catalog?.(entry.parentSchema, entry.tableName, schema.COLUMN_NAME);
      if (!known) {
        missing.push(schema.COLUMN_NAME);
        return;
      }
      charset = known.charset;
    }
    schema.CHARACTER_SET_NAME = charset;
    column.charset = charset;
    schema.COLUMN_TYPE = columnTypeOf(column, charset);
  });
  if (missing.length > 0) {
    throw new Error(
      `cannot tell the character set of ${entry.parentSchema}.${entry.tableName} column(s) ` +
        `${missing.join(", ")} from MariaDB's binlog metadata (zongji drops it after a geometry ` +
        `column) and no catalog entry was given`,
    );
  }
}

/**
 * Binlog metadata describes storage, not the declared type: MariaDB's UUID/INET4/INET6 arrive as
 * binary(16)/binary(4), its JSON as longtext, BOOL as tinyint. Where the catalog's column of the
 * same name has that storage, take its type, so that `sourceColumnsFromSchema` sees the real one.
 */
function enrichFromCatalog(entry: ZongJiTableMapEntry, catalog: CatalogLookup): void {
  for (const schema of entry.columnSchemas) {
    const known = catalog(entry.parentSchema, entry.tableName, schema.COLUMN_NAME);
    if (!known) continue;
    const type = schema.COLUMN_TYPE;
    if (known.json && type.startsWith("longtext")) {
      schema.COLUMN_TYPE = "json";
    } else if (MARIADB_BINARY_TYPES[known.dataType] === type) {
      schema.COLUMN_TYPE = known.columnType;
    } else if (known.dataType === "tinyint" && type.startsWith("tinyint")) {
      schema.COLUMN_TYPE = known.columnType;
    }
  }
}

const MARIADB_BINARY_TYPES: Readonly<Record<string, string>> = {
  uuid: "binary(16)",
  inet6: "binary(16)",
  inet4: "binary(4)",
};

/** COLUMN_TYPE as zongji would have synthesised it with the right charset. */
function columnTypeOf(column: ZongJiColumn, charset: string | null): string {
  const meta = column.metadata ?? {};
  const binary = charset === null;
  const compressed = column.type === BLOB_COMPRESSED || column.type === VARCHAR_COMPRESSED;
  const suffix = compressed ? " /*M!100301 COMPRESSED*/" : "";
  if (
    column.type === STRING || column.type === VARCHAR || column.type === VAR_STRING ||
    column.type === VARCHAR_COMPRESSED
  ) {
    const bytes = Number(meta.max_length ?? 0) - (column.type === VARCHAR_COMPRESSED ? 1 : 0);
    const fixed = column.type === STRING;
    if (binary) return `${fixed ? "binary" : "varbinary"}(${bytes})${suffix}`;
    const chars = Math.floor(bytes / charsetMaxBytes(charset));
    return `${fixed ? "char" : "varchar"}(${chars})${suffix}`;
  }
  const size = ["", "tiny", "", "medium", "long"][Number(meta.length_size ?? 2)] ?? "";
  return `${size}${binary ? "blob" : "text"}${suffix}`;
}

/**
 * Everything a `tablemap` event needs before zongji reads the rows that use it: `patchTableMap`,
 * then `prepareRowReaders`. Call it from the `binlog` listener for every `tablemap` event.
 *
 * A table map precedes every transaction's rows, and zongji rebuilds its entry from the event's
 * full metadata each time. When a table id's event has exactly the bytes of one seen before, the
 * entry prepared then is taken again: zongji skips its metadata parsing and this function returns
 * at once. For single-row transactions this was a third of the decoding time.
 */
export function prepareTableMap(
  zongji: ZongJiLike,
  event: TableMapEventLike,
  catalog: CatalogLookup,
  keyColumns: KeyLookup,
): void {
  installTableMapReuse(event);
  if (event[REUSED]) return;
  patchTableMap(zongji, event, catalog);
  prepareRowReaders(zongji, event, keyColumns);
  const entry = zongji.tableMap[event.tableId];
  const bytes = event[EVENT_BYTES];
  // Only entries built from the event alone: zongji builds others from INFORMATION_SCHEMA.
  if (!bytes || !entry?.columns || !selfDescribing(zongji, event)) return;
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

/** The checksum covers the event header too (time, position), so it differs every time. */
function withoutChecksum(body: Uint8Array, checksumBytes: number): Uint8Array {
  return body.subarray(0, body.length - checksumBytes);
}

/** Whether zongji built the entry of `event` from the event's own metadata. */
function selfDescribing(zongji: ZongJiLike, event: TableMapEventLike): boolean {
  return event.hasSelfDescribingMetadata?.() === true &&
    !(zongji.isMariaDb && event.hasAmbiguousTemporalColumns?.() === true);
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

const BODY_START = Symbol("offset of the table map event body");
const EVENT_BYTES = Symbol("table map event body (a view of the packet)");
const REUSED = Symbol("prepared entry taken again");

/** zongji's TableMap event while it parses itself. */
interface TableMapParsing extends TableMapEventLike {
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

const patchedTableMapClasses = new WeakSet<object>();

/**
 * Wraps the metadata parsing of zongji's TableMap class (once; the first event shows the class):
 * an event whose body equals the prepared one of its table id skips the parsing, and zongji's
 * building of the entry takes the prepared entry instead.
 */
function installTableMapReuse(event: object): void {
  const proto = Object.getPrototypeOf(event) as TableMapMethods;
  if (patchedTableMapClasses.has(proto)) return;
  const wrapped = [
    "_readTableId",
    "_readColumnMetadata",
    "_readOptionalMetadata",
    "buildColumnSchemas",
    "updateColumnInfo",
  ];
  if (!wrapped.every((method) => method in proto)) return;
  const { _readTableId, _readColumnMetadata, _readOptionalMetadata } = proto;
  const { buildColumnSchemas, updateColumnInfo } = proto;
  proto._readTableId = function (parser) {
    this[BODY_START] = parser._offset;
    _readTableId.call(this, parser);
  };
  proto._readColumnMetadata = function (parser) {
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
  patchedTableMapClasses.add(proto);
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

/**
 * Sets up how the rows of the table `event` maps are read; call after `patchTableMap` for the same
 * event (zongji rebuilds the entry for every table map).
 *
 * Before images of UPDATE and DELETE rows only have to identify a row, so they get an entry with
 * only the key columns (`keyColumns`, lower case) decoded: every other column is read as the raw
 * bytes it occupies (zongji's BIT and BLOB reads), without date, decimal, JSON or decompression
 * work. Columns whose width depends on more than the binlog metadata (MariaDB's old-format hires
 * temporals) are still decoded.
 *
 * Where every column is an integer, a YEAR or raw bytes (BIT, and the BLOB reads `patchTableMap`
 * set up), a row reader of ours reads straight from the event's bytes: no Buffer for the null
 * bitmap, no per-column dispatch through zongji's value reader, one offset update per row.
 *
 * Both take effect through `installRowReader`; until the first event of each kind has shown
 * zongji's row event class, that one event is decoded whole by zongji.
 */
function prepareRowReaders(
  zongji: ZongJiLike,
  event: TableMapEventLike,
  keyColumns: KeyLookup,
): void {
  const entry = zongji.tableMap[event.tableId];
  const columns = entry?.columns;
  if (!entry || !columns) return;
  delete entry.beforeImage;
  entry.readImage = imageReader(entry);
  const keys = keyColumns(entry.parentSchema, entry.tableName);
  if (!keys || keys.size === 0) return;
  let found = 0;
  const keyOnly = columns.map((column) => {
    if (!keys.has(column.name.toLowerCase())) return rawRead(column);
    found++;
    return column;
  });
  // Without all its key columns the image could not identify a row: let it be decoded whole.
  if (found < keys.size) return;
  const beforeImage: ZongJiTableMapEntry = { ...entry, columns: keyOnly };
  beforeImage.readImage = imageReader(beforeImage);
  entry.beforeImage = beforeImage;
}

/** The primary key columns of a source table, in lower case, if it is known. */
export type KeyLookup = (schema: string, table: string) => ReadonlySet<string> | undefined;

/** The same column read as raw bytes, where its width is known from the metadata alone. */
function rawRead(column: ZongJiColumn): ZongJiColumn {
  const meta = column.metadata ?? {};
  switch (column.type) {
    case JSON_TYPE:
    case BLOB_COMPRESSED:
      // Length-prefixed like a BLOB; only the decoding of the payload is skipped.
      return { ...column, type: BLOB, charset: null };
  }
  const bytes = fixedWidth(column.type, meta);
  return bytes === null ? column : { ...column, type: BIT, metadata: { bits: bytes * 8 } };
}

/** Bytes a value of a fixed-width binlog type occupies; null when the value carries its length. */
function fixedWidth(type: number, meta: Record<string, unknown>): number | null {
  const fraction = () => fractionWidth(Number(meta.decimals ?? 0));
  switch (type) {
    case TINY:
    case YEAR:
      return 1;
    case SHORT:
      return 2;
    case INT24:
    case DATE:
      return 3;
    case LONG:
    case FLOAT:
      return 4;
    case LONGLONG:
    case DOUBLE:
      return 8;
    case TIME2:
      return 3 + fraction();
    case TIMESTAMP2:
      return 4 + fraction();
    case DATETIME2:
      return 5 + fraction();
    case NEWDECIMAL:
      return decimalWidth(Number(meta.precision), Number(meta.decimals));
    case ENUM:
    case SET:
      return Number(meta.size);
  }
  return null;
}

/** zongji's reader over a row event's packet. */
interface ParserLike {
  _buffer: Uint8Array;
  _offset: number;
}

/** Reads one row image of the columns present in `present` and advances the parser past it. */
export type ImageReader = (parser: ParserLike, present: Uint8Array) => Record<string, unknown>;

/** Where the next value starts; a reader moves it past the value it reads. */
interface Cursor {
  at: number;
}

type ValueReader = (b: Uint8Array, cursor: Cursor) => unknown;

function imageReader(entry: ZongJiTableMapEntry): ImageReader | undefined {
  const columns = entry.columns!;
  const names = columns.map((c) => c.name);
  const readers: ValueReader[] = [];
  for (let i = 0; i < columns.length; i++) {
    const reader = valueReader(columns[i], entry.columnSchemas[i]);
    if (!reader) return undefined;
    readers.push(reader);
  }
  const cursor: Cursor = { at: 0 };
  return (parser, present) => {
    const b = parser._buffer;
    const nullBitmap = parser._offset;
    cursor.at = nullBitmap + ((countBits(present) + 7) >> 3);
    const row: Record<string, unknown> = {};
    // Absent columns have no bit in the null bitmap.
    for (let i = 0, bit = 0; i < names.length; i++) {
      if ((present[i >> 3] & (1 << (i & 7))) === 0) {
        row[names[i]] = null;
      } else if ((b[nullBitmap + (bit >> 3)] & (1 << (bit++ & 7))) !== 0) {
        row[names[i]] = null;
      } else {
        row[names[i]] = readers[i](b, cursor);
      }
    }
    parser._offset = cursor.at;
    return row;
  };
}

function countBits(bitmap: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < bitmap.length; i++) {
    for (let byte = bitmap[i]; byte !== 0; byte &= byte - 1) bits++;
  }
  return bits;
}

/** The reader of one column's values, as zongji would decode them; undefined for other types. */
function valueReader(column: ZongJiColumn, schema: ZongJiColumnSchema): ValueReader | undefined {
  const meta = column.metadata ?? {};
  switch (column.type) {
    case TINY:
    case SHORT:
    case INT24:
    case LONG: {
      const bytes = fixedWidth(column.type, meta)!;
      // As zongji decides: the binlog's signedness when given, else the column type's.
      const unsigned = schema.UNSIGNED !== undefined
        ? Boolean(schema.UNSIGNED)
        : schema.COLUMN_TYPE.includes("unsigned");
      const range = 2 ** (bytes * 8);
      return (b, cursor) => {
        const value = littleEndian(b, cursor.at, bytes);
        cursor.at += bytes;
        return !unsigned && value >= range / 2 ? value - range : value;
      };
    }
    case YEAR:
      return (b, cursor) => b[cursor.at++] + 1900;
    case BIT: {
      const bytes = Math.floor((Number(meta.bits) + 7) / 8);
      return (b, cursor) => bytesBetween(b, cursor.at, cursor.at += bytes);
    }
    case BLOB: {
      if (column.charset !== null) return undefined;
      const lengthBytes = Number(meta.length_size);
      return (b, cursor) => {
        const start = cursor.at + lengthBytes;
        cursor.at = start + littleEndian(b, cursor.at, lengthBytes);
        return bytesBetween(b, start, cursor.at);
      };
    }
  }
  return undefined;
}

const IMAGE_VIEWS = Symbol("before and after image views");

/** zongji's row events, as far as reading their rows goes. */
interface RowsEventLike {
  tableMap: Record<number, ZongJiTableMapEntry>;
  tableId: number;
  columns_present_bitmap: Uint8Array;
  columns_present_bitmap2?: Uint8Array;
  _zongji: unknown;
  [IMAGE_VIEWS]?: readonly [ImageView, ImageView];
}

/** How to read one image of an event's rows: our reader, or zongji's with a view of the event. */
type ImageView =
  | { read: ImageReader; present: Uint8Array }
  /** `event` is `this` for RowsEvent's own row reader. */
  | { read: undefined; present: Uint8Array; event: RowsEventLike };

/** The before (or only) and the after image views of `event`'s rows. */
function imageViews(event: RowsEventLike, kind: RowKind): readonly [ImageView, ImageView] {
  const { tableMap, tableId, _zongji } = event;
  const entry = tableMap[tableId];
  const first = entry && firstImage(entry, kind);
  // The view of the event for zongji's reader is built only where ours does not apply.
  const view = (image: ZongJiTableMapEntry | undefined, present: Uint8Array): ImageView => {
    const read = image?.readImage;
    if (read) return { read, present };
    return {
      read,
      present,
      event: {
        tableMap: image && image !== entry ? { [tableId]: image } : tableMap,
        tableId,
        columns_present_bitmap: present,
        _zongji,
      },
    };
  };
  return [
    view(first, event.columns_present_bitmap),
    view(entry, event.columns_present_bitmap2 ?? event.columns_present_bitmap),
  ];
}

/** The entry the first image of a `kind` row is read with (inserts have after images only). */
function firstImage(entry: ZongJiTableMapEntry, kind: RowKind): ZongJiTableMapEntry {
  return kind === "insert" ? entry : entry.beforeImage ?? entry;
}

/**
 * Our readers of a `kind` row's images (before or only, then after for updates) for the table of
 * `entry`; undefined when zongji has to read them.
 */
export function imageReaders(
  entry: ZongJiTableMapEntry,
  kind: RowKind,
): [ImageReader, ImageReader] | undefined {
  const first = firstImage(entry, kind).readImage;
  const after = entry.readImage;
  if (!first || (kind === "update" && !after)) return undefined;
  return [first, after ?? first];
}

type FetchRow = (this: RowsEventLike, parser: ParserLike) => unknown;
export type RowKind = "insert" | "update" | "delete";

const patchedRowClasses = new WeakSet<object>();

/**
 * Replaces `_fetchOneRow` of the class of `event` (zongji's WriteRows, UpdateRows or DeleteRows,
 * which the package does not export) so that rows are read with `readImage` where the table has
 * one, and before images with `beforeImage` entries. Call with every row event; each class is
 * patched once, so the first event of each kind is still read by zongji alone.
 */
export function installRowReader(event: object, kind: RowKind): void {
  const proto = Object.getPrototypeOf(event) as { _fetchOneRow?: FetchRow };
  if (patchedRowClasses.has(proto)) return;
  // RowsEvent's own reads one image of `this.tableMap[this.tableId]` with `columns_present_bitmap`.
  const zongjiRead = (Object.getPrototypeOf(proto) as { _fetchOneRow?: FetchRow })._fetchOneRow;
  if (typeof proto._fetchOneRow !== "function" || typeof zongjiRead !== "function") return;
  const read = (view: ImageView, parser: ParserLike) =>
    view.read ? view.read(parser, view.present) : zongjiRead.call(view.event, parser);
  const views = (event: RowsEventLike) => event[IMAGE_VIEWS] ??= imageViews(event, kind);
  proto._fetchOneRow = kind === "update"
    ? function (parser) {
      const [before, after] = views(this);
      return { before: read(before, parser), after: read(after, parser) };
    }
    : function (parser) {
      return read(views(this)[0], parser);
    };
  patchedRowClasses.add(proto);
}
