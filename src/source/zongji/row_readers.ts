/**
 * Our readers of row images, set up per table map entry: before images of UPDATE and DELETE rows
 * decoded no further than their key columns (they only have to identify a row), and the rows of
 * tables made of integers and raw-byte columns read straight from the event's bytes without
 * zongji's per-value dispatch. zongji's row events use them through `installRowReader`, the
 * packet decoder (`decodeFrequentEvents`) through `imageReaders`.
 *
 * @module
 */
import { bytesBetween, littleEndian } from "../../convert/binary.ts";
import type { ZongJiColumnSchema } from "../../convert/types.ts";
import {
  BIT,
  BLOB,
  BLOB_COMPRESSED,
  fixedWidth,
  INT24,
  JSON_TYPE,
  LONG,
  SHORT,
  TINY,
  YEAR,
} from "./column_types.ts";
import type {
  ImageReader,
  KeyLookup,
  RowKind,
  TableMapEventLike,
  UsedColumns,
  ZongJiColumn,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "./shapes.ts";

/**
 * Sets up how the rows of the table `event` maps are read; call after `patchTableMap` for the same
 * event (zongji rebuilds the entry for every table map).
 *
 * Before images of UPDATE and DELETE rows only have to identify a row, so they get an entry with
 * only the key columns (`keyColumns`, lower case) decoded: every other column is read as the raw
 * bytes it occupies (zongji's BIT and BLOB reads), without date, decimal, JSON or decompression
 * work. Columns whose width depends on more than the binlog metadata (MariaDB's old-format hires
 * temporals) are still decoded. Where only some columns' values are used (a rule's `columns`),
 * every other image gets an entry decoding only those.
 *
 * Where every column is an integer, a YEAR or raw bytes (BIT, and the BLOB reads `patchTableMap`
 * set up), a row reader of ours reads straight from the event's bytes: no Buffer for the null
 * bitmap, no per-column dispatch through zongji's value reader, one offset update per row.
 *
 * Both take effect through `installRowReader`; until the first event of each kind has shown
 * zongji's row event class, that one event is decoded whole by zongji.
 */
export function prepareRowReaders(
  zongji: ZongJiLike,
  event: TableMapEventLike,
  keyColumns: KeyLookup,
): void {
  const entry = zongji.tableMap[event.tableId];
  const columns = entry?.columns;
  if (!entry || !columns) return;
  delete entry.beforeImage;
  delete entry.afterImage;
  entry.readImage = imageReader(entry);
  const found = keyColumns(entry.parentSchema, entry.tableName);
  const used = (found instanceof Set ? { key: found } : found) as UsedColumns | undefined;
  const keys = used?.key;
  const values = used?.values;
  // Without all its key columns the image could not identify a row: let it be decoded whole.
  const named = (column: ZongJiColumn) => keys?.has(column.name.toLowerCase()) ?? false;
  const before = keys && keys.size > 0 && columns.filter(named).length === keys.size
    ? narrowed(entry, columns, keys)
    : undefined;
  const after = values && narrowed(entry, columns, values);
  if (before) entry.beforeImage = before;
  if (after) entry.afterImage = after;
}

/** A copy of `entry` decoding only the columns `used` (lower case) names, the others raw bytes. */
function narrowed(
  entry: ZongJiTableMapEntry,
  columns: readonly ZongJiColumn[],
  used: ReadonlySet<string>,
): ZongJiTableMapEntry {
  const decoded = columns.map((column) =>
    used.has(column.name.toLowerCase()) ? column : rawRead(column)
  );
  const image: ZongJiTableMapEntry = { ...entry, columns: decoded };
  image.readImage = imageReader(image);
  return image;
}

/** The entry the first image of a `kind` row is read with (inserts have after images only). */
export function firstImage(entry: ZongJiTableMapEntry, kind: RowKind): ZongJiTableMapEntry {
  return kind === "insert" ? afterImage(entry) : entry.beforeImage ?? afterImage(entry);
}

/** The entry after images (and inserted rows, and whole before images) are read with. */
export function afterImage(entry: ZongJiTableMapEntry): ZongJiTableMapEntry {
  return entry.afterImage ?? entry;
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
  const after = afterImage(entry).readImage;
  if (!first || (kind === "update" && !after)) return undefined;
  return [first, after ?? first];
}

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
