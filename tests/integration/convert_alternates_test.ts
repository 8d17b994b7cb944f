/**
 * Target columns of other compatible types (a user's own choice) fed from both decoders, and
 * patchTableMap's handling of MariaDB's geometry-shifted charsets. The rules themselves:
 * tests/unit/convert_compatibility_test.ts.
 */
import { assertEquals, assertMatch } from "../support/assert.ts";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { startPostgres } from "../../testing/postgres_server.ts";
import { makeEncoder } from "../../src/convert/encode.ts";
import { incompatibility } from "../../src/convert/compatibility.ts";
import { quoteIdent, quoteMySqlIdent } from "../../src/convert/ident.ts";
import { selectList } from "../../src/convert/source.ts";
import { type SourceColumn, sourceColumnsFromSchema } from "../../src/convert/types.ts";
import {
  BinlogCapture,
  catalogColumns,
  copyRows,
  pgClient,
  query,
  type Row,
  sourceConnection,
  writerConnection,
} from "../support/convert.ts";

interface Alternate {
  col: string;
  mysql: string;
  pg: string;
  values: string[];
  /** Expected PostgreSQL text (`::text`) per row; null for NULL. */
  want: (string | null)[];
  /** PostgreSQL expression to read back, default `::text`. */
  read?: (c: string) => string;
}

const ALTERNATES: Alternate[] = [
  {
    col: "t1",
    mysql: "tinyint(1)",
    pg: "boolean",
    values: ["1", "0", "2"],
    want: ["true", "false", "true"],
  },
  { col: "b1", mysql: "bit(1)", pg: "boolean", values: ["b'1'", "b'0'"], want: ["true", "false"] },
  {
    col: "b8",
    mysql: "bit(8)",
    pg: "integer",
    values: ["b'11111111'", "b'1'"],
    want: ["255", "1"],
  },
  {
    col: "b16",
    mysql: "bit(16)",
    pg: "bit varying(20)",
    values: ["b'101'"],
    want: ["0000000000000101"],
  },
  {
    col: "en",
    mysql: "enum('a','b,c','it''s')",
    pg: "character varying(10)",
    values: ["'b,c'", "'it''s'"],
    want: ["b,c", "it's"],
  },
  { col: "en2", mysql: "enum('x','yy')", pg: "text", values: ["'yy'"], want: ["yy"] },
  { col: "st", mysql: "set('x','y','z')", pg: "text", values: ["'x,z'", "''"], want: ["x,z", ""] },
  {
    col: "js",
    mysql: "json",
    pg: "character varying",
    values: [`'{"n": 18446744073709551615, "s": "\\\\u0000"}'`],
    want: [`{"n": 18446744073709551615, "s": "\\u0000"}`],
  },
  {
    col: "js2",
    mysql: "json",
    pg: "json",
    values: [`'{"b": 1, "a": 123456789012345678901234567890}'`],
    want: [`{"b": 1, "a": 123456789012345678901234567890}`],
  },
  { col: "js3", mysql: "json", pg: "text", values: ["'[1.5e300]'"], want: ["[1.5e300]"] },
  {
    col: "bi",
    mysql: "bigint",
    pg: "numeric",
    values: ["-9223372036854775808"],
    want: ["-9223372036854775808"],
  },
  {
    col: "iu",
    mysql: "int unsigned",
    pg: "numeric(10,0)",
    values: ["4294967295"],
    want: ["4294967295"],
  },
  { col: "si", mysql: "smallint", pg: "bigint", values: ["-32768"], want: ["-32768"] },
  { col: "yr", mysql: "year", pg: "integer", values: ["0", "2155"], want: ["0", "2155"] },
  {
    col: "dtm",
    mysql: "datetime(6)",
    pg: "timestamp(6) with time zone",
    values: ["'2020-01-02 03:04:05.678901'", "'0000-00-00 00:00:00'"],
    want: ["2020-01-02 03:04:05.678901+00", null],
  },
  {
    col: "dtmt",
    mysql: "datetime",
    pg: "text",
    values: ["'0000-00-00 00:00:00'", "'2020-01-02 03:04:05'"],
    want: ["0000-00-00 00:00:00", "2020-01-02 03:04:05"],
  },
  {
    col: "ts",
    mysql: "timestamp(6) NULL",
    pg: "timestamp(6) without time zone",
    values: ["'2020-01-02 11:04:05.5'"],
    want: ["2020-01-02 03:04:05.5"],
  },
  {
    col: "tst",
    mysql: "timestamp(3) NULL",
    pg: "text",
    values: ["'2020-01-02 11:04:05.5'"],
    want: ["2020-01-02 03:04:05.500+00"],
  },
  {
    col: "dt",
    mysql: "date",
    pg: "timestamp(0) without time zone",
    values: ["'2020-02-29'"],
    want: ["2020-02-29 00:00:00"],
  },
  {
    col: "bn16",
    mysql: "binary(16)",
    pg: "uuid",
    values: ["x'123e4567e89b12d3a456426614174000'", "x'00000000000000000000000000000001'"],
    want: ["123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000001"],
  },
  {
    col: "i6",
    mysql: "inet6",
    pg: "text",
    values: ["'::ffff:1.2.3.4'", "'::1.2.3.4'", "'1:0:0:1:0:0:0:1'", "'2001:db8:0:0:1::1'"],
    want: ["::ffff:1.2.3.4", "::1.2.3.4", "1:0:0:1::1", "2001:db8::1:0:0:1"],
  },
  {
    col: "uu",
    mysql: "uuid",
    pg: "text",
    values: ["'6ccd780c-baba-1026-9564-5b8c656024db'"],
    want: ["6ccd780c-baba-1026-9564-5b8c656024db"],
  },
  {
    col: "d",
    mysql: "decimal(10,2)",
    pg: "double precision",
    values: ["'12345678.91'"],
    want: ["12345678.91"],
  },
  {
    col: "f",
    mysql: "float",
    pg: "double precision",
    values: ["0.1", "16777217"],
    want: ["0.1", "16777216"],
  },
  {
    col: "ft",
    mysql: "float",
    pg: "text",
    values: ["3.4028234663852886e38", "1e-45"],
    want: ["3.4028235e+38", "1e-45"],
  },
  {
    col: "tm",
    mysql: "time(3)",
    pg: "text",
    values: ["'-838:59:59.000'"],
    want: ["-838:59:59.000"],
  },
  { col: "c", mysql: "char(5) CHARACTER SET latin1", pg: "text", values: ["'ab  '"], want: ["ab"] },
  {
    col: "ltx",
    mysql: "longtext CHARACTER SET utf8mb4",
    pg: "jsonb",
    values: [`'{"a": "\\\\u0000"}'`],
    want: [`{"a": ""}`],
  },
];

const ROWS = Math.max(...ALTERNATES.map((a) => a.values.length)) + 1;

Deno.test("alternate target types receive exact values from both paths", async () => {
  await using my = await startMariaDB();
  await using pg = await startPostgres();
  const writer = await writerConnection(my, "+08:00");
  const reader = await sourceConnection(my);
  const sql = pgClient(pg);
  let capture: BinlogCapture | undefined;
  try {
    await writer.query("CREATE DATABASE alt");
    await writer.query(
      `CREATE TABLE alt.t (id int PRIMARY KEY, ${
        ALTERNATES.map((a) => `${quoteMySqlIdent(a.col)} ${a.mysql}`).join(", ")
      })`,
    );
    const catalog = await catalogColumns(reader, "alt", "t");
    const targets = [
      { name: "id", type: "integer" },
      ...ALTERNATES.map((a) => ({ name: a.col, type: a.pg })),
    ];
    for (let i = 0; i < targets.length; i++) {
      assertEquals(
        incompatibility(catalog[i], targets[i]),
        null,
        `${targets[i].name} is compatible`,
      );
    }
    await sql.unsafe(
      `CREATE TABLE alt (${targets.map((t) => `${quoteIdent(t.name)} ${t.type}`).join(", ")})`,
    );
    const byName = new Map(catalog.map((c) => [c.name, c]));
    capture = await BinlogCapture.start(my, "alt", (_s, _t, column) => byName.get(column));
    await writer.query("SET sql_mode = ''");
    for (let r = 0; r < ROWS; r++) {
      await writer.query(
        `INSERT INTO alt.t VALUES (${r}, ${
          ALTERNATES.map((a) => a.values[r] ?? "NULL").join(", ")
        })`,
      );
    }
    const fromBinlog = await capture.waitFor("alt.t", ROWS);
    const fromSelect = await query<Row>(
      reader,
      `SELECT ${selectList(catalog)} FROM alt.t ORDER BY id`,
    );
    const binlogColumns = sourceColumnsFromSchema(capture.columnSchemas.get("alt.t")!);
    const ignore = () => {};
    const encode = (sources: SourceColumn[], rows: Row[]) => {
      const encoders = targets.map((t, i) => makeEncoder(sources[i], t, ignore));
      return rows.map((row) => targets.map((t, i) => encoders[i](row[t.name])));
    };
    const viaBinlog = encode(binlogColumns, fromBinlog);
    assertEquals(viaBinlog, encode(catalog, fromSelect), "binlog and SELECT encode alike");
    await sql`SET TIME ZONE 'Asia/Tokyo'`;
    await copyRows(sql, "public", "alt", targets.map((t) => t.name), viaBinlog);
    await sql`SET TIME ZONE 'UTC'`;
    const back = await sql.unsafe(
      `SELECT ${
        ALTERNATES.map((a) => `${quoteIdent(a.col)}::text AS ${quoteIdent(a.col)}`).join(", ")
      }
         FROM alt ORDER BY id`,
    );
    for (const a of ALTERNATES) {
      for (let r = 0; r < ROWS; r++) {
        const want = r < a.values.length ? a.want[r] : null;
        assertEquals(back[r][a.col], want, `row ${r} column ${a.col} (${a.mysql} into ${a.pg})`);
      }
    }
  } finally {
    await capture?.stop();
    await writer.end();
    await reader.end();
    await sql.end();
  }
});

Deno.test("patchTableMap: MariaDB text after a geometry column needs the catalog", async () => {
  await using my = await startMariaDB();
  const writer = await writerConnection(my, "+00:00");
  const reader = await sourceConnection(my);
  const captures: BinlogCapture[] = [];
  try {
    await writer.query("CREATE DATABASE geo");
    // Charset recoverable from the binlog: the geometry column comes last
    await writer.query(
      "CREATE TABLE geo.last (id int PRIMARY KEY, c varchar(10) CHARACTER SET latin1, b binary(3), g point)",
    );
    // Not recoverable: zongji drops the charset of the text column after the geometry column
    await writer.query(
      "CREATE TABLE geo.first (id int PRIMARY KEY, g point, c varchar(10) CHARACTER SET latin1)",
    );
    const catalog = new Map<string, SourceColumn>();
    for (const table of ["last", "first"]) {
      for (const c of await catalogColumns(reader, "geo", table)) {
        catalog.set(`${table}.${c.name}`, c);
      }
    }
    const without = await BinlogCapture.start(my, "geo");
    captures.push(without);
    const withCatalog = await BinlogCapture.start(
      my,
      "geo",
      (_schema, table, column) => catalog.get(`${table}.${column}`),
    );
    captures.push(withCatalog);
    await writer.query("INSERT INTO geo.last VALUES (1, 'é€', x'0102', POINT(1, 2))");
    await writer.query("INSERT INTO geo.first VALUES (1, POINT(1, 2), 'é€')");

    const first = await withCatalog.waitFor("geo.first", 1);
    await withCatalog.waitFor("geo.last", 1);
    // Without the catalog the stream fails loudly rather than mis-decoding
    const deadline = Date.now() + 5000;
    while (without.errors.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assertMatch(
      String(without.errors[0]),
      /cannot tell the character set of geo\.first column\(s\) c/,
    );

    // ...but a geometry column after the text columns is repaired from the binlog alone
    const last = without.rows.get("geo.last")!;
    const schema = sourceColumnsFromSchema(without.columnSchemas.get("geo.last")!);
    assertEquals(schema.map((c) => [c.name, c.columnType, c.charset]), [
      ["id", "int", null],
      ["c", "varchar(10)", "latin1"],
      ["b", "binary(3)", null],
      ["g", "point", null],
    ]);
    const encoders = schema.map((c) =>
      makeEncoder(c, {
        name: c.name,
        type: c.name === "c" ? "text" : c.name === "id" ? "integer" : "bytea",
      }, () => {})
    );
    assertEquals(schema.map((c, i) => encoders[i](last[0][c.name])), [
      "1",
      "é€",
      "\\x010200",
      "\\x0101000000000000000000f03f0000000000000040",
    ]);

    const repaired = sourceColumnsFromSchema(withCatalog.columnSchemas.get("geo.first")!);
    assertEquals(repaired.map((c) => [c.name, c.columnType, c.charset]), [
      ["id", "int", null],
      ["g", "point", null],
      ["c", "varchar(10)", "latin1"],
    ]);
    assertEquals(makeEncoder(repaired[2], { name: "c", type: "text" }, () => {})(first[0].c), "é€");
  } finally {
    for (const capture of captures) await capture.stop();
    await writer.end();
    await reader.end();
  }
});
