// Two MariaDB shards with the same table and overlapping primary keys merged into one PostgreSQL
// table by two syncs (own server_id, sync_id and instance_name, one source_column): instance b is
// loaded by snapshot while instance a's sync keeps writing the merged table, each snapshot touches
// only its own slice (the non-empty refusal, --truncate and the continuation of an interrupted
// load included), a sync SIGKILLed mid-run and started again catches up, and in the end every
// slice equals its source, by SQL and by the verify command of each config, which also sees a row
// changed by hand in its slice only.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type mysql from "mysql2/promise";
import { type Config, loadConfig } from "../../src/config/config.ts";
import {
  connectMysql,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  waitFor,
} from "../../testing/fixture.ts";
import { type MariaDBServer, startMariaDB } from "../../testing/mariadb_server.ts";
import type { PostgresServer } from "../../testing/postgres_server.ts";
import { SyncProcess } from "../../testing/sync_process.ts";

const TABLE = `
  CREATE DATABASE shop;
  CREATE TABLE shop.item (id INT PRIMARY KEY, name VARCHAR(40), qty INT);`;

/** A config of one instance: its own server_id, sync_id and instance_name, one merged target. */
async function writeConfig(
  dir: string,
  my: MariaDBServer,
  pg: PostgresServer,
  instance: { name: string; serverId: number },
): Promise<Config> {
  await Deno.mkdir(dir, { recursive: true });
  const file = `${dir}/mysql-gp-sync.toml`;
  await Deno.writeTextFile(
    file,
    `mysql_addr = "${my.host}:${my.port}"
mysql_user = "${my.user}"
mysql_pass = "${my.password}"
pg_host = "${pg.host}"
pg_port = ${pg.port}
pg_user = "${pg.user}"
pg_pass = "${pg.password}"
pg_dbname = "${pg.database}"
data_dir = "./var"
flavor = "mariadb"
server_id = ${instance.serverId}
sync_id = "shard_${instance.name}"
instance_name = "${instance.name}"

[[source]]
schema = "shop"
tables = ["item"]

[[rule]]
schema = "shop"
table = "item"
pg_schema = "public"
pg_table = "items"
source_column = "shard"
`,
  );
  return await loadConfig(file, {});
}

/** Inserts, updates and deletes on overlapping keys until stopped. */
function writer(my: mysql.Connection, offset: number) {
  let running = true;
  const done = (async () => {
    for (let i = 1; running; i++) {
      await my.query(`BEGIN;
        UPDATE shop.item SET qty = qty + 1 WHERE id = ${(i * 37 + offset) % 150 + 1};
        DELETE FROM shop.item WHERE id = ${(i * 13 + offset) % 150 + 1};
        INSERT INTO shop.item VALUES (${1000 + i}, 'new ${offset} ${i}', ${i});
        COMMIT;`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return async () => {
    running = false;
    await done;
  };
}

const SLICE_COLUMNS = "id, name, qty";

Deno.test("two shards with overlapping keys merged into one table: snapshot, sync, kill, verify per slice", async () => {
  await using fixture = await startFixture();
  await using serverB = await startMariaDB();
  const myA = fixture.my;
  const myB = await connectMysql(serverB);
  const syncs: SyncProcess[] = [];
  try {
    await myA.query(`${TABLE}
      INSERT INTO shop.item SELECT seq, CONCAT('a ', seq), seq FROM shop.seq_1_to_200;`);
    await myB.query(`${TABLE}
      INSERT INTO shop.item SELECT seq, CONCAT('b ', seq), seq * 2 FROM shop.seq_1_to_150;`);
    const a = await writeConfig(`${fixture.dir}/a`, fixture.mariadb, fixture.postgres, {
      name: "a",
      serverId: 1001,
    });
    const b = await writeConfig(`${fixture.dir}/b`, serverB, fixture.postgres, {
      name: "b",
      serverId: 1002,
    });

    const loadA = await runCli(["snapshot", "-c", a.file]);
    assertEquals(loadA.code, 0, loadA.stderr);
    assertMatch(loadA.stdout, /^shop\.item -> public\.items: 200 rows .*\(created\)$/m);
    // The tag is part of the key: equal ids of the two shards are two rows
    const key = await pgRows(
      fixture.pg,
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a
          ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = 'public.items'::regclass AND i.indisprimary`,
    );
    assertEquals(key, [["id"], ["shard"]]);

    syncs.push(await SyncProcess.start({ configFile: a.file }));
    const stopA = writer(myA, 0);
    let stopB: (() => Promise<void>) | null = null;
    try {
      // Instance a's sync writes the merged table meanwhile: b's snapshot touches b's slice only.
      // A row the target refuses stops it after some chunks; run again, it continues after them,
      // counting the rows of b's slice, not those of a beside them.
      await fixture.pg.unsafe(
        "ALTER TABLE items ADD CONSTRAINT late CHECK (shard <> 'b.shop.item' OR id < 140)",
      );
      const stopped = await runCli(["snapshot", "-c", b.file, "--chunk-rows", "20"]);
      assertEquals(stopped.code, 1, stopped.stdout);
      assertMatch(stopped.stderr, /PostgreSQL refused a row of shop\.item for public\.items/);
      await fixture.pg.unsafe("ALTER TABLE items DROP CONSTRAINT late");
      const loadB = await runCli(["snapshot", "-c", b.file, "--chunk-rows", "20"]);
      assertEquals(loadB.code, 0, loadB.stderr);
      assertMatch(
        loadB.stdout,
        /^shop\.item -> public\.items: 150 rows .*\(continued after \d+ rows loaded before\)$/m,
      );
      const again = await runCli(["snapshot", "-c", b.file]);
      assertEquals(again.code, 1, again.stdout);
      assertMatch(
        again.stderr,
        /^mysql-gp-sync: PostgreSQL table public\.items where shard = 'b\.shop\.item' is not empty: .*pass --truncate/,
      );
      const rowsOfA = await pgRows(
        fixture.pg,
        "SELECT count(*) FROM items WHERE shard = 'a.shop.item'",
      );
      const reload = await runCli(["snapshot", "-c", b.file, "--truncate"]);
      assertEquals(reload.code, 0, reload.stderr);
      assertMatch(reload.stdout, /^shop\.item -> public\.items: 150 rows .*\(emptied first\)$/m);
      // a's rows were not emptied with b's: a's sync only ever adds and removes about as many
      const [[afterReload]] = await pgRows(
        fixture.pg,
        "SELECT count(*) FROM items WHERE shard = 'a.shop.item'",
      );
      assert(Number(afterReload) >= Number(rowsOfA[0][0]) - 50, `${afterReload} rows of a left`);

      syncs.push(await SyncProcess.start({ configFile: b.file }));
      stopB = writer(myB, 7);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // A kill in mid-run, and a start again
      syncs[0].signal("SIGKILL");
      await syncs[0].status;
      await new Promise((resolve) => setTimeout(resolve, 500));
      syncs[0] = await SyncProcess.start({ configFile: a.file });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await stopA();
      await stopB?.();
    }

    for (const [name, my] of [["a", myA], ["b", myB]] as const) {
      const expected = await mysqlRows(my, `SELECT ${SLICE_COLUMNS} FROM shop.item`);
      assert(expected.length > 150, `${name}: ${expected.length} rows`);
      const slice = `SELECT ${SLICE_COLUMNS} FROM items WHERE shard = '${name}.shop.item'`;
      await waitFor(`slice ${name} to equal its source`, async () => {
        for (const sync of syncs) assert(sync.exited === null, `a sync exited: ${sync.stderr}`);
        return JSON.stringify(await pgRows(fixture.pg, slice)) === JSON.stringify(expected);
      }, 30_000);
    }

    for (const config of [a, b]) {
      const checked = await runCli(["verify", "-c", config.file, "--json"]);
      assertEquals(checked.code, 0, checked.stdout + checked.stderr);
      const report = JSON.parse(checked.stdout);
      assertEquals(report.equal, true);
      assertEquals(report.tables.length, 1);
      assertEquals(
        report.tables[0].slice,
        `public.items where shard = '${config.instanceName}.shop.item'`,
      );
    }

    // One row of b's slice changed by hand, of a key both shards have: b's verify sees it, a's not
    const [[id]] = await pgRows(
      fixture.pg,
      `SELECT min(id) FROM items GROUP BY id HAVING count(*) = 2 ORDER BY 1 LIMIT 1`,
    );
    await fixture.pg.unsafe(
      `UPDATE items SET name = 'by hand' WHERE shard = 'b.shop.item' AND id = ${id}`,
    );
    const differs = await runCli(["verify", "-c", b.file, "--json", "--wait", "2"]);
    assertEquals(differs.code, 1, differs.stderr);
    const report = JSON.parse(differs.stdout).tables[0];
    assertEquals([report.missing, report.extra, report.different], [0, 0, 1]);
    assertEquals(report.differences, [{ kind: "different", key: { id } }]);
    const unaffected = await runCli(["verify", "-c", a.file, "--json", "--wait", "2"]);
    assertEquals(unaffected.code, 0, unaffected.stdout + unaffected.stderr);
  } finally {
    for (const sync of syncs) await sync.stop().catch(() => sync.dispose());
    await myB.end().catch(() => {});
  }
});
