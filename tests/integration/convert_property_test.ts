/**
 * Random values of every common type survive MariaDB -> binlog (zongji) -> makeEncoder -> COPY ->
 * PostgreSQL, and the SELECT path encodes them to the same text.
 */
import fc from "fast-check";
import { Buffer } from "node:buffer";
import { assertEquals } from "../support/assert.ts";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { startPostgres } from "../../testing/postgres_server.ts";
import { makeEncoder } from "../../src/convert/encode.ts";
import { pgTypeFor } from "../../src/convert/pg_type.ts";
import { quoteIdent, quoteMySqlIdent } from "../../src/convert/ident.ts";
import { selectList } from "../../src/convert/source.ts";
import { sourceColumnsFromSchema } from "../../src/convert/types.ts";
import {
  BinlogCapture,
  canonicalJson,
  canonicalNumber,
  catalogColumns,
  copyRows,
  pgClient,
  query,
  type Row,
  sourceConnection,
  writerConnection,
} from "../support/convert.ts";
import {
  clock,
  decimalIn,
  intIn,
  jsonArb,
  nullable,
  pad,
  timeArb,
  unicode,
  ymd,
} from "../support/arbitraries.ts";

const LABELS = ["a", "b,c", "it's", "é", "😀"];
const SET_LABELS = ["x", "y", "z'q", "ü"];

const COLUMNS: Record<string, string> = {
  ti: "tinyint",
  siu: "smallint unsigned",
  mi: "mediumint",
  iu: "int unsigned",
  bi: "bigint",
  biu: "bigint unsigned",
  d: "decimal(30,10)",
  d65: "decimal(65,30)",
  f: "float",
  db: "double",
  b: "bit(37)",
  dt: "date",
  dtm: "datetime(6)",
  ts: "timestamp(6) NULL",
  tm: "time(6)",
  yr: "year",
  u8: "text CHARACTER SET utf8mb4",
  l1: "varchar(100) CHARACTER SET latin1",
  gbk: "varchar(100) CHARACTER SET gbk",
  vb: "varbinary(200)",
  js: "json",
  en: `enum(${LABELS.map((l) => `'${l.replaceAll("'", "''")}'`).join(",")})`,
  st: `set(${SET_LABELS.map((l) => `'${l.replaceAll("'", "''")}'`).join(",")})`,
};

const orNull = <T>(arb: fc.Arbitrary<T>) => nullable(arb, 8);
/** Zero dates only: STRICT_ALL_TABLES refuses other invalid ones. */
const date = ymd(28, true);

const CJK = fc.oneof(
  fc.integer({ min: 0x4e00, max: 0x9fa5 }),
  fc.integer({ min: 0x20, max: 0x7e }),
).map((cp) => String.fromCodePoint(cp));

/** JSON text with exact big integers, doubles, unicode strings and nesting. */
const jsonText = jsonArb({ string: 12, items: 4, key: 6 }, false);

const rowArb = fc.record({
  ti: orNull(intIn(8, false)),
  siu: orNull(intIn(16, true)),
  mi: orNull(intIn(24, false)),
  iu: orNull(intIn(32, true)),
  bi: orNull(intIn(64, false)),
  biu: orNull(intIn(64, true)),
  d: orNull(decimalIn(20, 10)),
  d65: orNull(decimalIn(35, 30)),
  f: orNull(fc.float({ noNaN: true, noDefaultInfinity: true })),
  db: orNull(fc.double({ noNaN: true, noDefaultInfinity: true })),
  b: orNull(fc.bigInt(0n, 2n ** 37n - 1n)),
  dt: orNull(date),
  dtm: orNull(fc.tuple(date, clock).map(([d, c]) => `${d} ${c}`)),
  ts: orNull(
    fc.tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 999999 })),
  ),
  tm: orNull(timeArb),
  yr: orNull(fc.oneof(fc.constant(0), fc.integer({ min: 1901, max: 2155 }))),
  u8: orNull(unicode(60)),
  l1: orNull(fc.uint8Array({ maxLength: 100 })),
  gbk: orNull(fc.array(CJK, { maxLength: 40 }).map((a) => a.join(""))),
  vb: orNull(fc.uint8Array({ maxLength: 200 })),
  js: orNull(jsonText),
  en: orNull(fc.constantFrom(...LABELS)),
  st: orNull(fc.subarray(SET_LABELS).map((a) => a.join(","))),
});
type GenRow = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;

/** The SQL value placeholder and parameter for one generated field. */
function param(col: string, value: unknown): [string, unknown] {
  if (value === null) return ["?", null];
  switch (col) {
    case "f":
    case "db":
      return ["?", String(value)];
    case "b":
      return ["CAST(? AS UNSIGNED)", String(value)];
    case "ts": {
      const [s, us] = value as [number, number];
      return ["FROM_UNIXTIME(?)", `${s}.${pad(us, 6)}`];
    }
    case "l1":
    case "vb":
      return ["?", Buffer.from(value as Uint8Array)];
  }
  return ["?", value];
}

/** What PostgreSQL must hold for a generated value, in the form the check query returns. */
function expected(col: string, value: unknown): string | null {
  if (value === null) return null;
  switch (col) {
    case "d":
    case "d65":
      return canonicalNumber(value as string);
    case "f":
      return String(Math.fround(value as number) || 0);
    case "db":
      return String((value as number) || 0);
    case "b":
      return (value as bigint).toString(2).padStart(37, "0");
    case "dt":
    case "dtm": {
      const text = value as string;
      if (/^0000-00-00|-00-|-00( |$)/.test(text.slice(0, 10) + " ")) return null;
      return text;
    }
    case "ts": {
      const [s, us] = value as [number, number];
      return String(BigInt(s) * 1_000_000n + BigInt(us));
    }
    case "tm": {
      const m = /^(-?)(\d+):(\d\d):(\d\d)\.(\d{6})$/.exec(value as string)!;
      const v = (BigInt(m[2]) * 3600n + BigInt(m[3]) * 60n + BigInt(m[4])) * 1_000_000n +
        BigInt(m[5]);
      return String(m[1] ? -v : v);
    }
    case "yr":
      return String(value);
    case "u8":
      return (value as string).replaceAll("\u0000", "");
    case "vb":
      return Buffer.from(value as Uint8Array).toString("hex");
    case "js":
      return canonicalJson(value as string);
  }
  return String(value);
}

/** The PostgreSQL expression whose text is compared with {@link expected}. */
function pgCheck(col: string): string {
  const c = quoteIdent(col);
  switch (col) {
    case "f":
    case "db":
      return `${c}::float8::text`;
    case "dt":
      return `CASE WHEN ${c} < '0001-01-01' THEN '0000' || to_char(${c}, '-MM-DD') ELSE ${c}::text END`;
    case "dtm":
      return `CASE WHEN ${c} < '0001-01-01' THEN '0000' || to_char(${c}, '-MM-DD HH24:MI:SS.US')
              ELSE to_char(${c}, 'YYYY-MM-DD HH24:MI:SS.US') END`;
    case "ts":
    case "tm":
      return `(extract(epoch from ${c}) * 1000000)::bigint::text`;
    case "vb":
      return `encode(${c}, 'hex')`;
  }
  return `${c}::text`;
}

Deno.test("random values survive binlog -> encode -> PostgreSQL", async () => {
  await using my = await startMariaDB();
  await using pg = await startPostgres();
  const writer = await writerConnection(my, "+08:00");
  const reader = await sourceConnection(my);
  const sql = pgClient(pg);
  let capture: BinlogCapture | undefined;
  try {
    await writer.query("CREATE DATABASE prop");
    const defs = Object.entries(COLUMNS).map(([c, t]) => `${quoteMySqlIdent(c)} ${t}`);
    await writer.query(`CREATE TABLE prop.t (id int PRIMARY KEY, ${defs.join(", ")})`);
    await writer.query("SET sql_mode = 'STRICT_ALL_TABLES'");
    const catalog = await catalogColumns(reader, "prop", "t");
    const targets = catalog.map((c) => ({ name: c.name, type: pgTypeFor(c) }));
    await sql.unsafe(
      `CREATE TABLE prop (${targets.map((t) => `${quoteIdent(t.name)} ${t.type}`).join(", ")})`,
    );
    capture = await BinlogCapture.start(my, "prop");
    const cols = Object.keys(COLUMNS);
    let nextId = 1;
    let seen = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 1, maxLength: 25 }),
        async (rows: GenRow[]) => {
          const first = nextId;
          nextId += rows.length;
          const tuples: string[] = [];
          const params: unknown[] = [];
          rows.forEach((row, k) => {
            const parts = ["?"];
            params.push(first + k);
            for (const c of cols) {
              const [placeholder, value] = param(c, row[c as keyof GenRow]);
              parts.push(placeholder);
              params.push(value);
            }
            tuples.push(`(${parts.join(", ")})`);
          });
          await writer.query(
            `INSERT INTO prop.t (id, ${cols.map(quoteMySqlIdent).join(", ")}) VALUES ${
              tuples.join(", ")
            }`,
            params,
          );
          seen += rows.length;
          const all = await capture!.waitFor("prop.t", seen);
          const fromBinlog = all.slice(seen - rows.length);
          const fromSelect = await query<Row>(
            reader,
            `SELECT ${selectList(catalog)} FROM prop.t WHERE id >= ? ORDER BY id`,
            [first],
          );
          const binlogColumns = sourceColumnsFromSchema(capture!.columnSchemas.get("prop.t")!);
          const ignore = () => {};
          const binlogEncoders = targets.map((t, i) => makeEncoder(binlogColumns[i], t, ignore));
          const selectEncoders = targets.map((t, i) => makeEncoder(catalog[i], t, ignore));
          const encoded = fromBinlog.map((row) =>
            targets.map((t, i) => binlogEncoders[i](row[t.name]))
          );
          const viaSelect = fromSelect.map((row) =>
            targets.map((t, i) => selectEncoders[i](row[t.name]))
          );
          assertEquals(encoded, viaSelect, "binlog and SELECT encode alike");

          await sql.unsafe("TRUNCATE prop");
          await copyRows(sql, "public", "prop", targets.map((t) => t.name), encoded);
          const back = await sql.unsafe(
            `SELECT id, ${cols.map((c) => `${pgCheck(c)} AS ${quoteIdent(c)}`).join(", ")}
             FROM prop ORDER BY id`,
          );
          const latin1 = await query<{ h: string | null }>(
            reader,
            "SELECT HEX(CONVERT(l1 USING utf8mb4)) AS h FROM prop.t WHERE id >= ? ORDER BY id",
            [first],
          );
          rows.forEach((row, k) => {
            for (const c of cols) {
              let got = back[k][c] as string | null;
              let want = c === "l1"
                ? latin1[k].h === null
                  ? null
                  : Buffer.from(latin1[k].h!, "hex").toString("utf8").replaceAll("\u0000", "")
                : expected(c, row[c as keyof GenRow]);
              if (got !== null && (c === "d" || c === "d65")) got = canonicalNumber(got);
              if (got !== null && c === "js") got = canonicalJson(got);
              if (c === "f" || c === "db") {
                got = got === null ? null : String(Number(got));
                want = want === null ? null : String(Number(want));
              }
              assertEquals(
                got,
                want,
                `id ${first + k} column ${c}: ${
                  JSON.stringify(
                    row[c as keyof GenRow],
                    (_k, v) => typeof v === "bigint" ? String(v) : v,
                  )
                }`,
              );
            }
          });
        },
      ),
      { numRuns: Number(Deno.env.get("CONVERT_PROPERTY_RUNS") ?? 12) },
    );
  } finally {
    await capture?.stop();
    await writer.end();
    await reader.end();
    await sql.end();
  }
});
