/**
 * Encoders of MySQL DATE, DATETIME and TIMESTAMP values: their text as PostgreSQL reads it, year 0
 * as 1 BC, and zero or invalid dates (which PostgreSQL cannot hold) as NULL.
 *
 * @module
 */
import { datetime2Text } from "./binary.ts";
import type { TargetKind } from "./target_kind.ts";
import type { Encoder, RejectValue, ReportLoss } from "./types.ts";

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

function asString(v: unknown, bad: RejectValue): string {
  return typeof v === "string" ? v : bad(v);
}

/** DATE: the text as written, completed to midnight UTC for a timestamptz target. */
export function dateEncoder(t: TargetKind, loss: ReportLoss, bad: RejectValue): Encoder {
  return calendarEncoder(t, loss, (v) => asString(v, bad), " 00:00:00+00");
}

/** DATETIME(fsp), from the binlog's raw DATETIME2 bytes or a SELECT's text. */
export function dateTimeEncoder(
  fsp: number,
  t: TargetKind,
  loss: ReportLoss,
  bad: RejectValue,
): Encoder {
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
  loss: ReportLoss,
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
export function timestampEncoder(t: TargetKind, loss: ReportLoss, bad: RejectValue): Encoder {
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
