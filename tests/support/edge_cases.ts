/**
 * Every MySQL type at its edge values, shared by the conversion round trip
 * (convert_roundtrip_test.ts) and the sync's type fidelity test (types_sync_test.ts): the cases,
 * the SQL that brings a MariaDB value and a PostgreSQL value to comparable text, and the
 * comparison itself. Column names need quoting on both sides (spaces, case, quotes, keywords).
 */
import { Buffer } from "node:buffer";
import { canonicalJson, micros } from "./convert.ts";

/** How a MariaDB value and a PostgreSQL value are brought to one comparable text. */
export type Compare = "text" | "number" | "float32" | "micros" | "time" | "json";

export interface EdgeCase {
  /** Column name (quoted everywhere, so anything goes). */
  col: string;
  /** MySQL column definition after the name. */
  type: string;
  /** SQL literals, one per row; further rows are NULL. Empty for generated columns. */
  values: string[];
  /** MariaDB expression over the quoted column giving the expected value; NULL: expect NULL. */
  expect?: (c: string) => string;
  /** PostgreSQL expression over the quoted column giving the value to compare (as text). */
  actual?: (c: string) => string;
  compare?: Compare;
  /** Some value is a zero/invalid date stored as NULL (a "zero-date" loss). */
  zeroDates?: boolean;
  /** Some value contains U+0000, removed on the way (a "nul-byte" loss). */
  nul?: boolean;
  /** Generated column: never written, but its values travel in the row images. */
  generated?: boolean;
  /** The PostgreSQL column's name when it differs (only in case: the sync matches it so). */
  pgCol?: string;
}

export const asText = (c: string) => `${c}::text`;
export const castChar = (c: string) => `CAST(${c} AS CHAR)`;

/** Text as MariaDB returns it, with the NUL characters PostgreSQL cannot hold removed. */
export const text = {
  expect: (c: string) => `REPLACE(CONVERT(${c} USING utf8mb4), CHAR(0 USING utf8mb4), '')`,
};
/** The same as {@link text}, compared as the hex of its UTF-8 bytes. */
export const hexText = {
  expect: (c: string) => `HEX(${text.expect(c)})`,
  actual: (c: string) => `upper(encode(convert_to(${c}::text, 'UTF8'), 'hex'))`,
};
export const bytes = {
  expect: (c: string) => `HEX(${c})`,
  actual: (c: string) => `upper(encode(${c}, 'hex'))`,
};
export const wkb = {
  expect: (c: string) => `HEX(ST_AsWKB(${c}))`,
  actual: (c: string) => `upper(encode(${c}, 'hex'))`,
};
/** NULL for the zero and invalid dates that PostgreSQL cannot hold, `then` otherwise. */
export const validDate = (c: string, then: string) =>
  `IF(MONTH(${c}) = 0 OR DAYOFMONTH(${c}) = 0 OR DAYOFMONTH(${c}) > DAYOFMONTH(LAST_DAY(${c})), ` +
  `NULL, ${then})`;
/** PostgreSQL prints MySQL's year 0 as 0001 BC; bring it back to 0000 for the comparison. */
export const pgYear = (c: string, rest: string) =>
  `CASE WHEN ${c} < '0001-01-01' THEN '0000' || to_char(${c}, '${rest}') ` +
  `ELSE to_char(${c}, 'YYYY${rest}') END`;
export const date = {
  expect: (c: string) => validDate(c, castChar(c)),
  actual: (c: string) => pgYear(c, "-MM-DD"),
};
export const dateTime = (fsp: number) => ({
  expect: (c: string) => validDate(c, castChar(c)),
  actual: (c: string) =>
    pgYear(c, "-MM-DD HH24:MI:SS") + (fsp ? ` || substr(to_char(${c}, '.US'), 1, ${fsp + 1})` : ""),
});
/** The same instant: epoch seconds with microseconds on both sides. */
export const instant = {
  expect: (c: string) => `NULLIF(UNIX_TIMESTAMP(${c}), 0)`,
  actual: (c: string) => `extract(epoch from ${c})::text`,
  compare: "micros" as const,
};
export const time = {
  expect: castChar,
  actual: (c: string) => `extract(epoch from ${c})::text`,
  compare: "time" as const,
};
/** A FLOAT: MariaDB widens it to DOUBLE, PostgreSQL's real to float8. */
export const float = {
  expect: (c: string) => `CAST(${c} AS DOUBLE)`,
  actual: (c: string) => `${c}::float8::text`,
  compare: "float32" as const,
};

/** `-838:59:59.000001` -> microseconds. */
export function mysqlTimeMicros(value: string): bigint {
  const m = /^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(value);
  if (!m) throw new Error(`not a TIME: ${value}`);
  const seconds = BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4]);
  const us = seconds * 1_000_000n + BigInt((m[5] ?? "").padEnd(6, "0"));
  return m[1] === "-" ? -us : us;
}

export type Side = "mariadb" | "postgresql";
/** Brings a side's JSON text to a form both sides share. */
export type JsonForm = (side: Side, json: string) => string | Promise<string>;

/**
 * One side's value (as a driver returns it) as the text compared with the other side's: equal
 * texts, equal values. NULL stays null, so it equals only NULL.
 */
export async function comparable(
  kind: Compare,
  side: Side,
  value: unknown,
  json: JsonForm = (_side, s) => canonicalJson(s),
): Promise<string | null> {
  if (value === null || value === undefined) return null;
  const s = Buffer.isBuffer(value) ? value.toString("hex") : String(value);
  switch (kind) {
    case "text":
      return s;
    case "number":
      return String(Number(s) + 0); // -0 and 0 alike
    case "float32":
      // MariaDB prints a FLOAT widened to DOUBLE with 16 digits, not always the exact value
      // (942.1480712890625 comes out as ...624); both are the same 32-bit float
      return String(Math.fround(Number(s)) + 0);
    case "micros":
      return String(micros(s));
    case "time":
      return String(side === "mariadb" ? mysqlTimeMicros(s) : micros(s));
    case "json":
      return await json(side, s);
  }
}

// ---- the edge values -------------------------------------------------------------------------

const DATETIME_VALUES = [
  "'2020-02-29 12:34:56.123456'",
  "'0000-00-00 00:00:00'",
  "'1000-01-01 00:00:00'",
  "'9999-12-31 23:59:59.999999'",
  "'0000-01-01 00:00:00.000001'",
  "'2020-04-31 10:00:00'",
  "'1970-01-01 00:00:00.5'",
  // no leap day in the server's year 0 (PostgreSQL's 1 BC has one): invalid, so NULL
  "'0000-02-29 12:00:00'",
  "'0000-02-28 23:59:59.999999'",
  "'0004-02-29 00:00:00'",
  "'9999-12-31 23:59:59'",
  "'0000-12-31 23:59:59'",
  "'2020-01-01 00:00:00.5'",
  "'9999-12-31 23:59:59.999'",
  "'9999-12-31 23:59:59.9'",
  "'1000-01-01 00:00:00.0'",
  "'2020-01-01 00:00:00.00001'",
  "'9999-12-31 23:59:59.99999'",
  "'2020-00-10 01:02:03.123456'",
  "'2020-02-29 23:59:59.000001'",
  "'1970-01-01 00:00:00.000000'",
  "'0000-00-00 00:00:00.000000'",
];
/** Written in a +08:00 session: 1970-01-01 00:00:01 UTC is the smallest TIMESTAMP. */
const TIMESTAMP_VALUES = [
  "'2020-02-29 23:59:59.654321'",
  "'1970-01-01 08:00:01'",
  "'2038-01-19 11:14:07.999999'",
  "'0000-00-00 00:00:00'",
  "'2000-01-01 00:00:00.000001'",
  "'2038-01-19 11:14:07'",
  "'2020-03-08 10:30:00'",
  "'1970-01-01 08:00:01.5'",
  "'2020-01-01 00:00:00.1'",
  "'2001-02-03 12:00:00.000001'",
  "'2021-11-07 09:30:00.5'",
];
const fsps = [0, 1, 2, 3, 4, 5, 6];

/**
 * The edge cases, to be written by a session in +08:00 with sql_mode ALLOW_INVALID_DATES. Row 0
 * holds the first value of every case (tests spell some of them out).
 */
export const EDGE_CASES: EdgeCase[] = [
  { col: "tinyint", type: "tinyint", values: ["-128", "127", "0"] },
  { col: "tinyint u", type: "tinyint unsigned", values: ["255", "0"] },
  { col: "bool", type: "tinyint(1)", values: ["1", "0", "-1", "127"] },
  { col: "smallint", type: "smallint", values: ["-32768", "32767"] },
  { col: "smallint u", type: "smallint unsigned", values: ["65535", "0"] },
  { col: "mediumint", type: "mediumint", values: ["-8388608", "8388607"] },
  { col: "mediumint u", type: "mediumint unsigned", values: ["16777215", "0"] },
  { col: "int", type: "int", values: ["-2147483648", "2147483647", "0"] },
  { col: "int u", type: "int unsigned", values: ["4294967295", "0"] },
  {
    col: "bigint",
    type: "bigint",
    values: [
      "-9223372036854775808",
      "9223372036854775807",
      "9007199254740993",
      "-1",
      "-9007199254740993",
    ],
  },
  {
    col: "bigint u",
    type: "bigint unsigned",
    values: ["18446744073709551615", "9223372036854775808", "9007199254740993", "0"],
  },
  {
    col: "decimal",
    type: "decimal(65,30)",
    values: [
      "-99999999999999999999999999999999999.999999999999999999999999999999",
      "99999999999999999999999999999999999.999999999999999999999999999999",
      "0.000000000000000000000000000001",
      "-0.000000000000000000000000000001",
      "0",
      "12345678901234567890.123456789012345678901234567890",
    ],
  },
  { col: "decimal u", type: "decimal(10,2) unsigned", values: ["99999999.99", "0.01", "0.00"] },
  { col: "decimal 20,0", type: "decimal(20,0)", values: ["-99999999999999999999", "1"] },
  { col: "decimal 5,5", type: "decimal(5,5)", values: ["-0.99999", "0.12345"] },
  {
    col: "decimal 12,2",
    type: "decimal(12,2)",
    values: ["-1234567890.12", "-0.01", "100.50", "1000000001.05"],
  },
  {
    col: "float",
    type: "float",
    values: [
      "3.4028234663852886e38",
      "-3.4028234663852886e38",
      "1.1754943508222875e-38",
      "1.401298464324817e-45",
      "0.1",
      "16777217",
      "-2.5",
      "942.1480712890625",
    ],
    ...float,
  },
  {
    col: "double",
    type: "double",
    values: [
      "1.7976931348623157e308",
      "-1.7976931348623157e308",
      "2.2250738585072014e-308",
      "5e-324",
      "0.1",
      "0.30000000000000004",
      "123456789012345680000",
      "1e21",
    ],
    compare: "number",
  },
  {
    col: "bit1",
    type: "bit(1)",
    values: ["b'1'", "b'0'"],
    expect: (c) => `LPAD(BIN(${c}), 1, '0')`,
  },
  {
    col: "bit64",
    type: "bit(64)",
    values: [`b'${"1".repeat(64)}'`, "b'0'", `b'1${"0".repeat(63)}'`, "b'1'"],
    expect: (c) => `LPAD(BIN(${c}), 64, '0')`,
  },
  {
    col: "bit10",
    type: "bit(10)",
    values: ["b'1000000001'", "b'0000000001'"],
    expect: (c) => `LPAD(BIN(${c}), 10, '0')`,
  },
  // geometry before text columns: MariaDB's binlog charset list counts it, zongji does not
  {
    col: "geometry",
    type: "geometry",
    values: [
      "ST_GeomFromText('POINT(1 2)', 4326)",
      "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))')",
      "ST_GeomFromText('LINESTRING(0 0,1 1)')",
      "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))')",
    ],
    ...wkb,
  },
  {
    col: "point",
    type: "point",
    values: ["ST_GeomFromText('POINT(-1.5 2.25)')", "ST_GeomFromText('POINT(1e308 -1e-308)')"],
    ...wkb,
  },
  {
    col: "polygon",
    type: "polygon",
    values: [
      "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))')",
      "ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))')",
    ],
    ...wkb,
  },
  {
    col: "date",
    type: "date",
    values: [
      "'2020-02-29'",
      "'0000-00-00'",
      "'1000-01-01'",
      "'9999-12-31'",
      "'0000-01-01'",
      "'2020-00-10'",
      "'2020-02-31'",
      "'0000-02-29'",
      "'0000-12-31'",
      "'2020-01-00'",
      "'0001-01-01'",
    ],
    ...date,
    zeroDates: true,
  },
  ...fsps.map((fsp): EdgeCase => ({
    col: `datetime(${fsp})`,
    type: `datetime(${fsp})`,
    values: DATETIME_VALUES,
    ...dateTime(fsp),
    zeroDates: true,
  })),
  ...fsps.map((fsp): EdgeCase => ({
    col: `timestamp(${fsp})`,
    type: `timestamp(${fsp}) NULL`,
    values: TIMESTAMP_VALUES,
    ...instant,
    zeroDates: true,
  })),
  {
    col: "time",
    type: "time",
    values: ["'-838:59:59'", "'838:59:59'", "'00:00:00'", "'-00:00:01'", "'100:00:00'"],
    ...time,
  },
  {
    col: "time(6)",
    type: "time(6)",
    values: [
      "'-838:59:59.000000'",
      "'838:59:59.000000'",
      "'-00:00:00.000001'",
      "'00:00:00.999999'",
      "'-12:34:56.789012'",
    ],
    ...time,
  },
  { col: "time(2)", type: "time(2)", values: ["'-00:00:01.5'", "'838:59:59.99'"], ...time },
  { col: "year", type: "year", values: ["2155", "0", "1901", "2024"], expect: (c) => `${c} + 0` },
  {
    col: "utf8mb4",
    type: "varchar(40) CHARACTER SET utf8mb4",
    values: [
      "'😀 emoji 👍🏽 𝄞'",
      "'nul\\0in\\tside\\\\back\\r\\n\"q'''",
      "''",
      "' lead and trail  '",
      "_utf8mb4 x'efbbbf626f6d'",
      "'\\\\N \\\\t \\\\\\\\'",
      "'😀 emoji 👍🏽'",
      "'e\u0301 \u2028'",
    ],
    ...hexText,
    nul: true,
  },
  {
    col: "latin1",
    type: "varchar(40) CHARACTER SET latin1",
    values: ["'àéîõü ÿ€'", "_latin1 x'8081818d8f909d9fff'", "'tab\\there'", "'\\0'", "''"],
    ...hexText,
    nul: true,
  },
  {
    col: "gbk",
    type: "varchar(40) CHARACTER SET gbk",
    values: ["'中文字符'", "'丂　\\\\'", "'丂　'"],
    ...hexText,
  },
  {
    col: "sjis",
    type: "varchar(40) CHARACTER SET sjis",
    values: ["'ｱｲｳ日本語\\\\'"],
    ...hexText,
  },
  { col: "euckr", type: "varchar(40) CHARACTER SET euckr", values: ["'한국어'"], ...hexText },
  {
    col: "utf8mb3",
    type: "varchar(20) CHARACTER SET utf8mb3",
    values: ["'abc'", "'ÅÄÖ'"],
    ...hexText,
  },
  {
    col: "char",
    type: "char(10) CHARACTER SET latin1",
    values: ["'pad  '", "'x'", "''"],
    ...hexText,
  },
  {
    col: "text",
    type: "text CHARACTER SET utf8mb4",
    values: ["'line1\\nline2\\r\\n\\ttab \\\\ back'", "REPEAT('x😀', 20000)", "''"],
    ...hexText,
  },
  { col: "text latin1", type: "text CHARACTER SET latin1", values: ["'Ä\\t\\n'"], ...hexText },
  {
    col: "longtext",
    type: "longtext CHARACTER SET utf8mb4",
    values: ["REPEAT('x😀', 40000)", "''"],
    ...hexText,
  },
  {
    col: "binary",
    type: "binary(4)",
    values: ["x'00ff'", "x''", "x'ffffffff'", "x'00000000'"],
    ...bytes,
  },
  {
    col: "varbinary",
    type: "varbinary(10)",
    values: ["x'00ff00'", "x''", "x'ff'", "x'00'"],
    ...bytes,
  },
  {
    col: "blob",
    type: "blob",
    values: ["x'00010203ff'", "x''", "REPEAT(x'00ff', 5000)"],
    ...bytes,
  },
  { col: "longblob", type: "longblob", values: ["REPEAT(x'00ff', 40000)"], ...bytes },
  {
    col: "enum",
    type: "enum('a','b,c','it''s','é','a\\\\b','\"q\"',' x')",
    values: ["'b,c'", "'it''s'", "'é'", "'a\\\\b'", "'not a label'", "'\"q\"'", "' x'"],
    ...hexText,
  },
  {
    col: "set",
    type: "set('x','y \\\\z','q''t','ü','y','z''q')",
    values: [
      "'x,q''t'",
      "''",
      "'ü,x'",
      "'x,y \\\\z,q''t,ü'",
      "'x,z''q'",
      "'x,y,z''q,ü'",
    ],
    ...hexText,
  },
  {
    col: "enum latin1",
    type: "enum('€uro','ÿ','Œ,œ','\x81') CHARACTER SET latin1",
    values: ["'€uro'", "'ÿ'", "'Œ,œ'", "_latin1 x'81'"],
    ...hexText,
  },
  {
    col: "set gbk",
    type: "set('中','文','丂') CHARACTER SET gbk",
    values: ["'中,文'", "'丂'", "'中,文,丂'"],
    ...hexText,
  },
  {
    col: "json",
    type: "json",
    values: [
      `'{"a": [1, 18446744073709551615, -9223372036854775808, 1.5e300, 0.1, 1e-7], ` +
      `"b": "中 😀 \\\\u0000 x", "c": {"d": null, "e": true, "f": {"g": [[]]}}}'`,
      "'[]'",
      `'"str"'`,
      "'123456789012345678901234567890.5'",
      `'[1.0, 1E2, 0.000, -0, 1e400, "\\/"]'`,
      `'{"k": "a\\\\\\\\u0000b", "dup": 1, "dup": 2}'`,
      `'{"a": [1, 18446744073709551615, -9223372036854775808, 1.5e300, 0.1, 1e-7], "b": "中\\\\u0000x", "c": {"d": null, "e": true}}'`,
      `'{"k": "a\\\\\\\\u0000b"}'`,
      `'{"dup": 1, "dup": 2}'`,
    ],
    compare: "json",
    nul: true,
  },
  {
    col: "uuid",
    type: "uuid",
    values: ["'123e4567-e89b-12d3-a456-426614174000'", "'6ccd780c-baba-1026-9564-5b8c656024db'"],
  },
  {
    col: "inet4",
    type: "inet4",
    values: ["'10.0.0.1'", "'255.255.255.255'"],
    actual: (c) => `host(${c})`,
  },
  {
    col: "inet6",
    type: "inet6",
    values: ["'::ffff:1.2.3.4'", "'2001:db8::1'", "'::'", "'::1'", "'1:0:0:1:0:0:0:1'"],
    actual: (c) => `host(${c})`,
  },
  // identifiers that need quoting on both sides
  { col: "select", type: "int", values: ["1", "2"] },
  { col: "Mixed Case", type: "varchar(10)", values: ["'Up'", "'low'"] },
  { col: 'quote"d', type: "int", values: ["3", "4"] },
  { col: "back`tick", type: "int", values: ["5", "6"] },
  // generated columns: their values are in row images too
  {
    col: "gen virtual",
    type: "bigint AS (`int` + 1) VIRTUAL",
    values: [],
    generated: true,
  },
  {
    col: "gen stored",
    type: "varchar(60) CHARACTER SET utf8mb4 AS (CONCAT(`utf8mb4`, '!')) STORED",
    values: [],
    ...hexText,
    generated: true,
    nul: true,
  },
];

/** Rows written: one per edge value, plus one all-NULL row. */
export const EDGE_ROWS = Math.max(...EDGE_CASES.map((c) => c.values.length)) + 1;

/** Whether a JSON document holds U+0000 in a key or a string. */
export function jsonHasNul(json: string): boolean {
  const walk = (v: unknown): boolean =>
    typeof v === "string"
      ? v.includes("\u0000")
      : Array.isArray(v)
      ? v.some(walk)
      : v !== null && typeof v === "object"
      ? Object.entries(v).some(([k, x]) => k.includes("\u0000") || walk(x))
      : false;
  return walk(JSON.parse(json));
}

/**
 * MariaDB expressions (over a quoted column) counting, per row, the values the conversion must
 * change: a zero or invalid date becomes NULL, U+0000 leaves text. JSON is counted by the caller
 * with {@link jsonHasNul} over the stored text.
 */
export const lossCounters = {
  "zero-date": (c: string) => `(${c} IS NOT NULL AND ${validDate(c, "1")} IS NULL)`,
  "nul-byte": (c: string) => `(INSTR(CAST(CONVERT(${c} USING utf8mb4) AS BINARY), x'00') > 0)`,
};
