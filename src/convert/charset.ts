/**
 * Decoding of MySQL text bytes in the column's own character set, so that a value taken raw from
 * the binlog reads exactly as the server itself would return it to a SELECT.
 *
 * Neither zongji (iconv-lite) nor the WHATWG decoders match MySQL everywhere: MySQL's `latin1` is
 * cp1252 with the five undefined bytes mapped to C1 controls, `sjis` maps 0x5C/0x7E and a few
 * symbols differently from Windows, `gb2312` differs in two punctuation marks, and so on (measured
 * byte by byte against MariaDB 10.11). Single-byte charsets therefore use tables taken from the
 * server; multi-byte ones use a native decoder plus the measured corrections.
 *
 * @module
 */
import { SINGLE_BYTE_FULL, SINGLE_BYTE_HIGH } from "./charset_tables.ts";

/** Decodes the raw bytes of one value. */
export type Decode = (bytes: Uint8Array) => string;

/**
 * How faithfully a charset is decoded: `exact` was verified against the server for every
 * storable character; `approximate` differs for some rarely used characters (vendor extensions,
 * user-defined areas); `unsupported` cannot be decoded at all.
 */
export type CharsetSupport = "exact" | "approximate" | "unsupported";

/** The charset's support level; `binary` and unknown names are unsupported (not text). */
export function charsetSupport(charset: string): CharsetSupport {
  const name = normalize(charset);
  if (name in APPROXIMATE) return "approximate";
  return decoderFor(name) === null ? "unsupported" : "exact";
}

/** Maximum bytes per character (MySQL's `MAXLEN`), 1 for unknown charsets. */
export function charsetMaxBytes(charset: string): number {
  return MAX_BYTES[normalize(charset)] ?? 1;
}

/** A decoder for `charset`, or null when it is unknown (or `binary`). Cached per charset. */
export function decoderFor(charset: string): Decode | null {
  const name = normalize(charset);
  let decode = cache.get(name);
  if (decode === undefined) {
    decode = build(name);
    cache.set(name, decode);
  }
  return decode;
}

const cache = new Map<string, Decode | null>();

function normalize(charset: string): string {
  const name = charset.toLowerCase();
  return name === "utf8" ? "utf8mb3" : name;
}

/** Kept open: a leading U+FEFF is data, not a byte order mark, and must survive. */
const KEEP_BOM = { ignoreBOM: true } as const;

function build(name: string): Decode | null {
  switch (name) {
    case "utf8mb3":
    case "utf8mb4": {
      const utf8 = new TextDecoder("utf-8", KEEP_BOM);
      return (bytes) => utf8.decode(bytes);
    }
    case "ucs2":
    case "utf16": {
      const utf16 = new TextDecoder("utf-16be", KEEP_BOM);
      return (bytes) => utf16.decode(bytes);
    }
    case "utf16le": {
      const utf16 = new TextDecoder("utf-16le", KEEP_BOM);
      return (bytes) => utf16.decode(bytes);
    }
    case "utf32":
      return decodeUtf32;
  }
  const high = SINGLE_BYTE_HIGH[name];
  if (high !== undefined) return singleByte(ASCII + high);
  const full = SINGLE_BYTE_FULL[name];
  if (full !== undefined) return singleByte(full);
  const multi = MULTI_BYTE[name];
  if (multi !== undefined) return multiByte(multi.whatwg, multi.fixes);
  return null;
}

const ASCII = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join("");

/**
 * Table lookup into UTF-16 code units, decoded natively: every table entry is a single BMP code
 * unit, so the result needs no surrogate handling.
 */
function singleByte(table: string): Decode {
  const units = new Uint16Array(256);
  for (let i = 0; i < 256; i++) units[i] = table.charCodeAt(i);
  const utf16 = new TextDecoder(LITTLE_ENDIAN ? "utf-16le" : "utf-16be", KEEP_BOM);
  return (bytes) => {
    const out = new Uint16Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = units[bytes[i]];
    return utf16.decode(out);
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A WHATWG decoder plus corrections. Each correction replaces a character that, in this charset,
 * only ever comes from the byte sequence the server maps differently (checked exhaustively), so
 * replacing it after decoding is exact.
 */
function multiByte(whatwg: string, fixes: Readonly<Record<string, string>>): Decode {
  const decoder = new TextDecoder(whatwg, KEEP_BOM);
  const keys = Object.keys(fixes);
  if (keys.length === 0) return (bytes) => decoder.decode(bytes);
  const pattern = new RegExp(`[${keys.join("")}]`, "g");
  const replace = (c: string) => fixes[c];
  return (bytes) => decoder.decode(bytes).replace(pattern, replace);
}

function decodeUtf32(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  const chunk: number[] = [];
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const cp = view.getUint32(i);
    chunk.push(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? cp : 0xfffd);
    if (chunk.length === 4096) {
      parts.push(String.fromCodePoint(...chunk));
      chunk.length = 0;
    }
  }
  parts.push(String.fromCodePoint(...chunk));
  return parts.join("");
}

interface MultiByteCharset {
  whatwg: string;
  /** Character the WHATWG decoder yields -> character the server yields. */
  fixes: Readonly<Record<string, string>>;
}

const MULTI_BYTE: Readonly<Record<string, MultiByteCharset>> = {
  gbk: { whatwg: "gbk", fixes: {} },
  gb2312: { whatwg: "gbk", fixes: { "\u00b7": "\u30fb", "\u2014": "\u2015" } },
  gb18030: { whatwg: "gb18030", fixes: {} },
  cp932: { whatwg: "shift_jis", fixes: {} },
  sjis: {
    whatwg: "shift_jis",
    fixes: {
      "\uff3c": "\\",
      "\uff5e": "\u301c",
      "\u2225": "\u2016",
      "\uff0d": "\u2212",
      "\uffe0": "\u00a2",
      "\uffe1": "\u00a3",
      "\uffe2": "\u00ac",
    },
  },
  euckr: { whatwg: "euc-kr", fixes: {} },
  big5: { whatwg: "big5", fixes: {} },
  ujis: { whatwg: "euc-jp", fixes: {} },
  eucjpms: { whatwg: "euc-jp", fixes: {} },
};

/**
 * Charsets whose decoding is known to differ from the server for some characters: big5 (about 270
 * of 13,000, mostly symbols), ujis/eucjpms (JIS X 0212 symbols and the user-defined area), and
 * gb18030 (MySQL only, not verified here).
 */
const APPROXIMATE: Readonly<Record<string, true>> = {
  big5: true,
  ujis: true,
  eucjpms: true,
  gb18030: true,
};

const MAX_BYTES: Readonly<Record<string, number>> = {
  utf8mb4: 4,
  utf8mb3: 3,
  utf16: 4,
  utf16le: 4,
  utf32: 4,
  ucs2: 2,
  gb18030: 4,
  gbk: 2,
  gb2312: 2,
  big5: 2,
  sjis: 2,
  cp932: 2,
  euckr: 2,
  ujis: 3,
  eucjpms: 3,
};
