// The schema history: a sync started behind several ALTERs decodes every row with the layout it
// was written with, whatever binlog_row_metadata says; a first start behind the binlog's end
// without column metadata is refused with the way out; a SIGKILL right after a DDL leaves history
// and position in agreement.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { SCHEMA_TABLE } from "../../src/sink/schema_store.ts";
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

/**
 * app.t (id, a, b, c); its target holds every column the table ever has (the DDL itself is not
 * replayed here), with c wide enough for both of c's types.
 */
async function prepare(fixture: Fixture) {
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, a INT, b VARCHAR(20), c INT)",
  );
  await fixture.pg.unsafe(
    "CREATE TABLE public.t (id integer PRIMARY KEY, a integer, b varchar(20), c bigint, " +
      "d varchar(10))",
  );
  const config = await configFor(fixture);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  return config;
}

/** The config following app.t, with `extra` keys. */
function configFor(fixture: Fixture, extra = "") {
  return fixture.writeConfig(
    `ddl_drop_column = "keep"\n${extra}[[source]]\nschema = "app"\ntables = ["t"]\n`,
  );
}

/** Versions stored per table, as `origin ddl-or-seed`, in position order. */
async function storedVersions(fixture: Fixture): Promise<string[]> {
  const [{ found }] = await fixture.pg<{ found: boolean }[]>`
    SELECT to_regclass(${`public.${SCHEMA_TABLE}`}) IS NOT NULL AS found`;
  if (!found) return [];
  const rows = await fixture.pg.unsafe<{ origin: string; ddl: string | null }[]>(
    `SELECT origin, ddl FROM public.${SCHEMA_TABLE} ORDER BY bin_name, bin_pos`,
  );
  return rows.map((row) => `${row.origin} ${row.ddl ?? "(seed)"}`);
}

for (const metadata of ["MINIMAL", "FULL"]) {
  Deno.test(`binlog_row_metadata=${metadata}: a start behind reorder, drop, add and type change decodes every row with its own layout`, async () => {
    await using fixture = await startFixture({
      mariadbArgs: [`--binlog-row-metadata=${metadata}`],
    });
    const config = await prepare(fixture);
    // A first start at the binlog's end seeds the history from the catalog.
    let sync = await startSync(config);
    try {
      await waitFor("the seed", async () => (await storedVersions(fixture)).length === 1);
      await fixture.my.query("INSERT INTO app.t VALUES (0, 0, 'zero', 0)");
      await waitForCatchUp(fixture, sync);
    } finally {
      await sync.stop();
    }

    // While the sync is down the table changes four times, with rows in between.
    for (
      const statement of [
        "INSERT INTO app.t VALUES (1, 10, 'one', 100), (2, 20, 'two', 200)",
        "ALTER TABLE app.t MODIFY b VARCHAR(20) AFTER id",
        "ALTER TABLE app.t DROP COLUMN a",
        "INSERT INTO app.t (id, b, c) VALUES (3, 'three', 300)",
        "UPDATE app.t SET c = 101 WHERE id = 1",
        "ALTER TABLE app.t ADD COLUMN d VARCHAR(10) AFTER id",
        "INSERT INTO app.t VALUES (4, 'dee', 'four', 400)",
        "ALTER TABLE app.t MODIFY c BIGINT",
        "INSERT INTO app.t VALUES (5, 'five', 'five', 5000000000)",
        "UPDATE app.t SET b = 'FOUR', d = 'four' WHERE id = 4",
        "DELETE FROM app.t WHERE id = 0",
      ]
    ) await fixture.my.query(statement);

    sync = await startSync(config);
    try {
      await waitForCatchUp(fixture, sync);
    } finally {
      await sync.stop();
    }
    assertEquals(sync.stats.lastError, null);
    assertEquals(
      await pgRows(fixture.pg, "SELECT id, b, c, d FROM public.t"),
      await mysqlRows(fixture.my, "SELECT id, b, c, d FROM app.t"),
    );
    // a, dropped on the source, keeps what row 2 was written with (row 1, updated after the drop,
    // was written again without it).
    assertEquals(await pgRows(fixture.pg, "SELECT id, a FROM public.t WHERE a IS NOT NULL"), [
      ["2", "20"],
    ]);
    assertEquals(await storedVersions(fixture), [
      "catalog (seed)",
      "ddl ALTER TABLE app.t MODIFY b VARCHAR(20) AFTER id",
      "ddl ALTER TABLE app.t DROP COLUMN a",
      "ddl ALTER TABLE app.t ADD COLUMN d VARCHAR(10) AFTER id",
      "ddl ALTER TABLE app.t MODIFY c BIGINT",
    ]);
    // check reports the history: the table it covers and its newest version.
    const checked = await runCli(["check", "-c", config.file, "--json"]);
    const finding =
      (JSON.parse(checked.stdout).findings as { check: string; level: string; message: string }[])
        .find((f) => f.check === "schema_history");
    assertEquals(finding?.level, "ok");
    assertMatch(
      finding!.message,
      /^schema history of 1 table\(s\) in "public"\."mysql_gp_sync_schema", newest version at mysql-bin\.\d+:\d+ \(DDL on app\.t\)$/,
    );
  });
}

Deno.test("binlog_row_metadata=MINIMAL: a first start behind the binlog's end is refused, unless the catalog is trusted", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--binlog-row-metadata=MINIMAL"] });
  const config = await prepare(fixture);
  const from = await fixture.masterStatus();
  await fixture.my.query("INSERT INTO app.t VALUES (1, 10, 'one', 100)");
  const refused = await startSync(config);
  const error = await refused.done.then(() => null, (err: Error) => err);
  assertMatch(
    error?.message ?? "",
    new RegExp(
      `^no schema history of app\\.t at the start position ${from.file}:${from.pos}, which the ` +
        "binlog has moved past .*binlog_row_metadata = MINIMAL.*" +
        '"mysql-gp-sync snapshot".*schema_history_seed = "catalog"',
    ),
  );
  assertEquals(await storedVersions(fixture), []);

  const trusting = await configFor(fixture, 'schema_history_seed = "catalog"\n');
  const sync = await startSync(trusting);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(await pgRows(fixture.pg, "SELECT id, a, b, c FROM public.t"), [[
    "1",
    "10",
    "one",
    "100",
  ]]);
  assertEquals(await storedVersions(fixture), ["catalog (seed)"]);
});

Deno.test("binlog_row_metadata=MINIMAL: SIGKILL right after a DDL, then a restart: nothing lost or doubled", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--binlog-row-metadata=MINIMAL"] });
  const config = await prepare(fixture);
  await using first = await SyncProcess.start({ configFile: config.file });
  await waitFor("the seed", async () => (await storedVersions(fixture)).length === 1, 30_000);
  await fixture.my.query("INSERT INTO app.t VALUES (1, 10, 'one', 100), (2, 20, 'two', 200)");
  await fixture.my.query("ALTER TABLE app.t DROP COLUMN a");
  // Killed the moment the DDL's version is stored: before or after its position commits.
  await waitFor(
    "the DDL's version",
    async () => (await storedVersions(fixture)).length === 2,
    30_000,
  );
  first.signal("SIGKILL");
  await first.status;
  await fixture.my.query("INSERT INTO app.t (id, b, c) VALUES (3, 'three', 300)");
  await fixture.my.query("UPDATE app.t SET c = 101 WHERE id = 1");

  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(sync.stats.lastError, null);
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, b, c FROM public.t"),
    await mysqlRows(fixture.my, "SELECT id, b, c FROM app.t"),
  );
  assertEquals(await pgRows(fixture.pg, "SELECT id, a FROM public.t WHERE a IS NOT NULL"), [
    ["2", "20"],
  ]);
  assertEquals(await storedVersions(fixture), [
    "catalog (seed)",
    "ddl ALTER TABLE app.t DROP COLUMN a",
  ]);
  assert(sync.stats.appliedPosition !== null);
});

Deno.test("binlog_row_metadata=MINIMAL: snapshot starts the history, so run decodes rows behind a later ALTER", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--binlog-row-metadata=MINIMAL"] });
  const config = await prepare(fixture);
  await fixture.my.query("INSERT INTO app.t VALUES (1, 10, 'one', 100)");
  const loaded = await runCli(["snapshot", "-c", config.file]);
  assertEquals(loaded.code, 0, loaded.stderr);
  assertEquals(await storedVersions(fixture), ["snapshot (seed)"]);
  await fixture.my.query("INSERT INTO app.t VALUES (2, 20, 'two', 200)");
  await fixture.my.query("ALTER TABLE app.t DROP COLUMN b");
  await fixture.my.query("INSERT INTO app.t VALUES (3, 30, 300)");
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(sync.stats.lastError, null);
  assertEquals(await pgRows(fixture.pg, "SELECT id, a, b, c FROM public.t"), [
    ["1", "10", "one", "100"],
    ["2", "20", "two", "200"],
    ["3", "30", null, "300"],
  ]);
  assertEquals(await storedVersions(fixture), [
    "snapshot (seed)",
    "ddl ALTER TABLE app.t DROP COLUMN b",
  ]);
});

Deno.test("binlog_row_metadata=MINIMAL: a table created while the reader reads ahead, then an ALTER: rows between them keep their layout", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--binlog-row-metadata=MINIMAL"] });
  await prepare(fixture);
  const config = await fixture.writeConfig(
    `ddl_drop_column = "keep"\n[[source]]\nschema = "app"\ntables = ["*"]\n`,
  );
  let sync = await startSync(config);
  try {
    await waitFor("the seed", async () => (await storedVersions(fixture)).length === 1);
    await fixture.my.query("INSERT INTO app.t VALUES (0, 0, 'zero', 0)");
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  // Read in one go: the reader has applied the ALTER by the time the CREATE makes the session
  // start it again from the CREATE, so the history must be the one stored there.
  for (
    const statement of [
      "CREATE TABLE app.n (id INT PRIMARY KEY, v INT)",
      "INSERT INTO app.t VALUES (1, 10, 'one', 100)",
      "ALTER TABLE app.t DROP COLUMN a",
      "INSERT INTO app.t VALUES (2, 'two', 200)",
      "INSERT INTO app.n VALUES (1, 1)",
    ]
  ) await fixture.my.query(statement);
  sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  assertEquals(sync.stats.lastError, null);
  assertEquals(await pgRows(fixture.pg, "SELECT id, a, b, c FROM public.t"), [
    ["0", "0", "zero", "0"],
    ["1", "10", "one", "100"],
    ["2", null, "two", "200"],
  ]);
  assertEquals(await pgRows(fixture.pg, "SELECT id, v FROM public.n"), [["1", "1"]]);
});

Deno.test("binlog_row_metadata=FULL: a history that disagrees with the binlog stops the sync, naming both layouts", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  let sync = await startSync(config);
  try {
    await waitFor("the seed", async () => (await storedVersions(fixture)).length === 1);
    await fixture.my.query("INSERT INTO app.t VALUES (0, 0, 'zero', 0)");
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  // The stored history loses column a, as if a DDL had been missed.
  await fixture.pg.unsafe(
    `UPDATE public.${SCHEMA_TABLE} SET definition = (jsonb_set(definition::jsonb, '{columns}', ` +
      `(definition::jsonb -> 'columns') - 1))::text`,
  );
  await fixture.my.query("INSERT INTO app.t VALUES (1, 10, 'one', 100)");
  sync = await startSync(config);
  const error = await sync.done.then(() => null, (err: Error) => err);
  assertMatch(
    error?.message ?? "",
    /^the binlog's layout of app\.t \(id int, a int, b varchar\(80 bytes\), c int\) does not fit the schema history's \(id int\(11\), b varchar\(20\), c int\(11\)\): 4 columns in the binlog, 3 in the history; .*snapshot --tables app\.t"$/,
  );
  assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.t"), [["0"]]);
});
