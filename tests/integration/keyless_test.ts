// Tables without a primary key against real servers: rows matched by a NOT NULL unique key, or by
// their whole value with identical rows as copies: updates and deletes of one of several identical
// rows, mixed transactions, NULLs, JSON and floats; snapshot (which creates them without a key),
// verify as a multiset (and its repair), a snapshot of one keyless table while the position stays
// earlier, and a sync SIGKILLed amid a stream of such changes.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import type { Finding } from "../../src/check/finding.ts";
import { Logger } from "../../src/util/log.ts";
import { DEFAULT_SNAPSHOT_OPTIONS, snapshot } from "../../src/snapshot/snapshot.ts";
import { DEFAULT_VERIFY_OPTIONS, verify } from "../../src/verify/verify.ts";
import { comparePositions } from "../../src/offsets/position.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { SyncProcess } from "../../testing/sync_process.ts";

const quiet = () => new Logger("error", { quiet: true });

const SOURCE_DDL = `
  CREATE DATABASE shop;
  CREATE TABLE shop.log (a INT, b VARCHAR(20), f DOUBLE, j JSON, d DATETIME(3)) ENGINE=InnoDB;
  CREATE TABLE shop.uk (code VARCHAR(8) NOT NULL, v INT, note TEXT, UNIQUE KEY (code))
    ENGINE=InnoDB;
  CREATE TABLE shop.nuk (code VARCHAR(8), v INT, UNIQUE KEY (code)) ENGINE=InnoDB;
  INSERT INTO shop.log VALUES
    (1, 'x', 0.1, '{"k": 1}', '2024-01-01 00:00:00.123'),
    (1, 'x', 0.1, '{"k": 1}', '2024-01-01 00:00:00.123'),
    (9, NULL, NULL, NULL, NULL);
  INSERT INTO shop.uk VALUES ('u1', 1, 'one'), ('u2', 2, NULL);`;

const RULES = `
[[source]]
schema = "shop"
tables = ["log", "uk", "nuk"]
`;

/** Every column of each table, as text both sides print alike, for a multiset comparison. */
const VIEWS = {
  log: {
    pg: `SELECT a, b, f::text, j->>'k', to_char(d, 'YYYY-MM-DD HH24:MI:SS.MS') FROM public.log`,
    my: `SELECT a, b, CAST(f AS CHAR), CAST(JSON_EXTRACT(j, '$.k') AS CHAR),
           DATE_FORMAT(d, '%Y-%m-%d %H:%i:%s.%f') FROM shop.log`,
  },
  uk: { pg: "SELECT code, v, note FROM public.uk", my: "SELECT code, v, note FROM shop.uk" },
  nuk: { pg: "SELECT code, v FROM public.nuk", my: "SELECT code, v FROM shop.nuk" },
};

async function assertSameMultisets(fixture: Fixture): Promise<void> {
  for (const [table, view] of Object.entries(VIEWS)) {
    const source = await mysqlRows(fixture.my, view.my);
    // DATE_FORMAT's %f has six digits
    const mysql = table === "log"
      ? source.map((row) => row.map((v, i) => i === 4 && v !== null ? v.slice(0, -3) : v))
      : source;
    assertEquals(await pgRows(fixture.pg, view.pg), mysql, `shop.${table}`);
  }
}

async function prepare(fixture: Fixture): Promise<Config> {
  await fixture.my.query(SOURCE_DDL);
  const config = await fixture.writeConfig(RULES);
  await snapshot(config, DEFAULT_SNAPSHOT_OPTIONS, quiet());
  return config;
}

Deno.test("keyless tables: one of several identical rows updated or deleted, mixed transactions", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const { my, pg } = fixture;
  // Created without a key where the source has none; a NOT NULL unique key becomes the key
  const keys = await pg<{ table: string; key: string }[]>`
    SELECT c.relname AS table, pg_get_constraintdef(k.oid) AS key
      FROM pg_class c JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p'
     WHERE c.relname IN ('log', 'uk', 'nuk')`;
  assertEquals(keys.map((k) => [k.table, k.key]), [["uk", "PRIMARY KEY (code)"]]);
  await assertSameMultisets(fixture);
  // check says how each table's rows are matched
  const checked = await runCli(["check", "-c", fixture.configFile, "--json"]);
  const findings = (JSON.parse(checked.stdout) as { findings: Finding[] }).findings
    .filter((f) => f.check === "tables" || f.check === "target_table")
    .map((f) => `${f.level} ${f.message}`);
  for (
    const line of [
      /^ok shop\.uk has no primary key: its rows are matched by its NOT NULL unique key \(code\)$/,
      /^warn shop\.log has neither a primary key nor a NOT NULL unique key: its rows are matched by their whole value/,
      /^warn shop\.nuk has neither/,
      /^ok shop\.log -> public\.log: 5 column\(s\) compatible, rows matched by their whole value$/,
    ]
  ) assert(findings.some((f) => line.test(f)), `${line} not in:\n${findings.join("\n")}`);

  const sync = await startSync(config);
  try {
    await my.query(`INSERT INTO shop.log VALUES
      (1, 'x', 0.1, '{"k": 1}', '2024-01-01 00:00:00.123'),
      (1, 'x', 0.1, '{"k": 1}', '2024-01-01 00:00:00.123'),
      (1, 'x', 0.1, '{"k": 1}', '2024-01-01 00:00:00.123'),
      (2, NULL, NULL, NULL, NULL), (2, NULL, NULL, NULL, NULL), (2, NULL, NULL, NULL, NULL),
      (2, '', 123.25, '{"k": [1, 2]}', NULL), (2, '', 123.25, '{"k": [1, 2]}', NULL)`);
    // Applied before what follows, so that the target holds the identical rows
    await waitForCatchUp(fixture, sync);
    // One of five identical rows goes, two of the rest change
    await my.query("DELETE FROM shop.log WHERE a = 1 LIMIT 1");
    await my.query("UPDATE shop.log SET f = 2.5 WHERE a = 1 LIMIT 2");
    // NULLs match NULLs, not empty strings
    await my.query("DELETE FROM shop.log WHERE a = 2 AND b IS NULL LIMIT 2");
    await my.query(`UPDATE shop.log SET j = '{"k": 2}' WHERE a = 2 AND b = '' LIMIT 1`);
    await waitForCatchUp(fixture, sync);
    await assertSameMultisets(fixture);
    // A transaction inserting, deleting, re-inserting and updating one row value
    await my.query("START TRANSACTION");
    await my.query("INSERT INTO shop.log (a, b) VALUES (3, 'z')");
    await my.query("DELETE FROM shop.log WHERE a = 3 LIMIT 1");
    await my.query("INSERT INTO shop.log (a, b) VALUES (3, 'z'), (3, 'z'), (3, 'z')");
    await my.query("UPDATE shop.log SET b = 'w' WHERE a = 3 LIMIT 1");
    await my.query("DELETE FROM shop.log WHERE a = 9");
    await my.query("COMMIT");
    // Deleted and re-inserted within what is likely one batch
    await my.query("DELETE FROM shop.log WHERE a = 1 AND f = 2.5 LIMIT 1");
    await my.query(
      "INSERT INTO shop.log VALUES (1, 'x', 2.5, '{\"k\": 1}', '2024-01-01 00:00:00.123')",
    );
    // The unique key identifies its table's rows, a key change included
    await my.query("INSERT INTO shop.uk VALUES ('u3', 3, 'three')");
    await my.query("UPDATE shop.uk SET v = v + 10");
    await my.query("UPDATE shop.uk SET code = 'u9' WHERE code = 'u1'");
    await my.query("DELETE FROM shop.uk WHERE code = 'u2'");
    // A unique key that lets NULLs repeat does not identify: whole rows do
    await my.query("INSERT INTO shop.nuk VALUES (NULL, 1), (NULL, 1), ('a', 1)");
    await my.query("DELETE FROM shop.nuk WHERE code IS NULL LIMIT 1");
    await my.query("UPDATE shop.nuk SET v = 2 WHERE code IS NULL");
    await waitForCatchUp(fixture, sync);
    await assertSameMultisets(fixture);
    const copies = await pgRows(pg, "SELECT count(*) FROM public.log WHERE a = 1 AND f = 0.1");
    assertEquals(copies, [["2"]], "two of the identical rows left unchanged");

    // verify compares multisets: a copy too few and a copy too many are both found
    const equal = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 5_000 }, quiet());
    assert(equal.equal, JSON.stringify(equal.tables));
    await pg.unsafe(`DELETE FROM public.log WHERE ctid IN (
      SELECT ctid FROM public.log WHERE a = 3 AND b = 'z' LIMIT 1)`);
    await pg.unsafe("INSERT INTO public.log (a, b) VALUES (1, 'x'), (2, NULL)");
    const found = await verify(config, { ...DEFAULT_VERIFY_OPTIONS, waitMs: 5_000 }, quiet());
    const log = found.tables.find((t) => t.source === "shop.log")!;
    assertEquals([log.missing, log.extra, log.different], [1, 2, 0]);
    assertEquals(log.differences.map((d) => d.kind).sort(), ["extra", "extra", "missing"]);
    assertMatch(log.differences.find((d) => d.kind === "missing")!.key.row, /^\(3,z,/);
    const repaired = await verify(
      config,
      { ...DEFAULT_VERIFY_OPTIONS, waitMs: 5_000, repair: true },
      quiet(),
    );
    assertEquals(repaired.tables.find((t) => t.source === "shop.log")!.repaired, {
      deleted: 2,
      inserted: 1,
    });
    await assertSameMultisets(fixture);
  } finally {
    await sync.stop();
  }
});

Deno.test("snapshot of a keyless table while the position stays earlier: its changes are not applied twice", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const { my } = fixture;
  // Written after the position the first snapshot stored, and loaded by the second
  await my.query("INSERT INTO shop.log (a, b) VALUES (5, 'dup'), (5, 'dup')");
  await my.query("DELETE FROM shop.log WHERE a = 1 LIMIT 1");
  await my.query("UPDATE shop.uk SET v = 7");
  const report = await snapshot(
    config,
    { ...DEFAULT_SNAPSHOT_OPTIONS, tables: ["shop.log"], truncate: true },
    quiet(),
  );
  assert(report.position.pos < report.snapshotPosition.pos, "the earlier position is kept");
  const loads = () => pgRows(fixture.pg, "SELECT source FROM mysql_gp_sync_rows_as_of");
  assertEquals(await loads(), [["shop.log"]]);
  for (const more of ["(5, 'dup')", "(6, 'after')"]) {
    const sync = await startSync(config);
    try {
      await my.query(`INSERT INTO shop.log (a, b) VALUES ${more}`);
      await waitForCatchUp(fixture, sync);
      await assertSameMultisets(fixture);
    } finally {
      await sync.stop();
    }
  }
  // Passed by the position the second run started from, the load position was forgotten
  assertEquals(await loads(), []);
});

/** A small pseudo-random generator, so a failure replays the same workload. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

/** One source transaction of 1-4 changes over few distinct values: identical rows abound. */
function keylessTransaction(pick: (n: number) => number): string[] {
  const a = () => 1 + pick(4);
  const b = () => ["'p'", "'q'", "NULL"][pick(3)];
  const statements: string[] = [];
  for (let i = 0, n = 1 + pick(4); i < n; i++) {
    switch (pick(4)) {
      case 0:
        statements.push(
          `INSERT INTO shop.log (a, b, f) VALUES (${a()}, ${b()}, 0.5), (${a()}, ${b()}, NULL)`,
        );
        break;
      case 1:
        statements.push(`DELETE FROM shop.log WHERE a = ${a()} AND b <=> ${b()} LIMIT 1`);
        break;
      case 2:
        statements.push(`UPDATE shop.log SET b = ${b()} WHERE a = ${a()} LIMIT 1`);
        break;
      default:
        statements.push(`UPDATE shop.log SET f = f + 1 WHERE a = ${a()} LIMIT 2`);
    }
  }
  return statements;
}

/** Waits until the child sync has stored a position at or past the source's current one. */
async function waitForStored(fixture: Fixture, sync: SyncProcess): Promise<void> {
  const head = await fixture.masterStatus();
  await waitFor("the sync to store the source's position", async () => {
    if (sync.exited) throw new Error(`the sync exited: ${sync.stderr}`);
    const [row] = await fixture.pg<{ file: string; pos: string }[]>`
      SELECT bin_name AS file, bin_pos::text AS pos FROM public.mysql_gp_sync_position`;
    return row !== undefined &&
      comparePositions({ file: row.file, pos: Number(row.pos) }, head) >= 0;
  }, 60_000);
}

Deno.test("a sync SIGKILLed amid changes to identical rows ends with the source's multiset", async () => {
  await using fixture = await startFixture();
  await prepare(fixture);
  const pick = random(17);
  const write = async (transactions: number) => {
    for (let i = 0; i < transactions; i++) {
      await fixture.my.query("START TRANSACTION");
      for (const statement of keylessTransaction(pick)) await fixture.my.query(statement);
      await fixture.my.query("COMMIT");
    }
  };
  await write(50);
  let sync = await SyncProcess.start({ configFile: fixture.configFile });
  try {
    const writing = write(1500);
    const stored = async () => {
      const [row] = await fixture.pg<{ pos: number }[]>`
        SELECT bin_pos::int AS pos FROM public.mysql_gp_sync_position`;
      return row?.pos ?? 0;
    };
    const before = await stored();
    await waitFor("the sync to apply some", async () => await stored() > before, 60_000);
    sync.signal("SIGKILL");
    await sync.status;
    // Killed amid the stream: the source had written more than the sync had stored
    const head = await fixture.masterStatus();
    assert(await stored() < head.pos, "the writes were over before the kill");
    await writing;
    sync = await SyncProcess.start({ configFile: fixture.configFile });
    await write(100);
    await waitForStored(fixture, sync);
    await assertSameMultisets(fixture);
    assertEquals((await sync.stop()).code, 0, sync.stderr);
  } finally {
    await sync.dispose();
  }
});

Deno.test("a keyless transaction too large to hold is applied in pieces, identical rows counted", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE big; CREATE TABLE big.t (k INT, body VARCHAR(600)) ENGINE=InnoDB",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "big"\ntables = ["t"]\n`);
  await snapshot(config, DEFAULT_SNAPSHOT_OPTIONS, quiet());
  const sync = await startSync(config);
  const view = "SELECT k, length(body), count(*) FROM %s GROUP BY k, length(body)";
  try {
    // ~36 MB of row events in one transaction (several pieces: PIECE_BYTES), 60 copies of every row
    await fixture.my.query(
      "INSERT INTO big.t SELECT seq % 1000, REPEAT(CHAR(65 + seq % 26), 590) FROM big.seq_1_to_60000",
    );
    await waitForCatchUp(fixture, sync, 120_000);
    // Before and after images of half of them, a piece removing copies another one added
    await fixture.my.query("UPDATE big.t SET body = REPEAT('z', 599) WHERE k < 500");
    await fixture.my.query("DELETE FROM big.t WHERE k = 7 LIMIT 25");
    await waitForCatchUp(fixture, sync, 120_000);
  } finally {
    await sync.stop();
  }
  assertEquals(
    await pgRows(fixture.pg, view.replace("%s", "public.t")),
    await mysqlRows(fixture.my, view.replace("%s", "big.t")),
  );
  assertEquals(await pgRows(fixture.pg, "SELECT count(*) FROM public.t WHERE k = 7"), [["35"]]);
});
