/**
 * Row events decoded with the layout from the schema history, and the binlog's own layout checked
 * against it.
 *
 * Without column metadata in the binlog (binlog_row_metadata=MINIMAL, MySQL 5.7, MariaDB's old
 * temporal columns) zongji 0.9 completes a table map from INFORMATION_SCHEMA as it is now
 * (`_fetchTableInfo`), which is wrong for every event written before an ALTER TABLE.
 * `decodeWithHistory` makes it take the definition the history holds at the event instead, after
 * checking that the event's column count and types fit it. With FULL metadata zongji builds the
 * entry from the event; `layoutProblem` then compares names too, once per entry prepared.
 *
 * @module
 */
import { FatalError } from "../../config/errors.ts";
import { charsetMaxBytes } from "../../convert/charset.ts";
import type { ZongJiColumnSchema } from "../../convert/types.ts";
import type { SourceTable, TableColumn } from "../../schema/table.ts";
import * as T from "./column_types.ts";
import { missingFatal } from "./internals.ts";
import type { ZongJiLike, ZongJiTableMapEntry } from "./shapes.ts";

/** A column as a table map event describes it. */
export interface BinlogColumn {
  /** Present with FULL metadata. */
  name?: string;
  /** The binlog type code (ENUM and SET as such, not as STRING). */
  type: number;
  metadata?: Record<string, unknown>;
}

/** The parts of a zongji TableMap event the history path reads, before zongji completes it. */
interface MinimalTableMapEvent {
  tableId: number;
  schemaName: string;
  tableName: string;
  columnTypes: number[];
  columnsMetadata: (Record<string, unknown> | undefined)[];
}

type FetchTableInfo = (event: MinimalTableMapEvent, next: () => void) => void;

/** Entries made from the history (checked when made, and reusable as long as it holds). */
const historyEntries = new WeakSet<ZongJiTableMapEntry>();

/** Whether `entry` was made from the schema history by `decodeWithHistory`. */
export function builtFromHistory(entry: ZongJiTableMapEntry): boolean {
  return historyEntries.has(entry);
}

/**
 * Makes `zongji` complete a table map without column metadata from `definitionOf` (the history
 * at the event) instead of INFORMATION_SCHEMA; tables it has no definition of still go to
 * INFORMATION_SCHEMA, but for those `unseeded` says the history should know, which fail. A layout
 * the event does not fit goes to `fail` (zongji's connection stays paused, so nothing after it is
 * decoded).
 */
export function decodeWithHistory(
  zongji: object,
  definitionOf: (schema: string, table: string) => SourceTable | undefined,
  fail: (error: Error) => void,
  unseeded: (schema: string, table: string) => boolean = () => false,
): void {
  const instance = zongji as ZongJiLike & { _fetchTableInfo?: FetchTableInfo };
  const original = instance._fetchTableInfo;
  if (typeof original !== "function") {
    throw missingFatal(
      "ZongJi._fetchTableInfo",
      "rows without column metadata would be decoded with today's catalog, not the schema history",
    );
  }
  instance._fetchTableInfo = function (event, next) {
    const definition = definitionOf(event.schemaName, event.tableName);
    if (definition === undefined && unseeded(event.schemaName, event.tableName)) {
      const name = `${event.schemaName}.${event.tableName}`;
      fail(
        new FatalError(
          `cannot decode rows of ${name}: the schema history had no definition of it at the ` +
            `start position and none came from a CREATE TABLE before them, and the binlog lacks ` +
            `column metadata; load it with "mysql-gp-sync snapshot --tables ${name}", or, if no ` +
            `DDL changed it since the start position, set schema_history_seed = "catalog"`,
        ),
      );
      return;
    }
    if (definition === undefined) return original.call(this, event, next);
    const columns = event.columnTypes.map((type, i) => ({
      type: Number(event.columnsMetadata[i]?.type ?? type),
      metadata: event.columnsMetadata[i],
    }));
    const problem = layoutProblem(definition, columns);
    if (problem !== null) {
      fail(layoutError(definition, columns, problem));
      return;
    }
    const entry: ZongJiTableMapEntry = {
      columnSchemas: columnSchemasOf(definition),
      parentSchema: event.schemaName,
      tableName: event.tableName,
    };
    historyEntries.add(entry);
    instance.tableMap[event.tableId] = entry;
    next();
  };
}

/** zongji's column schemas (INFORMATION_SCHEMA.COLUMNS-shaped) of a definition. */
export function columnSchemasOf(definition: SourceTable): ZongJiColumnSchema[] {
  return definition.columns.map((column) => {
    const schema: ZongJiColumnSchema = {
      COLUMN_NAME: column.name,
      COLUMN_TYPE: column.columnType,
      CHARACTER_SET_NAME: column.charset,
      UNSIGNED: column.unsigned,
    };
    if (column.labels && column.dataType === "enum") schema.ENUM_VALUES = [...column.labels];
    if (column.labels && column.dataType === "set") schema.SET_VALUES = [...column.labels];
    return schema;
  });
}

/**
 * Why the binlog's columns cannot be the definition's, or null when they can: their number,
 * names (when the binlog has them, ignoring case as MySQL does), and each type as far as the
 * binlog tells it (its type code, DECIMAL precision and scale, VARCHAR length in bytes).
 */
export function layoutProblem(
  definition: SourceTable,
  columns: readonly BinlogColumn[],
): string | null {
  if (columns.length !== definition.columns.length) {
    return `${columns.length} columns in the binlog, ${definition.columns.length} in the history`;
  }
  for (let i = 0; i < columns.length; i++) {
    const problem = columnProblem(definition.columns[i], columns[i]);
    if (problem !== null) return `column ${i + 1}: ${problem}`;
  }
  return null;
}

/** Why `binlog` cannot be `column`, or null. */
export function columnProblem(column: TableColumn, binlog: BinlogColumn): string | null {
  if (binlog.name !== undefined && binlog.name.toLowerCase() !== column.name.toLowerCase()) {
    return `${binlog.name} in the binlog, ${column.name} in the history`;
  }
  const codes = TYPE_CODES[column.dataType];
  if (codes !== undefined && !codes.includes(binlog.type)) {
    return `${column.name} is ${
      typeName(binlog)
    } in the binlog, ${column.columnType} in the history`;
  }
  const meta = binlog.metadata ?? {};
  if (binlog.type === T.NEWDECIMAL) {
    const declared = /^decimal\((\d+),(\d+)\)/.exec(column.columnType);
    if (
      declared && (Number(declared[1]) !== meta.precision || Number(declared[2]) !== meta.decimals)
    ) {
      return `${column.name} is ${
        typeName(binlog)
      } in the binlog, ${column.columnType} in the history`;
    }
  }
  if (binlog.type === T.VARCHAR && meta.max_length !== undefined) {
    const declared = /^var(char|binary)\((\d+)\)/.exec(column.columnType);
    const perChar = declared?.[1] === "char" ? charsetMaxBytes(column.charset ?? "binary") : 1;
    if (declared && Number(declared[2]) * perChar !== meta.max_length) {
      return `${column.name} holds ${meta.max_length} bytes in the binlog, ${column.columnType} ` +
        `(${column.charset ?? "binary"}) in the history`;
    }
  }
  return null;
}

/** The one-line error for a table map that does not fit the history's definition. */
export function layoutError(
  definition: SourceTable,
  columns: readonly BinlogColumn[],
  problem: string,
): FatalError {
  const name = `${definition.schema}.${definition.table}`;
  const binlog = columns.map((c, i) => `${c.name ?? `#${i + 1}`} ${typeName(c)}`).join(", ");
  const history = definition.columns.map((c) => `${c.name} ${c.columnType}`).join(", ");
  return new FatalError(
    `the binlog's layout of ${name} (${binlog}) does not fit the schema history's (${history}): ` +
      `${problem}; the history is out of step with the source: load the table again with ` +
      `"mysql-gp-sync snapshot --tables ${name}"`,
  );
}

/** The binlog type codes a column of each DATA_TYPE is written with. */
const TEXT_OR_BLOB = [T.BLOB, T.BLOB_COMPRESSED, T.TINY_BLOB, T.MEDIUM_BLOB, T.LONG_BLOB];
const TYPE_CODES: Readonly<Record<string, readonly number[]>> = {
  tinyint: [T.TINY],
  smallint: [T.SHORT],
  mediumint: [T.INT24],
  int: [T.LONG],
  bigint: [T.LONGLONG],
  float: [T.FLOAT],
  double: [T.DOUBLE],
  decimal: [T.NEWDECIMAL, T.DECIMAL],
  date: [T.DATE, T.NEWDATE],
  datetime: [T.DATETIME2, T.DATETIME],
  timestamp: [T.TIMESTAMP2, T.TIMESTAMP],
  time: [T.TIME2, T.TIME],
  year: [T.YEAR],
  bit: [T.BIT],
  char: [T.STRING],
  binary: [T.STRING],
  uuid: [T.STRING],
  inet4: [T.STRING],
  inet6: [T.STRING],
  varchar: [T.VARCHAR, T.VARCHAR_COMPRESSED],
  varbinary: [T.VARCHAR, T.VARCHAR_COMPRESSED],
  enum: [T.ENUM],
  set: [T.SET],
  json: [T.JSON_TYPE, ...TEXT_OR_BLOB],
  tinytext: TEXT_OR_BLOB,
  text: TEXT_OR_BLOB,
  mediumtext: TEXT_OR_BLOB,
  longtext: TEXT_OR_BLOB,
  tinyblob: TEXT_OR_BLOB,
  blob: TEXT_OR_BLOB,
  mediumblob: TEXT_OR_BLOB,
  longblob: TEXT_OR_BLOB,
  geometry: [T.GEOMETRY],
  point: [T.GEOMETRY],
  linestring: [T.GEOMETRY],
  polygon: [T.GEOMETRY],
  multipoint: [T.GEOMETRY],
  multilinestring: [T.GEOMETRY],
  multipolygon: [T.GEOMETRY],
  geometrycollection: [T.GEOMETRY],
};

const TYPE_NAMES: Readonly<Record<number, string>> = {
  [T.DECIMAL]: "decimal",
  [T.TINY]: "tinyint",
  [T.SHORT]: "smallint",
  [T.LONG]: "int",
  [T.FLOAT]: "float",
  [T.DOUBLE]: "double",
  [T.TIMESTAMP]: "timestamp",
  [T.LONGLONG]: "bigint",
  [T.INT24]: "mediumint",
  [T.DATE]: "date",
  [T.TIME]: "time",
  [T.DATETIME]: "datetime",
  [T.YEAR]: "year",
  [T.NEWDATE]: "date",
  [T.VARCHAR]: "varchar",
  [T.BIT]: "bit",
  [T.TIMESTAMP2]: "timestamp",
  [T.DATETIME2]: "datetime",
  [T.TIME2]: "time",
  [T.JSON_TYPE]: "json",
  [T.NEWDECIMAL]: "decimal",
  [T.ENUM]: "enum",
  [T.SET]: "set",
  [T.BLOB]: "blob/text",
  [T.VAR_STRING]: "varchar",
  [T.STRING]: "char/binary",
  [T.GEOMETRY]: "geometry",
  [T.BLOB_COMPRESSED]: "blob/text compressed",
  [T.VARCHAR_COMPRESSED]: "varchar compressed",
};

/** A binlog column's type as far as the binlog tells it, for messages. */
function typeName(column: BinlogColumn): string {
  const name = TYPE_NAMES[column.type] ?? `type ${column.type}`;
  const meta = column.metadata ?? {};
  if (column.type === T.NEWDECIMAL) return `${name}(${meta.precision},${meta.decimals})`;
  if (column.type === T.VARCHAR) return `${name}(${meta.max_length} bytes)`;
  return name;
}
