// The apply's statement budget, counted by PostgreSQL itself (pg_stat_statements): a batch costs
// the same statements whether it holds 100 rows or 5,000, on every path (COPY straight into the
// target, staging and merge, keyless tables, plain statements for a few rows, parallel writers);
// on Greenplum each statement is dispatched to every segment, so this is what a batch costs there.
// A statement per row or per key anywhere would make the 5,000-row batches cost thousands more.
import { assert, assertEquals } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { FIRST_TRY, SAMPLES } from "../../src/sink/writer_split.ts";
import { type Fixture, startFixture, startSync, waitForCatchUp } from "../../testing/fixture.ts";
import { countStatements, statementsSince } from "../../testing/statement_counts.ts";

/** Statements of one staged batch at most (BEGIN, position, COPY, settings, merge, COMMIT). */
const STAGED_BUDGET = 10;
/**
 * Statements of a batch of a few rows of a keyed table, applied by plain statements, at most
 * (BEGIN, position, DELETE, INSERT, COMMIT); a keyless table's go through staging all the same.
 */
const PLAIN_BUDGET = 6;

const SOURCE_DDL = `
  CREATE DATABASE shop;
  CREATE TABLE shop.k (id INT PRIMARY KEY, v VARCHAR(20), n INT);
  CREATE TABLE shop.w (a INT, b VARCHAR(20), INDEX (a));`;

const TARGET_DDL = `
  CREATE TABLE public.k (id integer PRIMARY KEY, v varchar(20), n integer);
  CREATE TABLE public.w (a integer, b varchar(20));`;

/** One source transaction per entry, for `n` rows starting after key `at`. */
const WORKLOADS: Record<string, (at: number, n: number) => string> = {
  "keyed inserts (COPY into the target)": (at, n) =>
    `INSERT INTO shop.k SELECT ${at} + seq, 'v', seq FROM shop.seq_1_to_${n}`,
  "keyed updates (staging and merge)": (at, n) =>
    `UPDATE shop.k SET n = n + 1 WHERE id BETWEEN ${at + 1} AND ${at + n}`,
  "keyed inserts, updates and deletes in one transaction": (at, n) => {
    const half = Math.ceil(n / 2);
    return `BEGIN;
      INSERT INTO shop.k SELECT ${at + n} + seq, 'new', seq FROM shop.seq_1_to_${half};
      UPDATE shop.k SET v = 'changed' WHERE id BETWEEN ${at + 1} AND ${at + half};
      DELETE FROM shop.k WHERE id BETWEEN ${at + half + 1} AND ${at + n};
      COMMIT`;
  },
  "keyed deletes": (at, n) => `DELETE FROM shop.k WHERE id BETWEEN ${at + 1} AND ${at + 2 * n}`,
  "keyless inserts": (at, n) =>
    `INSERT INTO shop.w SELECT ${at} + seq, 'w' FROM shop.seq_1_to_${n}`,
  "keyless updates": (at, n) => `UPDATE shop.w SET b = 'u' WHERE a BETWEEN ${at + 1} AND ${at + n}`,
  "keyless deletes": (at, n) => `DELETE FROM shop.w WHERE a BETWEEN ${at + 1} AND ${at + n}`,
};

/**
 * Runs `transactions` through a sync with `extra` config lines, one at a time; the statements
 * each cost. The sync resumes where the last one stopped.
 */
async function statementsPerBatch(
  fixture: Fixture,
  extra: string,
  transactions: string[],
  texts: string[],
): Promise<number[]> {
  const config = await fixture.writeConfig(
    `status_addr = "off"\n${extra}\n[[source]]\nschema = "shop"\ntables = ["k", "w"]\n`,
  );
  const sync = await startSync(config);
  try {
    // Its start-up's statements go with a first, uncounted transaction (the sync reports no
    // position before it has applied one).
    await fixture.my.query("UPDATE shop.k SET n = n + 1 WHERE id = 0");
    await waitForCatchUp(fixture, sync);
    await statementsSince(fixture.pg);
    const counts: number[] = [];
    for (const transaction of transactions) {
      await fixture.my.query(transaction);
      await waitForCatchUp(fixture, sync);
      const seen = await statementsSince(fixture.pg);
      counts.push(seen.count);
      texts.push(...seen.texts);
    }
    return counts;
  } finally {
    await sync.stop();
  }
}

/** Each workload at each size in turn, keys apart: by workload, the counts by size. */
function rounds(sizes: number[], at: number): { names: string[]; transactions: string[] } {
  const names: string[] = [];
  const transactions: string[] = [];
  sizes.forEach((n, i) => {
    const base = at + i * 100_000;
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      names.push(`${name}, ${n} rows`);
      transactions.push(workload(base, n));
    }
  });
  return { names, transactions };
}

/**
 * Given a warm-up round, a small and a large round of every workload: each workload costs the
 * same statements per batch in both, within its budget.
 */
function assertFlat(names: string[], counts: number[], budget: (name: string) => number): void {
  const perWorkload = Object.keys(WORKLOADS).length;
  const table = names.map((name, i) => `${name}: ${counts[i]}`).join("\n");
  for (let w = 0; w < perWorkload; w++) {
    const [small, large] = [counts[perWorkload + w], counts[2 * perWorkload + w]];
    assertEquals(large, small, `not the same per batch at both sizes:\n${table}`);
    const most = budget(names[w]);
    assert(large <= most, `${names[w]}: over ${most} statements per batch:\n${table}`);
  }
}

Deno.test("apply: a fixed number of statements per batch, whatever its row count", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(SOURCE_DDL);
  await fixture.pg.unsafe(TARGET_DDL);
  await countStatements(fixture);
  await fixture.my.query("INSERT INTO shop.k VALUES (0, 'start', 1)");
  await fixture.pg.unsafe("INSERT INTO k VALUES (0, 'start', 1)");
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const texts: string[] = [];

  // Staging and merge (and COPY straight in): a warm-up round makes the staging tables first.
  const staged = rounds([100, 100, 5_000], 0);
  const counts = await statementsPerBatch(fixture, "", staged.transactions, texts);
  assertFlat(staged.names, counts, () => STAGED_BUDGET);

  // Rows for the parallel writers below, applied with the next run's start-up
  await fixture.my.query(
    "INSERT INTO shop.k SELECT 2000000 + seq, 'p', seq FROM shop.seq_1_to_5000",
  );

  // A few rows go as plain DELETE and INSERT statements (batch_plain_max_rows = 32 by default)
  const plain = rounds([2, 2, 20], 1_000_000);
  const plainCounts = await statementsPerBatch(fixture, "", plain.transactions, texts);
  assertFlat(
    plain.names,
    plainCounts,
    (n) => n.startsWith("keyless") ? STAGED_BUDGET : PLAIN_BUDGET,
  );

  // Parallel writers: one to begin with, then (on PostgreSQL after FIRST_TRY.postgres batches
  // big enough) SAMPLES batches split among four to measure that way, the first of which creates
  // the shared staging tables. Either way a batch's statements do not grow with its rows.
  const update = WORKLOADS["keyed updates (staging and merge)"];
  const sizes = [
    ...Array(FIRST_TRY.postgres - 1).fill(2_000),
    5_000,
    ...Array(SAMPLES - 1).fill(2_000),
    5_000,
  ];
  const parallel = await statementsPerBatch(
    fixture,
    "concurrent_size = 4",
    sizes.map((n) => update(2_000_000, n)),
    texts,
  );
  const [one, oneLarge] = parallel.slice(FIRST_TRY.postgres - 2, FIRST_TRY.postgres);
  const [split, splitLarge] = parallel.slice(-2);
  const said = await Deno.readTextFile(`${fixture.dataDir}/sync.log`);
  assert(said.includes("writers: concurrent_size = 4"), "the writer says how it uses the copiers");
  assertEquals(oneLarge, one, `one writer: ${parallel}`);
  assertEquals(splitLarge, split, `four writers: ${parallel}`);
  // Four copier transactions (BEGIN, TRUNCATE, COPY, COMMIT) and a merge per staging table
  assert(split > one, `the batches tried split were not split: ${parallel}`);
  assert(split <= STAGED_BUDGET + 4 * 6, `split batches: ${parallel}`);

  const [[source]] = await fixture.my.query(
    "SELECT (SELECT COUNT(*) FROM shop.k) AS k, (SELECT SUM(n) FROM shop.k) AS n, " +
      "(SELECT COUNT(*) FROM shop.w) AS w, (SELECT COALESCE(SUM(b = 'u'), 0) FROM shop.w) AS u",
  ) as unknown as [Record<string, string>[]];
  const [target] = await fixture.pg.unsafe(
    "SELECT (SELECT count(*) FROM k)::text AS k, (SELECT sum(n) FROM k)::text AS n, " +
      "(SELECT count(*) FROM w)::text AS w, (SELECT count(*) FROM w WHERE b = 'u')::text AS u",
  );
  assertEquals({ ...target }, {
    k: String(source.k),
    n: String(source.n),
    w: String(source.w),
    u: String(source.u),
  });
  for (const text of texts) {
    assert(!/\bLATERAL\b|ON CONFLICT|\bMERGE\b/i.test(text), `Greenplum 6 lacks: ${text}`);
  }
});
