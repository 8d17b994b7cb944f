/** Conversion pieces that need no server: formatting, parsing, quoting, COPY escaping. */
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { copyStatement, copyText } from "../../src/convert/copy.ts";
import { qualified, quoteIdent, quoteMySqlIdent } from "../../src/convert/ident.ts";
import { makeEncoder } from "../../src/convert/encode.ts";
import { inet6Text } from "../../src/convert/encode_bytes.ts";
import { dateStatus, unwrapEpoch } from "../../src/convert/encode_dates.ts";
import { doubleText, float32Text } from "../../src/convert/encode_numbers.ts";
import { dropNulEscapes } from "../../src/convert/encode_strings.ts";
import { pgTypeFor } from "../../src/convert/pg_type.ts";
import { parseLabels } from "../../src/convert/source_kind.ts";
import { describeTarget } from "../../src/convert/target_kind.ts";
import { charsetSupport, decoderFor } from "../../src/convert/charset.ts";
import { selectExpression } from "../../src/convert/source.ts";
import {
  dataTypeOf,
  lowerTypeText,
  type SourceColumn,
  sourceColumnsFromInformationSchema,
  sourceColumnsFromSchema,
} from "../../src/convert/types.ts";

const col = (columnType: string, charset: string | null = null): SourceColumn => ({
  name: "c",
  columnType,
  dataType: dataTypeOf(columnType),
  unsigned: /unsigned/.test(columnType),
  charset,
  nullable: true,
});

Deno.test("copyText escapes backslash, tab, newline and CR; NULL is \\N", () => {
  assertEquals(
    copyText(["a", null, "", "b\\c", "t\tn\nr\r", "\\x00ff", "\\."]),
    "a\t\\N\t\tb\\\\c\tt\\tn\\nr\\r\t\\\\x00ff\t\\\\.\n",
  );
  assertEquals(copyText([]), "\n");
  assertEquals(copyText(["a\tb", null], "t"), "a\\tb\t\\N\tt\n");
  assertEquals(
    copyStatement("s", 'we"ird', ["a", "B c"]),
    `COPY "s"."we""ird" ("a", "B c") FROM STDIN`,
  );
});

Deno.test("identifiers are always quoted", () => {
  assertEquals(quoteIdent("select"), '"select"');
  assertEquals(quoteIdent('a"b'), '"a""b"');
  assertEquals(quoteIdent("Mixed Case"), '"Mixed Case"');
  assertEquals(qualified("public", "order"), '"public"."order"');
  assertEquals(quoteMySqlIdent("a`b"), "`a``b`");
  assertThrows(() => quoteIdent("a\u0000b"), Error);
});

Deno.test("pgTypeFor follows DESIGN section 4", () => {
  const cases: [string, string | null, string][] = [
    ["tinyint(4)", null, "smallint"],
    ["tinyint(3) unsigned", null, "smallint"],
    ["smallint(6)", null, "smallint"],
    ["smallint(5) unsigned", null, "integer"],
    ["mediumint(8) unsigned", null, "integer"],
    ["int(11)", null, "integer"],
    ["int(10) unsigned", null, "bigint"],
    ["bigint(20)", null, "bigint"],
    ["bigint(20) unsigned", null, "numeric(20,0)"],
    ["decimal(65,30)", null, "numeric(65,30)"],
    ["decimal(10,2) unsigned", null, "numeric(10,2)"],
    ["float", null, "real"],
    ["double", null, "double precision"],
    ["bit(1)", null, "bit(1)"],
    ["bit(64)", null, "bit(64)"],
    ["date", null, "date"],
    ["datetime", null, "timestamp(0) without time zone"],
    ["datetime(6)", null, "timestamp(6) without time zone"],
    ["timestamp(3)", null, "timestamp(3) with time zone"],
    ["time(6)", null, "interval"],
    ["year(4)", null, "smallint"],
    ["char(10)", "latin1", "character(10)"],
    ["varchar(255)", "utf8mb4", "character varying(255)"],
    ["char(0)", "utf8mb4", "text"],
    ["mediumtext", "gbk", "text"],
    ["binary(16)", null, "bytea"],
    ["varbinary(10)", null, "bytea"],
    ["longblob", null, "bytea"],
    ["enum('a','b')", "utf8mb4", "text"],
    ["set('a','b')", "utf8mb4", "text"],
    ["json", null, "jsonb"],
    ["point", null, "bytea"],
    ["geomcollection", null, "bytea"],
    ["uuid", null, "uuid"],
    ["inet6", null, "inet"],
  ];
  for (const [type, charset, pg] of cases) assertEquals(pgTypeFor(col(type, charset)), pg, type);
  assertEquals(pgTypeFor({ ...col("longtext", "utf8mb4"), json: true }), "jsonb");
  assertEquals(pgTypeFor(col("polygon"), { postgis: true }), "geometry");
  assertThrows(() => pgTypeFor(col("frobnicate")), Error);
});

Deno.test("describeTarget reads format_type output and common aliases", () => {
  assertEquals(describeTarget("timestamp(3) with time zone"), {
    kind: "timestamp",
    fsp: 3,
    tz: true,
  });
  assertEquals(describeTarget("timestamp without time zone"), {
    kind: "timestamp",
    fsp: 6,
    tz: false,
  });
  assertEquals(describeTarget("timestamptz"), { kind: "timestamp", fsp: 6, tz: true });
  assertEquals(describeTarget("numeric(20,0)"), { kind: "numeric", precision: 20, scale: 0 });
  assertEquals(describeTarget("numeric"), { kind: "numeric", precision: null, scale: 0 });
  assertEquals(describeTarget("character varying(4)"), { kind: "varchar", length: 4 });
  assertEquals(describeTarget("bit varying"), { kind: "varbit", width: null });
  assertEquals(describeTarget("interval day to second"), {
    kind: "interval",
    fsp: 6,
    fields: true,
  });
  assertEquals(describeTarget("interval(3)"), { kind: "interval", fsp: 3, fields: false });
  assertEquals(describeTarget("public.geometry(Point,4326)"), { kind: "geometry" });
  assertEquals(describeTarget("int8"), { kind: "bigint" });
  assertEquals(describeTarget('"char"').kind, "other");
  assertEquals(describeTarget("integer[]").kind, "other");
});

Deno.test("FLOAT prints as the shortest decimal of the 32-bit value", () => {
  assertEquals(float32Text(Math.fround(0.1)), "0.1");
  assertEquals(float32Text(-0), "-0");
  assertEquals(float32Text(0), "0");
  assertEquals(float32Text(3.4028234663852886e38), "3.4028235e+38");
  assertEquals(float32Text(1.401298464324817e-45), "1e-45");
  assertEquals(float32Text(1.1754943508222875e-38), "1.1754944e-38");
  assertEquals(float32Text(16777216), "16777216");
  assertEquals(float32Text(1e10), "10000000000");
  assertEquals(doubleText(-0), "-0");
  assertEquals(doubleText(5e-324), "5e-324");
  fc.assert(
    fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (f) => {
      const text = float32Text(f);
      const back = Math.fround(Number(text));
      return Object.is(back, f) || (back === f && f !== 0) ||
        (f === 0 && text === (Object.is(f, -0) ? "-0" : "0"));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("dates: zero and invalid dates are refused, year 0 is 1 BC", () => {
  assertEquals(dateStatus("2020-02-29"), 0);
  assertEquals(dateStatus("2019-02-29"), -1);
  assertEquals(dateStatus("0000-00-00 00:00:00"), -1);
  assertEquals(dateStatus("2020-00-10"), -1);
  assertEquals(dateStatus("2020-01-00"), -1);
  assertEquals(dateStatus("2020-04-31 10:00:00"), -1);
  assertEquals(dateStatus("0000-01-01"), 1);
  assertEquals(dateStatus("9999-12-31 23:59:59.999999"), 0);
  assertEquals(unwrapEpoch("1901-12-13 20:45:52.5"), "2038-01-19 03:14:08.5");
});

Deno.test("jsonb: \\u0000 escapes go, escaped backslashes stay", () => {
  assertEquals(dropNulEscapes(String.raw`{"a": "x\u0000y"}`), String.raw`{"a": "xy"}`);
  assertEquals(dropNulEscapes(String.raw`{"a": "x\\u0000y"}`), String.raw`{"a": "x\\u0000y"}`);
  assertEquals(dropNulEscapes(String.raw`["\\\u0000", "\u0000\u0000"]`), String.raw`["\\", ""]`);
});

Deno.test("INET6 text matches the server's formatting", () => {
  const v6 = (hex: string) => inet6Text(Buffer.from(hex, "hex"));
  assertEquals(v6("00000000000000000000000000000000"), "::");
  assertEquals(v6("00000000000000000000000000000001"), "::1");
  assertEquals(v6("00000000000000000000ffff01020304"), "::ffff:1.2.3.4");
  assertEquals(v6("00000000000000000000000001020304"), "::1.2.3.4");
  assertEquals(v6("20010db8000000000000000000000001"), "2001:db8::1");
  assertEquals(v6("00010000000000010000000000000001"), "1:0:0:1::1");
  assertEquals(v6("20010db8000000000001000000000001"), "2001:db8::1:0:0:1");
  assertEquals(v6("20010db8000100010001000100010001"), "2001:db8:1:1:1:1:1:1");
  assertEquals(v6("20010db8000000010001000100010001"), "2001:db8:0:1:1:1:1:1");
});

Deno.test("ENUM/SET labels and COLUMN_TYPE case", () => {
  assertEquals(parseLabels("enum('a','b,c','it''s','a\\\\b',' x')"), [
    "a",
    "b,c",
    "it's",
    "a\\b",
    " x",
  ]);
  assertEquals(parseLabels("set('X','y')"), ["X", "y"]);
  assertEquals(lowerTypeText("ENUM('A','b') "), "enum('A','b')");
  assertEquals(lowerTypeText("DECIMAL(10,2) UNSIGNED"), "decimal(10,2) unsigned");
});

Deno.test("source column adapters", () => {
  const fromBinlog = sourceColumnsFromSchema([
    { COLUMN_NAME: "a", COLUMN_TYPE: "int unsigned", CHARACTER_SET_NAME: null, UNSIGNED: true },
    {
      COLUMN_NAME: "b",
      COLUMN_TYPE: "enum('x,y','z')",
      CHARACTER_SET_NAME: "utf8mb4",
      ENUM_VALUES: ["x,y", "z"],
    },
    { COLUMN_NAME: "c", COLUMN_TYPE: "geomcollection", CHARACTER_SET_NAME: null },
  ]);
  assertEquals(fromBinlog[0], {
    name: "a",
    columnType: "int unsigned",
    dataType: "int",
    unsigned: true,
    charset: null,
    nullable: true,
  });
  assertEquals(fromBinlog[1].labels, ["x,y", "z"]);
  assertEquals(fromBinlog[2].dataType, "geometrycollection");
  const fromCatalog = sourceColumnsFromInformationSchema([
    {
      COLUMN_NAME: "j",
      COLUMN_TYPE: "longtext",
      DATA_TYPE: "longtext",
      CHARACTER_SET_NAME: "utf8mb4",
      IS_NULLABLE: "YES",
      EXTRA: "",
      IS_JSON: 1,
    },
    {
      COLUMN_NAME: "g",
      COLUMN_TYPE: "int(11)",
      DATA_TYPE: "int",
      CHARACTER_SET_NAME: null,
      IS_NULLABLE: "NO",
      EXTRA: "VIRTUAL GENERATED",
      IS_JSON: 0,
    },
  ]);
  assertEquals(fromCatalog[0].json, true);
  assertEquals(fromCatalog[1], {
    name: "g",
    columnType: "int(11)",
    dataType: "int",
    unsigned: false,
    charset: null,
    nullable: false,
    generated: true,
  });
});

Deno.test("charset support levels", () => {
  assertEquals(charsetSupport("latin1"), "exact");
  assertEquals(charsetSupport("swe7"), "exact");
  assertEquals(charsetSupport("utf8"), "exact");
  assertEquals(charsetSupport("big5"), "approximate");
  assertEquals(charsetSupport("binary"), "unsupported");
  assertEquals(charsetSupport("klingon"), "unsupported");
  // MySQL's latin1 is cp1252 with the five holes mapped to C1 controls
  assertEquals(decoderFor("latin1")!(Uint8Array.from([0x80, 0x81, 0x9d, 0xff])), "€\u0081\u009dÿ");
  // A leading byte order mark is data
  assertEquals(decoderFor("utf8mb4")!(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61])), "\ufeffa");
  assertEquals(decoderFor("utf32")!(Uint8Array.from([0, 1, 0xf6, 0x00])), "😀");
});

Deno.test("SELECT expressions read FLOAT and geometry exactly", () => {
  assertEquals(
    selectExpression({ ...col("float"), name: "f`x" }),
    "CAST(`f``x` AS DOUBLE) AS `f``x`",
  );
  assertEquals(selectExpression({ ...col("point"), name: "p" }), "CAST(`p` AS BINARY) AS `p`");
  assertEquals(selectExpression({ ...col("int"), name: "i" }), "`i`");
});

Deno.test("makeEncoder: per-type values from either decoder", () => {
  const losses: string[] = [];
  const enc = (type: string, target: string, charset: string | null = null) =>
    makeEncoder(
      col(type, charset),
      { name: "c", type: target },
      (what, column) => losses.push(`${column}:${what}`),
    );

  assertEquals(
    enc("bigint unsigned", "numeric(20,0)")("18446744073709551615"),
    "18446744073709551615",
  );
  assertEquals(enc("bigint", "bigint")(-42), "-42");
  assertEquals(enc("bigint", "bigint")(12n), "12");
  assertEquals(enc("tinyint(1)", "boolean")(2), "t");
  assertEquals(enc("tinyint(1)", "boolean")(0), "f");
  assertEquals(enc("bit(1)", "boolean")(Buffer.from([1])), "t");
  assertEquals(enc("bit(10)", "bit(10)")(Buffer.from([0x02, 0x01])), "1000000001");
  assertEquals(enc("bit(64)", "bit(64)")(Buffer.alloc(8, 0xff)), "1".repeat(64));
  assertEquals(enc("bit(12)", "bigint")(Buffer.from([0x0f, 0xff])), "4095");
  assertEquals(enc("year", "smallint")(1900), "0");
  assertEquals(enc("year", "smallint")(0), "0");
  assertEquals(enc("year", "smallint")(2155), "2155");
  assertEquals(enc("date", "date")("0000-00-00"), null);
  assertEquals(enc("date", "date")("0000-03-04"), "0001-03-04 BC");
  assertEquals(
    enc("datetime(3)", "timestamp(3) with time zone")("2020-01-02 03:04:05.600"),
    "2020-01-02 03:04:05.600+00",
  );
  assertEquals(
    enc("datetime", "timestamp(0) without time zone")("0000-12-31 23:59:59"),
    "0001-12-31 23:59:59 BC",
  );
  assertEquals(
    enc("timestamp(6)", "timestamp(6) with time zone")("2038-01-19 03:14:07.999999"),
    "2038-01-19 03:14:07.999999+00",
  );
  assertEquals(
    enc("timestamp", "timestamp(0) with time zone")("1901-12-13 20:45:52"),
    "2038-01-19 03:14:08+00",
  );
  assertEquals(enc("timestamp", "timestamp(0) with time zone")("0000-00-00 00:00:00"), null);
  assertEquals(enc("time(6)", "interval")("-838:59:59.000000"), "-838:59:59.000000");
  assertEquals(enc("varchar(10)", "text", "latin1")(Uint8Array.from([0x80, 0x00, 0x41])), "€A");
  assertEquals(enc("varchar(10)", "text", "utf8mb4")("a\u0000b"), "ab");
  assertEquals(enc("binary(4)", "bytea")(Buffer.from([0, 0xff])), "\\x00ff0000");
  assertEquals(enc("varbinary(4)", "bytea")(Buffer.from([0, 0xff])), "\\x00ff");
  assertEquals(enc("enum('a','b')", "text")(undefined), "");
  assertEquals(enc("enum('a','b')", "text")(null), null);
  assertEquals(enc("enum('a','b')", "text")(2), "b");
  assertEquals(enc("set('a','b','c')", "text")(5), "a,c");
  assertEquals(enc("json", "jsonb")(`{"a": "\\u0000"}`), `{"a": ""}`);
  assertEquals(enc("json", "json")(`{"a": "\\u0000"}`), `{"a": "\\u0000"}`);
  assertEquals(enc("float", "real")(Math.fround(0.1)), "0.1");
  assertEquals(
    enc("uuid", "uuid")(Buffer.from("123e4567e89b12d3a456426614174000", "hex")),
    "123e4567-e89b-12d3-a456-426614174000",
  );
  assertEquals(enc("inet4", "inet")(Buffer.from([10, 0, 0, 1])), "10.0.0.1");
  // A point with SRID 4326: the bytea holds plain WKB, PostGIS gets EWKB with the SRID
  const point = Buffer.from("e61000000101000000000000000000f03f0000000000000040", "hex");
  assertEquals(enc("point", "bytea")(point), "\\x0101000000000000000000f03f0000000000000040");
  assertEquals(
    enc("point", "geometry")(point),
    "0101000020e6100000000000000000f03f0000000000000040",
  );
  assertEquals(losses, ["c:zero-date", "c:zero-date", "c:nul-byte", "c:nul-byte", "c:nul-byte"]);

  const misuse = assertThrows(() => enc("date", "date")(new Date()), TypeError);
  assertMatch(misuse.message, /dateStrings/);
  assertThrows(() => enc("json", "jsonb")({ a: 1 }), TypeError);
  assertThrows(() => enc("geometry", "bytea")({ x: 1, y: 2 }), TypeError);
  const refused = assertThrows(() => enc("varchar(10)", "integer", "utf8mb4"), Error);
  assert(refused.message.includes("cannot go into integer"), refused.message);
});
