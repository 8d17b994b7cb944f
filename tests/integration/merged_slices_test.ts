// Targets shared by several source tables without a source tag, and soft-delete targets, through
// snapshot and verify: a shared target is created once, checked once and emptied once (never
// between its tables' loads), and an interrupted load into it continues; verify compares each
// source table for its own rows and counts the target's rows in none of them once, for the target;
// a soft-delete target's flagged rows are no difference, and a repair flags a row the source lacks
// instead of deleting it.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { Logger } from "../../src/util/log.ts";
import {
  DEFAULT_VERIFY_OPTIONS,
  verify,
  type VerifyOptions,
  type VerifyReport,
} from "../../src/verify/verify.ts";
import { pgRows, runCli, startFixture, startSync, waitForCatchUp } from "../../testing/fixture.ts";

const SOURCE = `
  CREATE DATABASE shop;
  CREATE TABLE shop.t1 (id INT PRIMARY KEY, name VARCHAR(40));
  CREATE TABLE shop.t2 (id INT PRIMARY KEY, name VARCHAR(40));
  CREATE TABLE shop.kept (id INT PRIMARY KEY, name VARCHAR(40), secret VARCHAR(40));
  INSERT INTO shop.t1 SELECT seq, CONCAT('one ', seq) FROM shop.seq_1_to_100;
  INSERT INTO shop.t2 SELECT seq, CONCAT('two ', seq) FROM shop.seq_101_to_180;
  INSERT INTO shop.kept SELECT seq, CONCAT('kept ', seq), 'x' FROM shop.seq_1_to_50;`;

const RULES = `
[[source]]
schema = "shop"
tables = ["t1", "t2", "kept"]

[[rule]]
schema = "shop"
table = "t[12]"
pg_table = "merged"

[[rule]]
schema = "shop"
table = "kept"
columns = ["name"]
soft_delete_column = "deleted"
soft_delete_time_column = "deleted_at"
`;

async function check(config: Config, options: Partial<VerifyOptions> = {}): Promise<VerifyReport> {
  return await verify(
    config,
    { ...DEFAULT_VERIFY_OPTIONS, chunkRows: 30, waitMs: 2_000, ...options },
    new Logger("error", { quiet: true }),
  );
}

/** Per report line: source, compared slice, and missing/extra/different. */
function summary(report: VerifyReport): string[] {
  return report.tables.map((t) =>
    `${t.source} | ${t.slice} | ${t.missing}/${t.extra}/${t.different}${t.error ? " !" : ""}`
  );
}

Deno.test("tables merged without a tag and soft-delete targets through snapshot and verify", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(SOURCE);
  const config = await fixture.writeConfig(RULES);

  const first = await runCli(["snapshot", "-c", config.file]);
  assertEquals(first.code, 0, first.stderr);
  assertMatch(first.stdout, /^shop\.t1 -> public\.merged: 100 rows .*\(created\)$/m);
  assertMatch(first.stdout, /^shop\.t2 -> public\.merged: 80 rows .*\(created\)$/m);
  // Only the selected column besides the key, and the soft-delete columns
  assertEquals(
    await pgRows(
      fixture.pg,
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'kept'`,
    ),
    [["deleted"], ["deleted_at"], ["id"], ["name"]],
  );

  // One check for the shared target, and one emptying before both tables load
  const refused = await runCli(["snapshot", "-c", config.file]);
  assertEquals(refused.code, 1);
  assertMatch(refused.stderr, /PostgreSQL tables public\.merged, public\.kept are not empty/);
  // Stopped by a row the target refuses, after t1 and part of t2; run again, both continue: the
  // shared target holds what their checkpoints say together
  await fixture.pg.unsafe("ALTER TABLE merged ADD CONSTRAINT late CHECK (id < 150) NOT VALID");
  const stopped = await runCli(["snapshot", "-c", config.file, "--truncate", "--chunk-rows", "20"]);
  assertEquals(stopped.code, 1, stopped.stdout);
  assertMatch(stopped.stderr, /PostgreSQL refused a row of shop\.t2 for public\.merged/);
  await fixture.pg.unsafe("ALTER TABLE merged DROP CONSTRAINT late");
  const again = await runCli(["snapshot", "-c", config.file, "--chunk-rows", "20"]);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /^shop\.t2 -> public\.merged: 80 rows .*\(continued after \d+ rows/m);
  assertEquals(await pgRows(fixture.pg, "SELECT count(*) FROM merged"), [["180"]]);

  const clean = await check(config);
  assert(clean.equal, summary(clean).join("\n"));
  assertEquals(summary(clean), [
    "shop.t1 | public.merged (shared with shop.t2: its extra rows are counted for all of them) | 0/0/0",
    "shop.t2 | public.merged (shared with shop.t1: its extra rows are counted for all of them) | 0/0/0",
    "none of shop.t1, shop.t2 | public.merged: rows in none of its source tables | 0/0/0",
    "shop.kept | public.kept | 0/0/0",
  ]);

  // A row of no source table, one changed: the change is t1's, the extra row the target's
  await fixture.pg.unsafe(`INSERT INTO merged VALUES (500, 'stray');
    UPDATE merged SET name = 'by hand' WHERE id = 5;`);
  const damaged = await check(config);
  assertEquals(damaged.equal, false);
  assertEquals(summary(damaged)[0].endsWith("| 0/0/1"), true, summary(damaged)[0]);
  assertEquals(summary(damaged)[1].endsWith("| 0/0/0"), true, summary(damaged)[1]);
  assertEquals(damaged.tables[2].extra, 1);
  assertEquals(damaged.tables[2].differences, [{ kind: "extra", key: { id: "500" } }]);
  await fixture.pg.unsafe(`DELETE FROM merged WHERE id = 500;
    UPDATE merged SET name = 'one 5' WHERE id = 5;`);

  // Soft delete: the sync keeps deleted rows flagged, and verify leaves them out
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const sync = await startSync(config);
  try {
    await fixture.my.query(
      "DELETE FROM shop.kept WHERE id <= 10; UPDATE shop.kept SET name = 'new' WHERE id = 20",
    );
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(
    await pgRows(
      fixture.pg,
      "SELECT deleted, deleted_at IS NOT NULL, count(*) FROM kept GROUP BY 1, 2",
    ),
    [["false", "false", "40"], ["true", "true", "10"]],
  );
  const soft = await check(config, { tables: ["shop.kept"] });
  assert(soft.equal, summary(soft).join("\n"));
  assertEquals(soft.tables[0].rows, 40);

  // A live row the source lacks: repair flags it deleted, as the sync would have
  await fixture.pg.unsafe("INSERT INTO kept (id, name) VALUES (900, 'stray')");
  const repaired = await check(config, { tables: ["shop.kept"], repair: true });
  assertEquals([repaired.tables[0].extra, repaired.repaired], [1, true]);
  assertEquals(
    await pgRows(fixture.pg, "SELECT deleted, deleted_at IS NOT NULL FROM kept WHERE id = 900"),
    [["true", "true"]],
  );
  assert((await check(config, { tables: ["shop.kept"] })).equal, "equal after the repair");
});
