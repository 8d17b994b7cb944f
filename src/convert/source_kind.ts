/**
 * What a MySQL column holds, parsed once from its type (`describeSource`): the integer width, the
 * decimal precision, the character set and length of text, the ENUM/SET labels, and so on. The
 * encoders, the type mapping and the compatibility rules all start from it.
 *
 * @module
 */
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

/** The most characters a LONGTEXT holds; MariaDB's JSON is a LONGTEXT of this length. */
export const LONGTEXT_CHARS = 4294967295;

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
