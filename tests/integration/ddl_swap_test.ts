// An online schema change as pt-online-schema-change and gh-ost make it, written here step by step
// while writes continue: a shadow table (created LIKE the original, or from its definition),
// altered, kept equal by triggers and filled by a chunked INSERT ... SELECT, then swapped in by one
// RENAME TABLE. The shadow's rows never reach the sync when no [[source]] names it; the target
// must still end in the new layout with every row equal, with no manual step and no reload.
import { assertEquals, assertMatch } from "../support/assert.ts";
import mysql from "mysql2/promise";
import type { Config } from "../../src/config/config.ts";
import { connectMysql, type Fixture, startFixture, waitForCatchUp } from "../../testing/fixture.ts";
import {
  assertSameLayout,
  assertVerified,
  EVERY_TABLE,
  prepare,
  startStreaming,
  syncLog,
} from "../support/ddl.ts";

const ROWS = 600;
const CHUNK = 100;

/** How the tool makes and swaps its shadow. */
interface Tool {
  shadow: string;
  old: string;
  /** CREATE LIKE (gh-ost) or a copy of the definition (pt-osc). */
  like: boolean;
  /** gh-ost creates and drops a sentry table of the old name before the swap. */
  sentry: boolean;
}

const PT_OSC: Tool = { shadow: "_t_new", old: "_t_old", like: false, sentry: false };
const GH_OST: Tool = { shadow: "_t_gho", old: "_t_del", like: true, sentry: true };

/** Inserts, updates and deletes on s.t, one autocommit statement at a time, until `stop`. */
async function writeUntil(my: mysql.Connection, stop: { done: boolean }): Promise<number> {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 1 + (seed % n);
  };
  let writes = 0;
  while (!stop.done) {
    const id = next(ROWS + writes);
    const statement = [
      [`INSERT INTO s.t (a, n) VALUES (?, ?)`, [`w${writes}`, writes]],
      [`UPDATE s.t SET n = n + 1, a = CONCAT(a, '+') WHERE id = ?`, [id]],
      [`DELETE FROM s.t WHERE id = ?`, [id]],
    ] as const;
    const [text, values] = statement[writes % 3];
    await retried(() => my.query(text, [...values]));
    writes++;
  }
  return writes;
}

/** Runs `statement` again after a deadlock (rolled back whole), as the tools and apps do. */
async function retried(statement: () => Promise<unknown>): Promise<void> {
  while (true) {
    try {
      await statement();
      return;
    } catch (error) {
      if ((error as { errno?: number }).errno !== 1213) throw error;
    }
  }
}

/** The online schema change of s.t, step by step as `tool` makes it. */
async function onlineSchemaChange(my: mysql.Connection, tool: Tool): Promise<void> {
  const { shadow, old } = tool;
  await my.query(
    tool.like
      ? `CREATE TABLE s.${shadow} LIKE s.t`
      : `CREATE TABLE s.${shadow} (id INT NOT NULL AUTO_INCREMENT, a VARCHAR(40), n INT, ` +
        "PRIMARY KEY (id)) ENGINE=InnoDB",
  );
  await my.query(
    `ALTER TABLE s.${shadow} ADD COLUMN c2 VARCHAR(10) NOT NULL DEFAULT 'new', MODIFY n BIGINT`,
  );
  await my.query(`
    CREATE TRIGGER s.pt_ins AFTER INSERT ON s.t FOR EACH ROW
      REPLACE INTO s.${shadow} (id, a, n) VALUES (NEW.id, NEW.a, NEW.n);
    CREATE TRIGGER s.pt_upd AFTER UPDATE ON s.t FOR EACH ROW BEGIN
      DELETE IGNORE FROM s.${shadow} WHERE id = OLD.id;
      REPLACE INTO s.${shadow} (id, a, n) VALUES (NEW.id, NEW.a, NEW.n);
    END;
    CREATE TRIGGER s.pt_del AFTER DELETE ON s.t FOR EACH ROW
      DELETE IGNORE FROM s.${shadow} WHERE id = OLD.id;`);
  const [[{ top }]] = await my.query(`SELECT MAX(id) AS top FROM s.t`) as unknown as [
    { top: number }[],
  ];
  for (let from = 1; from <= top; from += CHUNK) {
    await retried(() =>
      my.query(
        `INSERT LOW_PRIORITY IGNORE INTO s.${shadow} (id, a, n) SELECT id, a, n FROM s.t ` +
          `WHERE id BETWEEN ? AND ? LOCK IN SHARE MODE`,
        [from, from + CHUNK - 1],
      )
    );
  }
  if (tool.sentry) {
    await my.query(`CREATE TABLE s.${old} (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB`);
    await my.query(`DROP TABLE s.${old}`);
  }
  await my.query(`RENAME TABLE s.t TO s.${old}, s.${shadow} TO s.t`);
  await my.query(`DROP TRIGGER s.pt_ins; DROP TRIGGER s.pt_upd; DROP TRIGGER s.pt_del`);
  await my.query(`DROP TABLE s.${old}`);
}

/** Runs the change under `tool` with writes going on, and checks the target at the end. */
async function swapWhileWriting(fixture: Fixture, config: Config, tool: Tool): Promise<void> {
  const sync = await startStreaming(fixture, config);
  const writer = await connectMysql(fixture.mariadb);
  try {
    await fixture.my.query(
      `CREATE TABLE s.t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a VARCHAR(40), n INT)`,
    );
    const values = Array.from({ length: ROWS }, (_, i) => `('r${i}', ${i})`).join(", ");
    await fixture.my.query(`INSERT INTO s.t (a, n) VALUES ${values}`);
    const stop = { done: false };
    const writing = writeUntil(writer, stop);
    // Ends the writes even when the change fails, so the failure is the one reported.
    await onlineSchemaChange(fixture.my, tool).catch(async (error) => {
      stop.done = true;
      await writing.catch(() => {});
      throw error;
    });
    // Writes go on in the new layout for a while.
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop.done = true;
    const writes = await writing;
    await fixture.my.query(`INSERT INTO s.base VALUES (2, 'after')`);
    await waitForCatchUp(fixture, sync);
    assertEquals(writes > 30, true, `only ${writes} writes went on`);
    await assertSameLayout(fixture, { schema: "s", table: "t" }, {
      schema: "public",
      table: "t",
    });
    await assertVerified(config, "s.base,s.t");
    assertEquals(sync.stats.lastError, null);
  } finally {
    await writer.end();
    await sync.stop();
  }
}

Deno.test("pt-osc's swap, the shadow not followed: the target keeps its rows in the new layout", async () => {
  await using fixture = await startFixture();
  const config = await prepare(
    fixture,
    `[[source]]\nschema = "s"\ntables = ["base", "t"]\n`,
  );
  await swapWhileWriting(fixture, config, PT_OSC);
  const log = await syncLog(config);
  assertMatch(
    log,
    /on s\.t: renamed to s\._t_old, which no \[\[source\]\] names: no longer followed/,
  );
  assertMatch(
    log,
    /on s\.t: s\._t_new took its place; public\.t keeps its rows: column n integer -> bigint, column c2 character varying\(10\) added/,
  );
  assertEquals(/\[WARN\] .*taken to be those/.test(log), false, "a swap needs no repair");
});

Deno.test("gh-ost's swap under tables = [*]: shadow, sentry and old table followed by name", async () => {
  await using fixture = await startFixture();
  const config = await prepare(fixture, EVERY_TABLE);
  await swapWhileWriting(fixture, config, GH_OST);
  const log = await syncLog(config);
  assertMatch(log, /on s\._t_del: renamed from s\.t; public\.t renamed to public\._t_del/);
  assertMatch(log, /on s\.t: renamed from s\._t_gho; public\._t_gho renamed to public\.t/);
});
