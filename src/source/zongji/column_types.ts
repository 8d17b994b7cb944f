/**
 * The MySQL binlog column type codes zongji reports in a table map, and how many bytes a value of
 * a fixed-width type occupies in a row image.
 *
 * @module
 */
import { decimalWidth, fractionWidth } from "../../convert/binary.ts";

export const DECIMAL = 0;
export const TINY = 1;
export const SHORT = 2;
export const LONG = 3;
export const FLOAT = 4;
export const DOUBLE = 5;
export const TIMESTAMP = 7;
export const LONGLONG = 8;
export const INT24 = 9;
export const DATE = 10;
export const TIME = 11;
export const DATETIME = 12;
export const YEAR = 13;
export const NEWDATE = 14;
export const VARCHAR = 15;
export const BIT = 16;
export const TIMESTAMP2 = 17;
export const DATETIME2 = 18;
export const TIME2 = 19;
export const JSON_TYPE = 245;
export const NEWDECIMAL = 246;
export const BLOB_COMPRESSED = 140;
export const VARCHAR_COMPRESSED = 141;
export const ENUM = 247;
export const SET = 248;
export const TINY_BLOB = 249;
export const MEDIUM_BLOB = 250;
export const LONG_BLOB = 251;
export const BLOB = 252;
export const VAR_STRING = 253;
export const STRING = 254;
export const GEOMETRY = 255;

/** The types whose values are text in a charset, or bytes. */
export const CHARACTER_TYPES: ReadonlySet<number> = new Set([
  VARCHAR,
  VAR_STRING,
  STRING,
  TINY_BLOB,
  MEDIUM_BLOB,
  LONG_BLOB,
  BLOB,
  BLOB_COMPRESSED,
  VARCHAR_COMPRESSED,
]);

/** Bytes a value of a fixed-width binlog type occupies; null when the value carries its length. */
export function fixedWidth(type: number, meta: Record<string, unknown>): number | null {
  const fraction = () => fractionWidth(Number(meta.decimals ?? 0));
  switch (type) {
    case TINY:
    case YEAR:
      return 1;
    case SHORT:
      return 2;
    case INT24:
    case DATE:
      return 3;
    case LONG:
    case FLOAT:
      return 4;
    case LONGLONG:
    case DOUBLE:
      return 8;
    case TIME2:
      return 3 + fraction();
    case TIMESTAMP2:
      return 4 + fraction();
    case DATETIME2:
      return 5 + fraction();
    case NEWDECIMAL:
      return decimalWidth(Number(meta.precision), Number(meta.decimals));
    case ENUM:
    case SET:
      return Number(meta.size);
  }
  return null;
}
