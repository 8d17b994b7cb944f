/**
 * How the source connections must be set up so that both decoders give exact values that
 * `makeEncoder` turns into the same text: the mysql2/zongji options, the session statements, and
 * the SELECT list for snapshot and verify queries.
 *
 * @module
 */
import { quoteMySqlIdent } from "./ident.ts";
import { describeSource } from "./source_kind.ts";
import type { SourceColumn } from "./types.ts";

/**
 * Options for every source connection, zongji's included (it reads `dateStrings`, `timezone`,
 * `decimalNumbers` and `jsonStrings` from its connection config). Spread them over host, port,
 * user and password.
 *
 * - `dateStrings`: DATE/DATETIME/TIMESTAMP as text: keeps microseconds and zero dates (`Date`
 *   objects drop both and shift by the process time zone).
 * - `timezone: "Z"`: zongji renders a binlog TIMESTAMP (UTC epoch seconds) in UTC; with the session
 *   time zone below a SELECT renders it the same way.
 * - `supportBigNumbers` + `bigNumberStrings`: BIGINT as exact strings (zongji is exact already).
 * - `decimalNumbers: false`: DECIMAL as exact strings in both.
 * - `jsonStrings`: JSON as the server's text (mysql2 would otherwise parse it, rounding big
 *   integers; zongji would hand out parsed objects for MySQL's binary JSON).
 * - `charset`: results converted to utf8mb4, so every character survives (never the 3-byte utf8).
 */
export const SOURCE_CONNECTION_OPTIONS = {
  charset: "UTF8MB4_UNICODE_CI",
  dateStrings: true,
  timezone: "Z",
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
  jsonStrings: true,
} as const;

/**
 * Run on every query connection (not needed on zongji's): TIMESTAMP values are rendered in the
 * session time zone, which must be UTC to match the binlog. An offset, not a named zone, so the
 * server's time zone tables are not needed and there is no DST ambiguity.
 */
export const SOURCE_SESSION_STATEMENTS: readonly string[] = ["SET time_zone = '+00:00'"];

/**
 * The SELECT-list expression that reads `column` exactly (aliased to its own name):
 * - FLOAT: the text protocol prints only 6 significant digits (3.40282e38, 16777217 as
 *   16777200), so read it widened to DOUBLE. MariaDB prints that with 16 significant digits,
 *   not always the exact value (942.1480712890625 as 942.1480712890624), but always closer than
 *   half a FLOAT step, so rounding it to 32 bits (as `makeEncoder` does) gives the stored FLOAT.
 * - geometry: mysql2 would parse it into objects, losing the SRID and the exact type; the raw
 *   bytes (SRID + WKB, the same as the binlog's) come through as binary.
 */
export function selectExpression(column: SourceColumn): string {
  const name = quoteMySqlIdent(column.name);
  switch (describeSource(column).kind) {
    case "float":
      return `CAST(${name} AS DOUBLE) AS ${name}`;
    case "geometry":
      return `CAST(${name} AS BINARY) AS ${name}`;
  }
  return name;
}

/** The SELECT list for `columns`, in order. */
export function selectList(columns: readonly SourceColumn[]): string {
  return columns.map(selectExpression).join(", ");
}
