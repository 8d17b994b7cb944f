// The #17 rule keys on the sync path against throwaway servers: a column selection (the target
// `snapshot` creates, changes replicated, DDL on an unlisted column left alone), soft delete
// (flag and commit time kept, a re-insert revives), a source tag keeping equal keys of two shards
// apart in one target (with the same ALTER arriving from both), and two shards without a tag
// where keys move between them within one batch.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Config } from "../../src/config/config.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitForCatchUp,
} from "../../testing/fixture.ts";

/** Column names of a PostgreSQL table in order, then its primary key. */
async function targetShape(fixture: Fixture, table: string): Promise<string[][]> {
  const columns = await fixture.pg<{ name: string }[]>`
    SELECT attname AS name FROM pg_attribute
     WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  const key = await fixture.pg<{ name: string }[]>`
    SELECT a.attname AS name
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = ${table}::regclass AND i.indisprimary ORDER BY k.n`;
  return [columns.map((c) => c.name), key.map((k) => k.name)];
}

async function snapshot(config: Config): Promise<void> {
  const done = await runCli(["snapshot", "-c", config.file]);
  assertEquals(done.code, 0, done.stderr);
}

async function syncLog(config: Config): Promise<string> {
  return await Deno.readTextFile(`${config.dataDir}/sync.log`);
}

Deno.test("columns / filter: only the listed columns and the key travel, DDL beside them is left", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE s;
    CREATE TABLE s.items (id INT PRIMARY KEY, name VARCHAR(20), secret VARCHAR(20), qty INT,
      price DECIMAL(10,2) DEFAULT 1.50, at DATETIME(3) DEFAULT NOW(3), doc JSON DEFAULT '{}');
    CREATE TABLE s.things (k VARCHAR(8), n INT, label TEXT, qty INT, PRIMARY KEY (k, n));
    INSERT INTO s.items (id, name, secret, qty) VALUES (1, 'a', 'x', 1), (2, 'b', 'y', 2);
    INSERT INTO s.things VALUES ('a', 1, 'l', 5);`);
  const config = await fixture.writeConfig(`
[[source]]
schema = "s"
tables = ["items", "things"]

[[rule]]
schema = "s"
table = "items"
columns = ["NAME"]

[[rule]]
schema = "s"
table = "things"
filter = ["qty"]
`);
  await snapshot(config);
  assertEquals(await targetShape(fixture, "public.items"), [["id", "name"], ["id"]]);
  assertEquals(await targetShape(fixture, "public.things"), [["k", "n", "qty"], ["k", "n"]]);
  assertEquals(await pgRows(fixture.pg, "SELECT * FROM public.items"), [["1", "a"], ["2", "b"]]);

  const sync = await startSync(config);
  try {
    await fixture.my.query(`
      INSERT INTO s.items (id, name, secret, qty) VALUES (3, 'c', 'z', 3);
      UPDATE s.items SET name = 'B', secret = 'changed' WHERE id = 2;
      UPDATE s.items SET secret = 'only the secret', price = 2, doc = '[1]' WHERE id = 1;
      DELETE FROM s.items WHERE id = 3;
      INSERT INTO s.things VALUES ('b', 2, 'm', 6);
      UPDATE s.things SET qty = 7, label = 'n' WHERE k = 'a';
      ALTER TABLE s.items ADD COLUMN extra INT DEFAULT 4;
      ALTER TABLE s.items MODIFY secret TEXT;
      ALTER TABLE s.things DROP COLUMN label;
      INSERT INTO s.items (id, name, secret, qty, extra) VALUES (4, 'd', 'w', 4, 9);
      UPDATE s.items SET extra = 10 WHERE id = 1;
      INSERT INTO s.things VALUES ('c', 3, 8);`);
    await waitForCatchUp(fixture, sync);
    assertEquals(
      await pgRows(fixture.pg, "SELECT id, name FROM public.items"),
      await mysqlRows(fixture.my, "SELECT id, name FROM s.items"),
    );
    assertEquals(
      await pgRows(fixture.pg, "SELECT k, n, qty FROM public.things"),
      await mysqlRows(fixture.my, "SELECT k, n, qty FROM s.things"),
    );
    assertEquals(await targetShape(fixture, "public.items"), [["id", "name"], ["id"]]);
    assertEquals(await targetShape(fixture, "public.things"), [["k", "n", "qty"], ["k", "n"]]);
    const log = await syncLog(config);
    assertMatch(
      log,
      /on s\.items: altered: column extra changed, which the \[\[rule\]\]'s columns leave out/,
    );
    assertMatch(
      log,
      /on s\.things: altered: column label changed, which the \[\[rule\]\]'s columns leave out/,
    );
  } finally {
    await sync.stop();
  }
});

Deno.test("soft delete: deleted rows stay flagged with the commit time, a re-insert revives", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE s;
    CREATE TABLE s.acct (id INT PRIMARY KEY, owner VARCHAR(20), note VARCHAR(20));
    INSERT INTO s.acct VALUES (1, 'one', 'n1'), (2, 'two', 'n2'), (3, 'three', 'n3');`);
  const config = await fixture.writeConfig(`
[[source]]
schema = "s"
tables = ["acct"]

[[rule]]
schema = "s"
table = "acct"
soft_delete_column = "deleted"
soft_delete_time_column = "deleted_at"
`);
  await snapshot(config);
  assertEquals(await targetShape(fixture, "public.acct"), [
    ["id", "owner", "note", "deleted", "deleted_at"],
    ["id"],
  ]);
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, deleted::text, deleted_at FROM public.acct"),
    [["1", "false", null], ["2", "false", null], ["3", "false", null]],
  );
  const sync = await startSync(config);
  try {
    await fixture.my.query(`
      INSERT INTO s.acct VALUES (4, 'four', 'n4');
      DELETE FROM s.acct WHERE id IN (1, 4);
      UPDATE s.acct SET id = 20 WHERE id = 2;`);
    const [[{ at }]] = await fixture.my.query("SELECT UNIX_TIMESTAMP() AS at") as unknown as [
      { at: string }[],
    ];
    await waitForCatchUp(fixture, sync);
    const rows = await pgRows(
      fixture.pg,
      `SELECT id, owner, note, deleted::text, round(extract(epoch FROM deleted_at))::text
         FROM public.acct`,
    );
    // The deleting commit's second, read right after it (within a second)
    const kept = rows.filter((r) => r[3] === "true");
    assertEquals(kept.map((r) => r.slice(0, 4)), [
      ["1", "one", "n1", "true"],
      ["2", "two", "n2", "true"],
      ["4", "four", "n4", "true"],
    ]);
    for (const row of kept) assert(Math.abs(Number(row[4]) - Number(at)) <= 1, String(row));
    assertEquals(rows.filter((r) => r[3] === "false"), [
      ["20", "two", "n2", "false", null],
      ["3", "three", "n3", "false", null],
    ]);

    await fixture.my.query(`INSERT INTO s.acct VALUES (1, 'again', 'n9')`);
    await waitForCatchUp(fixture, sync);
    assertEquals(
      await pgRows(
        fixture.pg,
        "SELECT owner, deleted::text, deleted_at FROM public.acct WHERE id = 1",
      ),
      [["again", "false", null]],
    );
  } finally {
    await sync.stop();
  }
});

const SHARDS = `
CREATE DATABASE s;
CREATE TABLE s.orders_1 (id INT PRIMARY KEY, total INT);
CREATE TABLE s.orders_2 (id INT PRIMARY KEY, total INT);`;

Deno.test("source tag: equal keys of two shards stay apart in one target, one ALTER for both", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`${SHARDS}
    INSERT INTO s.orders_1 VALUES (1, 10), (2, 20);
    INSERT INTO s.orders_2 VALUES (1, 100), (3, 300);`);
  const config = await fixture.writeConfig(`
instance_name = "east"

[[source]]
schema = "s"
tables = ["orders_\\\\d+"]

[[rule]]
schema = "s"
table = "orders_\\\\d+"
pg_table = "orders"
source_column = "shard"
source_value = "{instance}/{table}"
`);
  await snapshot(config);
  assertEquals(await targetShape(fixture, "public.orders"), [
    ["id", "total", "shard"],
    ["id", "shard"],
  ]);
  const sync = await startSync(config);
  const both = `SELECT id, total, 'east/orders_1' FROM s.orders_1
                UNION ALL SELECT id, total, 'east/orders_2' FROM s.orders_2`;
  try {
    await fixture.my.query(`
      UPDATE s.orders_1 SET total = 11 WHERE id = 1;
      INSERT INTO s.orders_1 VALUES (3, 30);
      DELETE FROM s.orders_2 WHERE id = 3;
      UPDATE s.orders_2 SET id = 2 WHERE id = 1;`);
    await waitForCatchUp(fixture, sync);
    assertEquals(await pgRows(fixture.pg, "SELECT * FROM public.orders"), [
      ["1", "11", "east/orders_1"],
      ["2", "100", "east/orders_2"],
      ["2", "20", "east/orders_1"],
      ["3", "30", "east/orders_1"],
    ]);
    assertEquals(
      await pgRows(fixture.pg, "SELECT * FROM public.orders"),
      await mysqlRows(fixture.my, both),
    );

    // Each shard's ALTER reaches the one target: the first adds the column, the second finds it
    await fixture.my.query(`
      ALTER TABLE s.orders_1 ADD COLUMN note VARCHAR(10) DEFAULT 'old';
      INSERT INTO s.orders_1 VALUES (4, 40, 'new');
      ALTER TABLE s.orders_2 ADD COLUMN note VARCHAR(10) DEFAULT 'old';
      INSERT INTO s.orders_2 VALUES (4, 400, 'new2');`);
    await waitForCatchUp(fixture, sync);
    assertEquals(
      await pgRows(fixture.pg, "SELECT id, total, shard, note FROM public.orders"),
      await mysqlRows(
        fixture.my,
        `SELECT id, total, 'east/orders_1', note FROM s.orders_1
         UNION ALL SELECT id, total, 'east/orders_2', note FROM s.orders_2`,
      ),
    );
    const log = await syncLog(config);
    assertMatch(log, /on s\.orders_1: altered: column note character varying\(10\) added/);
    assertMatch(log, /on s\.orders_2: altered \(nothing to change on the target\)/);

    // A column one shard drops stays while the other still has it; the last drop takes it
    await fixture.my.query(`
      ALTER TABLE s.orders_1 DROP COLUMN note;
      INSERT INTO s.orders_1 VALUES (5, 50);
      INSERT INTO s.orders_2 VALUES (5, 500, 'still');`);
    await waitForCatchUp(fixture, sync);
    assertEquals(
      await pgRows(fixture.pg, "SELECT id, total, shard, note FROM public.orders WHERE id = 5"),
      [["5", "50", "east/orders_1", null], ["5", "500", "east/orders_2", "still"]],
    );
    await fixture.my.query(`
      ALTER TABLE s.orders_2 DROP COLUMN note;
      INSERT INTO s.orders_2 VALUES (6, 600);`);
    await waitForCatchUp(fixture, sync);
    assertEquals(await targetShape(fixture, "public.orders"), [
      ["id", "total", "shard"],
      ["id", "shard"],
    ]);
    assertEquals(
      await pgRows(fixture.pg, "SELECT * FROM public.orders"),
      await mysqlRows(fixture.my, both),
    );

    // A shard created later matches the rule and is followed into the existing target
    await fixture.my.query(`
      CREATE TABLE s.orders_3 (id INT PRIMARY KEY, total INT);
      INSERT INTO s.orders_3 VALUES (1, 1000), (7, 7000);
      UPDATE s.orders_3 SET total = 1001 WHERE id = 1;`);
    await waitForCatchUp(fixture, sync);
    assertEquals(
      await pgRows(fixture.pg, "SELECT * FROM public.orders"),
      await mysqlRows(
        fixture.my,
        `${both} UNION ALL SELECT id, total, 'east/orders_3' FROM s.orders_3`,
      ),
    );
    assertMatch(await syncLog(config), /on s\.orders_3: into public\.orders, which exists/);
  } finally {
    await sync.stop();
  }
});

Deno.test("two shards without a tag: a key moving between them within a batch ends right", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`${SHARDS}
    INSERT INTO s.orders_1 VALUES (1, 10), (2, 20);
    INSERT INTO s.orders_2 VALUES (3, 30);`);
  await fixture.pg.unsafe(`
    CREATE TABLE public.orders (id integer PRIMARY KEY, total integer);
    INSERT INTO public.orders VALUES (1, 10), (2, 20), (3, 30);`);
  const config = await fixture.writeConfig(`
[[source]]
schema = "s"
tables = ["orders_1", "orders_2"]

[[rule]]
schema = "s"
table = "orders_[12]"
pg_table = "orders"
`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const sync = await startSync(config);
  const union = "SELECT id, total FROM s.orders_1 UNION ALL SELECT id, total FROM s.orders_2";
  try {
    // One round trip: the transactions reach the reader together and share a batch
    await fixture.my.query(`
      BEGIN; DELETE FROM s.orders_1 WHERE id = 1; INSERT INTO s.orders_2 VALUES (1, 11); COMMIT;
      BEGIN; DELETE FROM s.orders_2 WHERE id = 3; INSERT INTO s.orders_1 VALUES (3, 33); COMMIT;
      INSERT INTO s.orders_1 VALUES (5, 50);
      BEGIN; DELETE FROM s.orders_1 WHERE id = 5; INSERT INTO s.orders_2 VALUES (5, 55); COMMIT;
      BEGIN; DELETE FROM s.orders_2 WHERE id = 5; INSERT INTO s.orders_1 VALUES (5, 56); COMMIT;`);
    await waitForCatchUp(fixture, sync);
    assertEquals(await pgRows(fixture.pg, "SELECT * FROM public.orders"), [
      ["1", "11"],
      ["2", "20"],
      ["3", "33"],
      ["5", "56"],
    ]);
    assertEquals(
      await pgRows(fixture.pg, "SELECT * FROM public.orders"),
      await mysqlRows(fixture.my, union),
    );
  } finally {
    await sync.stop();
  }
});

Deno.test("table_options: passed to the created target; one PostgreSQL refuses is one line", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE s;
    CREATE TABLE s.kept (id INT PRIMARY KEY, v INT);
    CREATE TABLE s.wide (id INT PRIMARY KEY, v INT);`);
  const rules = (options: string) => `
[[source]]
schema = "s"
tables = ["kept", "wide"]

[[rule]]
schema = "s"
table = "kept"
table_options = "fillfactor=70"
distributed_by = ["id"]

[[rule]]
schema = "s"
table = "wide"
table_options = "${options}"
`;
  const refused = await runCli([
    "snapshot",
    "-c",
    (await fixture.writeConfig(rules("appendoptimized=true"))).file,
  ]);
  assertEquals(refused.code, 1, refused.stderr);
  // One line, no stack trace, after the INFO of the table created before
  const error = refused.stderr.trim().split("\n").filter((line) => !/ \[INFO\] /.test(line));
  assertEquals(error.length, 1, refused.stderr);
  assertMatch(
    error[0],
    /^mysql-gp-sync: cannot create public\.wide for MySQL s\.wide with the \[\[rule\]\]'s table_options = "appendoptimized=true": unrecognized parameter "appendoptimized"; correct table_options/,
  );

  await snapshot(await fixture.writeConfig(rules("fillfactor=90")));
  assertEquals(
    await pgRows(
      fixture.pg,
      `SELECT relname, array_to_string(reloptions, ',') FROM pg_class
        WHERE relname IN ('kept', 'wide') AND relkind = 'r'`,
    ),
    [["kept", "fillfactor=70"], ["wide", "fillfactor=90"]],
  );
});
