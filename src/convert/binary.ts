/**
 * Text of values in MySQL's binary row format, for the column types whose decoding in zongji
 * costs the most per row (it builds them from many small strings): BIGINT, DECIMAL and DATETIME2.
 * `patchTableMap` has zongji hand these over as raw bytes; the results equal zongji's own text
 * (and a SELECT's) for every value, which tests/convert_roundtrip_test.ts checks.
 *
 * @module
 */

/** An 8-byte little-endian BIGINT. */
export function int64Text(b: Uint8Array, unsigned: boolean): string {
  const low = (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  let high = (b[4] | (b[5] << 8) | (b[6] << 16)) + b[7] * 0x1000000;
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
  let pos = 0;
  const group = (bytes: number): number => {
    let value = 0;
    for (let i = 0; i < bytes; i++, pos++) {
      value = value * 256 + ((pos === 0 ? b[0] ^ 0x80 : b[pos]) ^ invert);
    }
    return value;
  };
  const integral = precision - scale;
  let whole = "";
  const leading = LEFTOVER_BYTES[integral % 9];
  if (leading > 0) whole = String(group(leading));
  for (let i = Math.floor(integral / 9); i > 0; i--) whole += String(group(4)).padStart(9, "0");
  let start = 0;
  while (start < whole.length - 1 && whole.charCodeAt(start) === 48) start++;
  whole = whole.length === 0 ? "0" : whole.slice(start);
  const sign = negative ? "-" : "";
  if (scale === 0) return sign + whole;
  let fraction = "";
  for (let i = Math.floor(scale / 9); i > 0; i--) fraction += String(group(4)).padStart(9, "0");
  const trailing = scale % 9;
  if (trailing > 0) fraction += String(group(LEFTOVER_BYTES[trailing])).padStart(trailing, "0");
  return `${sign}${whole}.${fraction}`;
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
  let text =
    `${pad(Math.floor(yearMonth / 13), 4)}-${pad(yearMonth % 13, 2)}-${pad(date % 32, 2)} ` +
    `${pad(time >> 12, 2)}:${pad((time >> 6) & 63, 2)}:${pad(time & 63, 2)}`;
  if (fsp > 0) {
    let fraction = 0;
    for (let i = 5; i < 5 + fractionWidth(fsp); i++) fraction = fraction * 256 + b[i];
    // An odd fsp uses the byte width of the next even one: drop the digit it cannot hold.
    if (fsp % 2 === 1) fraction = Math.floor(fraction / 10);
    text += `.${pad(fraction, fsp)}`;
  }
  return text;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
