/**
 * Every MySQL type at its edge values: inserted in MariaDB (session time zone +08:00, server
 * default +05:00), captured through a zongji binlog stream and through a SELECT, encoded with
 * makeEncoder into columns of pgTypeFor types, COPYed into PostgreSQL, read back and compared with
 * what MariaDB itself computes from the stored value.
 */
import { assertEquals } from "./assert.ts";
import { startMariaDB, startPostgres } from "../scripts/servers.ts";
import { makeEncoder } from "../src/convert/encode.ts";
import { pgTypeFor } from "../src/convert/mapping.ts";
import { qualified, quoteIdent, quoteMySqlIdent } from "../src/convert/ident.ts";
import { selectList } from "../src/convert/source.ts";
import {
  type InformationSchemaColumn,
  informationSchemaColumnsSql,
  type LossKind,
  type SourceColumn,
  sourceColumnsFromInformationSchema,
  sourceColumnsFromSchema,
} from "../src/convert/types.ts";
import {
  BinlogCapture,
  canonicalJson,
  copyRows,
  micros,
  pgClient,
  query,
  type Row,
  sourceConnection,
  writerConnection,
} from "./convert_support.ts";

type Compare = "text" | "number" | "micros" | "json" | "time";

interface Case {
  col: string;
  /** MySQL column definition. */
  type: string;
  /** SQL literals, one per row; later rows get NULL. */
  values: string[];
  /** MariaDB expression over the column giving the expected value (NULL: expect NULL). */
  expect?: (c: string) => string;
  /** PostgreSQL expression over the column giving the comparable value. */
  actual?: (c: string) => string;
  compare?: Compare;
}

const hexText = {
  expect: (c: string) => `HEX(REPLACE(CONVERT(${c} USING utf8mb4), CHAR(0 USING utf8mb4), ''))`,
  actual: (c: string) => `upper(encode(convert_to(${c}::text, 'UTF8'), 'hex'))`,
};
const hexBytes = {
  expect: (c: string) => `HEX(${c})`,
  actual: (c: string) => `upper(encode(${c}, 'hex'))`,
};
const wkb = {
  expect: (c: string) => `HEX(ST_AsWKB(${c}))`,
  actual: (c: string) => `upper(encode(${c}, 'hex'))`,
};
/** Zero and invalid dates must arrive as NULL. */
const validDate = (c: string, text: string) =>
  `IF(MONTH(${c}) = 0 OR DAYOFMONTH(${c}) = 0 OR DAYOFMONTH(${c}) > DAYOFMONTH(LAST_DAY(${c})), NULL, ${text})`;
/** PostgreSQL writes MySQL's year 0 as 1 BC. */
const pgYear = (c: string, rest: string) =>
  `CASE WHEN ${c} < '0001-01-01' THEN '0000' || to_char(${c}, '${rest}') ELSE to_char(${c}, 'YYYY${rest}') END`;
const dateTime = (fsp: number) => ({
  expect: (c: string) => validDate(c, `CAST(${c} AS CHAR)`),
  actual: (c: string) =>
    pgYear(c, "-MM-DD HH24:MI:SS") + (fsp ? ` || substr(to_char(${c}, '.US'), 1, ${fsp + 1})` : ""),
});
const timestamp = {
  expect: (c: string) => `NULLIF(UNIX_TIMESTAMP(${c}), 0)`,
  actual: (c: string) => `extract(epoch from ${c})::text`,
  compare: "micros" as const,
};
const time = {
  expect: (c: string) => `CAST(${c} AS CHAR)`,
  actual: (c: string) => `extract(epoch from ${c})::text`,
  compare: "time" as const,
};

const CASES: Case[] = [
  { col: "ti", type: "tinyint", values: ["-128", "127", "0"] },
  { col: "tiu", type: "tinyint unsigned", values: ["0", "255"] },
  { col: "t1", type: "tinyint(1)", values: ["0", "1", "-1"] },
  { col: "si", type: "smallint", values: ["-32768", "32767"] },
  { col: "siu", type: "smallint unsigned", values: ["0", "65535"] },
  { col: "mi", type: "mediumint", values: ["-8388608", "8388607"] },
  { col: "miu", type: "mediumint unsigned", values: ["16777215", "0"] },
  { col: "i", type: "int", values: ["-2147483648", "2147483647", "0"] },
  { col: "iu", type: "int unsigned", values: ["4294967295", "0"] },
  {
    col: "bi",
    type: "bigint",
    values: [
      "-9223372036854775808",
      "9223372036854775807",
      "9007199254740993",
      "-9007199254740993",
    ],
  },
  {
    col: "biu",
    type: "bigint unsigned",
    values: ["18446744073709551615", "9223372036854775808", "9007199254740993", "0"],
  },
  {
    col: "d65",
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
  { col: "d102u", type: "decimal(10,2) unsigned", values: ["99999999.99", "0.00", "0.01"] },
  { col: "d200", type: "decimal(20,0)", values: ["-99999999999999999999", "1"] },
  { col: "d55", type: "decimal(5,5)", values: ["0.12345", "-0.99999"] },
  {
    col: "d122",
    type: "decimal(12,2)",
    values: ["-1234567890.12", "-0.01", "100.50", "1000000001.05"],
  },
  {
    col: "f",
    type: "float",
    values: [
      "3.4028234663852886e38",
      "-3.4028234663852886e38",
      "1.1754943508222875e-38",
      "1.401298464324817e-45",
      "0.1",
      "16777217",
      "-2.5",
    ],
    expect: (c) => `CAST(${c} AS DOUBLE)`,
    actual: (c) => `${c}::float8::text`,
    compare: "number",
  },
  {
    col: "db",
    type: "double",
    values: [
      "1.7976931348623157e308",
      "-1.7976931348623157e308",
      "2.2250738585072014e-308",
      "5e-324",
      "0.1",
      "0.30000000000000004",
      "1e21",
      "123456789012345680000",
    ],
    expect: (c) => `CAST(${c} AS CHAR)`,
    compare: "number",
  },
  {
    col: "b1",
    type: "bit(1)",
    values: ["b'0'", "b'1'"],
    expect: (c) => `LPAD(BIN(${c}), 1, '0')`,
  },
  {
    col: "b64",
    type: "bit(64)",
    values: [`b'${"1".repeat(64)}'`, "b'0'", "b'1'", `b'1${"0".repeat(63)}'`],
    expect: (c) => `LPAD(BIN(${c}), 64, '0')`,
  },
  {
    col: "b10",
    type: "bit(10)",
    values: ["b'1000000001'", "b'0000000001'"],
    expect: (c) => `LPAD(BIN(${c}), 10, '0')`,
  },
  {
    col: "g",
    type: "geometry",
    values: [
      "ST_GeomFromText('POINT(1 2)', 4326)",
      "ST_GeomFromText('LINESTRING(0 0,1 1)')",
      "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))')",
      "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))')",
    ],
    ...wkb,
  },
  {
    col: "dt",
    type: "date",
    values: [
      "'0000-00-00'",
      "'2020-00-10'",
      "'2020-01-00'",
      "'2020-02-31'",
      "'0000-01-01'",
      "'1000-01-01'",
      "'9999-12-31'",
      "'2020-02-29'",
      "'0001-01-01'",
    ],
    expect: (c) => validDate(c, `CAST(${c} AS CHAR)`),
    actual: (c) => pgYear(c, "-MM-DD"),
  },
  {
    col: "dtm",
    type: "datetime",
    values: [
      "'0000-00-00 00:00:00'",
      "'1000-01-01 00:00:00'",
      "'9999-12-31 23:59:59'",
      "'0000-12-31 23:59:59'",
      "'2020-04-31 10:00:00'",
    ],
    ...dateTime(0),
  },
  {
    col: "dtm3",
    type: "datetime(3)",
    values: ["'2020-01-01 00:00:00.5'", "'9999-12-31 23:59:59.999'"],
    ...dateTime(3),
  },
  {
    col: "dtm1",
    type: "datetime(1)",
    values: ["'2020-01-01 00:00:00.5'", "'9999-12-31 23:59:59.9'", "'1000-01-01 00:00:00.0'"],
    ...dateTime(1),
  },
  {
    col: "dtm5",
    type: "datetime(5)",
    values: ["'2020-01-01 00:00:00.00001'", "'9999-12-31 23:59:59.99999'"],
    ...dateTime(5),
  },
  {
    col: "dtm6",
    type: "datetime(6)",
    values: [
      "'2020-00-10 01:02:03.123456'",
      "'2020-02-29 23:59:59.000001'",
      "'1970-01-01 00:00:00.000000'",
      "'0000-00-00 00:00:00.000000'",
    ],
    ...dateTime(6),
  },
  {
    col: "ts",
    type: "timestamp NULL",
    values: [
      "'1970-01-01 08:00:01'",
      "'2038-01-19 11:14:07'",
      "'0000-00-00 00:00:00'",
      "'2020-03-08 10:30:00'",
    ],
    ...timestamp,
  },
  {
    col: "ts1",
    type: "timestamp(1) NULL",
    values: ["'1970-01-01 08:00:01.5'", "'2020-01-01 00:00:00.1'"],
    ...timestamp,
  },
  {
    col: "ts6",
    type: "timestamp(6) NULL",
    values: [
      "'2038-01-19 11:14:07.999999'",
      "'2001-02-03 12:00:00.000001'",
      "'2021-11-07 09:30:00.5'",
    ],
    ...timestamp,
  },
  {
    col: "tm",
    type: "time",
    values: ["'-838:59:59'", "'838:59:59'", "'00:00:00'", "'-00:00:01'", "'100:00:00'"],
    ...time,
  },
  {
    col: "tm6",
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
  { col: "tm2", type: "time(2)", values: ["'-00:00:01.5'", "'838:59:59.99'"], ...time },
  { col: "yr", type: "year", values: ["0", "1901", "2155", "2024"], expect: (c) => `${c} + 0` },
  {
    col: "u8",
    type: "varchar(40) CHARACTER SET utf8mb4",
    values: [
      "'😀 emoji 👍🏽'",
      "'nul\\0in\\tside\\\\back\\r\\n\"q'''",
      "''",
      "' lead and trail  '",
      "_utf8mb4 x'efbbbf626f6d'",
      "'e\u0301 \u2028'",
    ],
    ...hexText,
  },
  {
    col: "l1",
    type: "varchar(40) CHARACTER SET latin1",
    values: ["'àéîõü ÿ€'", "_latin1 x'8081818d8f909d9fff'", "''"],
    ...hexText,
  },
  {
    col: "gbk",
    type: "varchar(40) CHARACTER SET gbk",
    values: ["'中文字符'", "'丂　'"],
    ...hexText,
  },
  { col: "sjis", type: "varchar(40) CHARACTER SET sjis", values: ["'ｱｲｳ日本語\\\\'"], ...hexText },
  { col: "euckr", type: "varchar(40) CHARACTER SET euckr", values: ["'한국어'"], ...hexText },
  { col: "u3", type: "varchar(20) CHARACTER SET utf8mb3", values: ["'abc'", "'ÅÄÖ'"], ...hexText },
  {
    col: "ch",
    type: "char(10) CHARACTER SET latin1",
    values: ["'pad  '", "'x'", "''"],
    ...hexText,
  },
  { col: "tx", type: "text CHARACTER SET latin1", values: ["'Ä\\t\\n'"], ...hexText },
  {
    col: "ltx",
    type: "longtext CHARACTER SET utf8mb4",
    values: ["REPEAT('x😀', 40000)", "''"],
    ...hexText,
  },
  {
    col: "bn",
    type: "binary(4)",
    values: ["x'00ff'", "x''", "x'00000000'", "x'ffffffff'"],
    ...hexBytes,
  },
  { col: "vb", type: "varbinary(10)", values: ["x'00ff00'", "x''", "x'00'"], ...hexBytes },
  { col: "bl", type: "blob", values: ["x'00010203ff'", "x''"], ...hexBytes },
  { col: "lb", type: "longblob", values: ["REPEAT(x'00ff', 40000)"], ...hexBytes },
  {
    col: "en",
    type: "enum('a','b,c','it''s','é','a\\\\b',' x')",
    values: ["'b,c'", "'it''s'", "'é'", "'a\\\\b'", "'not a label'", "' x'"],
    ...hexText,
  },
  {
    col: "st",
    type: "set('x','y','z''q','ü')",
    values: ["'x,z''q'", "''", "'ü,x'", "'x,y,z''q,ü'"],
    ...hexText,
  },
  {
    col: "js",
    type: "json",
    values: [
      `'{"a": [1, 18446744073709551615, -9223372036854775808, 1.5e300, 0.1, 1e-7], "b": "中\\\\u0000x", "c": {"d": null, "e": true}}'`,
      "'[]'",
      `'"str"'`,
      "'123456789012345678901234567890.5'",
      `'{"k": "a\\\\\\\\u0000b"}'`,
      `'{"dup": 1, "dup": 2}'`,
    ],
    expect: (c) => `${c}`,
    actual: (c) => `${c}::text`,
    compare: "json",
  },
  {
    col: "pt",
    type: "point",
    values: ["ST_GeomFromText('POINT(-1.5 2.25)')", "ST_GeomFromText('POINT(1e308 -1e-308)')"],
    ...wkb,
  },
  {
    col: "poly",
    type: "polygon",
    values: ["ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(1 1,2 1,2 2,1 1))')"],
    ...wkb,
  },
  {
    col: "uu",
    type: "uuid",
    values: ["'123e4567-e89b-12d3-a456-426614174000'", "'6ccd780c-baba-1026-9564-5b8c656024db'"],
  },
  {
    col: "i4",
    type: "inet4",
    values: ["'10.0.0.1'", "'255.255.255.255'"],
    actual: (c) => `host(${c})`,
  },
  {
    col: "i6",
    type: "inet6",
    values: ["'::ffff:1.2.3.4'", "'2001:db8::1'", "'::'", "'::1'", "'1:0:0:1:0:0:0:1'"],
    actual: (c) => `host(${c})`,
  },
];

/** Generated columns: their values are in row images too. */
const GENERATED: Case[] = [
  { col: "gen_v", type: "bigint AS (i + 1) VIRTUAL", values: [] },
  {
    col: "gen_s",
    type: "varchar(60) CHARACTER SET utf8mb4 AS (CONCAT(u8, '!')) STORED",
    values: [],
    ...hexText,
  },
];

const ROWS = Math.max(...CASES.map((c) => c.values.length)) + 1;

Deno.test("every type at its edges: binlog and SELECT both arrive exactly", async () => {
  await using my = await startMariaDB();
  await using pg = await startPostgres();
  const writer = await writerConnection(my, "+08:00");
  // Every new session, the query path's included, starts in +05:00
  await writer.query("SET GLOBAL time_zone = '+05:00'");
  const reader = await sourceConnection(my);
  const sql = pgClient(pg);
  let capture: BinlogCapture | undefined;
  try {
    await writer.query("CREATE DATABASE conv");
    const defs = [
      "id int PRIMARY KEY",
      ...CASES.map((c) => `${quoteMySqlIdent(c.col)} ${c.type}`),
      ...GENERATED.map((c) => `${quoteMySqlIdent(c.col)} ${c.type}`),
    ];
    await writer.query(`CREATE TABLE conv.edge (${defs.join(", ")})`);
    const catalog = sourceColumnsFromInformationSchema(
      await query<InformationSchemaColumn>(reader, informationSchemaColumnsSql("mariadb"), [
        "conv",
        "edge",
      ]),
    );
    const byName = new Map(catalog.map((c) => [c.name, c]));
    capture = await BinlogCapture.start(my, "conv", (_s, _t, column) => byName.get(column));

    await writer.query("SET sql_mode = 'ALLOW_INVALID_DATES'");
    for (let r = 0; r < ROWS; r++) {
      const values = CASES.map((c) => c.values[r] ?? "NULL");
      await writer.query(
        `INSERT INTO conv.edge (id, ${CASES.map((c) => quoteMySqlIdent(c.col)).join(", ")}) ` +
          `VALUES (${r}, ${values.join(", ")})`,
      );
    }

    // The two ways a row reaches us
    const fromBinlog = await capture.waitFor("conv.edge", ROWS);
    const fromSelect = await query<Row>(
      reader,
      `SELECT ${selectList(catalog)} FROM conv.edge ORDER BY id`,
    );
    const binlogSchema = capture.columnSchemas.get("conv.edge")!;
    const binlogColumns = sourceColumnsFromSchema(binlogSchema);

    // JSON is a longtext alias in MariaDB: only the catalog knows
    assertEquals(catalog.find((c) => c.name === "js")?.json, true);
    // The patch repaired zongji's charset shift after the geometry column
    for (const name of ["u8", "l1", "gbk", "sjis", "euckr", "u3", "ch", "tx", "ltx", "gen_s"]) {
      assertEquals(
        binlogColumns.find((c) => c.name === name)?.charset,
        byName.get(name)?.charset,
        `charset of ${name} from the binlog`,
      );
    }

    const targets = catalog.map((c) => ({ name: c.name, type: pgTypeFor(c) }));
    const targetDefs = targets.map((t) => `${quoteIdent(t.name)} ${t.type}`).join(", ");
    await sql.unsafe(`CREATE SCHEMA conv`);
    await sql.unsafe(`CREATE TABLE conv.via_binlog (${targetDefs})`);
    await sql.unsafe(`CREATE TABLE conv.via_select (${targetDefs})`);

    const encode = (
      sources: SourceColumn[],
      rows: Row[],
      losses: Map<string, number>,
    ): (string | null)[][] => {
      const encoders = targets.map((t, i) =>
        makeEncoder(sources[i], t, (what: LossKind, column: string) => {
          const key = `${column}:${what}`;
          losses.set(key, (losses.get(key) ?? 0) + 1);
        })
      );
      const ordered = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
      return ordered.map((row) => targets.map((t, i) => encoders[i](row[t.name])));
    };
    const binlogLosses = new Map<string, number>();
    const selectLosses = new Map<string, number>();
    const viaBinlog = encode(binlogColumns, fromBinlog, binlogLosses);
    const viaSelect = encode(catalog, fromSelect, selectLosses);

    // Both decoders must give the very same text, field by field
    for (let r = 0; r < ROWS; r++) {
      targets.forEach((t, i) =>
        assertEquals(
          viaBinlog[r][i],
          viaSelect[r][i],
          `row ${r} column ${t.name}: binlog vs SELECT`,
        )
      );
    }
    assertEquals(Object.fromEntries(binlogLosses), Object.fromEntries(selectLosses), "losses");
    assertEquals(Object.fromEntries(binlogLosses), {
      "dt:zero-date": 4,
      "dtm:zero-date": 2,
      "dtm6:zero-date": 2,
      "ts:zero-date": 1,
      "js:nul-byte": 1,
      "u8:nul-byte": 1,
      "gen_s:nul-byte": 1,
    });

    const names = targets.map((t) => t.name);
    await copyRows(sql, "conv", "via_binlog", names, viaBinlog);
    await copyRows(sql, "conv", "via_select", names, viaSelect);

    // Compare with what MariaDB computes from the stored values
    const all = [...CASES, ...GENERATED];
    const expected = await query<Record<string, string | null>>(
      reader,
      `SELECT id, ${
        all.map((c) =>
          `${(c.expect ?? ((x) => `CAST(${x} AS CHAR)`))(quoteMySqlIdent(c.col))} AS ${
            quoteMySqlIdent(c.col)
          }`
        ).join(", ")
      } FROM conv.edge ORDER BY id`,
    );
    for (const table of ["via_binlog", "via_select"]) {
      const actual = await sql.unsafe(
        `SELECT ${
          all.map((c) =>
            `(${(c.actual ?? ((x) => `${x}::text`))(quoteIdent(c.col))}) AS ${quoteIdent(c.col)}`
          )
            .join(", ")
        } FROM ${qualified("conv", table)}`,
      );
      assertEquals(actual.length, ROWS);
      for (let r = 0; r < ROWS; r++) {
        for (const c of all) {
          const want = expected[r][c.col];
          const got = actual[r][c.col] as string | null;
          const where = `${table} row ${r} column ${c.col}`;
          if (want === null || got === null) {
            assertEquals(got, want === null ? null : String(want), where);
            continue;
          }
          switch (c.compare ?? "text") {
            case "text":
              assertEquals(got, String(want), where);
              break;
            case "number":
              assertEquals(Number(got), Number(want), where);
              break;
            case "micros":
              assertEquals(micros(got), micros(String(want)), where);
              break;
            case "time":
              assertEquals(micros(got), mysqlTimeMicros(String(want)), where);
              break;
            case "json":
              assertEquals(canonicalJson(got), canonicalJson(String(want)), where);
              break;
          }
        }
      }
    }
  } finally {
    await capture?.stop();
    await writer.end();
    await reader.end();
    await sql.end();
  }
});

/** `-838:59:59.000001` -> microseconds. */
function mysqlTimeMicros(text: string): bigint {
  const m = /^(-?)(\d+):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a TIME: ${text}`);
  const seconds = BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4]);
  const value = seconds * 1_000_000n + BigInt((m[5] ?? "").padEnd(6, "0"));
  return m[1] === "-" ? -value : value;
}
