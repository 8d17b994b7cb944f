/**
 * Per-column encoders: a decoded MySQL value (from a zongji row event or a mysql2 result, set up
 * with `SOURCE_CONNECTION_OPTIONS` and `patchTableMap`) -> PostgreSQL text input form for the
 * target column's type.
 *
 * `makeEncoder` does all type dispatch and parsing of the column types once; the closure it
 * returns only looks at the value. Values arriving from the two decoders differ in JS type
 * (a BIGINT is a number from one and a string from the other, text is a string from mysql2 and raw
 * bytes from patched zongji) but encode to the same text. The encoders of each type family live in
 * the `encode_*.ts` modules.
 *
 * @module
 */
import { decimalText, int64Text } from "./binary.ts";
import { decoderFor } from "./charset.ts";
import { rule } from "./compatibility.ts";
import {
  binaryEncoder,
  fixedBytes,
  geometryToEwkb,
  geometryToWkb,
  inet4Text,
  inet6Text,
  uuidText,
} from "./encode_bytes.ts";
import { dateEncoder, dateTimeEncoder, timestampEncoder } from "./encode_dates.ts";
import { bitEncoder, doubleText, float32Text, intText } from "./encode_numbers.ts";
import { decodeUtf8, enumEncoder, jsonEncoder, setEncoder, textEncoder } from "./encode_strings.ts";
import { describeSource, type SourceKind } from "./source_kind.ts";
import { describeTarget, type TargetKind } from "./target_kind.ts";
import type {
  Encoder,
  LossHandler,
  LossKind,
  RejectValue,
  ReportLoss,
  SourceColumn,
  TargetColumn,
} from "./types.ts";

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
  onLoss: LossHandler,
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

function build(s: SourceKind, t: TargetKind, loss: ReportLoss, bad: RejectValue): Encoder {
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
