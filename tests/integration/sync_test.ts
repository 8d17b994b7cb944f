// Core sync against real servers: INSERT/UPDATE/DELETE, key changes, whole transactions,
// rollbacks, restarts, and the seed's position file.
import { assert, assertEquals } from "../support/assert.ts";
import { readMasterInfo, writeMasterInfo } from "../../src/offsets/master_info.ts";
import {
  type Fixture,
  mysqlRows,
  pgRows,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";
import { SHOP_RULES } from "../support/shop.ts";

const SOURCE_DDL = `
  CREATE DATABASE shop;
  CREATE TABLE shop.t_user (
    id INT PRIMARY KEY, name VARCHAR(64), balance DECIMAL(12,2) NOT NULL, note TEXT, born DATE
  ) ENGINE=InnoDB;
  CREATE TABLE shop.line (
    order_id INT, sku VARCHAR(16), qty INT NOT NULL, PRIMARY KEY (order_id, sku)
  ) ENGINE=InnoDB;
  CREATE TABLE shop.ignored (id INT PRIMARY KEY, v INT);`;

const TARGET_DDL = `
  CREATE TABLE public.t_user (
    id integer PRIMARY KEY, name varchar(64), balance numeric(12,2) NOT NULL, note text, born date);
  CREATE SCHEMA sales;
  -- no key on purpose: a row applied twice would show up as a duplicate
  CREATE TABLE sales.order_line (order_id integer, sku varchar(16), qty integer NOT NULL);`;

async function prepare(fixture: Fixture): Promise<void> {
  await fixture.my.query(SOURCE_DDL);
  await fixture.pg.unsafe(TARGET_DDL);
}

async function assertInSync(fixture: Fixture): Promise<void> {
  assertEquals(
    await pgRows(fixture.pg, "SELECT id, name, balance, note, born::text FROM public.t_user"),
    await mysqlRows(fixture.my, "SELECT id, name, balance, note, born FROM shop.t_user"),
  );
  assertEquals(
    await pgRows(fixture.pg, "SELECT order_id, sku, qty FROM sales.order_line"),
    await mysqlRows(fixture.my, "SELECT order_id, sku, qty FROM shop.line"),
  );
}

function userValues(from: number, to: number): string {
  const rows: string[] = [];
  for (let id = from; id <= to; id++) {
    const note = id % 7 === 0 ? "NULL" : `'note ${id}\\ttab\\\\slash'`;
    rows.push(
      `(${id}, 'user ${id}', ${(id * 1.25).toFixed(2)}, ${note}, '2001-02-${(id % 28) + 1}')`,
    );
  }
  return rows.join(",");
}

/** A mixed workload: bulk inserts, updates, deletes, key changes, multi-statement and rolled-back transactions. */
async function workload(fixture: Fixture, base: number): Promise<void> {
  const { my } = fixture;
  for (let chunk = 0; chunk < 4; chunk++) {
    const from = base + chunk * 500 + 1;
    await my.query(`INSERT INTO shop.t_user VALUES ${userValues(from, from + 499)}`);
  }
  const lines: string[] = [];
  for (let order = base + 1; order <= base + 300; order++) {
    for (const sku of ["A", "B", "C"]) lines.push(`(${order}, '${sku}', ${order % 5 + 1})`);
  }
  await my.query(`INSERT INTO shop.line VALUES ${lines.join(",")}`);
  await my.query(
    `UPDATE shop.t_user SET balance = balance + 10, name = CONCAT(name, '!') WHERE id % 3 = 0 AND id > ${base}`,
  );
  await my.query(`DELETE FROM shop.t_user WHERE id % 11 = 0 AND id > ${base}`);
  // Primary key changes, including one onto a key that was deleted in the same batch.
  await my.query(`UPDATE shop.t_user SET id = id + 100000 WHERE id % 13 = 0 AND id > ${base}`);
  await my.query(`UPDATE shop.t_user SET id = ${base + 11} WHERE id = ${base + 12}`);
  await my.query(
    `UPDATE shop.line SET sku = 'Z' WHERE sku = 'B' AND order_id % 4 = 0 AND order_id > ${base}`,
  );
  // One transaction over several statements and tables.
  await my.query(`BEGIN;
    INSERT INTO shop.t_user VALUES (${base + 90001}, 'tx', 1.00, NULL, NULL);
    UPDATE shop.t_user SET note = 'in tx' WHERE id = ${base + 1};
    DELETE FROM shop.line WHERE order_id = ${base + 2};
    INSERT INTO shop.line VALUES (${base + 2}, 'NEW', 9);
    COMMIT;`);
  // Rolled back: must never appear.
  await my.query(`BEGIN;
    INSERT INTO shop.t_user VALUES (${base + 90002}, 'rolled back', 1.00, NULL, NULL);
    DELETE FROM shop.t_user WHERE id = ${base + 2};
    ROLLBACK;`);
  // Insert then delete inside one transaction, and a row updated many times.
  await my.query(`BEGIN;
    INSERT INTO shop.t_user VALUES (${base + 90003}, 'short-lived', 1.00, NULL, NULL);
    DELETE FROM shop.t_user WHERE id = ${base + 90003};
    COMMIT;`);
  for (let i = 0; i < 20; i++) {
    await my.query(`UPDATE shop.t_user SET balance = balance + 1 WHERE id = ${base + 4}`);
  }
  // Not followed: must not reach PostgreSQL nor break anything.
  await my.query(`INSERT INTO shop.ignored VALUES (${base + 1}, 1)`);
}

for (const writers of [1, 4]) {
  Deno.test(`every committed change arrives; rolled-back work never does (concurrent_size = ${writers})`, async () => {
    await using fixture = await startFixture();
    await prepare(fixture);
    const config = await fixture.writeConfig(`concurrent_size = ${writers}\n${SHOP_RULES}`);
    await writeMasterInfo(config.dataDir, await fixture.masterStatus());
    const sync = await startSync(config);
    try {
      await workload(fixture, 0);
      await waitForCatchUp(fixture, sync);
      await assertInSync(fixture);
      const count = await fixture
        .pg`SELECT count(*)::int AS n FROM public.t_user WHERE name = 'rolled back'`;
      assertEquals(count[0].n, 0);
      assert(sync.stats.rowsApplied > 2000, `applied ${sync.stats.rowsApplied}`);
    } finally {
      await sync.stop();
    }
    // The seed's position file now holds the applied position, in the seed's format (with a
    // comment line that tells our mirror from a person's edit).
    const text = await Deno.readTextFile(`${config.dataDir}/master.info`);
    assert(
      /^# written by mysql-gp-sync: \S+\nbin_name = "mysql-bin\.\d{6}"\nbin_pos = \d+\n$/.test(
        text,
      ),
      text,
    );
    assertEquals(await readMasterInfo(config.dataDir), await fixture.masterStatus());
    const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
    assert(log.includes("[INFO] streaming from"), log);
  });
}

async function assertTransfersAtomic(extraConfig: string): Promise<void> {
  await using fixture = await startFixture();
  await prepare(fixture);
  await fixture.my.query(`INSERT INTO shop.t_user VALUES ${userValues(1, 50)}`);
  await fixture.pg.unsafe(
    `INSERT INTO public.t_user (id, name, balance, note, born)
     SELECT g, 'user ' || g, round(g * 1.25, 2), NULL, NULL FROM generate_series(1, 50) g`,
  );
  const config = await fixture.writeConfig(`batch_max_ms = 1\n${extraConfig}\n${SHOP_RULES}`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const [[{ total }]] = await fixture.my.query(
    "SELECT SUM(balance) AS total FROM shop.t_user",
  ) as unknown as [
    { total: string }[],
  ];
  const sync = await startSync(config);
  let observed = 0;
  let writing = true;
  const observer = (async () => {
    while (writing) {
      const [row] = await fixture.pg`SELECT sum(balance)::text AS total FROM public.t_user`;
      assertEquals(row.total, total, "a transfer was seen half-applied");
      observed++;
    }
  })();
  try {
    // Transfers between accounts: every transaction keeps the sum.
    for (let i = 0; i < 300; i++) {
      const from = (i % 50) + 1, to = ((i * 7) % 50) + 1;
      await fixture.my.query(`BEGIN;
        UPDATE shop.t_user SET balance = balance - 3.50 WHERE id = ${from};
        UPDATE shop.t_user SET balance = balance + 3.50 WHERE id = ${to};
        COMMIT;`);
    }
    await waitForCatchUp(fixture, sync);
  } finally {
    writing = false;
    await observer;
    await sync.stop();
  }
  assert(observed > 10, `only ${observed} observations`);
  await assertInSync(fixture);
}

Deno.test("PostgreSQL never shows half of a source transaction", async () => {
  await assertTransfersAtomic("");
});

Deno.test("parallel writers (concurrent_size) still apply every transaction whole", async () => {
  await assertTransfersAtomic("concurrent_size = 3");
});

Deno.test("stop mid-stream, write more, start again: equal, nothing applied twice", async () => {
  await using fixture = await startFixture();
  await prepare(fixture);
  const config = await fixture.writeConfig("batch_max_rows = 300\n" + SHOP_RULES);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  let sync = await startSync(config);
  const writer = workload(fixture, 0);
  // Stop while the workload is still being written and applied.
  await waitFor("some rows applied", () => sync.stats.rowsApplied > 0);
  await sync.stop();
  const stoppedAt = await readMasterInfo(config.dataDir);
  assert(stoppedAt !== null);
  await writer;
  await workload(fixture, 286000); // a multiple of 11 and 13, as the workload assumes
  sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
    await assertInSync(fixture);
  } finally {
    await sync.stop();
  }
});

Deno.test("without master.info the sync starts at the oldest binlog on the server", async () => {
  await using fixture = await startFixture();
  // Everything, including the CREATE TABLEs, is in the binlog before the sync ever runs.
  await prepare(fixture);
  await workload(fixture, 0);
  const config = await fixture.writeConfig(SHOP_RULES);
  const sync = await startSync(config);
  try {
    await waitForCatchUp(fixture, sync);
    await assertInSync(fixture);
  } finally {
    await sync.stop();
  }
});

Deno.test("a batch's DELETE looks its keys up through the target's index, not by scanning it", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE app; CREATE DATABASE seq; CREATE TABLE app.t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB",
  );
  await fixture.pg.unsafe("CREATE TABLE public.t (id integer PRIMARY KEY, v integer)");
  // Rows already there on both sides, as after a snapshot; the target has fresh statistics.
  await fixture.my.query(
    "INSERT INTO app.t SELECT seq, seq FROM seq.seq_1_to_50000",
  );
  await fixture.pg.unsafe("INSERT INTO public.t SELECT n, n FROM generate_series(1, 50000) n");
  await fixture.pg.unsafe("ANALYZE public.t");
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t"]`);
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const scans = async () => {
    const [row] = await fixture.pg<{ seq: number; idx: number; inserted: number }[]>`
      SELECT seq_scan::int AS seq, idx_scan::int AS idx, n_tup_ins::int AS inserted
        FROM pg_stat_user_tables WHERE relid = 'public.t'::regclass`;
    return row;
  };
  // Statistics reach the view up to a second or so after the transaction that made them.
  const settled = async (inserted: number) => {
    let row = await scans();
    await waitFor(`${inserted} inserts counted`, async () => {
      row = await scans();
      return row.inserted >= inserted;
    }, 20_000);
    return row;
  };
  const before = await settled(50_000);
  const sync = await startSync(config);
  try {
    // One transaction changing 2,000 rows: one batch, merged through staging (over 32 rows).
    await fixture.my.query("UPDATE app.t SET v = -v WHERE id > 48000");
    await waitForCatchUp(fixture, sync);
  } finally {
    await sync.stop();
  }
  const after = await settled(50_000);
  assertEquals(after.seq - before.seq, 0, "the target was scanned");
  assert(after.idx > before.idx, "the key index was not used");
  assertEquals(
    await pgRows(fixture.pg, "SELECT count(*)::text, sum(v)::text FROM public.t"),
    [["50000", String(50000 * 50001 / 2 - 2 * (50000 * 50001 / 2 - 48000 * 48001 / 2))]],
  );
});

Deno.test("inserts are COPYed into a keyed target; keys it already holds, or no key, mean a merge", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`CREATE DATABASE app; CREATE DATABASE seq;
    CREATE TABLE app.keyed (id INT PRIMARY KEY, v VARCHAR(16)) ENGINE=InnoDB;
    CREATE TABLE app.unkeyed (id INT PRIMARY KEY, v VARCHAR(16)) ENGINE=InnoDB;
    CREATE TABLE app.late_key (id INT PRIMARY KEY, v VARCHAR(16)) ENGINE=InnoDB;`);
  // A merge deletes before it inserts; a trigger counts the DELETE statements each table gets.
  await fixture.pg.unsafe(`
    CREATE TABLE public.keyed (id integer PRIMARY KEY, v varchar(16));
    CREATE TABLE public.unkeyed (id integer, v varchar(16));
    CREATE TABLE public.late_key (id integer, v varchar(16));
    -- Partial: keys up to 1000 may repeat.
    CREATE UNIQUE INDEX ON public.late_key (id) WHERE id > 1000;
    CREATE TABLE public.deletes (tbl text);
    CREATE FUNCTION public.count_delete() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN INSERT INTO public.deletes VALUES (TG_TABLE_NAME); RETURN NULL; END $$;
    CREATE TRIGGER counted AFTER DELETE ON public.keyed
      FOR EACH STATEMENT EXECUTE FUNCTION public.count_delete();
    CREATE TRIGGER counted AFTER DELETE ON public.unkeyed
      FOR EACH STATEMENT EXECUTE FUNCTION public.count_delete();
    CREATE TRIGGER counted AFTER DELETE ON public.late_key
      FOR EACH STATEMENT EXECUTE FUNCTION public.count_delete();
    -- Stale rows under keys the source is about to insert.
    INSERT INTO public.unkeyed VALUES (5, 'stale');
    INSERT INTO public.late_key VALUES (7, 'stale');`);
  const deletes = async (table: string) =>
    (await fixture.pg<{ n: number }[]>`SELECT count(*)::int AS n FROM public.deletes
      WHERE tbl = ${table}`)[0].n;
  const tables = ["keyed", "unkeyed", "late_key"];
  // A quote and a backslash in the sync's id: the position write quotes it as a literal.
  const config = await fixture.writeConfig(
    `sync_id = "it's a \\\\ test"\n[[source]]\nschema = "app"\ntables = ${JSON.stringify(tables)}`,
  );
  await writeMasterInfo(config.dataDir, await fixture.masterStatus());
  const insert = (table: string, from: number, to: number) =>
    fixture.my.query(
      `INSERT INTO app.${table} SELECT seq, CONCAT('v', seq) FROM seq.seq_${from}_to_${to}`,
    );
  const assertEqualRows = async (table: string) =>
    assertEquals(
      await pgRows(fixture.pg, `SELECT id, v FROM public.${table} ORDER BY id`),
      await mysqlRows(fixture.my, `SELECT id, v FROM app.${table} ORDER BY id`),
      table,
    );
  const sync = await startSync(config);
  try {
    for (const table of tables) await insert(table, 1, 100);
    await waitForCatchUp(fixture, sync);
    for (const table of tables) await assertEqualRows(table);
    assertEquals(await deletes("keyed"), 0, "keyed: inserts went through a merge");
    // Without a unique index on the key alone a COPY could duplicate keys: always merged.
    assert(await deletes("unkeyed") > 0, "unkeyed: inserts were not merged");
    assert(await deletes("late_key") > 0, "late_key: inserts were not merged");

    // The target gains a key index, and a row the source has yet to insert.
    await fixture.pg.unsafe(`CREATE UNIQUE INDEX ON public.late_key (id);
      INSERT INTO public.keyed VALUES (150, 'stale')`);
    await fixture.my.query("ALTER TABLE app.late_key COMMENT 'makes the sync look again'");
    await insert("keyed", 101, 200);
    await insert("late_key", 101, 200);
    await waitForCatchUp(fixture, sync);
    for (const table of tables) await assertEqualRows(table);
    assert(await deletes("keyed") > 0, "keyed: the stored key was not merged");
    const lateKeyDeletes = await deletes("late_key");
    await insert("late_key", 201, 300);
    await waitForCatchUp(fixture, sync);
    await assertEqualRows("late_key");
    assertEquals(await deletes("late_key"), lateKeyDeletes, "late_key: inserts still merged");
  } finally {
    await sync.stop();
  }
  const head = await fixture.masterStatus();
  assertEquals(
    await pgRows(
      fixture.pg,
      "SELECT sync_id, bin_name, bin_pos FROM public.mysql_gp_sync_position",
    ),
    [["it's a \\ test", head.file, String(head.pos)]],
  );
});
