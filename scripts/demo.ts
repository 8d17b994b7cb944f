/**
 * The whole deployment in under a minute, on throwaway servers: a MariaDB with a small shop schema
 * that keeps being written to, an empty PostgreSQL, then the commands a DBA runs - `init` from
 * connection flags, `check`, `snapshot` while writes go on, `run`, a schema change on the source,
 * `verify`, `status` and a clean stop - each step narrated in a line. Everything is removed
 * afterwards.
 *
 * Run: `bash scripts/demo.sh` (or `deno task demo`).
 * @module
 */
import mysql from "mysql2/promise";
import { startMariaDB } from "../testing/mariadb_server.ts";
import { startPostgres } from "../testing/postgres_server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const started = performance.now();
const say = (text: string) =>
  console.log(`\n== [${((performance.now() - started) / 1000).toFixed(1)}s] ${text}`);

/** Runs a command of the tool to completion, printing its output indented. */
async function cli(args: string[], show = (_line: string) => true): Promise<number> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  for (const line of text.split("\n")) {
    if (line.trim() !== "" && show(line)) console.log(`   ${line}`);
  }
  return output.code;
}

await using source = await startMariaDB();
await using target = await startPostgres();
const my = await mysql.createConnection({
  host: source.host,
  port: source.port,
  user: source.user,
  password: source.password,
  multipleStatements: true,
});
const dir = await Deno.makeTempDir({ prefix: "mgs-demo-" });
const config = `${dir}/mysql-gp-sync.toml`;
let writing = true;
try {
  say(`throwaway MariaDB on 127.0.0.1:${source.port} and PostgreSQL on 127.0.0.1:${target.port}`);
  await my.query(`
    CREATE DATABASE shop;
    USE shop;
    CREATE TABLE shop.customer (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL,
      email VARCHAR(128), created DATETIME(6) NOT NULL);
    CREATE TABLE shop.orders (id BIGINT UNSIGNED PRIMARY KEY, customer_id INT NOT NULL,
      total DECIMAL(12,2) NOT NULL, status ENUM('new','paid','shipped') NOT NULL,
      detail JSON, placed TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3));
    CREATE TABLE shop.order_line (order_id BIGINT UNSIGNED, line SMALLINT, sku CHAR(8),
      qty INT NOT NULL, PRIMARY KEY (order_id, line));
    INSERT INTO shop.customer SELECT seq, CONCAT('customer ', seq), CONCAT('c', seq, '@example.com'),
      NOW(6) FROM seq_1_to_2000;
    INSERT INTO shop.orders (id, customer_id, total, status, detail)
      SELECT seq, 1 + seq % 2000, seq * 1.25, 'new', JSON_OBJECT('note', 'früh', 'n', seq)
      FROM seq_1_to_5000;
    INSERT INTO shop.order_line SELECT 1 + seq % 5000, seq DIV 5000, 'SKU-0001', 1 + seq % 7
      FROM seq_0_to_9999;`);
  say("sample data: shop.customer (2,000 rows), shop.orders (5,000), shop.order_line (10,000)");

  // Writes go on through every step that follows, as on a live server.
  let nextOrder = 100_000;
  const writer = (async () => {
    const w = await mysql.createConnection({
      host: source.host,
      port: source.port,
      user: source.user,
      password: source.password,
    });
    while (writing) {
      const id = nextOrder++;
      await w.query("BEGIN");
      await w.query(
        "INSERT INTO shop.orders (id, customer_id, total, status) VALUES (?, ?, ?, 'new')",
        [id, 1 + id % 2000, (id % 997) + 0.99],
      );
      await w.query("INSERT INTO shop.order_line VALUES (?, 1, 'SKU-0002', 2)", [id]);
      await w.query("UPDATE shop.orders SET status = 'paid' WHERE id = ?", [id - 3]);
      await w.query("COMMIT");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await w.end();
  })();

  say("mysql-gp-sync init: a commented config from connection flags, tables listed from MariaDB");
  await cli([
    "init",
    "--mysql-addr",
    `127.0.0.1:${source.port}`,
    "--mysql-user",
    source.user,
    "--mysql-pass",
    source.password,
    "--pg-host",
    "127.0.0.1",
    "--pg-port",
    String(target.port),
    "--pg-user",
    target.user,
    "--pg-pass",
    target.password,
    "--pg-dbname",
    target.database,
    "--schema",
    "shop",
    "-o",
    config,
  ]);

  say("mysql-gp-sync check: every prerequisite, one line each (the missing targets come next)");
  await cli(["check", "--config", config]);

  say("mysql-gp-sync snapshot: creates and loads the targets while MariaDB keeps writing");
  const result = (line: string) => !line.includes(" [INFO] ");
  await cli(["snapshot", "--config", config], result);

  say("mysql-gp-sync run: follows the binlog from the snapshot's position");
  const sync = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", "--config", config, "--quiet"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((resolve) => setTimeout(resolve, 3000));

  say("a schema change on the source: ALTER TABLE shop.customer ADD COLUMN tier ... AFTER name");
  await my.query(
    "ALTER TABLE shop.customer ADD COLUMN tier VARCHAR(10) NOT NULL DEFAULT 'basic' AFTER name",
  );
  await my.query("UPDATE shop.customer SET tier = 'gold' WHERE id % 10 = 0");
  await new Promise((resolve) => setTimeout(resolve, 3000));

  writing = false;
  await writer;
  say(
    `writes stopped after ${nextOrder - 100_000} more transactions; mysql-gp-sync verify ` +
      "(every row and column, the new one included)",
  );
  await cli(["verify", "--config", config, "--wait", "30"], result);

  say("mysql-gp-sync status");
  await cli(["status", "--config", config]);

  say("SIGTERM: the batch in hand is finished and the position saved");
  sync.kill("SIGTERM");
  const { code } = await sync.status;
  say(`run exited with ${code}; the last lines of sync.log:`);
  const log = await Deno.readTextFile(`${dir}/var/sync.log`);
  for (const line of log.trim().split("\n").slice(-4)) console.log(`   ${line}`);
} finally {
  writing = false;
  await my.end();
  await Deno.remove(dir, { recursive: true });
  say("done; servers and files removed");
}
