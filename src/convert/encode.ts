/**
 * Per-column encoders: a decoded MySQL value (from a zongji row event or a mysql2 result, set up
 * with `SOURCE_CONNECTION_OPTIONS` and `patchTableMap`) -> PostgreSQL text input form for the
 * target column's type.
 *
 * `makeEncoder` does all type dispatch and parsing of the column types once; the closure it
 * returns only looks at the value. Values arriving from the two decoders differ in JS type
 * (a BIGINT is a number from one and a string from the other, text is a string from mysql2 and raw
 * bytes from patched zongji) but encode to the same text.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { datetime2Text, decimalText, int64Text } from "./binary.ts";
import { type Decode, decoderFor } from "./charset.ts";
import {
  describeSource,
  describeTarget,
  rule,
  type SourceKind,
  type TargetKind,
} from "./mapping.ts";
import type { LossKind, SourceColumn, TargetColumn } from "./types.ts";

/** Encodes one value; null means SQL NULL. */
export type Encoder = (value: unknown) => string | null;

/**
 * Builds the encoder for values of `source` going into `target`. Throws when the pair is
 * incompatible (`incompatibility()` explains why; `check` reports it before a sync starts).
 *
 * `onLoss` is called for every value that PostgreSQL cannot hold and that is therefore changed:
 * zero or otherwise invalid dates (written as NULL) and NUL characters (removed from text).
 */
export function makeEncoder(
  source: SourceColumn,
  target: TargetColumn,
  onLoss: (what: LossKind, column: string) => void,
): Encoder {
  const s = describeSource(source);
  const t = describeTarget(target.type);
  const reason = rule(s, t);
  if (reason !== null) {
    throw new Error(
      `column ${source.name}: ${source.columnType} cannot go into ${target.type}: ${reason}`,
    );
  }
  const name = source.name;
  const loss = (what: LossKind) => onLoss(what, name);
  const bad = (value: unknown): never => {
    throw new TypeError(
      `column ${name} (${source.columnType}): unexpected ${describeValue(value)}; ` +
        `is the source connection set up with SOURCE_CONNECTION_OPTIONS and patchTableMap?`,
    );
  };
  const inner = build(s, t, loss, bad);
  // Only ENUM sees undefined as a value (zongji's rendering of the invalid-value index 0)
  if (s.kind === "enum") return inner;
  return (value) => value === null || value === undefined ? null : inner(value);
}

type Bad = (value: unknown) => never;
type Loss = (what: LossKind) => void;

function build(s: SourceKind, t: TargetKind, loss: Loss, bad: Bad): Encoder {
  switch (s.kind) {
    case "int": {
      const { unsigned } = s;
      const text: Encoder = s.bits === 64
        ? (v) => v instanceof Uint8Array ? int64Text(v, unsigned) : intText(v, bad)
        : (v) => intText(v, bad);
      if (t.kind === "boolean") return (v) => text(v) === "0" ? "f" : "t";
      return text;
    }
    case "decimal": {
      const { precision, scale } = s;
      return (v) =>
        typeof v === "string"
          ? v
          : v instanceof Uint8Array
          ? decimalText(v, precision, scale)
          : typeof v === "number"
          ? String(v)
          : bad(v);
    }
    case "float":
      return (v) => typeof v === "number" ? float32Text(v) : bad(v);
    case "double":
      return (v) => typeof v === "number" ? doubleText(v) : bad(v);
    case "bit":
      return bitEncoder(s.width, t, bad);
    case "year":
      // zongji renders YEAR 0000 (stored as 0) as 1900, a value YEAR cannot hold otherwise
      return (v) => {
        const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : bad(v);
        return n === 1900 ? "0" : String(n);
      };
    case "date":
      return dateEncoder(t, loss, bad);
    case "datetime":
      return dateTimeEncoder(s.fsp, t, loss, bad);
    case "timestamp":
      return timestampEncoder(t, loss, bad);
    case "time":
      return (v) => typeof v === "string" ? v : bad(v);
    case "text":
      // A MariaDB JSON column seen through the binlog, where it is a plain longtext
      if (t.kind === "json" || t.kind === "jsonb") {
        return jsonEncoder(decoderFor(s.charset)!, t.kind === "jsonb", loss, bad);
      }
      return textEncoder(decoderFor(s.charset)!, loss, bad);
    case "binary":
      // MariaDB's UUID and INET types reach the binlog metadata as binary(16) and binary(4)
      if (t.kind === "uuid") return (v) => uuidText(fixedBytes(v, 16, bad));
      if (t.kind === "inet") {
        return s.maxBytes === 4
          ? (v) => inet4Text(fixedBytes(v, 4, bad))
          : (v) => inet6Text(fixedBytes(v, 16, bad));
      }
      return binaryEncoder(s.fixed ? s.maxBytes : 0, bad);
    case "vector":
      return binaryEncoder(0, bad);
    case "enum":
      return enumEncoder(s.labels, bad);
    case "set":
      return setEncoder(s.labels, bad);
    case "json":
      return jsonEncoder(decodeUtf8, t.kind === "jsonb", loss, bad);
    case "geometry":
      return t.kind === "geometry" ? geometryToEwkb(bad) : geometryToWkb(bad);
    case "uuid":
      return (v) => typeof v === "string" ? v : uuidText(fixedBytes(v, 16, bad));
    case "inet4":
      return (v) => typeof v === "string" ? v : inet4Text(fixedBytes(v, 4, bad));
    case "inet6":
      return (v) => typeof v === "string" ? v : inet6Text(fixedBytes(v, 16, bad));
  }
  throw new Error(`no encoder for ${s.kind}`);
}

function describeValue(value: unknown): string {
  if (value instanceof Date) return "Date object (dateStrings must be true)";
  if (value instanceof Uint8Array) return `${value.length}-byte buffer`;
  if (typeof value === "object") return `${JSON.stringify(value)?.slice(0, 60)} (an object)`;
  return `${typeof value} ${String(value).slice(0, 60)}`;
}

// ---- numbers -------------------------------------------------------------------------------

function intText(v: unknown, bad: Bad): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : bad(v);
  if (typeof v === "string") return v;
  if (typeof v === "bigint") return v.toString();
  return bad(v);
}

/**
 * The shortest decimal that reads back as the same 32-bit float. FLOAT values arrive widened to
 * a double (exactly), whose own shortest form would show spurious digits (0.1 -> 0.10000000149).
 */
export function float32Text(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : v < 0 ? "-Infinity" : "NaN";
  const f = Math.fround(v);
  for (let digits = 1; digits < 9; digits++) {
    const text = f.toPrecision(digits);
    // Number() then String() normalises 1.0e+2 to 100 without changing the digits
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(Number(f.toPrecision(9)));
}

/** JavaScript's own number formatting is the shortest round trip; only -0 needs help. */
export function doubleText(v: number): string {
  if (v === 0 && Object.is(v, -0)) return "-0";
  return String(v);
}

// ---- bit -----------------------------------------------------------------------------------

const BYTE_BITS = Array.from({ length: 256 }, (_, i) => i.toString(2).padStart(8, "0"));

function bitEncoder(width: number, t: TargetKind, bad: Bad): Encoder {
  const bits = (v: unknown): string => {
    if (v instanceof Uint8Array) {
      let text = "";
      for (let i = 0; i < v.length; i++) text += BYTE_BITS[v[i]];
      return text.length >= width ? text.slice(text.length - width) : text.padStart(width, "0");
    }
    if (typeof v === "number" || typeof v === "bigint") {
      return BigInt(v).toString(2).padStart(width, "0");
    }
    return bad(v);
  };
  switch (t.kind) {
    case "boolean":
      return (v) => bits(v).includes("1") ? "t" : "f";
    case "smallint":
    case "integer":
    case "bigint":
    case "numeric":
      return (v) => BigInt("0b" + bits(v)).toString();
  }
  return bits;
}

// ---- dates and times -----------------------------------------------------------------------

const ZERO = 48;

/** Two ASCII digits at `i` as a number (NaN-free for the fixed layouts MySQL prints). */
function digits2(s: string, i: number): number {
  return (s.charCodeAt(i) - ZERO) * 10 + s.charCodeAt(i + 1) - ZERO;
}

/**
 * Classifies the `YYYY-MM-DD` at the start of `s`: 0 valid, 1 valid in year 0 (which PostgreSQL
 * spells 1 BC), -1 a zero or invalid date PostgreSQL cannot hold (`0000-00-00`, `2020-00-10`,
 * `2020-02-31` written under ALLOW_INVALID_DATES).
 *
 * Valid means valid to the server: MySQL/MariaDB's calendar has no leap day in year 0 (strict mode
 * rejects `0000-02-29`, `LAST_DAY('0000-02-01')` is the 28th), although the proleptic Gregorian
 * calendar, and PostgreSQL's 1 BC, has one.
 */
export function dateStatus(s: string): -1 | 0 | 1 {
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return -1;
  const year = digits2(s, 0) * 100 + digits2(s, 2);
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  if (!(month >= 1 && month <= 12 && day >= 1 && year >= 0 && year <= 9999)) return -1;
  if (day > 28) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) && year !== 0;
    const days = month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month];
    if (day > days) return -1;
  }
  return year === 0 ? 1 : 0;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `0000-MM-DD...` as PostgreSQL's `0001-MM-DD... BC` (the same proleptic Gregorian day). */
function yearZero(s: string, suffix: string): string {
  return `0001${s.slice(4)}${suffix} BC`;
}

function asString(v: unknown, bad: Bad): string {
  return typeof v === "string" ? v : bad(v);
}

function dateEncoder(t: TargetKind, loss: Loss, bad: Bad): Encoder {
  return calendarEncoder(t, loss, (v) => asString(v, bad), " 00:00:00+00");
}

function dateTimeEncoder(fsp: number, t: TargetKind, loss: Loss, bad: Bad): Encoder {
  // Binlog DATETIME2 values arrive as raw bytes (see patchTableMap)
  const text = (v: unknown) => v instanceof Uint8Array ? datetime2Text(v, fsp) : asString(v, bad);
  // A DATETIME has no zone; into timestamptz it is taken as UTC so that it reads back unchanged
  return calendarEncoder(t, loss, text, "+00");
}

/**
 * DATE and DATETIME: text as written, year 0 as 1 BC, zero and invalid dates as NULL. `zoneSuffix`
 * completes the value when the target is a timestamptz.
 */
function calendarEncoder(
  t: TargetKind,
  loss: Loss,
  text: (value: unknown) => string,
  zoneSuffix: string,
): Encoder {
  if (isText(t)) return text;
  const suffix = t.kind === "timestamp" && t.tz ? zoneSuffix : "";
  return (v) => {
    const s = text(v);
    switch (dateStatus(s)) {
      case 0:
        return suffix ? s + suffix : s;
      case 1:
        return yearZero(s, suffix);
    }
    loss("zero-date");
    return null;
  };
}

/**
 * TIMESTAMP values arrive as UTC wall time (binlog: epoch seconds rendered with timezone 'Z';
 * SELECT: session time_zone '+00:00'); the explicit +00 makes PostgreSQL independent of its own
 * TimeZone setting.
 */
function timestampEncoder(t: TargetKind, loss: Loss, bad: Bad): Encoder {
  const withZone = isText(t) || (t.kind === "timestamp" && t.tz);
  return (v) => {
    let s = asString(v, bad);
    if (dateStatus(s) !== 0) {
      if (isText(t)) return s;
      loss("zero-date");
      return null;
    }
    // zongji reads the epoch seconds as signed 32-bit; MariaDB 11.5+ stores up to 2106
    if (s.charCodeAt(0) === 49 && s < "1970") s = unwrapEpoch(s);
    return withZone ? s + "+00" : s;
  };
}

/** A UTC `YYYY-MM-DD HH:MM:SS[.f]` that wrapped below 1970, moved forward by 2^32 seconds. */
export function unwrapEpoch(s: string): string {
  const ms = Date.UTC(
    Number(s.slice(0, 4)),
    Number(s.slice(5, 7)) - 1,
    Number(s.slice(8, 10)),
    Number(s.slice(11, 13)),
    Number(s.slice(14, 16)),
    Number(s.slice(17, 19)),
  ) + 2 ** 32 * 1000;
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ") + s.slice(19);
}

function isText(t: TargetKind): boolean {
  return t.kind === "text" || t.kind === "varchar" || t.kind === "char";
}

// ---- text and binary -----------------------------------------------------------------------

function stripNul(s: string, loss: Loss): string {
  if (!s.includes("\u0000")) return s;
  loss("nul-byte");
  return s.replaceAll("\u0000", "");
}

function textEncoder(decode: Decode, loss: Loss, bad: Bad): Encoder {
  return (v) => {
    if (typeof v === "string") return stripNul(v, loss);
    if (v instanceof Uint8Array) return stripNul(decode(v), loss);
    return bad(v);
  };
}

function bytesOf(v: unknown, bad: Bad): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return bad(v);
}

/** The bytes of a BINARY(n)-like value, zero bytes the binlog dropped at the end put back. */
function fixedBytes(v: unknown, width: number, bad: Bad): Buffer {
  const bytes = bytesOf(v, bad);
  if (bytes.length >= width) return bytes;
  const padded = Buffer.alloc(width);
  bytes.copy(padded);
  return padded;
}

/**
 * bytea hex input. `fixed`: BINARY(n) width, restored because the binlog drops trailing zero
 * bytes that a SELECT returns.
 */
function binaryEncoder(fixed: number, bad: Bad): Encoder {
  return (v) => {
    const bytes = bytesOf(v, bad);
    const hex = bytes.toString("hex");
    return fixed > bytes.length ? "\\x" + hex.padEnd(fixed * 2, "0") : "\\x" + hex;
  };
}

function enumEncoder(labels: readonly string[], bad: Bad): Encoder {
  return (v) => {
    if (typeof v === "string") return v;
    if (v === null) return null;
    // Index 0 is the empty "invalid value" MySQL stores for bad input outside strict mode
    if (v === undefined) return "";
    if (typeof v === "number") return v === 0 ? "" : labels[v - 1] ?? bad(v);
    return bad(v);
  };
}

function setEncoder(labels: readonly string[], bad: Bad): Encoder {
  return (v) => {
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "bigint") {
      const mask = BigInt(v);
      const chosen: string[] = [];
      for (let i = 0; i < labels.length; i++) if ((mask >> BigInt(i)) & 1n) chosen.push(labels[i]);
      return chosen.join(",");
    }
    return bad(v);
  };
}

// ---- JSON ----------------------------------------------------------------------------------

const decodeUtf8 = decoderFor("utf8mb4")!;

function jsonEncoder(decode: Decode, jsonb: boolean, loss: Loss, bad: Bad): Encoder {
  return (v) => {
    // Parsed JSON (jsonStrings off) has already lost big integers; refuse rather than guess
    const text = typeof v === "string" ? v : v instanceof Uint8Array ? decode(v) : bad(v);
    const clean = stripNul(text, loss);
    if (!jsonb || !clean.includes("\\u0000")) return clean;
    const kept = dropNulEscapes(clean);
    if (kept.length !== clean.length) loss("nul-byte");
    return kept;
  };
}

/**
 * jsonb cannot store U+0000 and rejects the `\u0000` escape; remove those escapes (they only occur
 * inside strings, so the document stays valid). An escaped backslash before `u0000` is not one.
 */
export function dropNulEscapes(json: string): string {
  let out = "";
  let from = 0;
  for (let i = json.indexOf("\\u0000"); i >= 0; i = json.indexOf("\\u0000", i + 1)) {
    let slashes = 0;
    while (i - slashes - 1 >= 0 && json.charCodeAt(i - slashes - 1) === 92) slashes++;
    if (slashes % 2 === 1) continue;
    out += json.slice(from, i);
    from = i + 6;
  }
  return out + json.slice(from);
}

// ---- geometry ------------------------------------------------------------------------------

/** MySQL stores a geometry as a 4-byte little-endian SRID followed by WKB. */
function geometryBytes(v: unknown, bad: Bad): Buffer {
  const bytes = bytesOf(v, bad);
  return bytes.length >= 9 ? bytes : bad(v);
}

function geometryToWkb(bad: Bad): Encoder {
  return (v) => "\\x" + geometryBytes(v, bad).subarray(4).toString("hex");
}

/** PostGIS reads hex EWKB: the WKB with the SRID flag and value in the header. */
function geometryToEwkb(bad: Bad): Encoder {
  return (v) => {
    const bytes = geometryBytes(v, bad);
    const srid = bytes.readUInt32LE(0);
    const wkb = bytes.subarray(4);
    if (srid === 0) return wkb.toString("hex");
    const little = wkb[0] === 1;
    const head = Buffer.alloc(9);
    head[0] = wkb[0];
    const type = (little ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1)) | 0x20000000;
    if (little) {
      head.writeUInt32LE(type >>> 0, 1);
      head.writeUInt32LE(srid, 5);
    } else {
      head.writeUInt32BE(type >>> 0, 1);
      head.writeUInt32BE(srid, 5);
    }
    return head.toString("hex") + wkb.subarray(5).toString("hex");
  };
}

// ---- MariaDB uuid / inet -------------------------------------------------------------------

function uuidText(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function inet4Text(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * The server's own INET6 text: RFC 5952 (lower-case hex, the longest run of two or more zero
 * groups shortened to `::`, the first such run on a tie), IPv4-mapped and IPv4-compatible
 * addresses in dotted form.
 */
export function inet6Text(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0)) {
    const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    if (b[10] === 0xff && b[11] === 0xff) return `::ffff:${v4}`;
    if (b[10] === 0 && b[11] === 0 && b.readUInt32BE(12) > 1) return `::${v4}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  const text = `:${parts.join(":")}:`;
  let longest = "";
  for (const run of text.match(ZERO_RUNS) ?? []) if (run.length > longest.length) longest = run;
  if (longest === "") return parts.join(":");
  const at = text.indexOf(longest);
  const head = text.slice(1, at);
  const tail = text.slice(at + longest.length, -1);
  return `${head}::${tail}`;
}

/** Two or more zero groups, with their delimiting colons, in `:g:g:...:g:` form. */
const ZERO_RUNS = /:0(?::0)+:/g;
