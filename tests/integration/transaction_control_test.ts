// Savepoints and XA inside a source transaction: rows are applied as the source committed them,
// never carried off by a control statement.
import { assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

/** Followed tables app.t (InnoDB) and app.m (MyISAM: logged at once, even inside a transaction). */
async function prepare(fixture: Fixture) {
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY);" +
      "CREATE TABLE app.m (id INT PRIMARY KEY) ENGINE=MyISAM",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.t (id integer PRIMARY KEY); CREATE TABLE public.m (id integer PRIMARY KEY)",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t", "m"]\n`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  return config;
}

Deno.test("rows around savepoints arrive as committed", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  // The binlog holds SAVEPOINT inside both transactions; the second also holds the rolled-back
  // row 5 and ROLLBACK TO, because the MyISAM row made the server log what came before.
  await fixture.my.query(
    "BEGIN; INSERT INTO app.t VALUES (1); SAVEPOINT s; INSERT INTO app.t VALUES (2);" +
      "ROLLBACK TO SAVEPOINT s; INSERT INTO app.t VALUES (3); COMMIT",
  );
  await fixture.my.query(
    "BEGIN; INSERT INTO app.t VALUES (4); SAVEPOINT s; INSERT INTO app.t VALUES (5);" +
      "INSERT INTO app.m VALUES (5); ROLLBACK TO SAVEPOINT s; INSERT INTO app.t VALUES (6); COMMIT",
  );
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(await mysqlRows(fixture.my, "SELECT id FROM app.t"), [["1"], ["3"], ["4"], ["6"]]);
  assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.t"), [["1"], ["3"], ["4"], ["6"]]);
  assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.m"), [["5"]]);
  assertEquals(sync.stats.lastError, null);
});

Deno.test("an XA transaction on a followed table stops the sync before it", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  await fixture.my.query("INSERT INTO app.t VALUES (1)");
  const beforeXa = await fixture.masterStatus();
  await fixture.my.query(
    "XA START 'x1'; INSERT INTO app.t VALUES (7); XA END 'x1'; XA PREPARE 'x1'; XA COMMIT 'x1'",
  );
  await fixture.my.query("INSERT INTO app.t VALUES (8)");
  const sync = await startSync(config);
  try {
    await waitFor("the error", () => sync.stats.lastError !== null);
  } finally {
    await sync.stop();
  }
  assertMatch(
    sync.stats.lastError!,
    new RegExp(
      `^the transaction after ${beforeXa.file}:${beforeXa.pos} is an XA transaction on a ` +
        'followed table .* reload the tables it changed with "mysql-gp-sync snapshot"$',
    ),
  );
  assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.t"), [["1"]]);
});
