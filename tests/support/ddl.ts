/** What the DDL replay tests compare: a target's layout with the source table's, and the rows. */
import { assertEquals } from "./assert.ts";
import type { Config } from "../../src/config/config.ts";
import { pgTypeFor } from "../../src/convert/pg_type.ts";
import { readSourceTable } from "../../src/source/catalog.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  runCli,
  type RunningSync,
  startSync,
  waitForCatchUp,
} from "../../testing/fixture.ts";

/** Every table of schema `s`. */
export const EVERY_TABLE = `[[source]]\nschema = "s"\ntables = ["*"]\n`;

/** Schemas `s` and `o`, table `s.base` on both sides, the position at the end of the binlog. */
export async function prepare(fixture: Fixture, body = EVERY_TABLE): Promise<Config> {
  await fixture.my.query(`
    CREATE DATABASE s; CREATE DATABASE o;
    CREATE TABLE s.base (id INT PRIMARY KEY, v VARCHAR(20));`);
  await fixture.pg.unsafe(`CREATE TABLE public.base (id integer PRIMARY KEY, v varchar(20))`);
  const config = await fixture.writeConfig(body);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  return config;
}

/** Starts the sync and waits until it streams (a row of `base` applied). */
export async function startStreaming(fixture: Fixture, config: Config): Promise<RunningSync> {
  const sync = await startSync(config);
  await fixture.my.query(`INSERT INTO s.base VALUES (1, 'streaming')`);
  await waitForCatchUp(fixture, sync);
  return sync;
}

/** Columns (`name type`, by name) and primary key of a PostgreSQL table. */
export async function targetLayout(
  fixture: Fixture,
  schema: string,
  table: string,
): Promise<{ columns: string[]; key: string[] }> {
  const columns = await fixture.pg<{ name: string; type: string }[]>`
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ${schema} AND c.relname = ${table} AND a.attnum > 0
       AND NOT a.attisdropped`;
  const key = await fixture.pg<{ name: string }[]>`
    SELECT a.attname AS name
      FROM pg_constraint k CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
      JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace s ON s.oid = c.relnamespace
     WHERE s.nspname = ${schema} AND c.relname = ${table} AND k.contype = 'p' ORDER BY u.n`;
  return {
    columns: columns.map((c) => `${c.name} ${c.type}`).sort(),
    key: key.map((k) => k.name),
  };
}

/** The layout `snapshot` would give the target of MySQL `schema.table` as it is now. */
export async function expectedLayout(
  fixture: Fixture,
  schema: string,
  table: string,
): Promise<{ columns: string[]; key: string[] }> {
  const source = await readSourceTable(fixture.my, schema, table);
  if (!source) throw new Error(`no MySQL table ${schema}.${table}`);
  return {
    columns: source.columns.map((c) => `${c.name} ${pgTypeFor(c)}`).sort(),
    key: source.primaryKey,
  };
}

/** Asserts the target has the layout snapshot would make for the source table now. */
export async function assertSameLayout(
  fixture: Fixture,
  source: { schema: string; table: string },
  target: { schema: string; table: string },
): Promise<void> {
  assertEquals(
    await targetLayout(fixture, target.schema, target.table),
    await expectedLayout(fixture, source.schema, source.table),
    `layout of ${target.schema}.${target.table} against MySQL ${source.schema}.${source.table}`,
  );
}

/** Asserts `verify` finds every followed table equal, row by row, value by value. */
export async function assertVerified(config: Config, tables?: string): Promise<void> {
  const args = ["verify", "-c", config.file, ...(tables ? ["--tables", tables] : [])];
  const result = await runCli(args);
  assertEquals(result.code, 0, `verify: ${result.stdout}\n${result.stderr}`);
  if (Deno.env.get("MGS_TEST_LOG")) console.log(result.stdout, result.stderr);
}

/** The sync's log so far. */
export async function syncLog(config: Config): Promise<string> {
  return await Deno.readTextFile(`${config.dataDir}/sync.log`);
}
