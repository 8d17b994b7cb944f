/**
 * MySQL -> PostgreSQL type mapping (DESIGN section 4) and the compatibility check for target
 * columns that a user created with a type of their own choosing.
 *
 * @module
 */
import { charsetSupport } from "./charset.ts";
import type { SourceColumn } from "./types.ts";

/** What a source column holds, parsed once from its MySQL type. */
export type SourceKind =
  | { kind: "int"; bits: 8 | 16 | 24 | 32 | 64; unsigned: boolean }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "float" }
  | { kind: "double" }
  | { kind: "bit"; width: number }
  | { kind: "year" }
  | { kind: "date" }
  | { kind: "datetime"; fsp: number }
  | { kind: "timestamp"; fsp: number }
  | { kind: "time"; fsp: number }
  /** `maxChars`: the most characters a value can have; `fixed` for CHAR(n). */
  | { kind: "text"; charset: string; maxChars: number; fixed: boolean; long: boolean }
  | { kind: "binary"; maxBytes: number; fixed: boolean }
  | { kind: "enum"; labels: readonly string[] }
  | { kind: "set"; labels: readonly string[] }
  | { kind: "json" }
  | { kind: "geometry"; subtype: string }
  | { kind: "uuid" }
  | { kind: "inet4" }
  | { kind: "inet6" }
  | { kind: "vector" }
  | { kind: "unknown"; reason: string };

/** What a target column accepts, parsed once from its PostgreSQL type. */
export type TargetKind =
  | { kind: "smallint" }
  | { kind: "integer" }
  | { kind: "bigint" }
  /** precision null: unconstrained `numeric`. */
  | { kind: "numeric"; precision: number | null; scale: number }
  | { kind: "real" }
  | { kind: "double" }
  | { kind: "boolean" }
  | { kind: "bit"; width: number }
  | { kind: "varbit"; width: number | null }
  | { kind: "date" }
  | { kind: "timestamp"; fsp: number; tz: boolean }
  | { kind: "time"; fsp: number; tz: boolean }
  /** `fields`: restricted to some fields (`interval day`), which truncates. */
  | { kind: "interval"; fsp: number; fields: boolean }
  | { kind: "text" }
  | { kind: "varchar"; length: number | null }
  | { kind: "char"; length: number }
  | { kind: "bytea" }
  | { kind: "json" }
  | { kind: "jsonb" }
  | { kind: "uuid" }
  | { kind: "inet" }
  | { kind: "geometry" }
  | { kind: "other"; name: string };

/** Options of {@link pgTypeFor}. */
export interface MappingOptions {
  /** PostGIS is installed in the target: geometry columns become `geometry`, not `bytea`. */
  postgis?: boolean;
}

/**
 * The PostgreSQL type (as `format_type()` spells it) for a target column created for `source`.
 * Throws for a MySQL type we cannot convert.
 */
export function pgTypeFor(source: SourceColumn, options: MappingOptions = {}): string {
  const s = describeSource(source);
  switch (s.kind) {
    case "int":
      switch (s.bits) {
        case 8:
          return "smallint";
        case 16:
          return s.unsigned ? "integer" : "smallint";
        case 24:
          return "integer";
        case 32:
          return s.unsigned ? "bigint" : "integer";
        case 64:
          return s.unsigned ? "numeric(20,0)" : "bigint";
      }
      break;
    case "decimal":
      return `numeric(${s.precision},${s.scale})`;
    case "float":
      return "real";
    case "double":
      return "double precision";
    case "bit":
      return `bit(${s.width})`;
    case "year":
      return "smallint";
    case "date":
      return "date";
    case "datetime":
      return `timestamp(${s.fsp}) without time zone`;
    case "timestamp":
      return `timestamp(${s.fsp}) with time zone`;
    case "time":
      return "interval";
    case "text":
      if (s.long || s.maxChars === 0) return "text";
      return s.fixed ? `character(${s.maxChars})` : `character varying(${s.maxChars})`;
    case "binary":
    case "vector":
      return "bytea";
    case "enum":
    case "set":
      return "text";
    case "json":
      return "jsonb";
    case "geometry":
      return options.postgis ? "geometry" : "bytea";
    case "uuid":
      return "uuid";
    case "inet4":
    case "inet6":
      return "inet";
    case "unknown":
      throw new Error(`column ${source.name}: ${s.reason}`);
  }
  throw new Error(`column ${source.name}: unmapped type ${source.columnType}`);
}

/**
 * Why a target column of type `target.type` cannot receive `source`'s values exactly, as one line
 * for `check`; null when it can (the default mapping and the compatible alternates: text or
 * varchar for enum/set/json, boolean for tinyint, numeric for any integer, and so on).
 */
export function incompatibility(source: SourceColumn, target: { type: string }): string | null {
  const s = describeSource(source);
  const t = describeTarget(target.type);
  const reason = rule(s, t);
  return reason === null ? null : `${source.columnType} into ${target.type}: ${reason}`;
}

/** The rule behind {@link incompatibility}, on parsed kinds. */
export function rule(s: SourceKind, t: TargetKind): string | null {
  if (s.kind === "unknown") return s.reason;
  if (t.kind === "other") return `unsupported target type ${t.name}`;
  if (s.kind === "text" && charsetSupport(s.charset) === "unsupported") {
    return `cannot decode character set ${s.charset}`;
  }
  const anyText = textFits(t, maxTextLength(s));
  switch (s.kind) {
    case "int": {
      const digits = INT_DIGITS[s.bits][s.unsigned ? 1 : 0];
      const [min, max] = intRange(s.bits, s.unsigned);
      switch (t.kind) {
        case "smallint":
          return fitsInt(min, max, 16);
        case "integer":
          return fitsInt(min, max, 32);
        case "bigint":
          return fitsInt(min, max, 64);
        case "numeric":
          return numericFits(t, digits, 0);
        case "real":
          return s.bits <= 24 ? null : "real keeps only 24 bits; values would be rounded";
        case "double":
          return s.bits <= 32
            ? null
            : "double precision keeps only 53 bits; values would be rounded";
        case "boolean":
          return s.bits === 8 ? null : "only tinyint (MySQL's BOOL) maps to boolean";
      }
      return anyText;
    }
    case "decimal": {
      const integral = s.precision - s.scale;
      switch (t.kind) {
        case "numeric":
          return numericFits(t, integral, s.scale);
        case "smallint":
        case "integer":
        case "bigint": {
          if (s.scale > 0) return "the fraction would be cut off";
          const limit = t.kind === "smallint" ? 4 : t.kind === "integer" ? 9 : 18;
          return s.precision <= limit ? null : `${s.precision} digits do not fit ${t.kind}`;
        }
        case "double":
          return s.precision <= 15 ? null : "double precision keeps only 15 significant digits";
        case "real":
          return s.precision <= 6 ? null : "real keeps only 6 significant digits";
      }
      return anyText;
    }
    case "float":
      if (t.kind === "real" || t.kind === "double") return null;
      if (t.kind === "numeric") {
        return t.precision === null ? null : "use unconstrained numeric (float ranges to 3.4e38)";
      }
      return anyText;
    case "double":
      if (t.kind === "double") return null;
      if (t.kind === "real") return "real keeps only 24 bits; values would be rounded";
      if (t.kind === "numeric") {
        return t.precision === null ? null : "use unconstrained numeric (double ranges to 1.8e308)";
      }
      return anyText;
    case "bit": {
      switch (t.kind) {
        case "bit":
          return t.width === s.width
            ? null
            : `bit(${t.width}) must have the source's width ${s.width}`;
        case "varbit":
          return t.width === null || t.width >= s.width ? null : `shorter than ${s.width} bits`;
        case "boolean":
          return s.width === 1 ? null : "only bit(1) maps to boolean";
        case "smallint":
        case "integer":
        case "bigint": {
          const bits = t.kind === "smallint" ? 15 : t.kind === "integer" ? 31 : 63;
          return s.width <= bits ? null : `${s.width} bits do not fit ${t.kind}`;
        }
        case "numeric":
          return numericFits(t, Math.ceil(s.width * Math.LOG10E * Math.LN2), 0);
      }
      return anyText;
    }
    case "year":
      switch (t.kind) {
        case "smallint":
        case "integer":
        case "bigint":
        case "real":
        case "double":
          return null;
        case "numeric":
          return numericFits(t, 4, 0);
      }
      return anyText;
    case "date":
      if (t.kind === "date" || t.kind === "timestamp") return null;
      return anyText;
    case "datetime":
    case "timestamp":
      if (t.kind === "timestamp") {
        return t.fsp >= s.fsp ? null : `fractional seconds would be rounded to ${t.fsp} digits`;
      }
      if (t.kind === "date") return "the time of day would be lost";
      return anyText;
    case "time":
      if (t.kind === "interval") {
        if (t.fields) return "an interval restricted to some fields truncates values";
        return t.fsp >= s.fsp ? null : `fractional seconds would be rounded to ${t.fsp} digits`;
      }
      if (t.kind === "time") return "MySQL TIME spans -838:59:59 to 838:59:59; use interval";
      return anyText;
    case "text":
      if (t.kind === "char" && !s.fixed) {
        return "character(n) drops trailing spaces that varchar and text keep";
      }
      if ((t.kind === "json" || t.kind === "jsonb") && s.long && s.maxChars >= LONGTEXT_CHARS) {
        // MariaDB's JSON is a longtext alias; the binlog cannot tell them apart
        return null;
      }
      return anyText;
    case "binary":
      if (t.kind === "bytea") return null;
      if (t.kind === "uuid") {
        return s.fixed && s.maxBytes === 16 ? null : "only binary(16) holds a UUID";
      }
      if (t.kind === "inet") {
        // how MariaDB's INET4/INET6 appear in binlog metadata
        return s.fixed && (s.maxBytes === 4 || s.maxBytes === 16)
          ? null
          : "only binary(4) and binary(16) hold an address";
      }
      return "binary data needs bytea";
    case "vector":
      return t.kind === "bytea" ? null : "vector data needs bytea";
    case "enum":
    case "set":
      if (t.kind === "char" && s.kind === "set") {
        return "character(n) pads the label list with spaces";
      }
      return anyText;
    case "json":
      if (t.kind === "jsonb" || t.kind === "json" || t.kind === "text") return null;
      if (t.kind === "varchar" && t.length === null) return null;
      return "JSON needs jsonb, json or text";
    case "geometry":
      if (t.kind === "bytea" || t.kind === "geometry") return null;
      return "geometry needs bytea (WKB) or PostGIS geometry";
    case "uuid":
      if (t.kind === "uuid") return null;
      return anyText;
    case "inet4":
    case "inet6":
      if (t.kind === "inet") return null;
      return anyText;
  }
  return "no conversion";
}

/** null when a text-like target column holds every text form up to `length` characters. */
function textFits(t: TargetKind, length: number | null): string | null {
  switch (t.kind) {
    case "text":
      return null;
    case "varchar":
    case "char":
      if (length === null) return `values can be longer than ${t.length ?? "its"} characters`;
      if (t.length === null || t.length >= length) return null;
      return `values can be ${length} characters long, longer than ${t.length}`;
  }
  return `${t.kind} cannot hold these values`;
}

const LONGTEXT_CHARS = 4294967295;

/** The longest text form of a source value, null when unbounded or unknown. */
function maxTextLength(s: SourceKind): number | null {
  switch (s.kind) {
    case "int":
      return INT_DIGITS[s.bits][s.unsigned ? 1 : 0] + (s.unsigned ? 0 : 1);
    case "decimal":
      return s.precision + (s.scale > 0 ? 1 : 0) + 1 + (s.precision === s.scale ? 1 : 0);
    case "float":
      return 15; // -1.17549435e-38
    case "double":
      return 24; // -2.2250738585072014e-308
    case "bit":
      return s.width;
    case "year":
      return 4;
    case "date":
      return 10;
    case "datetime":
      return 19 + (s.fsp ? s.fsp + 1 : 0);
    case "timestamp":
      return 22 + (s.fsp ? s.fsp + 1 : 0);
    case "time":
      return 10 + (s.fsp ? s.fsp + 1 : 0);
    case "text":
      return s.maxChars;
    case "enum":
      return Math.max(0, ...s.labels.map((l) => [...l].length));
    case "set":
      return s.labels.reduce((n, l) => n + [...l].length, 0) + Math.max(0, s.labels.length - 1);
    case "uuid":
      return 36;
    case "inet4":
      return 15;
    case "inet6":
      return 45;
  }
  return null;
}

const INT_DIGITS: Readonly<Record<8 | 16 | 24 | 32 | 64, readonly [number, number]>> = {
  8: [3, 3],
  16: [5, 5],
  24: [7, 8],
  32: [10, 10],
  64: [19, 20],
};

function intRange(bits: number, unsigned: boolean): [bigint, bigint] {
  const b = BigInt(bits);
  return unsigned ? [0n, (1n << b) - 1n] : [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n];
}

function fitsInt(min: bigint, max: bigint, bits: number): string | null {
  const [lo, hi] = intRange(bits, false);
  return min >= lo && max <= hi ? null : `values up to ${max} do not fit`;
}

function numericFits(
  t: { precision: number | null; scale: number },
  integral: number,
  scale: number,
): string | null {
  if (t.precision === null) return null;
  if (t.scale < scale) {
    return `numeric(${t.precision},${t.scale}) would round to ${t.scale} decimals`;
  }
  if (t.precision - t.scale < integral) {
    return `numeric(${t.precision},${t.scale}) holds only ${t.precision - t.scale} integer digits`;
  }
  return null;
}

const INT_BITS: Readonly<Record<string, 8 | 16 | 24 | 32 | 64>> = {
  tinyint: 8,
  bool: 8,
  boolean: 8,
  smallint: 16,
  mediumint: 24,
  int: 32,
  integer: 32,
  bigint: 64,
};

const TEXT_LIMITS: Readonly<Record<string, number>> = {
  tinytext: 255,
  text: 65535,
  mediumtext: 16777215,
  longtext: LONGTEXT_CHARS,
};

const BLOB_LIMITS: Readonly<Record<string, number>> = {
  tinyblob: 255,
  blob: 65535,
  mediumblob: 16777215,
  longblob: 4294967295,
};

const GEOMETRY_TYPES = new Set([
  "geometry",
  "point",
  "linestring",
  "polygon",
  "multipoint",
  "multilinestring",
  "multipolygon",
  "geometrycollection",
  "geomcollection",
]);

const ARGS = /\(([^)]*)\)/;

/** The numbers in the first parenthesis of a type (`decimal(10,2)` -> [10, 2]). */
function typeArgs(columnType: string): number[] {
  const inner = ARGS.exec(columnType)?.[1];
  if (inner === undefined || inner.includes("'")) return [];
  return inner.split(",").map((part) => Number(part.trim()));
}

/** Parses a source column's type once (the encoder and the checks share it). */
export function describeSource(source: SourceColumn): SourceKind {
  const type = source.dataType.toLowerCase();
  const args = typeArgs(source.columnType);
  const bits = INT_BITS[type];
  if (bits !== undefined) return { kind: "int", bits, unsigned: source.unsigned };
  switch (type) {
    case "decimal":
    case "numeric":
    case "dec":
    case "fixed":
      return { kind: "decimal", precision: args[0] ?? 10, scale: args[1] ?? 0 };
    case "float":
      return { kind: "float" };
    case "double":
    case "real":
      return { kind: "double" };
    case "bit":
      return { kind: "bit", width: args[0] ?? 1 };
    case "year":
      return { kind: "year" };
    case "date":
      return { kind: "date" };
    case "datetime":
      return { kind: "datetime", fsp: args[0] ?? 0 };
    case "timestamp":
      return { kind: "timestamp", fsp: args[0] ?? 0 };
    case "time":
      return { kind: "time", fsp: args[0] ?? 0 };
    case "enum":
    case "set": {
      const labels = source.labels ?? parseLabels(source.columnType);
      return type === "enum" ? { kind: "enum", labels } : { kind: "set", labels };
    }
    case "json":
      return { kind: "json" };
    case "uuid":
      return { kind: "uuid" };
    case "inet4":
      return { kind: "inet4" };
    case "inet6":
      return { kind: "inet6" };
    case "vector":
      return { kind: "vector" };
  }
  if (GEOMETRY_TYPES.has(type)) return { kind: "geometry", subtype: type };
  const binaryCharset = source.charset === null || source.charset === "binary";
  if (type === "char" || type === "varchar") {
    const length = args[0] ?? 1;
    if (binaryCharset) return { kind: "binary", maxBytes: length, fixed: type === "char" };
    return {
      kind: "text",
      charset: source.charset!,
      maxChars: length,
      fixed: type === "char",
      long: false,
    };
  }
  if (type === "binary" || type === "varbinary") {
    return { kind: "binary", maxBytes: args[0] ?? 1, fixed: type === "binary" };
  }
  const textLimit = TEXT_LIMITS[type];
  if (textLimit !== undefined) {
    if (source.json) return { kind: "json" };
    if (binaryCharset) return { kind: "binary", maxBytes: textLimit, fixed: false };
    return {
      kind: "text",
      charset: source.charset!,
      maxChars: textLimit,
      fixed: false,
      long: true,
    };
  }
  const blobLimit = BLOB_LIMITS[type];
  if (blobLimit !== undefined) return { kind: "binary", maxBytes: blobLimit, fixed: false };
  return { kind: "unknown", reason: `unsupported MySQL type ${source.columnType}` };
}

/**
 * ENUM/SET labels from a COLUMN_TYPE such as `enum('a','it''s','a\\b')`: quotes doubled, and
 * INFORMATION_SCHEMA's backslash escapes undone.
 */
export function parseLabels(columnType: string): string[] {
  const open = columnType.indexOf("(");
  const labels: string[] = [];
  let i = open + 1;
  while (i > 0 && i < columnType.length) {
    while (columnType[i] === " " || columnType[i] === ",") i++;
    if (columnType[i] !== "'") break;
    let label = "";
    i++;
    while (i < columnType.length) {
      const c = columnType[i];
      if (c === "'" && columnType[i + 1] === "'") {
        label += "'";
        i += 2;
      } else if (c === "'") {
        i++;
        break;
      } else if (c === "\\" && i + 1 < columnType.length) {
        label += BACKSLASH_ESCAPES[columnType[i + 1]] ?? columnType[i + 1];
        i += 2;
      } else {
        label += c;
        i++;
      }
    }
    labels.push(label);
  }
  return labels;
}

const BACKSLASH_ESCAPES: Readonly<Record<string, string>> = {
  "0": "\u0000",
  n: "\n",
  r: "\r",
  t: "\t",
  b: "\b",
  Z: "\u001a",
};

const TARGET_TYPE =
  /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?(\s+(?:with|without) time zone)?$/;
const INTERVAL_FIELDS = /^interval\s+(year|month|day|hour|minute|second)/;

/** Parses a PostgreSQL type name (`format_type()` output, or a common alias). */
export function describeTarget(type: string): TargetKind {
  let text = type.trim().toLowerCase().replace(/\s+/g, " ");
  if (text.endsWith("[]")) return { kind: "other", name: type };
  text = text.replace(/^(?:pg_catalog|public)\./, "");
  if (text === "geometry" || text.startsWith("geometry(")) return { kind: "geometry" };
  if (text.startsWith("interval")) {
    const fields = INTERVAL_FIELDS.test(text);
    const p = /\((\d+)\)/.exec(text)?.[1];
    return { kind: "interval", fsp: p === undefined ? 6 : Number(p), fields };
  }
  const m = TARGET_TYPE.exec(text);
  if (!m) return { kind: "other", name: type };
  const [, base, a, b, zone] = m;
  const n = a === undefined ? null : Number(a);
  switch (base) {
    case "smallint":
    case "int2":
      return { kind: "smallint" };
    case "integer":
    case "int":
    case "int4":
      return { kind: "integer" };
    case "bigint":
    case "int8":
      return { kind: "bigint" };
    case "numeric":
    case "decimal":
      return { kind: "numeric", precision: n, scale: b === undefined ? 0 : Number(b) };
    case "real":
    case "float4":
      return { kind: "real" };
    case "double precision":
    case "float8":
      return { kind: "double" };
    case "float":
      return n !== null && n <= 24 ? { kind: "real" } : { kind: "double" };
    case "boolean":
    case "bool":
      return { kind: "boolean" };
    case "bit":
      return { kind: "bit", width: n ?? 1 };
    case "bit varying":
    case "varbit":
      return { kind: "varbit", width: n };
    case "date":
      return { kind: "date" };
    case "timestamp":
      return { kind: "timestamp", fsp: n ?? 6, tz: zone?.includes("with time") === true };
    case "timestamptz":
      return { kind: "timestamp", fsp: n ?? 6, tz: true };
    case "time":
      return { kind: "time", fsp: n ?? 6, tz: zone?.includes("with time") === true };
    case "timetz":
      return { kind: "time", fsp: n ?? 6, tz: true };
    case "text":
      return { kind: "text" };
    case "character varying":
    case "varchar":
      return { kind: "varchar", length: n };
    case "character":
    case "char":
    case "bpchar":
      return { kind: "char", length: n ?? 1 };
    case "bytea":
      return { kind: "bytea" };
    case "json":
      return { kind: "json" };
    case "jsonb":
      return { kind: "jsonb" };
    case "uuid":
      return { kind: "uuid" };
    case "inet":
      return { kind: "inet" };
  }
  return { kind: "other", name: type };
}
