/**
 * Column descriptions shared by the conversion layer: what a MySQL column is (from the binlog's own
 * metadata or from INFORMATION_SCHEMA) and what PostgreSQL column receives it; and the signatures
 * of the encoders built for such a pair.
 *
 * @module
 */

/** A MySQL/MariaDB column as the converter needs to know it. */
export interface SourceColumn {
  name: string;
  /** MySQL COLUMN_TYPE in lower case, e.g. `decimal(10,2) unsigned`, `enum('a','b')`. */
  columnType: string;
  /** MySQL DATA_TYPE in lower case, e.g. `decimal`, `varchar`, `longtext`. */
  dataType: string;
  unsigned: boolean;
  /** Character set of a text column (`utf8mb4`, `latin1`, ...); null for non-text and binary. */
  charset: string | null;
  nullable: boolean;
  /** Generated (virtual or stored) column; its values still arrive in row images. */
  generated?: boolean;
  /**
   * Set when a MariaDB `longtext` is really the JSON alias (it carries `CHECK (json_valid(..))`),
   * which only the catalog can tell; MySQL reports `json` as the data type itself.
   */
  json?: boolean;
  /**
   * ENUM/SET labels in definition order when known exactly (the binlog's FULL metadata carries
   * them); otherwise they are parsed from `columnType`.
   */
  labels?: readonly string[];
}

/** A PostgreSQL column: its name and its type as `format_type()` prints it. */
export interface TargetColumn {
  name: string;
  /** e.g. `numeric(10,2)`, `timestamp(6) without time zone`, `boolean`, `bytea`. */
  type: string;
}

/** A value that PostgreSQL cannot hold and that was therefore changed. */
export type LossKind = "zero-date" | "nul-byte";

/** Reports a changed value; called once per affected value (count it, log it once). */
export type LossHandler = (what: LossKind, column: string) => void;

/** Encodes one value; null means SQL NULL. */
export type Encoder = (value: unknown) => string | null;

/** Reports a changed value of the column being encoded (a {@link LossHandler} bound to it). */
export type ReportLoss = (what: LossKind) => void;

/**
 * Throws for a value of a JS type that the configured decoders never give for the column: a
 * misconfigured source connection, which must stop the sync rather than write a guess.
 */
export type RejectValue = (value: unknown) => never;

/** The shape of zongji's `tableMap[id].columnSchemas` entries that we read. */
export interface ZongJiColumnSchema {
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  CHARACTER_SET_NAME: string | null;
  UNSIGNED?: boolean;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

/**
 * Source columns from zongji's column schemas (binlog FULL metadata, or its INFORMATION_SCHEMA
 * fallback).
 *
 * The binlog does not carry everything the catalog knows: `tinyint(1)` arrives as `tinyint`, a
 * MariaDB JSON column as plain `longtext`, nullability and generation are absent. And zongji 0.9
 * assigns wrong character sets on MariaDB to text columns that follow a geometry column (see
 * `patchTableMap`, which repairs them when it can). Prefer catalog columns where available.
 */
export function sourceColumnsFromSchema(
  columnSchemas: readonly ZongJiColumnSchema[],
): SourceColumn[] {
  return columnSchemas.map((schema) => {
    const columnType = lowerTypeText(schema.COLUMN_TYPE);
    const column: SourceColumn = {
      name: schema.COLUMN_NAME,
      columnType,
      dataType: dataTypeOf(columnType),
      unsigned: schema.UNSIGNED ?? UNSIGNED_WORD.test(columnType),
      charset: schema.CHARACTER_SET_NAME?.toLowerCase() ?? null,
      nullable: true,
    };
    const labels = schema.ENUM_VALUES ?? schema.SET_VALUES;
    if (labels) column.labels = labels;
    return column;
  });
}

/** One row of {@link informationSchemaColumnsSql}. */
export interface InformationSchemaColumn {
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  DATA_TYPE: string;
  CHARACTER_SET_NAME: string | null;
  IS_NULLABLE: string;
  /** `VIRTUAL GENERATED`, `STORED GENERATED`, `auto_increment`, ... */
  EXTRA?: string | null;
  /** 1 when a MariaDB column carries the `json_valid` check of the JSON alias. */
  IS_JSON?: number | string | null;
}

/** Source columns from INFORMATION_SCHEMA.COLUMNS rows, in the order given. */
export function sourceColumnsFromInformationSchema(
  rows: readonly InformationSchemaColumn[],
): SourceColumn[] {
  return rows.map((row) => {
    const columnType = lowerTypeText(row.COLUMN_TYPE);
    const extra = (row.EXTRA ?? "").toUpperCase();
    const column: SourceColumn = {
      name: row.COLUMN_NAME,
      columnType,
      dataType: row.DATA_TYPE.toLowerCase(),
      unsigned: UNSIGNED_WORD.test(columnType),
      charset: row.CHARACTER_SET_NAME?.toLowerCase() ?? null,
      nullable: row.IS_NULLABLE.toUpperCase() === "YES",
    };
    if (extra.includes("GENERATED")) column.generated = true;
    if (Number(row.IS_JSON ?? 0) === 1) column.json = true;
    return column;
  });
}

/**
 * The INFORMATION_SCHEMA query behind {@link sourceColumnsFromInformationSchema}, with two `?`
 * placeholders (schema, table). MariaDB needs the CHECK_CONSTRAINTS lookup to recognise JSON;
 * MySQL's CHECK_CONSTRAINTS has no TABLE_NAME column, so the flavours differ.
 */
export function informationSchemaColumnsSql(flavor: "mariadb" | "mysql"): string {
  const isJson = flavor === "mariadb"
    ? `(c.DATA_TYPE = 'longtext' AND EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k
          WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
            AND k.CHECK_CLAUSE = CONCAT('json_valid(\`', REPLACE(c.COLUMN_NAME, '\`', '\`\`'), '\`)')))`
    : "(c.DATA_TYPE = 'json')";
  return `SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.DATA_TYPE, c.CHARACTER_SET_NAME, c.IS_NULLABLE,
       c.EXTRA, ${isJson} AS IS_JSON
  FROM information_schema.COLUMNS c
 WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ?
 ORDER BY c.ORDINAL_POSITION`;
}

const UNSIGNED_WORD = /\bunsigned\b/;
const DATA_TYPE_WORD = /^[a-z0-9_]+/;

/** The leading type word of a COLUMN_TYPE (`decimal(10,2) unsigned` -> `decimal`). */
export function dataTypeOf(columnType: string): string {
  const word = DATA_TYPE_WORD.exec(columnType.toLowerCase())?.[0] ?? columnType;
  // MySQL 8 spells it geomcollection; MariaDB and INFORMATION_SCHEMA mostly geometrycollection
  return word === "geomcollection" ? "geometrycollection" : word;
}

/** COLUMN_TYPE in lower case except inside quotes, where ENUM/SET labels keep their case. */
export function lowerTypeText(columnType: string): string {
  const text = columnType.trim();
  if (!text.includes("'")) return text.toLowerCase();
  return text.replace(
    /('(?:[^'\\]|''|\\.)*')|[^']+/g,
    (part, quoted) => quoted ? part : part.toLowerCase(),
  );
}
