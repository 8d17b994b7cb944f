// A row PostgreSQL refuses is named in the one-line error: the table, PostgreSQL's words, the key
// of the refused row (or the batch's keys when PostgreSQL does not point at one) and the binlog
// range of the batch, from its first transaction to its last.
import { assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { startFixture, startSync, waitFor } from "../../testing/fixture.ts";

/** Valid JSON for MariaDB, but beyond what jsonb's numeric can hold. */
const TOO_BIG = `'{"n": 1e200000}'`;

for (
  const { rows, refused } of [
    // Many rows: COPYed, and PostgreSQL names the line of the refused one.
    { rows: 40, refused: /; the refused row's key: \(id\)=\(27\); / },
    // A few: plain statements, without a line; the batch's keys of the table are listed.
    {
      rows: 3,
      refused: /; keys of app\.doc in the batch: \(id\)=\(1\), \(id\)=\(2\), \(id\)=\(3\); /,
    },
  ]
) {
  Deno.test(`a refused row among ${rows} is named by its key and the batch's binlog range`, async () => {
    await using fixture = await startFixture();
    await fixture.my.query(
      "CREATE DATABASE app; CREATE TABLE app.doc (id INT PRIMARY KEY, body JSON)",
    );
    await fixture.pg.unsafe("CREATE TABLE public.doc (id integer PRIMARY KEY, body jsonb)");
    const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["doc"]\n`);
    const from = await fixture.masterStatus();
    await writeMasterInfo(config.dataDir, from);
    const values = Array.from(
      { length: rows },
      (_, i) => `(${i + 1}, ${i + 1 === Math.min(27, rows) ? TOO_BIG : `'{"n": ${i}}'`})`,
    );
    // Two transactions, so that the range runs from the first's GTID to the second's.
    await fixture.my.query(`INSERT INTO app.doc VALUES ${values.slice(0, 1).join(", ")}`);
    await fixture.my.query(`INSERT INTO app.doc VALUES ${values.slice(1).join(", ")}`);
    const to = await fixture.masterStatus();
    const sync = await startSync(config);
    try {
      await waitFor("the error to be reported", () => sync.stats.lastError !== null, 15_000);
      const message = sync.stats.lastError!;
      assertMatch(message, /^PostgreSQL refused rows of MySQL app\.doc for "public"\."doc": /);
      assertMatch(message, refused);
      assertMatch(
        message,
        new RegExp(
          `; binlog ${from.file}:${from.pos} to ${to.file}:${to.pos}, GTID (\\d+-\\d+-)(\\d+) ` +
            `to \\1\\d+$`,
        ),
      );
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.doc`;
      assertEquals(row.n, 0, "nothing of the batch was applied");
    } finally {
      await sync.stop();
    }
  });
}
