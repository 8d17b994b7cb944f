/**
 * The compatibility rules for target columns that a user created with a type of their own
 * choosing: which source kinds each target kind holds exactly, and why not when it does not.
 *
 * @module
 */
import { charsetSupport } from "./charset.ts";
import { describeSource, LONGTEXT_CHARS, type SourceKind } from "./source_kind.ts";
import { describeTarget, type TargetKind } from "./target_kind.ts";
import type { SourceColumn } from "./types.ts";

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
