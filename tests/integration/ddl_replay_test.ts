// DDL replayed on the target while rows flow around it: every ALTER TABLE form, with the target's
// layout equal to what snapshot would make and every row equal (verify) at the end.
import { assertEquals, assertMatch } from "../support/assert.ts";
import { pgRows, runCli, startFixture, waitForCatchUp } from "../../testing/fixture.ts";
import {
  assertSameLayout,
  assertVerified,
  EVERY_TABLE,
  prepare,
  startStreaming,
  syncLog,
  targetLayout,
} from "../support/ddl.ts";

for (const metadata of ["FULL", "MINIMAL"]) {
  Deno.test(`binlog_row_metadata=${metadata}: every ALTER TABLE form is replayed in binlog order with the rows around it`, async () => {
    await using fixture = await startFixture({
      mariadbArgs: [`--binlog-row-metadata=${metadata}`],
    });
    // Nothing changed s.base between the saved position and the start.
    const config = await prepare(fixture, `schema_history_seed = "catalog"\n${EVERY_TABLE}`);
    const sync = await startStreaming(fixture, config);
    try {
      // Each round trip a group: rows right behind each statement.
      await fixture.my.query(`
      USE o;
      CREATE TABLE s.t (id INT PRIMARY KEY, a VARCHAR(10), b INT, d DATE);
      INSERT INTO s.t VALUES (1, 'one', 10, '2020-01-01'), (2, 'two', 20, NULL),
        (3, 'three', 30, '2021-02-03');
      ALTER TABLE s.t ADD c INT NOT NULL;
      INSERT INTO s.t (id, a, b, d, c) VALUES (4, 'four', 40, NULL, 44);`);
      await fixture.my.query(`
      USE s;
      ALTER TABLE t ADD (e VARCHAR(5) NOT NULL DEFAULT 'x', f ENUM('p', 'q') NOT NULL),
        ADD g DATE NOT NULL FIRST, ADD h BIT(4) DEFAULT b'101' AFTER id,
        ADD COLUMN IF NOT EXISTS c INT;
      INSERT INTO t (id, a, b, c, e, f, g, h) VALUES (5, 'five', 50, 55, 'ee', 'q', '2022-02-02', b'11');
      UPDATE t SET e = 'upd' WHERE id = 1;
      ALTER TABLE t DROP COLUMN d;
      ALTER TABLE t MODIFY b BIGINT, ALGORITHM=COPY, LOCK=SHARED;
      INSERT INTO t (id, a, b, c, g) VALUES (7, 'seven', 7000000000, 77, '2023-01-07');
      ALTER TABLE t CHANGE a a2 VARCHAR(20) CHARACTER SET latin1;
      INSERT INTO t (id, a2, b, c, g) VALUES (8, 'eight çé', 80, 88, '2023-01-08');
      ALTER TABLE t RENAME COLUMN a2 TO a3;
      ALTER TABLE t ALTER COLUMN b SET DEFAULT 5, ALTER COLUMN e DROP DEFAULT;
      ALTER TABLE t ADD UNIQUE KEY u (a3), ADD INDEX i (b);
      DROP INDEX i ON t;
      ALTER TABLE t DROP INDEX u;
      INSERT INTO t (id, a3, c, e, f, g) VALUES (9, 'nine', 99, 'n', 'p', '2023-01-09');`);
      await fixture.my.query(`
      USE s;
      ALTER TABLE t DROP PRIMARY KEY, ADD PRIMARY KEY (id, b);
      UPDATE t SET b = b + 100 WHERE id = 9;
      DELETE FROM t WHERE id = 3;
      USE o;
      ALTER /* app */ TABLE \`s\`.\`t\` COMMENT 'hello' /* why */, CONVERT TO CHARACTER SET utf8mb4;
      INSERT INTO s.t (id, a3, b, c, e, f, g) VALUES (10, 'ten ü', 100, 1010, 't', 'q', '2023-01-10');
      ALTER TABLE s.t PARTITION BY HASH(id) PARTITIONS 2;
      ALTER TABLE s.t REBUILD PARTITION p0;
      ALTER TABLE s.t COALESCE PARTITION 1;
      ALTER TABLE s.t REMOVE PARTITIONING;
      ALTER TABLE s.t RENAME TO s.t_renamed;
      INSERT INTO s.t_renamed (id, a3, b, c, e, f, g) VALUES (11, 'eleven', 110, 1111, 'e', 'p', '2023-01-11');
      UPDATE s.t_renamed SET c = c + 1 WHERE id IN (1, 11);
      INSERT INTO s.base VALUES (2, 'after');`);
      await waitForCatchUp(fixture, sync);
      await assertSameLayout(fixture, { schema: "s", table: "t_renamed" }, {
        schema: "public",
        table: "t_renamed",
      });
      const [{ old }] = await fixture.pg`SELECT to_regclass('public.t') AS old`;
      assertEquals(old, null, "the target follows the table's new name");
      // The rows there before each ADD got what MySQL gave them.
      assertEquals(
        await pgRows(
          fixture.pg,
          "SELECT id, c, e, f, g, h::text FROM public.t_renamed WHERE id < 3",
        ),
        [["1", "1", "upd", "p", null, "0101"], ["2", "0", "x", "p", null, "0101"]],
      );
      await assertVerified(config);
      const log = await syncLog(config);
      assertMatch(log, /DDL ending at .* on s\.t: altered: column c integer added/);
      assertMatch(
        log,
        /on s\.t: altered: column a renamed to a2, column a2 character varying\(10\) -> character varying\(20\)/,
      );
      assertMatch(
        log,
        /on s\.t_renamed: renamed from s\.t; public\.t renamed to public\.t_renamed/,
      );
      assertEquals(sync.stats.lastError, null);
    } finally {
      await sync.stop();
    }
  });
}

Deno.test("CREATE LIKE / IF NOT EXISTS, RENAME swaps, TRUNCATE, DROP several: targets follow", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture);
  const sync = await startStreaming(fixture, config);
  try {
    await fixture.my.query(`
      USE o;
      CREATE TABLE s.a (id INT PRIMARY KEY, v VARCHAR(20));
      INSERT INTO s.a VALUES (1, 'a1'), (2, 'a2');
      CREATE TABLE IF NOT EXISTS s.a (id INT PRIMARY KEY);
      CREATE TABLE s.b LIKE s.a;
      INSERT INTO s.b VALUES (10, 'b10');
      CREATE TABLE IF NOT EXISTS s.c LIKE s.a;
      INSERT INTO s.c VALUES (20, 'c20');
      ALTER TABLE s.b ADD w INT NOT NULL DEFAULT 7;
      RENAME TABLE s.a TO s.tmp, s.b TO s.a, s.tmp TO s.b;
      INSERT INTO s.a VALUES (11, 'was b', 8);
      INSERT INTO s.b VALUES (3, 'was a');
      RENAME TABLE s.c TO o.c;
      INSERT INTO o.c VALUES (21, 'gone');
      TRUNCATE TABLE s.b;
      INSERT INTO s.b VALUES (4, 'after truncate');
      CREATE TABLE s.g (id INT PRIMARY KEY, n INT);
      INSERT INTO s.g VALUES (1, 10), (2, 20);
      ALTER TABLE s.g ADD st INT AS (n + 1) STORED, ADD vt INT AS (n * 2) VIRTUAL;
      INSERT INTO s.g (id, n) VALUES (3, 30);
      UPDATE s.g SET n = 21 WHERE id = 2;
      CREATE TABLE s.d (id INT PRIMARY KEY);
      INSERT INTO s.d VALUES (1);
      DROP TABLE IF EXISTS s.d, s.never_there;
      INSERT INTO s.base VALUES (2, 'after');`);
    await waitForCatchUp(fixture, sync);
    for (const table of ["a", "b", "g"]) {
      await assertSameLayout(fixture, { schema: "s", table }, { schema: "public", table });
    }
    assertEquals(await pgRows(fixture.pg, "SELECT id, v, w FROM public.a"), [
      ["10", "b10", "7"],
      ["11", "was b", "8"],
    ]);
    assertEquals(await pgRows(fixture.pg, "SELECT id, v FROM public.b"), [["4", "after truncate"]]);
    // Left the [[source]] schema: no longer followed, its target kept as it was.
    assertEquals(await pgRows(fixture.pg, "SELECT id, v FROM public.c"), [["20", "c20"]]);
    // Dropped with ddl_drop_table = "ignore" (the default): its target stays.
    assertEquals(await pgRows(fixture.pg, "SELECT id FROM public.d"), [["1"]]);
    await assertVerified(config, "s.base,s.a,s.b");
    const log = await syncLog(config);
    assertMatch(log, /\[WARN\] MySQL table s\.d was dropped .* its target public\.d is kept/);
    assertMatch(log, /on s\.c: renamed to o\.c, which no \[\[source\]\] names: no longer followed/);
    // Rows there before a generated column came get NULL in it: said, and verify --repair mends.
    assertMatch(
      log,
      /\[WARN\] the rows already in "public"."g" get NULL in its new column st, which MySQL filled itself .*verify --repair --tables s\.g/,
    );
    assertEquals((await runCli(["verify", "-c", config.file, "--tables", "s.g"])).code, 1);
    assertEquals(
      (await runCli(["verify", "-c", config.file, "--repair", "--tables", "s.g"])).code,
      0,
    );
    await assertVerified(config, "s.g");
    assertEquals(sync.stats.lastError, null);
  } finally {
    await sync.stop();
  }
});

Deno.test("ddl_drop_column = keep and ddl_drop_table = drop", async () => {
  await using fixture = await startFixture();
  const config = await prepare(
    fixture,
    `ddl_drop_column = "keep"\nddl_drop_table = "drop"\n${EVERY_TABLE}`,
  );
  const sync = await startStreaming(fixture, config);
  try {
    await fixture.my.query(`
      CREATE TABLE s.k (id INT, v INT, w VARCHAR(5), PRIMARY KEY (id, v));
      INSERT INTO s.k VALUES (1, 10, 'a'), (2, 20, 'b');
      ALTER TABLE s.k DROP COLUMN w, DROP PRIMARY KEY, DROP COLUMN v, ADD PRIMARY KEY (id);
      INSERT INTO s.k VALUES (3);
      UPDATE s.k SET id = 4 WHERE id = 1;
      CREATE TABLE s.gone (id INT PRIMARY KEY);
      INSERT INTO s.gone VALUES (1);
      DROP TABLE s.gone;
      INSERT INTO s.base VALUES (2, 'after');`);
    await waitForCatchUp(fixture, sync);
    // The dropped columns stay, empty in rows written since; the key follows the source's.
    assertEquals(await pgRows(fixture.pg, "SELECT id, v, w FROM public.k"), [
      ["2", "20", "b"],
      ["3", null, null],
      ["4", null, null],
    ]);
    assertEquals((await targetLayout(fixture, "public", "k")).key, ["id"]);
    const [{ gone }] = await fixture.pg`SELECT to_regclass('public.gone') AS gone`;
    assertEquals(gone, null);
    assertMatch(await syncLog(config), /on s\.gone: dropped, and public\.gone with it/);
    await assertVerified(config);
  } finally {
    await sync.stop();
  }
});
