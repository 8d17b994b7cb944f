/**
 * Encoders and text of MySQL numbers: integers, FLOAT and DOUBLE as their shortest exact decimal,
 * and BIT as a bit string, boolean or integer.
 *
 * @module
 */
import type { TargetKind } from "./target_kind.ts";
import type { Encoder, RejectValue } from "./types.ts";

/** An integer as the decoders give it: a number, or a string or bigint beyond 2^53. */
export function intText(v: unknown, bad: RejectValue): string {
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

const BYTE_BITS = Array.from({ length: 256 }, (_, i) => i.toString(2).padStart(8, "0"));

/** BIT(width) as a bit string of exactly `width` digits, or as boolean or integer targets read it. */
export function bitEncoder(width: number, t: TargetKind, bad: RejectValue): Encoder {
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
