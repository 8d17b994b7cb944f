// verify's statement budget, counted by PostgreSQL itself (pg_stat_statements), for an integer, a
// composite and a text key, and an integer key's slice of a merged target (a source tag's rows,
// beside another shard's with the same keys): every chunk costs the same few statements whatever its size (on
// Greenplum each statement is dispatched to every segment, so this is what verify costs there);
// differing rows cost statements per chunk, not per row; and no statement verify sends uses what
// Greenplum 6 lacks.
import { assert, assertEquals } from "../support/assert.ts";
import { Logger } from "../../src/util/log.ts";
import type { Config } from "../../src/config/config.ts";
import { DEFAULT_VERIFY_OPTIONS, verify, type VerifyReport } from "../../src/verify/verify.ts";
import { type Fixture, startFixture } from "../../testing/fixture.ts";
import { countStatements, statementsSince } from "../../testing/statement_counts.ts";

const ROWS = 240;

/**
 * Statements per chunk at most, by table, as pg_stat_statements counts them: BEGIN, COPY and the
 * check (the COMMIT, which postgres.js sends as a prepared statement, it counts only once); by key
 * set also the insert of the chunk's keys and the two planner settings.
 */
const PER_CHUNK = { num: 3, pair: 3, word: 6, merged: 3 };

const TABLES = ["num", "pair", "word", "merged"] as const;

/** Statements of a verify beyond its chunks at most: connecting, work tables, final passes. */
const FIXED = 30;

/** 240 rows in chunks of 6, 24, 120 and 240 rows: 41, 11, 3 and 2 chunks (the last one empty). */
const CHUNK_ROWS = [6, 24, 120, 240];

/** The source tag of shop.merged's rows: instance_name defaults to sync_id, that to server_id. */
const SHARD = "1001.shop.merged";

const SOURCE_DDL = `
  CREATE DATABASE shop;
  CREATE TABLE shop.num (id INT PRIMARY KEY, val VARCHAR(20));
  CREATE TABLE shop.pair (a INT, b INT, val VARCHAR(20), PRIMARY KEY (a, b));
  CREATE TABLE shop.word (code VARCHAR(20) PRIMARY KEY, val VARCHAR(20))
    COLLATE utf8mb4_general_ci;
  CREATE TABLE shop.merged (id INT PRIMARY KEY, val VARCHAR(20));
  INSERT INTO shop.merged SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_${ROWS};
  INSERT INTO shop.num SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_${ROWS};
  INSERT INTO shop.pair SELECT seq % 7, seq, CONCAT('v', seq) FROM shop.seq_1_to_${ROWS};
  INSERT INTO shop.word SELECT CONCAT(IF(seq % 2, 'K', 'k'), seq), CONCAT('v', seq)
    FROM shop.seq_1_to_${ROWS};`;

const TARGET_DDL = `
  CREATE TABLE public.num (id integer PRIMARY KEY, val varchar(20));
  CREATE TABLE public.pair (a integer, b integer, val varchar(20), PRIMARY KEY (a, b));
  CREATE TABLE public.word (code varchar(20) PRIMARY KEY, val varchar(20));
  INSERT INTO num SELECT g, 'v' || g FROM generate_series(1, ${ROWS}) g;
  INSERT INTO pair SELECT g % 7, g, 'v' || g FROM generate_series(1, ${ROWS}) g;
  INSERT INTO word SELECT CASE WHEN g % 2 = 1 THEN 'K' ELSE 'k' END || g, 'v' || g
    FROM generate_series(1, ${ROWS}) g;
  CREATE TABLE public.merged (id integer, val varchar(20), shard text, PRIMARY KEY (id, shard));
  INSERT INTO merged SELECT g, 'v' || g, s FROM generate_series(1, ${ROWS}) g,
    (VALUES ('${SHARD}'), ('other')) o(s);`;

/** 20 rows missing, 20 changed and 20 extra in each table (and in the other shard's rows). */
const DAMAGE = `
  DELETE FROM num WHERE id % 12 = 1;
  UPDATE num SET val = 'changed' WHERE id % 12 = 2;
  INSERT INTO num SELECT 1000 + g, 'extra' FROM generate_series(1, 20) g;
  DELETE FROM pair WHERE b % 12 = 1;
  UPDATE pair SET val = NULL WHERE b % 12 = 2;
  INSERT INTO pair SELECT g, 1000 + g, 'extra' FROM generate_series(1, 20) g;
  DELETE FROM word WHERE substr(code, 2)::int % 12 = 1;
  UPDATE word SET val = 'changed' WHERE substr(code, 2)::int % 12 = 2;
  INSERT INTO word SELECT 'extra' || g, 'extra' FROM generate_series(1, 20) g;
  DELETE FROM merged WHERE id % 12 = 1 AND shard = '${SHARD}';
  UPDATE merged SET val = 'changed' WHERE id % 12 = 2 AND shard = '${SHARD}';
  INSERT INTO merged SELECT 1000 + g, 'extra', '${SHARD}' FROM generate_series(1, 20) g;
  DELETE FROM merged WHERE id % 12 = 3 AND shard = 'other';
  UPDATE merged SET val = 'other' WHERE shard = 'other';
  INSERT INTO merged SELECT 2000 + g, 'extra', 'other' FROM generate_series(1, 20) g;`;

async function measure(
  fixture: Fixture,
  config: Config,
  table: string,
  chunkRows: number,
): Promise<{ report: VerifyReport; count: number; texts: string[] }> {
  await statementsSince(fixture.pg);
  const report = await verify(
    config,
    { ...DEFAULT_VERIFY_OPTIONS, tables: [`shop.${table}`], chunkRows, waitMs: 1_000 },
    new Logger("error", { quiet: true }),
  );
  return { report, ...await statementsSince(fixture.pg) };
}

Deno.test("verify: a fixed number of statements per chunk, whatever its size or differences", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(SOURCE_DDL);
  await fixture.pg.unsafe(TARGET_DDL);
  await countStatements(fixture);
  const config = await fixture.writeConfig(
    `[[source]]\nschema = "shop"\ntables = ${JSON.stringify(TABLES)}\n` +
      `[[rule]]\nschema = "shop"\ntable = "merged"\nsource_column = "shard"\n`,
  );

  const texts: string[] = [];
  const whole = { num: 0, pair: 0, word: 0, merged: 0 };
  for (const table of TABLES) {
    const runs = [];
    for (const chunkRows of CHUNK_ROWS) {
      const run = await measure(fixture, config, table, chunkRows);
      assert(run.report.equal, `${table} compares equal`);
      assertEquals(run.report.tables[0].rows, ROWS);
      texts.push(...run.texts);
      runs.push({ chunks: run.report.tables[0].chunks, count: run.count });
    }
    assertEquals(runs.map((r) => r.chunks), [41, 11, 3, 2]);
    // statements = fixed + perChunk * chunks, exactly, for every chunk size
    const perChunk = (runs[0].count - runs[1].count) / (runs[0].chunks - runs[1].chunks);
    const fixed = runs[0].count - perChunk * runs[0].chunks;
    const summary = `${table}: ${runs.map((r) => `${r.count} statements for ${r.chunks} chunks`)}`;
    for (const run of runs) {
      assertEquals(run.count, fixed + perChunk * run.chunks, `not linear: ${summary}`);
    }
    assert(perChunk <= PER_CHUNK[table], `${perChunk} statements per chunk: ${summary}`);
    assert(fixed <= FIXED, `${fixed} statements besides the chunks: ${summary}`);
    whole[table] = runs[3].count;
  }

  await fixture.pg.unsafe(DAMAGE);
  for (const table of TABLES) {
    const run = await measure(fixture, config, table, ROWS);
    const t = run.report.tables[0];
    assertEquals([t.missing, t.extra, t.different], [20, 20, 20], table);
    texts.push(...run.texts);
    // The 60 differing rows are listed, re-checked and reported in a few statements, not 60
    const more = run.count - whole[table];
    assert(more <= 20, `${table}: ${more} more statements for 60 differences`);
  }

  assert(texts.length > 30, `only ${texts.length} distinct statements seen`);
  for (const text of texts) {
    assert(!/\bLATERAL\b|ON CONFLICT|\bMERGE\b/i.test(text), `Greenplum 6 lacks: ${text}`);
  }
});
