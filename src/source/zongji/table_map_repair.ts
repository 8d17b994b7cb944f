/**
 * Adjusts zongji's entry for a table map so that row values come out exact.
 *
 * zongji 0.9 decodes text itself with iconv-lite (wrong for some bytes of MySQL's latin1, sjis,
 * gb2312, ...), parses geometry into `{x, y}` objects (losing the SRID and the exact type), and,
 * on MariaDB with binlog_row_metadata=FULL, assigns character sets to the wrong columns whenever a
 * geometry column precedes a text column (MariaDB counts geometry columns in the charset list,
 * zongji does not), which turns text into binary and binary into text. `patchTableMap` makes
 * zongji hand over the raw bytes of every string, blob and geometry column instead (decoded later
 * by `makeEncoder` in the column's charset) and of BIGINT, DECIMAL and DATETIME2 columns (whose
 * decoding in zongji is slow), repairs the charsets in the column schemas, takes the declared type
 * of MariaDB JSON, UUID and INET columns from the catalog, and fixes ENUM/SET labels that contain
 * commas or quotes.
 *
 * @module
 */
import { charsetMaxBytes, decoderFor } from "../../convert/charset.ts";
import { parseLabels } from "../../convert/source_kind.ts";
import {
  BIT,
  BLOB,
  BLOB_COMPRESSED,
  CHARACTER_TYPES,
  DATETIME2,
  ENUM,
  fixedWidth,
  GEOMETRY,
  LONG_BLOB,
  LONGLONG,
  MEDIUM_BLOB,
  NEWDECIMAL,
  SET,
  STRING,
  TINY_BLOB,
  VAR_STRING,
  VARCHAR,
  VARCHAR_COMPRESSED,
} from "./column_types.ts";
import type {
  CatalogLookup,
  TableMapEventLike,
  ZongJiColumn,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "./shapes.ts";

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

/** Whether zongji built the entry of `event` from the event's own metadata. */
export function selfDescribing(zongji: ZongJiLike, event: TableMapEventLike): boolean {
  return event.hasSelfDescribingMetadata?.() === true &&
    !(zongji.isMariaDb && event.hasAmbiguousTemporalColumns?.() === true);
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
 * tests/integration/convert_roundtrip_test.ts compares the repaired charsets with the catalog and
 * would fail.
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
