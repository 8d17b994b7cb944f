/**
 * Splits a MySQL/MariaDB statement into tokens, as the server reads it: comments dropped,
 * version comments (`/*!50100 ... *\/`, and MariaDB's `/*M!100100 ... *\/`) read as part of the
 * statement, back-quoted names and strings unquoted.
 *
 * A server writes to its binlog only what it executed, and it neutralises a version comment it
 * skipped (MariaDB logs `/*!99999 x *\/` as `/* 99999 x *\/`), so every version comment in a
 * binlog statement is read, whatever its number.
 *
 * @module
 */
import { DdlNotUnderstood } from "./changes.ts";

/** A token; `start` and `end` are offsets in the statement text. */
export interface Token {
  /**
   * `word`: a keyword or unquoted name; `name`: a back-quoted name; `string`: a quoted string;
   * `number`: a decimal number; `hex`/`bits`: X'..', 0x.., B'..', 0b.. literals (`text` holds
   * the digits); `symbol`: one punctuation character.
   */
  kind: "word" | "name" | "string" | "number" | "hex" | "bits" | "symbol";
  /** The word as written, the name or string value with quotes and escapes undone, the digits. */
  text: string;
  start: number;
  end: number;
}

/** How to read the text. */
export interface TokenizeOptions {
  /** MariaDB runs `/*M! ... *\/`; MySQL takes it for a comment. */
  flavor: "mariadb" | "mysql";
  /** sql_mode NO_BACKSLASH_ESCAPES: a backslash in a string is an ordinary character. */
  noBackslashEscapes?: boolean;
}

/** The tokens of `sql`; throws {@link DdlNotUnderstood} for an unterminated string or comment. */
export function tokenize(sql: string, options: TokenizeOptions): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let inVersionComment = false;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (WHITESPACE.test(c)) {
      i++;
    } else if (c === "#" || (c === "-" && next === "-" && endsDashComment(sql[i + 2]))) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && next === "*") {
      const opened = versionCommentBody(sql, i, options.flavor);
      if (opened !== null && !inVersionComment) {
        inVersionComment = true;
        i = opened;
      } else {
        const end = sql.indexOf("*/", i + 2);
        if (end < 0) throw new DdlNotUnderstood(`unterminated comment at offset ${i}`);
        i = end + 2;
      }
    } else if (c === "*" && next === "/" && inVersionComment) {
      inVersionComment = false;
      i += 2;
    } else if (c === "`") {
      i = quoted(sql, i, "name", tokens, false);
    } else if (c === "'" || c === '"') {
      i = quoted(sql, i, "string", tokens, !options.noBackslashEscapes);
    } else if (isWordChar(c) || (c === "." && isDigit(next) && !followsName(tokens, i))) {
      i = wordOrNumber(sql, i, tokens);
    } else {
      tokens.push({ kind: "symbol", text: c, start: i, end: i + 1 });
      i++;
    }
  }
  if (inVersionComment) throw new DdlNotUnderstood("unterminated version comment");
  return tokens;
}

const WHITESPACE = /\s/;
const DIGIT = /[0-9]/;

/** `--` starts a comment only when followed by whitespace, a control character or the end. */
function endsDashComment(c: string | undefined): boolean {
  return c === undefined || c <= " ";
}

/** Where the body of a version comment opening at `i` starts, or null for another comment. */
function versionCommentBody(sql: string, i: number, flavor: string): number | null {
  let at = i + 2;
  if (sql[at] === "M" && sql[at + 1] === "!") {
    if (flavor !== "mariadb") return null;
    at++;
  }
  if (sql[at] !== "!") return null;
  at++;
  // MySQL versions have five digits, MariaDB's may have six
  let digits = 0;
  while (digits < 6 && isDigit(sql[at + digits])) digits++;
  return digits >= 5 ? at + digits : at;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && DIGIT.test(c);
}

/** A character of an unquoted name: ASCII letters, digits, `$`, `_` and anything beyond ASCII. */
function isWordChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || isDigit(c) || c === "_" ||
    c === "$" || c > "\u007f";
}

/** Whether a `.` at `i` qualifies a name (`db.t`) rather than starting a number (`.5`). */
function followsName(tokens: readonly Token[], i: number): boolean {
  const last = tokens.at(-1);
  return last !== undefined && last.end === i && (last.kind === "word" || last.kind === "name");
}

/**
 * Reads a quoted name or string at `i`; returns the offset after it. A doubled quote stands for
 * itself; backslash escapes count in strings unless NO_BACKSLASH_ESCAPES.
 */
function quoted(
  sql: string,
  i: number,
  kind: "name" | "string",
  tokens: Token[],
  backslashEscapes: boolean,
): number {
  const quote = sql[i];
  let text = "";
  let at = i + 1;
  while (at < sql.length) {
    const c = sql[at];
    if (c === quote) {
      if (sql[at + 1] !== quote) {
        tokens.push({ kind, text, start: i, end: at + 1 });
        return at + 1;
      }
      text += quote;
      at += 2;
    } else if (c === "\\" && backslashEscapes && at + 1 < sql.length) {
      text += unescape(sql[at + 1]);
      at += 2;
    } else {
      text += c;
      at++;
    }
  }
  throw new DdlNotUnderstood(`unterminated ${kind === "name" ? "quoted name" : "string"} at ${i}`);
}

/** What `\c` stands for in a MySQL string; `\%` and `\_` keep their backslash (LIKE patterns). */
function unescape(c: string): string {
  switch (c) {
    case "0":
      return "\u0000";
    case "b":
      return "\b";
    case "n":
      return "\n";
    case "r":
      return "\r";
    case "t":
      return "\t";
    case "Z":
      return "\u001a";
    case "%":
    case "_":
      return `\\${c}`;
    default:
      return c;
  }
}

const NUMBER = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/y;
const HEX_NUMBER = /^0x([0-9a-fA-F]+)$/;
const BIT_NUMBER = /^0b([01]+)$/;

/**
 * Reads a number, a word (names may start with a digit: `1col`) or a prefixed literal: X'..' and
 * B'..' become `hex`/`bits`; N'..' and `_charset'..'` introducers stay a word before the string.
 */
function wordOrNumber(sql: string, i: number, tokens: Token[]): number {
  NUMBER.lastIndex = i;
  const number = NUMBER.exec(sql)?.[0];
  if (number !== undefined && !isWordChar(sql[i + number.length])) {
    tokens.push({ kind: "number", text: number, start: i, end: i + number.length });
    return i + number.length;
  }
  let at = i;
  while (isWordChar(sql[at])) at++;
  const text = sql.slice(i, at);
  if (text === "") {
    // `.5x`: neither a number nor a name; the dot stands alone
    tokens.push({ kind: "symbol", text: ".", start: i, end: i + 1 });
    return i + 1;
  }
  if (/^[xXbB]$/.test(text) && sql[at] === "'") {
    const end = sql.indexOf("'", at + 1);
    if (end < 0) throw new DdlNotUnderstood(`unterminated literal at offset ${i}`);
    const kind = /[xX]/.test(text) ? "hex" : "bits";
    tokens.push({ kind, text: sql.slice(at + 1, end), start: i, end: end + 1 });
    return end + 1;
  }
  const hex = HEX_NUMBER.exec(text);
  const bits = BIT_NUMBER.exec(text);
  if (hex) tokens.push({ kind: "hex", text: hex[1], start: i, end: at });
  else if (bits) tokens.push({ kind: "bits", text: bits[1], start: i, end: at });
  else tokens.push({ kind: "word", text, start: i, end: at });
  return at;
}
