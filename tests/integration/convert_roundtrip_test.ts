/**
 * Every MySQL type at its edge values: inserted in MariaDB (session time zone +08:00, server
 * default +05:00), captured through a zongji binlog stream and through a SELECT, encoded with
 * makeEncoder into columns of pgTypeFor types, COPYed into PostgreSQL, read back and compared with
 * what MariaDB itself computes from the stored value.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { startPostgres } from "../../testing/postgres_server.ts";
import { makeEncoder } from "../../src/convert/encode.ts";
import { pgTypeFor } from "../../src/convert/pg_type.ts";
import { qualified, quoteIdent, quoteMySqlIdent } from "../../src/convert/ident.ts";
import { selectList } from "../../src/convert/source.ts";
import {
  type LossKind,
  type SourceColumn,
  sourceColumnsFromSchema,
} from "../../src/convert/types.ts";
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
import {
  asText,
  castChar,
  comparable,
  EDGE_CASES,
  EDGE_ROWS,
  jsonHasNul,
  lossCounters,
} from "../support/edge_cases.ts";

/** The shared edge cases; the generated ones are not written. */
const WRITTEN = EDGE_CASES.filter((c) => !c.generated);
const ROWS = EDGE_ROWS;

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
      ...EDGE_CASES.map((c) => `${quoteMySqlIdent(c.col)} ${c.type}`),
    ];
    await writer.query(`CREATE TABLE conv.edge (${defs.join(", ")})`);
    const catalog = await catalogColumns(reader, "conv", "edge");
    const byName = new Map(catalog.map((c) => [c.name, c]));
    capture = await BinlogCapture.start(my, "conv", (_s, _t, column) => byName.get(column));

    await writer.query("SET sql_mode = 'ALLOW_INVALID_DATES'");
    for (let r = 0; r < ROWS; r++) {
      const values = WRITTEN.map((c) => c.values[r] ?? "NULL");
      await writer.query(
        `INSERT INTO conv.edge (id, ${WRITTEN.map((c) => quoteMySqlIdent(c.col)).join(", ")}) ` +
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
    assertEquals(catalog.find((c) => c.name === "json")?.json, true);
    // The patch repaired zongji's charset shift after the geometry columns
    const textColumns = catalog.filter((c) => c.charset !== null).map((c) => c.name);
    assert(textColumns.length >= 10, `text columns: ${textColumns}`);
    for (const name of textColumns) {
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
    // The values that had to change, as MariaDB counts them in what it stored
    const lossy = EDGE_CASES.flatMap((c) => [
      ...(c.zeroDates ? [{ c, kind: "zero-date" as const }] : []),
      ...(c.nul && c.compare !== "json" ? [{ c, kind: "nul-byte" as const }] : []),
    ]);
    const [counts] = await query<Record<string, string | number>>(
      reader,
      `SELECT ${
        lossy.map(({ c, kind }, i) =>
          `CAST(SUM(${lossCounters[kind](quoteMySqlIdent(c.col))}) AS SIGNED) AS n${i}`
        ).join(", ")
      } FROM conv.edge`,
    );
    const expectedLosses: Record<string, number> = {};
    lossy.forEach(({ c, kind }, i) => expectedLosses[`${c.col}:${kind}`] = Number(counts[`n${i}`]));
    for (const c of EDGE_CASES.filter((c) => c.nul && c.compare === "json")) {
      const stored = await query<{ v: string | null }>(
        reader,
        `SELECT CAST(${quoteMySqlIdent(c.col)} AS CHAR) AS v FROM conv.edge`,
      );
      expectedLosses[`${c.col}:nul-byte`] = stored.filter((s) => s.v !== null && jsonHasNul(s.v))
        .length;
    }
    // Every flagged case holds such a value, or its flag is wrong
    for (const [key, n] of Object.entries(expectedLosses)) assert(n > 0, `no loss in ${key}`);
    assertEquals(Object.fromEntries(binlogLosses), expectedLosses);

    const names = targets.map((t) => t.name);
    await copyRows(sql, "conv", "via_binlog", names, viaBinlog);
    await copyRows(sql, "conv", "via_select", names, viaSelect);

    // Compare with what MariaDB computes from the stored values
    const all = EDGE_CASES;
    const expected = await query<Record<string, string | null>>(
      reader,
      `SELECT id, ${
        all.map((c) =>
          `${(c.expect ?? castChar)(quoteMySqlIdent(c.col))} AS ${quoteMySqlIdent(c.col)}`
        ).join(", ")
      } FROM conv.edge ORDER BY id`,
    );
    for (const table of ["via_binlog", "via_select"]) {
      const actual = await sql.unsafe(
        `SELECT ${
          all.map((c) => `(${(c.actual ?? asText)(quoteIdent(c.col))}) AS ${quoteIdent(c.col)}`)
            .join(", ")
        } FROM ${qualified("conv", table)}`,
      );
      assertEquals(actual.length, ROWS);
      for (let r = 0; r < ROWS; r++) {
        for (const c of all) {
          const kind = c.compare ?? "text";
          assertEquals(
            await comparable(kind, "postgresql", actual[r][c.col]),
            await comparable(kind, "mariadb", expected[r][c.col]),
            `${table} row ${r} column ${c.col}`,
          );
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
