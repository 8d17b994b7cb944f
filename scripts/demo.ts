/**
 * Shows the sync working end to end on throwaway servers: creates a MariaDB with sample data and an
 * empty PostgreSQL, starts `mysql-gp-sync run` as a real process, writes changes on the source and
 * prints what arrives. Everything is removed afterwards.
 *
 * Run: `deno task demo` (or `deno run -A scripts/demo.ts`).
 * @module
 */
import mysql from "mysql2/promise";
import postgres from "postgres";
import { startMariaDB } from "../testing/mariadb_server.ts";
import { startPostgres } from "../testing/postgres_server.ts";

const say = (text: string) => console.log(`\n== ${text}`);

await using source = await startMariaDB();
await using target = await startPostgres();
const my = await mysql.createConnection({
  host: source.host,
  port: source.port,
  user: source.user,
  password: source.password,
  multipleStatements: true,
});
const pg = postgres({
  host: target.host,
  port: target.port,
  user: target.user,
  password: target.password,
  database: target.database,
  onnotice: () => {},
});
const dir = await Deno.makeTempDir({ prefix: "mgs-demo-" });
try {
  say(`MariaDB on 127.0.0.1:${source.port}, PostgreSQL on 127.0.0.1:${target.port}`);
  await my.query(`
    CREATE DATABASE advanced;
    CREATE TABLE advanced.t_user (
      id INT PRIMARY KEY, name VARCHAR(64), balance DECIMAL(12,2), updated DATETIME(6));`);
  await pg.unsafe(`CREATE TABLE public.t_user (
      id integer PRIMARY KEY, name varchar(64), balance numeric(12,2), updated timestamp(6))`);
  const [status] = await my.query("SHOW MASTER STATUS");
  const { File, Position } = (status as { File: string; Position: number }[])[0];
  await Deno.mkdir(`${dir}/var`);
  await Deno.writeTextFile(
    `${dir}/var/master.info`,
    `bin_name = "${File}"\nbin_pos = ${Position}\n`,
  );
  const config = `${dir}/mysql-gp-sync.toml`;
  await Deno.writeTextFile(
    config,
    `mysql_addr = "127.0.0.1:${source.port}"
mysql_user = "${source.user}"
mysql_pass = "${source.password}"
pg_host = "127.0.0.1"
pg_port = ${target.port}
pg_user = "${target.user}"
pg_pass = "${target.password}"
pg_dbname = "${target.database}"
data_dir = "./var"
server_id = 1001
flavor = "mariadb"

[[source]]
schema = "advanced"
tables = ["t_user"]

[[rule]]
schema = "advanced"
table = "t_user"
pg_schema = "public"
pg_table = "t_user"
`,
  );
  say(`config written to ${config}; starting: mysql-gp-sync run --config ${config}`);
  const sync = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "run", "--config", config],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();

  const show = async (title: string) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rows =
      await pg`SELECT count(*)::int AS n, coalesce(sum(balance), 0)::text AS total FROM public.t_user`;
    say(`${title}: PostgreSQL has ${rows[0].n} rows, balance total ${rows[0].total}`);
  };
  const values = Array.from(
    { length: 5000 },
    (_, i) => `(${i + 1}, 'user ${i + 1}', ${i}.50, NOW(6))`,
  );
  await my.query(`INSERT INTO advanced.t_user VALUES ${values.join(",")}`);
  await show("after inserting 5000 rows in MariaDB");
  await my.query("UPDATE advanced.t_user SET balance = balance * 2 WHERE id <= 1000");
  await my.query("DELETE FROM advanced.t_user WHERE id > 4000");
  await my.query("BEGIN; UPDATE advanced.t_user SET id = 9999 WHERE id = 1; COMMIT;");
  await show("after updates, deletes and a key change");
  const [sums] = await my.query("SELECT COUNT(*) AS n, SUM(balance) AS total FROM advanced.t_user");
  const mine = (sums as { n: number; total: string }[])[0];
  say(`MariaDB has ${mine.n} rows, balance total ${mine.total}`);
  sync.kill("SIGTERM");
  await sync.status;
  say(`master.info now says:\n${await Deno.readTextFile(`${dir}/var/master.info`)}`);
} finally {
  await my.end();
  await pg.end();
  await Deno.remove(dir, { recursive: true });
}
