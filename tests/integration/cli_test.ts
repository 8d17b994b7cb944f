// The command line as a user meets it: exit codes, one-line errors, pos show/set, SIGTERM.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { readMasterInfo } from "../../src/offsets/master_info.ts";
import { cliCommand, mysqlRows, runCli, startFixture, waitFor } from "../../testing/fixture.ts";

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assertEquals(lines.length, 1, `expected one line, got:\n${stderr}`);
  assertMatch(lines[0], /^mysql-gp-sync: /);
  assertMatch(lines[0], pattern);
  assert(!stderr.includes("    at "), "no stack trace for a user mistake");
}

/** Config files of these tests (and the data dirs runs create beside them); removed at exit. */
const TEMP = await Deno.makeTempDir({ prefix: "mgs-cli-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TEMP, { recursive: true }));
let configs = 0;

async function tempConfig(text: string): Promise<string> {
  const dir = `${TEMP}/${++configs}`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/sync.toml`, text);
  return `${dir}/sync.toml`;
}

const MINIMAL = (mysqlPort: number, pgPort: number) => `
mysql_addr = "127.0.0.1:${mysqlPort}"
mysql_user = "root"
mysql_pass = "x"
pg_host = "127.0.0.1"
pg_port = ${pgPort}
pg_user = "postgres"
pg_pass = "x"
pg_dbname = "x"
server_id = 9
[[source]]
schema = "s"
tables = ["t"]
`;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("usage errors exit 2", async () => {
  const none = await runCli([]);
  assertEquals(none.code, 2);
  const unknown = await runCli(["frobnicate"]);
  assertEquals(unknown.code, 2);
  assertMatch(unknown.stderr, /unknown command "frobnicate"/);
  const help = await runCli(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /pos set FILE POS/);
});

Deno.test("config mistakes: one line naming file and key, exit 2", async () => {
  const missing = await runCli(["run", "--config", "/nonexistent/sync.toml"]);
  assertEquals(missing.code, 2);
  assertOneLineError(missing.stderr, /\/nonexistent\/sync\.toml: config file not found/);

  const badToml = await tempConfig('mysql_addr = "a"\nserver_id = = 3\n');
  const parse = await runCli(["run", "-c", badToml]);
  assertEquals(parse.code, 2);
  assertOneLineError(parse.stderr, new RegExp(`${badToml}:2:\\d+: invalid TOML`));

  const badValue = await tempConfig(
    MINIMAL(3306, 5432).replace("server_id = 9", 'server_id = "nine"'),
  );
  const value = await runCli(["run", "-c", badValue]);
  assertEquals(value.code, 2);
  assertOneLineError(
    value.stderr,
    /server_id: expected an integer from 1 to 4294967295, got "nine"/,
  );
});

Deno.test("unreachable servers: one line naming the setting, exit 1", async () => {
  const deadPort = freePort();
  const file = await tempConfig(MINIMAL(deadPort, deadPort));
  const result = await runCli(["run", "-c", file]);
  assertEquals(result.code, 1);
  const lines = result.stderr.trim().split("\n").filter((l) => l.startsWith("mysql-gp-sync: "));
  assertEquals(lines.length, 1, result.stderr);
  assertMatch(
    lines[0],
    new RegExp(
      `cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${deadPort} \\(pg_host/pg_port in ${file}\\)`,
    ),
  );
  assert(!result.stderr.includes("    at "), result.stderr);
});

Deno.test("wrong passwords and missing tables are named; pos set/show; SIGTERM exits 0", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY, v VARCHAR(10)); CREATE TABLE s.nopk (v INT)",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const file = fixture.configFile;
  const text = await Deno.readTextFile(file);

  await Deno.writeTextFile(
    file,
    text.replace(`pg_pass = "${fixture.postgres.password}"`, 'pg_pass = "wrong"'),
  );
  let result = await runCli(["run", "-c", file]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /login refused for user "postgres" \(check pg_user and pg_pass\)/);

  await Deno.writeTextFile(
    file,
    text.replace(`mysql_pass = "${fixture.mariadb.password}"`, 'mysql_pass = "wrong"'),
  );
  result = await runCli(["run", "-c", file]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /access denied for user "root" \(check mysql_user and mysql_pass\)/);

  // The password may come from the environment instead of the file.
  await Deno.writeTextFile(file, text.replace(`mysql_pass = "${fixture.mariadb.password}"`, ""));
  result = await runCli(["run", "-c", file], { MYSQL_GP_SYNC_MYSQL_PASS: "wrong" });
  assertMatch(result.stderr, /access denied/);

  await Deno.writeTextFile(file, text);
  result = await runCli(["run", "-c", file]);
  assertEquals(result.code, 2);
  assertMatch(result.stderr, /PostgreSQL table public\.t \(target of MySQL s\.t\) does not exist/);

  await Deno.writeTextFile(file, text.replace('tables = ["t"]', 'tables = ["t", "nopk", "gone"]'));
  result = await runCli(["run", "-c", file]);
  assertEquals(result.code, 2);
  // Only a warning: a table that does not exist yet is followed from its CREATE TABLE.
  assertMatch(
    result.stderr,
    /\[WARN\] .*names tables that do not exist in MySQL: s\.gone; they are followed from their CREATE TABLE/,
  );
  // A table without a primary key is followed, its rows matched by their whole value.
  assertMatch(result.stderr, /s\.nopk has no primary key: its rows are matched by their whole row/);
  await Deno.writeTextFile(file, text);

  result = await runCli(["pos", "show", "-c", file]);
  assertEquals(result.code, 0);
  assertMatch(result.stdout, /no position saved/);
  result = await runCli(["pos", "set", "mysql-bin.000001", "abc", "-c", file]);
  assertEquals(result.code, 2);
  const status = await fixture.masterStatus();
  result = await runCli(["pos", "set", status.file, String(status.pos), "-c", file]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(await readMasterInfo(config.dataDir), status);
  result = await runCli(["pos", "show", "-c", file]);
  const [[gtids]] = await mysqlRows(fixture.my, "SELECT @@GLOBAL.gtid_binlog_pos");
  assertEquals(
    result.stdout,
    `bin_name = "${status.file}"\nbin_pos = ${status.pos}\ngtid_state = "${gtids}"\n` +
      `source_server = "${fixture.mariadb.host}:${fixture.mariadb.port}"\n` +
      `# the next run starts by GTID after gtid_state: the applied position saved in ` +
      `"public"."mysql_gp_sync_position"\n`,
  );

  // A real `run` process: applies a change, then SIGTERM makes it save and exit 0 promptly.
  await fixture.pg.unsafe("CREATE TABLE public.t (id int PRIMARY KEY, v varchar(10))");
  const child = cliCommand(["run", "-c", file]).spawn();
  try {
    await fixture.my.query("INSERT INTO s.t VALUES (1, 'one'), (2, 'two')");
    await waitFor("rows in PostgreSQL", async () => {
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.t`;
      return row.n === 2;
    });
  } finally {
    const stoppedAt = Date.now();
    child.kill("SIGTERM");
    const output = await child.output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    assert(Date.now() - stoppedAt < 5000, "SIGTERM took too long");
  }
  assertEquals(await readMasterInfo(config.dataDir), await fixture.masterStatus());
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(log, /\[INFO\] SIGTERM received/);
});

Deno.test("an unusable data_dir: check fails on it, run stops with one line", async () => {
  await using fixture = await startFixture();
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)");
  await fixture.pg.unsafe("CREATE TABLE public.t (id int PRIMARY KEY)");
  await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  // A file where the folder should be: nothing can be created below it.
  const blocker = `${fixture.dir}/not-a-folder`;
  await Deno.writeTextFile(blocker, "");
  const text = await Deno.readTextFile(fixture.configFile);
  await Deno.writeTextFile(
    fixture.configFile,
    text.replace('data_dir = "./var"', `data_dir = "${blocker}/var"`),
  );

  const check = await runCli(["check", "-c", fixture.configFile]);
  assertEquals(check.code, 1, check.stdout);
  assertMatch(check.stdout, /FAIL data_dir .*not-a-folder\/var is not a writable folder/);

  const run = await runCli(["run", "-c", fixture.configFile]);
  assertEquals(run.code, 2, run.stderr);
  assertOneLineError(run.stderr, /cannot write .*not-a-folder\/var\/sync\.log .*set data_dir/);
});
