/**
 * The shapes of zongji's objects as our decoding reads and changes them (zongji's own declarations
 * leave most of these parts out), and the lookups into the source catalog that decoding takes.
 *
 * @module
 */
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
  /**
   * Set by `prepareRowReaders`: the entry other images are read with, when only some columns'
   * values are used.
   */
  afterImage?: ZongJiTableMapEntry;
  /** Set by `prepareRowReaders` when every column is of a type our own reader reads. */
  readImage?: ImageReader;
}

/** The parts of a ZongJi instance the patches read. */
export interface ZongJiLike {
  isMariaDb?: boolean;
  useChecksum?: boolean;
  tableMap: Record<number, ZongJiTableMapEntry>;
}

/** The parts of a zongji TableMap event the patches read. */
export interface TableMapEventLike {
  tableId: number;
  hasSelfDescribingMetadata?: () => boolean;
  hasAmbiguousTemporalColumns?: () => boolean;
  /**
   * zongji's raw ENUM/SET labels from FULL metadata, per column index: the bytes in the column's
   * charset, which zongji itself decodes with iconv-lite (wrong for some bytes, see
   * src/convert/charset.ts).
   */
  _enumSetValues?: (readonly Uint8Array[] | undefined)[];
  columnNames?: unknown;
}

/** Looks a column up in the current catalog (INFORMATION_SCHEMA), for what the binlog lacks. */
export type CatalogLookup = (
  schema: string,
  table: string,
  column: string,
) => SourceColumn | undefined;

/** The columns of a source table the sync uses, in lower case. */
export interface UsedColumns {
  /** The columns that identify a row, all a before image needs; absent: its every used column. */
  key?: ReadonlySet<string>;
  /** The columns whose values are written; absent: all. The others are never decoded. */
  values?: ReadonlySet<string>;
}

/**
 * The columns the sync uses of a source table, if it is known: a set is the key alone (`key` of
 * {@link UsedColumns}, every column's value used).
 */
export type KeyLookup = (
  schema: string,
  table: string,
) => ReadonlySet<string> | UsedColumns | undefined;

export type RowKind = "insert" | "update" | "delete";

/** zongji's reader over a row event's packet. */
export interface ParserLike {
  _buffer: Uint8Array;
  _offset: number;
}

/** Reads one row image of the columns present in `present` and advances the parser past it. */
export type ImageReader = (parser: ParserLike, present: Uint8Array) => Record<string, unknown>;
