// A row PostgreSQL refuses stops the stream with a clear, retried error (never a silent hang),
// and the sync carries on by itself once the target is fixed.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { startFixture, startSync, waitFor, waitForCatchUp } from "../../testing/fixture.ts";

Deno.test("a value the target refuses is reported and retried until the target is fixed", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.doc (id INT PRIMARY KEY, body JSON)",
  );
  await fixture.pg.unsafe("CREATE TABLE public.doc (id integer PRIMARY KEY, body jsonb)");
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["doc"]\n`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const sync = await startSync(config);
  try {
    // Valid JSON for MariaDB, but beyond what jsonb's numeric can hold: the COPY is rejected.
    await fixture.my.query(`INSERT INTO app.doc VALUES (1, '{"n": 1}'), (2, '{"n": 1e200000}')`);
    await waitFor("the error to be reported", () => sync.stats.lastError !== null, 15_000);
    assertMatch(
      sync.stats.lastError!,
      /refused rows of MySQL app\.doc for "public"\."doc": .*numeric/,
    );
    // Nothing of the refused transaction is visible, and the position did not pass it.
    const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.doc`;
    assertEquals(row.n, 0);
    // A json column takes any JSON text: once the target is changed, the retry goes through.
    await fixture.pg.unsafe("ALTER TABLE public.doc ALTER COLUMN body TYPE json");
    await waitForCatchUp(fixture, sync, 60_000);
    const rows = await fixture.pg`SELECT id, body::text AS body FROM public.doc ORDER BY id`;
    assertEquals(rows.map((r) => [r.id, r.body]), [[1, '{"n": 1}'], [2, '{"n": 1e200000}']]);
  } finally {
    const stopping = Date.now();
    await sync.stop();
    assert(Date.now() - stopping < 10_000, "stop took too long");
  }
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(log, /\[ERROR\] .*retrying in/);
});

for (
  const { type, pgType, zero, message } of [
    { type: "DATE", pgType: "date", zero: "'0000-00-00'", message: '"0000-00-00"' },
    {
      type: "DATETIME(6)",
      pgType: "timestamp(6)",
      zero: "'0000-00-00 00:00:00'",
      message: "a zero or invalid date",
    },
  ]
) {
  Deno.test(`a ${type} primary key PostgreSQL cannot store stops the stream with the column named`, async () => {
    await using fixture = await startFixture();
    await fixture.my.query(
      `CREATE DATABASE app; CREATE TABLE app.day (d ${type} PRIMARY KEY, n INT)`,
    );
    await fixture.pg.unsafe(`CREATE TABLE public.day (d ${pgType} PRIMARY KEY, n integer)`);
    const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["day"]\n`);
    await writeMasterInfo(config.dataDir, await fixture.masterStatus());
    const sync = await startSync(config);
    try {
      await fixture.my.query("SET SESSION sql_mode = ''");
      await fixture.my.query(`INSERT INTO app.day VALUES ('2024-01-01', 1), (${zero}, 2)`);
      await waitFor("the error to be reported", () => sync.stats.lastError !== null, 15_000);
      assertMatch(
        sync.stats.lastError!,
        new RegExp(
          `primary key column app\\.day\\.d holds ${message}, which PostgreSQL cannot store`,
        ),
      );
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.day`;
      assertEquals(row.n, 0, "nothing of that transaction was applied");
    } finally {
      await sync.stop();
    }
  });
}
