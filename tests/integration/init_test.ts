// `init` against a real source: the file it writes loads, names the tables, and refuses to be
// overwritten; odd names and passwords survive the trip through TOML.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { loadConfig, parseConfig } from "../../src/config/config.ts";
import { matchesName } from "../../src/config/names.ts";
import { type InitSettings, renderConfig } from "../../src/commands/init_render.ts";
import { runCli, startFixture } from "../../testing/fixture.ts";
import { plainRule } from "../support/rules.ts";

const WEIRD_PASSWORD = `p"a\\ss#1 'x'`;

Deno.test("init: writes a config for the source's tables that loads and passes check", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.t_user (id INT PRIMARY KEY, name VARCHAR(20));
    CREATE TABLE shop.line (order_id INT, sku VARCHAR(8), PRIMARY KEY (order_id, sku));
    CREATE TABLE shop.audit (v INT);
    CREATE VIEW shop.v_user AS SELECT id FROM shop.t_user;
    CREATE DATABASE crm;
    CREATE TABLE crm.contact (id BIGINT PRIMARY KEY);
    CREATE DATABASE empty_one;
    CREATE DATABASE keyless;
    CREATE TABLE keyless.log (v INT);
    CREATE USER 'odd'@'127.0.0.1' IDENTIFIED BY '${
    WEIRD_PASSWORD.replace(/\\/g, "\\\\").replace(/'/g, "\\'")
  }';
    GRANT ALL PRIVILEGES ON *.* TO 'odd'@'127.0.0.1';`);
  const pg = fixture.postgres;
  const file = `${fixture.dir}/new.toml`;
  const connection = [
    "--mysql-addr",
    `${fixture.mariadb.host}:${fixture.mariadb.port}`,
    "--mysql-user",
    "odd",
    "--mysql-pass",
    WEIRD_PASSWORD,
    "--pg-host",
    pg.host,
    "--pg-port",
    String(pg.port),
    "--pg-user",
    pg.user,
    "--pg-pass",
    pg.password,
    "--pg-dbname",
    pg.database,
  ];
  let result = await runCli(["init", ...connection, "--schema", "shop", "--output", file]);
  assertEquals(result.code, 0, result.stderr);
  assertMatch(
    result.stdout,
    /wrote .*new\.toml: 2 table\(s\) in 1 schema\(s\), 1 without a primary key/,
  );
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600, "it holds passwords");

  const text = await Deno.readTextFile(file);
  const config = await loadConfig(file, {});
  assertEquals(config.mysqlUser, "odd");
  assertEquals(config.mysqlPass, WEIRD_PASSWORD);
  assertEquals([config.pgHost, config.pgPort, config.pgDbname], [pg.host, pg.port, pg.database]);
  assertEquals([config.flavor, config.serverId], ["mariadb", 1001]);
  assertEquals(config.sources, [{ schema: "shop", tables: ["line", "t_user"] }]);
  assertEquals(config.rules, [
    plainRule("shop", "line", "public", "line"),
    plainRule("shop", "t_user", "public", "t_user"),
  ]);
  assertMatch(text, /^# {3}"audit", # no primary key/m);
  assert(!text.includes("v_user"), "views are not followed");
  assertMatch(text, /^# status_addr = /m, "the optional keys are there, commented");

  // Not overwritten without --force.
  result = await runCli(["init", ...connection, "--schema", "crm", "-o", file]);
  assertEquals(result.code, 2);
  assertMatch(result.stderr, /new\.toml already exists; pass --force to overwrite it/);
  assertEquals(await Deno.readTextFile(file), text);

  // The file is a working config: with the target tables in place, check is satisfied.
  await fixture.pg.unsafe(`
    CREATE TABLE public.t_user (id integer PRIMARY KEY, name varchar(20));
    CREATE TABLE public.line (order_id integer, sku varchar(8), PRIMARY KEY (order_id, sku));`);
  result = await runCli(["check", "-c", file]);
  assertEquals(result.code, 0, result.stdout);

  // All schemas when none is named; each keeps its name in PostgreSQL so names cannot collide.
  result = await runCli(["init", ...connection, "-o", file, "--force"]);
  assertEquals(result.code, 0, result.stderr);
  const all = await loadConfig(file, {});
  assertEquals(all.sources, [
    { schema: "crm", tables: ["contact"] },
    { schema: "shop", tables: ["line", "t_user"] },
  ]);
  assertEquals(
    all.rules.map((r) => `${r.schema}.${r.table} -> ${r.pgSchema}.${r.pgTable}`),
    ["crm.contact -> crm.contact", "shop.line -> shop.line", "shop.t_user -> shop.t_user"],
  );

  // A schema with only keyless tables is written commented out and does not count as a second one.
  result = await runCli([
    "init",
    ...connection,
    "--schema",
    "shop",
    "--schema",
    "keyless",
    "-o",
    "-",
  ]);
  assertEquals(result.code, 0, result.stderr);
  assertMatch(
    result.stdout,
    /^# keyless: no table with a primary key.*\n# \[\[source\]\]\n# schema = "keyless"/m,
  );
  assertEquals(
    parseConfig(result.stdout, "stdout.toml").rules.map((r) => r.pgSchema),
    ["public", "public"],
  );

  // Passwords from the environment stay out of the file.
  const env = { MYSQL_GP_SYNC_MYSQL_PASS: WEIRD_PASSWORD, MYSQL_GP_SYNC_PG_PASS: pg.password };
  const withoutPasswords = connection.filter((arg, i, all) =>
    !["--mysql-pass", "--pg-pass"].includes(arg) &&
    !["--mysql-pass", "--pg-pass"].includes(all[i - 1])
  );
  result = await runCli(
    ["init", ...withoutPasswords, "--schema", "crm", "--pg-schema", "dw", "-o", "-"],
    env,
  );
  assertEquals(result.code, 0, result.stderr);
  assert(!/^(mysql|pg)_pass =/m.test(result.stdout), result.stdout);
  assertMatch(
    result.stdout,
    /^# mysql_pass is taken from the environment variable MYSQL_GP_SYNC_MYSQL_PASS/m,
  );
  const fromEnv = parseConfig(result.stdout, "stdout.toml", env);
  assertEquals([fromEnv.mysqlPass, fromEnv.pgPass], [WEIRD_PASSWORD, pg.password]);
  assertEquals(fromEnv.rules, [plainRule("crm", "contact", "dw", "contact")]);

  // Mistakes.
  result = await runCli(["init", ...connection, "--schema", "empty_one", "-o", "-"]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /schema "empty_one" has no tables on the source/);
  result = await runCli(["init", "--pg-port", "abc", "-o", "-"]);
  assertEquals(result.code, 2);
  assertMatch(result.stderr, /--pg-port: expected a number, got "abc"/);
  result = await runCli(["init", ...connection, "--mysql-pass=wrong", "-o", "-"]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /access denied for user "odd"/);
  result = await runCli(["init", "--schemas", "x"]);
  assertEquals(result.code, 2);
  assertMatch(result.stderr, /Unknown option '--schemas'/);
  result = await runCli(["status", "--schema", "x"]);
  assertEquals(result.code, 2, "other commands keep rejecting init's flags");
});

Deno.test("init: odd names and values are written as valid TOML", () => {
  const settings: InitSettings = {
    mysqlAddr: "[::1]:3307",
    mysqlUser: "u\\ser",
    mysqlPass: 'pa"ss\u007f\ttab',
    pgHost: "db.example",
    pgPort: 6543,
    pgUser: "gpadmin",
    pgPass: null,
    pgDbname: "dw",
    dataDir: "/var/lib/mysql-gp-sync",
    serverId: 4242,
    flavor: "mysql",
  };
  const text = renderConfig(settings, [
    { schema: 'we"ird\\', tables: ["a b", "ü", "v1.2"], noKey: ["k"], pgSchema: "public" },
    { schema: "keyless", tables: [], noKey: ["x"], pgSchema: "keyless" },
  ]);
  const config = parseConfig(text, "/etc/x.toml", {});
  assertEquals([config.mysqlHost, config.mysqlPort], ["::1", 3307]);
  assertEquals([config.mysqlUser, config.mysqlPass], ["u\\ser", 'pa"ss\u007f\ttab']);
  assertEquals(config.pgPass, "");
  // Names with a regular-expression character are escaped: each matches itself only.
  assertEquals(config.sources, [{ schema: 'we"ird\\\\', tables: ["a b", "ü", "v1\\.2"] }]);
  assert(matchesName(config.sources[0].schema, 'we"ird\\'));
  assert(matchesName(config.sources[0].tables[2], "v1.2") && !matchesName("v1\\.2", "v1x2"));
  assertEquals(config.rules.map((r) => [r.table, r.pgTable]), [
    ["a b", "a b"],
    ["ü", "ü"],
    ["v1\\.2", "v1.2"],
  ]);
  assertEquals(config.dataDir, "/var/lib/mysql-gp-sync");
});

Deno.test("init --tables: names and patterns written as given, each pattern with its tables now", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.order_00 (id INT PRIMARY KEY);
    CREATE TABLE shop.order_01 (id INT PRIMARY KEY);
    CREATE TABLE shop.order_02 (v INT);
    CREATE TABLE shop.order_x (id INT PRIMARY KEY);
    CREATE TABLE shop.audit (id INT PRIMARY KEY);
    CREATE TABLE shop.other (id INT PRIMARY KEY);`);
  const connection = [
    "--mysql-addr",
    `${fixture.mariadb.host}:${fixture.mariadb.port}`,
    "--mysql-pass",
    fixture.mariadb.password,
  ];
  let result = await runCli([
    "init",
    ...connection,
    "--schema",
    "sh.p",
    "--tables",
    "order_\\d+",
    "--tables",
    "audit",
    "-o",
    "-",
  ]);
  assertEquals(result.code, 0, result.stderr);
  const text = result.stdout;
  const config = parseConfig(text, "stdout.toml");
  assertEquals(config.sources, [{ schema: "shop", tables: ["order_\\d+", "audit"] }]);
  assertEquals(
    config.rules.map((r) => [r.table, r.pgSchema, r.pgTable]),
    [["order_\\d+", "public", null], ["audit", "public", "audit"]],
  );
  assertMatch(
    text,
    /^ {2}"order_\\\\d\+", # now matches 3 tables: order_00, order_01, order_02 \(1 without a primary key: rows matched by their whole value\)$/m,
  );
  assertMatch(text, /^ {2}"audit",$/m);
  assertMatch(
    text,
    /^# order_\\d\+: now matches 3 tables: .*; each lands in a table of its own name$/m,
  );
  assert(!text.includes("order_x") && !text.includes("other"), "unmatched tables are left out");
  // The optional rule keys are documented, commented, on an example.
  for (const key of ["source_column", "source_value", "columns", "soft_delete_column"]) {
    assertMatch(text, new RegExp(`^# ${key} = `, "m"));
  }
  assertMatch(text, /^# instance_name = /m);

  // Mistakes: a pattern that does not compile, one that matches nothing.
  result = await runCli(["init", ...connection, "--tables", "order_(\\d+", "-o", "-"]);
  assertEquals(result.code, 2);
  assertMatch(
    result.stderr,
    /--tables "order_\(\\d\+": not a name nor a valid regular expression/,
  );
  result = await runCli([
    "init",
    ...connection,
    "--schema",
    "shop",
    "--tables",
    "nope_\\d+",
    "-o",
    "-",
  ]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /no table matching --tables nope_\\d\+ in shop: nothing to follow/);
  result = await runCli(["init", ...connection, "--schema", "nope_.*", "-o", "-"]);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /--schema "nope_\.\*" matches no schema on the source/);
});
