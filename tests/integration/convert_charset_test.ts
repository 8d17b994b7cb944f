/**
 * Our decoding of raw text bytes (what the binlog carries) against the server's own conversion to
 * utf8mb4 (what a SELECT returns), for every storable character of the charsets we call exact.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../support/assert.ts";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { charsetSupport, decoderFor } from "../../src/convert/charset.ts";
import { quoteMySqlIdent } from "../../src/convert/ident.ts";
import { query, writerConnection } from "../support/convert.ts";

const hex = (b: number) => b.toString(16).padStart(2, "0");
const utf8 = (h: string) => Buffer.from(h, "hex").toString("utf8");

/** Compares stored bytes decoded by us with the server's utf8mb4 rendering, column by column. */
function compare(rows: Record<string, string | null>[], charsets: string[]): void {
  for (const charset of charsets) {
    const decode = decoderFor(charset);
    assert(decode, `decoder for ${charset}`);
    const mismatches: string[] = [];
    let checked = 0;
    for (const row of rows) {
      const stored = row[`${charset}_raw`];
      const server = row[`${charset}_utf8`];
      if (stored === null || server === null) continue;
      // The server renders characters it cannot convert as '?': never stored by a strict insert
      if (server === "3F" && stored !== "3F") continue;
      checked++;
      const ours = decode(Buffer.from(stored, "hex"));
      if (ours !== utf8(server)) {
        mismatches.push(`${stored}: ${JSON.stringify(ours)} != ${JSON.stringify(utf8(server))}`);
      }
    }
    assertEquals(
      mismatches.slice(0, 10),
      [],
      `${charset}: ${mismatches.length} of ${checked} differ`,
    );
    assert(checked > 0, `${charset}: nothing compared`);
  }
}

Deno.test("charset decoding matches the server for every storable character", async (t) => {
  await using my = await startMariaDB();
  const db = await writerConnection(my, "+00:00");
  try {
    await db.query("CREATE DATABASE cs");
    await db.query("SET sql_mode = ''");

    await t.step("all single-byte charsets, all 256 bytes", async () => {
      const charsets = (await query<{ name: string }>(
        db,
        `SELECT CHARACTER_SET_NAME AS name FROM information_schema.CHARACTER_SETS
          WHERE MAXLEN = 1 AND CHARACTER_SET_NAME <> 'binary' ORDER BY 1`,
      )).map((r) => r.name);
      assert(charsets.length >= 20, "single-byte charsets");
      for (const charset of charsets) assertEquals(charsetSupport(charset), "exact", charset);
      await db.query(
        `CREATE TABLE cs.single (${
          charsets.map((c) => `${quoteMySqlIdent(c)} varbinary(1)`).join(", ")
        })`,
      );
      const values = Array.from(
        { length: 256 },
        (_, b) => `(${charsets.map(() => `x'${hex(b)}'`).join(", ")})`,
      );
      await db.query(`INSERT INTO cs.single VALUES ${values.join(", ")}`);
      const rows = await query<Record<string, string | null>>(
        db,
        `SELECT ${
          charsets.map((c) =>
            `HEX(${quoteMySqlIdent(c)}) AS ${quoteMySqlIdent(`${c}_raw`)}, ` +
            `HEX(CONVERT(CAST(${quoteMySqlIdent(c)} AS CHAR CHARACTER SET ${c}) USING utf8mb4)) ` +
            `AS ${quoteMySqlIdent(`${c}_utf8`)}`
          ).join(", ")
        } FROM cs.single`,
      );
      compare(rows, charsets);
    });

    await t.step("double-byte charsets, every lead and trail byte", async () => {
      const charsets = ["gbk", "gb2312", "sjis", "cp932", "euckr"];
      await db.query(
        `CREATE TABLE cs.multi (${
          charsets.map((c) => `${c} varchar(2) CHARACTER SET ${c}`).join(", ")
        })`,
      );
      const sequences: string[] = [];
      for (let b = 0x20; b < 0x80; b++) sequences.push(hex(b));
      for (let lead = 0x81; lead <= 0xfe; lead++) {
        sequences.push(hex(lead));
        for (let trail = 0x40; trail <= 0xfe; trail++) sequences.push(hex(lead) + hex(trail));
      }
      for (let i = 0; i < sequences.length; i += 4000) {
        const chunk = sequences.slice(i, i + 4000);
        await db.query(
          `INSERT IGNORE INTO cs.multi VALUES ${
            chunk.map((s) => `(${charsets.map(() => `x'${s}'`).join(", ")})`).join(", ")
          }`,
        );
      }
      const rows = await query<Record<string, string | null>>(
        db,
        `SELECT ${
          charsets.map((c) =>
            `HEX(${c}) AS ${c}_raw, HEX(CONVERT(${c} USING utf8mb4)) AS ${c}_utf8`
          ).join(", ")
        } FROM cs.multi`,
      );
      compare(rows, charsets);
    });

    await t.step("UTF-16 and UTF-32 flavours, astral characters and a leading BOM", async () => {
      const charsets = ["ucs2", "utf16", "utf16le", "utf32", "utf8mb3", "utf8mb4"];
      await db.query(
        `CREATE TABLE cs.wide (${
          charsets.map((c) => `${c} varchar(20) CHARACTER SET ${c}`).join(", ")
        })`,
      );
      const samples = ["\ufeffBOM first", "aé中", "😀𠀀x", "", "\u0000nul"];
      for (const sample of samples) {
        const bmp = [...sample].every((ch) => ch.codePointAt(0)! <= 0xffff);
        const values = charsets.map((c) =>
          (c === "ucs2" || c === "utf8mb3") && !bmp ? "NULL" : `CONVERT(? USING ${c})`
        );
        const params = charsets.filter((c) => !((c === "ucs2" || c === "utf8mb3") && !bmp))
          .map(() => sample);
        await db.query(`INSERT INTO cs.wide VALUES (${values.join(", ")})`, params);
      }
      const rows = await query<Record<string, string | null>>(
        db,
        `SELECT ${
          charsets.map((c) =>
            `HEX(${c}) AS ${c}_raw, HEX(CONVERT(${c} USING utf8mb4)) AS ${c}_utf8`
          ).join(", ")
        } FROM cs.wide`,
      );
      compare(rows, charsets);
    });
  } finally {
    await db.end();
  }
});
