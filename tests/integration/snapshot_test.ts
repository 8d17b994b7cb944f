// snapshot against real servers: a load while the source keeps writing, continued by run from the
// snapshot's position, ends equal to the source; created tables get the mapped types and the key;
// a non-empty target is refused unless --truncate; a running sync is refused.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import { UserError } from "../../src/config/errors.ts";
import { Logger } from "../../src/util/log.ts";
import { readMasterInfo } from "../../src/offsets/master_info.ts";
import { comparePositions } from "../../src/offsets/position.ts";
import { PositionStore } from "../../src/sink/position_store.ts";
import { describeTarget } from "../../src/sink/target.ts";
import {
  DEFAULT_SNAPSHOT_OPTIONS,
  snapshot,
  type SnapshotOptions,
} from "../../src/snapshot/snapshot.ts";
import { DEFAULT_VERIFY_OPTIONS, verify } from "../../src/verify/verify.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitForCatchUp,
} from "../../testing/fixture.ts";

const quiet = () => new Logger("error", { quiet: true });

function load(config: Config, options: Partial<SnapshotOptions> = {}) {
  return snapshot(config, { ...DEFAULT_SNAPSHOT_OPTIONS, ...options }, quiet());
}

const BANK = `
  CREATE DATABASE bank;
  CREATE TABLE bank.acct (id INT PRIMARY KEY, owner VARCHAR(30) NOT NULL, balance DECIMAL(12,2),
    touched DATETIME(6));
  CREATE TABLE bank.event (id BIGINT AUTO_INCREMENT PRIMARY KEY, acct INT, note TEXT);
  INSERT INTO bank.acct SELECT seq, CONCAT('owner ', seq), 100, '2024-01-01 00:00:00'
    FROM bank.seq_1_to_20000;`;

const BANK_RULES = `
[[source]]
schema = "bank"
tables = ["acct", "event"]

[[rule]]
schema = "bank"
table = "event"
pg_schema = "ledger"
`;

async function assertBankEqual(fixture: Fixture): Promise<void> {
  assertSameRows(
    await pgRows(
      fixture.pg,
      "SELECT id, owner, balance, to_char(touched, 'YYYY-MM-DD HH24:MI:SS.US') FROM public.acct",
    ),
    await mysqlRows(
      fixture.my,
      "SELECT id, owner, balance, DATE_FORMAT(touched, '%Y-%m-%d %H:%i:%s.%f') FROM bank.acct",
    ),
  );
  assertSameRows(
    await pgRows(fixture.pg, "SELECT id, acct, note FROM ledger.event"),
    await mysqlRows(fixture.my, "SELECT id, acct, note FROM bank.event"),
  );
}

/** Like assertEquals on sorted rows, but names the first difference (a diff of 20,000 rows is slow). */
function assertSameRows(actual: unknown[][], expected: unknown[][]): void {
  const at = expected.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i]));
  if (at >= 0 || actual.length !== expected.length) {
    const i = at >= 0 ? at : expected.length;
    throw new Error(
      `${actual.length} rows in PostgreSQL, ${expected.length} in MySQL; first difference at ` +
        `${i}: ${JSON.stringify(actual[i])} instead of ${JSON.stringify(expected[i])}`,
    );
  }
}

/** Writes transfers, inserts and deletes until stopped; counts those done while `busy()`. */
function writer(fixture: Fixture, busy: () => boolean) {
  let running = true;
  let during = 0;
  const done = (async () => {
    for (let i = 1; running; i++) {
      const from = (i * 7919) % 20000 + 1, to = (i * 104729) % 20000 + 1;
      await fixture.my.query(`BEGIN;
        UPDATE bank.acct SET balance = balance - 1, touched = NOW(6) WHERE id = ${from};
        UPDATE bank.acct SET balance = balance + 1, touched = NOW(6) WHERE id = ${to};
        INSERT INTO bank.event (acct, note) VALUES (${from}, 'transfer ${i}');
        DELETE FROM bank.acct WHERE id = ${(i * 31) % 20000 + 1};
        INSERT INTO bank.acct VALUES (${20000 + i}, 'new ${i}', ${i}, NOW(6));
        COMMIT;`);
      if (busy()) during++;
    }
  })();
  return {
    get during() {
      return during;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

Deno.test("a snapshot taken while the source writes, continued by run, ends equal to the source", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(BANK);
  const config = await fixture.writeConfig(BANK_RULES);
  let snapshotting = true;
  const writes = writer(fixture, () => snapshotting);
  let report;
  try {
    // Small pages: the load takes long enough for many transactions to commit meanwhile
    report = await load(config, { chunkRows: 500 });
  } finally {
    snapshotting = false;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  await writes.stop();
  assert(writes.during > 5, `only ${writes.during} transactions committed during the snapshot`);
  assertEquals(report.tables.map((t) => [t.source, t.target, t.created]), [
    ["bank.acct", "public.acct", true],
    ["bank.event", "ledger.event", true],
  ]);
  assert(report.tables[0].rows >= 19_000, `${report.tables[0].rows} accounts loaded`);
  // Both stores hold the snapshot's position; the source has moved on since
  assertEquals(report.position, report.snapshotPosition);
  assertEquals(await readMasterInfo(config.dataDir), report.position);
  const stored = await new PositionStore(config.positionSchema, config.syncId).read(fixture.pg);
  assertEquals({ file: stored!.file, pos: stored!.pos }, report.position);
  assert(comparePositions(await fixture.masterStatus(), report.position) > 0);

  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  // Every change made during and after the load is there exactly once
  await assertBankEqual(fixture);
  const verified = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 1_000 }, quiet());
  assert(verified.equal, JSON.stringify(verified.tables));
});

Deno.test("created tables get the mapped column types and the source's primary key", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE kinds;
    CREATE TABLE kinds.every (
      a INT, b VARCHAR(12), i TINYINT, u INT UNSIGNED, big BIGINT UNSIGNED, d DECIMAL(10,3),
      f FLOAT, dbl DOUBLE, bt BIT(3), dt DATETIME(6), ts TIMESTAMP(2) NULL, day DATE, t TIME,
      y YEAR, c CHAR(4), txt MEDIUMTEXT, e ENUM('x','y'), s SET('p','q'), j JSON, bin BINARY(4),
      blb BLOB, PRIMARY KEY (b, a));
    INSERT INTO kinds.every VALUES
      (1, 'k', -5, 4000000000, 18446744073709551615, 1234567.125, 1.5, 2.25, b'101',
       '2024-02-29 12:34:56.123456', '2024-03-01 01:02:03.45', '2024-03-02', '-12:00:01', 2024,
       'ab', 'long text', 'y', 'p,q', '{"k": [1, 2.50]}', X'01020304', X'ff00'),
      (2, 'k', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL);`);
  const config = await fixture.writeConfig(`[[source]]\nschema = "kinds"\ntables = ["*"]\n`);
  const report = await load(config);
  assertEquals(report.tables.map((t) => [t.rows, t.created]), [[2, true]]);
  const target = await describeTarget(fixture.pg, "public", "every");
  assertEquals(target!.columns.map((c) => `${c.name} ${c.type}`), [
    "a integer",
    "b character varying(12)",
    "i smallint",
    "u bigint",
    "big numeric(20,0)",
    "d numeric(10,3)",
    "f real",
    "dbl double precision",
    "bt bit(3)",
    "dt timestamp(6) without time zone",
    "ts timestamp(2) with time zone",
    "day date",
    "t interval",
    "y smallint",
    "c character(4)",
    "txt text",
    "e text",
    "s text",
    "j jsonb",
    "bin bytea",
    "blb bytea",
  ]);
  const key = await fixture.pg`
    SELECT a.attname AS name FROM pg_index i
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = 'public.every'::regclass AND i.indisprimary
     ORDER BY array_position(i.indkey::int2[], a.attnum)`;
  assertEquals(key.map((r) => r.name), ["b", "a"]);
  assertEquals(
    await pgRows(
      fixture.pg,
      `SELECT a, big, d, bt, dt::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.FF2'),
              t, j->>'k', encode(bin, 'hex') FROM every`,
    ),
    [
      [
        "1",
        "18446744073709551615",
        "1234567.125",
        "101",
        "2024-02-29 12:34:56.123456",
        "2024-03-01 01:02:03.45",
        "-12:00:01",
        "[1, 2.50]",
        "01020304",
      ],
      ["2", null, null, null, null, null, null, null, null],
    ].sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1),
  );
  // What snapshot loaded is what the sync would have written
  const verified = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 1_000 }, quiet());
  assert(verified.equal, JSON.stringify(verified.tables));
});

Deno.test("snapshot refuses a non-empty target and a running sync; --truncate and --tables", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(BANK);
  await fixture.my.query("INSERT INTO bank.event (acct, note) VALUES (1, 'first'), (2, 'second')");
  await fixture.pg.unsafe(`
    CREATE TABLE public.acct (id integer PRIMARY KEY, owner varchar(30) NOT NULL,
      balance numeric(12,2), touched timestamp(6));
    INSERT INTO public.acct VALUES (1, 'stale', 0, NULL), (99999, 'not in the source', 0, NULL);`);
  const config = await fixture.writeConfig(BANK_RULES);

  const refused = await runCli(["snapshot", "-c", config.file]);
  assertEquals(refused.code, 1, refused.stderr);
  assertMatch(
    refused.stderr.trim(),
    /^mysql-gp-sync: PostgreSQL table public\.acct is not empty: .*pass --truncate/,
  );
  assertEquals(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  // Nothing changed: no table created or loaded, no position set
  assertEquals((await fixture.pg`SELECT to_regclass('ledger.event') AS t`)[0].t, null);
  assertEquals((await fixture.pg`SELECT count(*)::int AS n FROM public.acct`)[0].n, 2);
  assertEquals(await readMasterInfo(config.dataDir), null);

  // A row the target's own rules refuse: one line with PostgreSQL's reason; the target was emptied
  // (--truncate), the chunks before the refused row stay with their checkpoints, no position
  await fixture.pg.unsafe(
    "ALTER TABLE public.acct ADD CONSTRAINT few CHECK (owner <> 'owner 20000')",
  );
  const rejected = await runCli([
    "snapshot",
    "-c",
    config.file,
    "--truncate",
    "--chunk-rows",
    "5000",
  ]);
  assertEquals(rejected.code, 1, rejected.stderr);
  assertMatch(
    rejected.stderr,
    /^mysql-gp-sync: PostgreSQL refused a row of bank\.acct for public\.acct: .*violates check constraint "few"; the position is unchanged and the chunks loaded before stay/m,
  );
  assertEquals(
    await pgRows(fixture.pg, "SELECT count(*), min(id), max(id) FROM public.acct"),
    [["15000", "1", "15000"]],
  );
  assertEquals(await readMasterInfo(config.dataDir), null);
  await fixture.pg.unsafe("ALTER TABLE public.acct DROP CONSTRAINT few");

  // Run again, it continues after the three chunks loaded
  const loaded = await runCli(["snapshot", "-c", config.file, "--truncate", "--json"]);
  assertEquals(loaded.code, 0, loaded.stderr);
  const doc = JSON.parse(loaded.stdout);
  assertEquals(
    doc.tables.map((
      t: { target: string; rows: number; truncated: boolean; resumed_rows: number },
    ) => [t.target, t.rows, t.truncated, t.resumed_rows]),
    [["public.acct", 20000, false, 15000], ["ledger.event", 2, false, 0]],
  );
  const first = { file: doc.bin_name, pos: doc.bin_pos };
  await assertBankEqual(fixture);

  // Only one table again, later: the earlier saved position stays (run replays the difference)
  await fixture.my.query("INSERT INTO bank.event (acct, note) VALUES (3, 'third')");
  await fixture.my.query("UPDATE bank.acct SET balance = 7 WHERE id = 5");
  const again = await runCli([
    "snapshot",
    "-c",
    config.file,
    "--tables",
    "bank.event",
    "--truncate",
  ]);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /^bank\.event -> ledger\.event: 3 rows .*\(emptied first\)$/m);
  assertEquals(await readMasterInfo(config.dataDir), first);

  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
    await assertBankEqual(fixture);
    // A sync is connected: a snapshot now could lose its changes
    const busy = await runCli(["snapshot", "-c", config.file, "--truncate"]);
    assertEquals(busy.code, 1);
    assertMatch(busy.stderr, /another mysql-gp-sync process is connected to this database/);
  } finally {
    await sync.stop();
  }
  const unknown = await load(config, { tables: ["bank.nope"] }).catch((err) => err);
  assert(unknown instanceof UserError && unknown.exitCode === 2, String(unknown));
});
