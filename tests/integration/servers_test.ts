// Proves the throwaway-server harness in testing/ (mariadb_server.ts, postgres_server.ts).

import mysql from "mysql2/promise";
import postgres from "postgres";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { startPostgres } from "../../testing/postgres_server.ts";

function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

function assertEquals<T>(actual: T, expected: T, msg = ""): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`assertion failed: ${msg}\n  actual:   ${a}\n  expected: ${e}`);
}

async function assertGone(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  throw new Error(`${path} still exists`);
}

Deno.test("MariaDB: binlog settings, privileges, writes, restart, dispose", async () => {
  const my = await startMariaDB();
  let dir = "";
  try {
    dir = my.dir;
    assertEquals(my.host, "127.0.0.1", "host");
    const connect = () =>
      mysql.createConnection({
        host: my.host,
        port: my.port,
        user: my.user,
        password: my.password,
      });
    let conn = await connect();
    const [vars] = await conn.query(
      "SELECT @@log_bin AS log_bin, @@binlog_format AS fmt, @@binlog_row_image AS img, " +
        "@@binlog_row_metadata AS meta, @@server_id AS sid",
    ) as [Record<string, unknown>[], unknown];
    assertEquals(vars[0], { log_bin: 1, fmt: "ROW", img: "FULL", meta: "FULL", sid: 1 }, "vars");

    const [grants] = await conn.query("SHOW GRANTS") as [Record<string, string>[], unknown];
    assert(Object.values(grants[0])[0].includes("ALL PRIVILEGES ON *.*"), "all privileges");

    const [status1] = await conn.query("SHOW MASTER STATUS") as [
      Record<string, unknown>[],
      unknown,
    ];
    assert(/^mysql-bin\.\d{6}$/.test(String(status1[0].File)), "binlog file name");

    await conn.query("CREATE DATABASE t1");
    await conn.query("CREATE TABLE t1.a (id INT PRIMARY KEY, v VARCHAR(10))");
    await conn.query("INSERT INTO t1.a VALUES (1, 'x'), (2, 'ü')");
    const [status2] = await conn.query("SHOW MASTER STATUS") as [
      Record<string, unknown>[],
      unknown,
    ];
    assert(Number(status2[0].Position) > Number(status1[0].Position), "binlog grew");
    await conn.end();

    await my.stop();
    let refused = false;
    await connect().then((c) => c.end(), () => refused = true);
    assert(refused, "stopped server refuses connections");

    const port = my.port;
    await my.start();
    assertEquals(my.port, port, "same port after restart");
    conn = await connect();
    const [rows] = await conn.query("SELECT v FROM t1.a ORDER BY id") as [
      Record<string, unknown>[],
      unknown,
    ];
    assertEquals(rows.map((r) => r.v), ["x", "ü"], "data survives restart");
    await conn.end();
  } finally {
    await my.dispose();
  }
  await assertGone(dir);
});

Deno.test("MariaDB: options.args override defaults", async () => {
  await using my = await startMariaDB({ args: ["--binlog-format=MIXED"] });
  const conn = await mysql.createConnection({
    host: my.host,
    port: my.port,
    user: my.user,
    password: my.password,
  });
  const [rows] = await conn.query("SELECT @@binlog_format AS f") as [
    Record<string, unknown>[],
    unknown,
  ];
  await conn.end();
  assertEquals(rows[0].f, "MIXED", "binlog_format");
});

Deno.test("PostgreSQL: password auth, database, restart, dispose", async () => {
  const pg = await startPostgres();
  const dir = pg.dir;
  const client = (password: string) =>
    postgres({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password,
      database: pg.database,
      max: 1,
      onnotice: () => {},
    });
  try {
    let sql = client(pg.password);
    const [row] = await sql`SELECT current_database() AS db, current_user AS u`;
    assertEquals({ db: row.db, u: row.u }, { db: pg.database, u: pg.user }, "session");
    await sql`CREATE TABLE t (id int PRIMARY KEY)`;
    await sql`INSERT INTO t VALUES (1), (2)`;
    await sql.end();

    const bad = client("wrong-password");
    let code = "";
    await bad`SELECT 1`.then(() => {}, (err) => code = String(err.code));
    await bad.end();
    assertEquals(code, "28P01", "wrong password is rejected (invalid_password)");

    await pg.stop();
    await pg.start();
    sql = client(pg.password);
    const rows = await sql`SELECT count(*)::int AS n FROM t`;
    assertEquals(rows[0].n, 2, "data survives restart");
    await sql.end();
  } finally {
    await pg.dispose();
  }
  await assertGone(dir);
});
