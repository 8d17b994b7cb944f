/**
 * Character-set facts a DDL reader needs: the charset a collation belongs to, MySQL's spelling of
 * charset names, and how a text column's type follows its charset (TEXT(n) picks a size, BINARY
 * charset makes it binary, CONVERT TO CHARACTER SET grows TEXT types to keep their length).
 *
 * @module
 */
import { charsetMaxBytes } from "../../convert/charset.ts";

/** Every character set of MySQL 8 and MariaDB 10/11 (utf8 is spelled utf8mb3). */
const CHARSETS = new Set([
  "armscii8",
  "ascii",
  "big5",
  "binary",
  "cp1250",
  "cp1251",
  "cp1256",
  "cp1257",
  "cp850",
  "cp852",
  "cp866",
  "cp932",
  "dec8",
  "eucjpms",
  "euckr",
  "gb18030",
  "gb2312",
  "gbk",
  "geostd8",
  "greek",
  "hebrew",
  "hp8",
  "keybcs2",
  "koi8r",
  "koi8u",
  "latin1",
  "latin2",
  "latin5",
  "latin7",
  "macce",
  "macroman",
  "sjis",
  "swe7",
  "tis620",
  "ucs2",
  "ujis",
  "utf16",
  "utf16le",
  "utf32",
  "utf8mb3",
  "utf8mb4",
]);

/** A charset or collation name as the catalog spells it: lower case, `utf8` as `utf8mb3`. */
export function charsetName(name: string): string {
  const lower = name.toLowerCase();
  if (lower === "utf8") return "utf8mb3";
  return lower.startsWith("utf8_") ? `utf8mb3_${lower.slice(5)}` : lower;
}

/**
 * The charset of a collation (`latin1_bin` -> `latin1`, `binary` -> `binary`); undefined for
 * MariaDB 11's collations that fit several charsets (`uca1400_ai_ci`).
 */
export function charsetOfCollation(collation: string): string | undefined {
  const name = charsetName(collation);
  if (name === "binary") return name;
  const prefix = name.slice(0, name.indexOf("_"));
  return CHARSETS.has(prefix) ? prefix : undefined;
}

/** The TEXT types and the bytes they hold, smallest first; BLOB types in the same order. */
const TEXT_TYPES: readonly [string, string, number][] = [
  ["tinytext", "tinyblob", 255],
  ["text", "blob", 65535],
  ["mediumtext", "mediumblob", 16777215],
  ["longtext", "longblob", 4294967295],
];

/** The smallest TEXT type holding `chars` characters of `charset` (`TEXT(n)`). */
export function textTypeFor(chars: number, charset: string): string {
  return sizedType(chars * charsetMaxBytes(charset), 0);
}

/** The smallest BLOB type holding `bytes` bytes (`BLOB(n)`). */
export function blobTypeFor(bytes: number): string {
  return sizedType(bytes, 1);
}

function sizedType(bytes: number, column: 0 | 1): string {
  const fit = TEXT_TYPES.find((entry) => entry[2] >= bytes) ?? TEXT_TYPES[3];
  return fit[column];
}

/**
 * The type a text column gets when CONVERT TO CHARACTER SET changes its charset: a TEXT type grows
 * to keep as many characters (never shrinks); CHAR, VARCHAR, ENUM and SET keep their type (their
 * lengths count characters).
 */
export function convertedTextType(columnType: string, from: string, to: string): string {
  const index = TEXT_TYPES.findIndex((entry) => entry[0] === columnType);
  if (index < 0) return columnType;
  const chars = Math.floor(TEXT_TYPES[index][2] / charsetMaxBytes(from));
  const grown = textTypeFor(chars, to);
  return TEXT_TYPES.findIndex((entry) => entry[0] === grown) > index ? grown : columnType;
}

/**
 * The binary type a text type becomes in the `binary` charset (`varchar(5)` -> `varbinary(5)`,
 * `text` -> `blob`); undefined for types that stay as they are.
 */
export function binaryTypeOf(columnType: string): string | undefined {
  const text = TEXT_TYPES.find((entry) => entry[0] === columnType);
  if (text) return text[1];
  const sized = /^(char|varchar)(\(\d+\))$/.exec(columnType);
  if (sized) return `${sized[1] === "char" ? "binary" : "varbinary"}${sized[2]}`;
  return undefined;
}
