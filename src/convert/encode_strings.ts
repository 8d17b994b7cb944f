/**
 * Encoders of MySQL text, ENUM, SET and JSON values: decoded from the column's character set, NUL
 * characters (which PostgreSQL text and jsonb cannot hold) removed and reported.
 *
 * @module
 */
import { type Decode, decoderFor } from "./charset.ts";
import type { Encoder, RejectValue, ReportLoss } from "./types.ts";

function stripNul(s: string, loss: ReportLoss): string {
  if (!s.includes("\u0000")) return s;
  loss("nul-byte");
  return s.replaceAll("\u0000", "");
}

/** Text from mysql2 (a string) or from the binlog (bytes in the column's character set). */
export function textEncoder(decode: Decode, loss: ReportLoss, bad: RejectValue): Encoder {
  return (v) => {
    if (typeof v === "string") return stripNul(v, loss);
    if (v instanceof Uint8Array) return stripNul(decode(v), loss);
    return bad(v);
  };
}

/** ENUM as its label; the binlog gives the 1-based index, a SELECT the label itself. */
export function enumEncoder(labels: readonly string[], bad: RejectValue): Encoder {
  return (v) => {
    if (typeof v === "string") return v;
    if (v === null) return null;
    // Index 0 is the empty "invalid value" MySQL stores for bad input outside strict mode
    if (v === undefined) return "";
    if (typeof v === "number") return v === 0 ? "" : labels[v - 1] ?? bad(v);
    return bad(v);
  };
}

/** SET as its comma-separated labels; the binlog gives the bit mask, a SELECT the text. */
export function setEncoder(labels: readonly string[], bad: RejectValue): Encoder {
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

/** MySQL's JSON is always utf8mb4. */
export const decodeUtf8 = decoderFor("utf8mb4")!;

/** JSON text as written; for jsonb without the `\u0000` escapes it refuses. */
export function jsonEncoder(
  decode: Decode,
  jsonb: boolean,
  loss: ReportLoss,
  bad: RejectValue,
): Encoder {
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
