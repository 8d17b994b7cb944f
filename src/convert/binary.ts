/**
 * Text of values in MySQL's binary row format, for the column types whose decoding in zongji
 * costs the most per row (it builds them from many small strings): BIGINT, DECIMAL and DATETIME2.
 * `patchTableMap` has zongji hand these over as raw bytes; the results equal zongji's own text
 * (and a SELECT's) for every value, which tests/convert_roundtrip_test.ts checks.
 *
 * @module
 */

/** The unsigned little-endian integer of `bytes` bytes (at most 6) at `at`. */
export function littleEndian(b: Uint8Array, at: number, bytes: number): number {
  let value = 0;
  for (let i = at + bytes - 1; i >= at; i--) value = value * 256 + b[i];
  return value;
}

/**
 * Bytes `start` to `end` of `b` as a plain Uint8Array view: Deno builds a Buffer's `subarray`
 * (a Buffer again) at several times the cost, which adds up at a few values per row.
 */
export function bytesBetween(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}

/** An 8-byte little-endian BIGINT at `at`. */
export function int64Text(b: Uint8Array, unsigned: boolean, at = 0): string {
  const low = littleEndian(b, at, 4);
  let high = littleEndian(b, at + 4, 4);
  if (!unsigned && high >= 0x80000000) high -= 0x100000000;
  // Within ±2^53 a double holds the value exactly.
  if (high >= -0x200000 && high < 0x200000) return String(high * 0x100000000 + low);
  return ((BigInt(high) << 32n) + BigInt(low)).toString();
}

/** Bytes of a binary DECIMAL group holding this many leftover digits. */
const LEFTOVER_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** Bytes a DECIMAL(precision, scale) value occupies. */
export function decimalWidth(precision: number, scale: number): number {
  const integral = precision - scale;
  return Math.floor(integral / 9) * 4 + LEFTOVER_BYTES[integral % 9] +
    Math.floor(scale / 9) * 4 + LEFTOVER_BYTES[scale % 9];
}

/**
 * A binary DECIMAL: big-endian groups of up to 9 digits (4 bytes for 9) on each side of the point,
 * the leftover digits of the integer part first and those of the fraction last; the top bit is set
 * for non-negative values, and negative values have every bit inverted.
 */
export function decimalText(b: Uint8Array, precision: number, scale: number): string {
  const negative = (b[0] & 0x80) === 0;
  const invert = negative ? 0xff : 0;
  const integral = precision - scale;
  const leading = LEFTOVER_BYTES[integral % 9];
  let pos = leading;
  let whole = leading > 0 ? String(readGroup(b, 0, leading, invert)) : "";
  for (let i = Math.floor(integral / 9); i > 0; i--, pos += 4) {
    whole += String(readGroup(b, pos, 4, invert)).padStart(9, "0");
  }
  let start = 0;
  while (start < whole.length - 1 && whole.charCodeAt(start) === 48) start++;
  whole = whole.length === 0 ? "0" : whole.slice(start);
  const sign = negative ? "-" : "";
  if (scale === 0) return sign + whole;
  let fraction = "";
  for (let i = Math.floor(scale / 9); i > 0; i--, pos += 4) {
    fraction += String(readGroup(b, pos, 4, invert)).padStart(9, "0");
  }
  const trailing = scale % 9;
  if (trailing > 0) {
    fraction += String(readGroup(b, pos, LEFTOVER_BYTES[trailing], invert)).padStart(trailing, "0");
  }
  return `${sign}${whole}.${fraction}`;
}

/** A big-endian group of `bytes` bytes at `pos`, the sign bit (first bit of all) cleared. */
function readGroup(b: Uint8Array, pos: number, bytes: number, invert: number): number {
  let value = 0;
  for (let i = pos; i < pos + bytes; i++) {
    value = value * 256 + ((i === 0 ? b[0] ^ 0x80 : b[i]) ^ invert);
  }
  return value;
}

/** Bytes a DATETIME2/TIME2/TIMESTAMP2 fraction of `fsp` digits occupies. */
export function fractionWidth(fsp: number): number {
  return Math.ceil(fsp / 2);
}

/**
 * A DATETIME2(fsp): 40 bits big-endian, offset by 2^39, holding year*13+month (17 bits), day (5),
 * hour (5), minute (6) and second (6); then the fraction, big-endian in whole bytes (hundredths,
 * ten-thousandths or millionths for fsp 1-2, 3-4, 5-6), written out with `fsp` digits.
 */
export function datetime2Text(b: Uint8Array, fsp: number): string {
  const packed = (b[0] * 0x1000000 + (b[1] << 16 | b[2] << 8 | b[3])) * 256 + b[4] - 0x8000000000;
  const date = Math.floor(packed / 0x20000);
  const time = packed % 0x20000;
  const yearMonth = Math.floor(date / 32);
  const year = Math.floor(yearMonth / 13);
  let text = TWO_DIGITS[Math.floor(year / 100)] + TWO_DIGITS[year % 100] + "-" +
    TWO_DIGITS[yearMonth % 13] + "-" + TWO_DIGITS[date % 32] + " " + TWO_DIGITS[time >> 12] + ":" +
    TWO_DIGITS[(time >> 6) & 63] + ":" + TWO_DIGITS[time & 63];
  if (fsp > 0) {
    let fraction = 0;
    for (let i = 5; i < 5 + fractionWidth(fsp); i++) fraction = fraction * 256 + b[i];
    // An odd fsp uses the byte width of the next even one: drop the digit it cannot hold.
    if (fsp % 2 === 1) fraction = Math.floor(fraction / 10);
    text += "." + String(fraction).padStart(fsp, "0");
  }
  return text;
}

/** "00" to "99": a datetime is made of such pairs, and padding each costs more than a lookup. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
