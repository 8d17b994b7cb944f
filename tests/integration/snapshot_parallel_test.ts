// snapshot with concurrent_size readers: chunks of several tables (an integer key, a composite
// key, a binary key) are copied over several PostgreSQL connections at once and the targets end
// equal to the source; off a terminal, progress comes as log lines with rows, rate and time left;
// --json keeps its fields and adds some.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { Logger } from "../../src/util/log.ts";
import { DEFAULT_VERIFY_OPTIONS, verify } from "../../src/verify/verify.ts";
import { cliCommand, mysqlRows, pgRows, startFixture } from "../../testing/fixture.ts";
import { tableDifferences } from "../../testing/table_compare.ts";

const WIDE_ROWS = 150_000;

const MULTI = `
  CREATE DATABASE multi;
  CREATE TABLE multi.wide (id BIGINT PRIMARY KEY, name VARCHAR(40), amount DECIMAL(12,2),
    at DATETIME(6));
  CREATE TABLE multi.pairs (grp INT, name VARCHAR(20), n INT, PRIMARY KEY (grp, name));
  CREATE TABLE multi.bin (k VARBINARY(20) PRIMARY KEY, v INT);
  INSERT INTO multi.wide SELECT seq, CONCAT('name ', seq), seq / 100,
    '2024-01-01 00:00:00.5' + INTERVAL seq SECOND FROM multi.seq_1_to_${WIDE_ROWS};
  INSERT INTO multi.pairs SELECT seq % 7, CONCAT('member ', seq), seq FROM multi.seq_1_to_30000;
  INSERT INTO multi.bin SELECT UNHEX(SHA1(seq)), seq FROM multi.seq_1_to_12000;`;

Deno.test("chunks load in parallel over several connections; progress lines; equal targets", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(MULTI);
  const config = await fixture.writeConfig(`
concurrent_size = 3

[[source]]
schema = "multi"
tables = ["pairs", "bin", "wide"]
`);
  const child = cliCommand([
    "snapshot",
    "-c",
    config.file,
    "--chunk-rows",
    "2000",
    "--progress-seconds",
    "0.1",
    "--json",
  ]).spawn();
  // COPYs in progress at once, seen from PostgreSQL while the snapshot runs
  let mostCopies = 0;
  let running = true;
  const output = child.output().finally(() => running = false);
  while (running) {
    const [{ copies }] = await fixture.pg<{ copies: number }[]>`
      SELECT count(*)::int AS copies FROM pg_stat_activity
       WHERE application_name = 'mysql-gp-sync' AND state = 'active' AND query LIKE 'COPY %'`;
    mostCopies = Math.max(mostCopies, copies);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const result = await output;
  const stdout = new TextDecoder().decode(result.stdout);
  const stderr = new TextDecoder().decode(result.stderr);
  assertEquals(result.code, 0, stderr);
  assert(mostCopies >= 2, `at most ${mostCopies} COPY at a time`);

  // Off a terminal: log lines with the rows against the source's count, the rate, the time left
  assertMatch(
    stderr,
    /\[INFO\] progress: multi\.wide: [\d,]+ of ~[\d,]+ rows \(\d+%\), [\d,]+ rows\/s, (~[\dminhs ]+ left|time left unknown)$/m,
  );
  assertMatch(stderr, /with 3 readers \(a consistent read per chunk, no lock\)/);

  const doc = JSON.parse(stdout);
  // The fields --json always had, then the new ones
  for (const field of ["bin_name", "bin_pos", "snapshot_position", "rows", "seconds"]) {
    assert(field in doc, `--json lost ${field}`);
  }
  assertEquals([doc.readers, doc.rows], [3, WIDE_ROWS + 30_000 + 12_000]);
  assertEquals(
    doc.tables.map((t: { source: string; rows: number; chunks: number; created: boolean }) => [
      t.source,
      t.rows,
      t.chunks,
      t.created,
    ]),
    [
      ["multi.pairs", 30_000, 15, true],
      ["multi.bin", 12_000, 6, true],
      ["multi.wide", WIDE_ROWS, WIDE_ROWS / 2_000, true],
    ],
  );

  assertEquals(
    await tableDifferences(fixture.my, fixture.pg, {
      mysqlTable: "multi.wide",
      pgTable: "public.wide",
      columns: "id, name, amount",
      rangeColumn: "id",
    }),
    [],
  );
  assertEquals(
    await tableDifferences(fixture.my, fixture.pg, {
      mysqlTable: "multi.pairs",
      pgTable: "public.pairs",
      columns: "grp, name, n",
      rangeColumn: "n",
    }),
    [],
  );
  assertEquals(
    await pgRows(fixture.pg, "SELECT encode(k, 'hex'), v FROM public.bin"),
    await mysqlRows(fixture.my, "SELECT LOWER(HEX(k)), v FROM multi.bin"),
  );
  const quiet = new Logger("error", { quiet: true });
  const verified = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 1_000 }, quiet);
  assert(verified.equal, JSON.stringify(verified.tables));
});
