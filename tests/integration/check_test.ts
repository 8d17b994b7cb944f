// `check` against real servers: a ready setup passes; each broken prerequisite fails (or warns)
// with its fix; MySQL-only settings are covered by the pure rules.
import mysql from "mysql2/promise";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Finding } from "../../src/check/finding.ts";
import {
  binlogSettingFindings,
  charsetFindings,
  grantFinding,
  serverIdFinding,
  type ServerInfo,
} from "../../src/check/source_rules.ts";
import { startFinding } from "../../src/check/target.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { startMariaDB } from "../../testing/mariadb_server.ts";
import { type Fixture, runCli, startFixture, waitFor } from "../../testing/fixture.ts";
import { SHOP_RULES } from "../support/shop.ts";

interface CheckOutput {
  ready: boolean;
  summary: string;
  findings: Finding[];
}

async function check(file: string): Promise<CheckOutput & { code: number }> {
  const result = await runCli(["check", "-c", file, "--json"]);
  assertEquals(result.stderr, "", "check reports through its findings, not stderr");
  return { code: result.code, ...JSON.parse(result.stdout) };
}

/** The findings of `check` (one, unless `count` says otherwise) at `level` matching `pattern`. */
function expectFinding(
  out: CheckOutput,
  name: string,
  level: Finding["level"],
  pattern: RegExp,
): void {
  const found = out.findings.filter((f) => f.check === name && pattern.test(f.message));
  assert(
    found.length > 0 && found.every((f) => f.level === level),
    `expected ${level} ${name} ${pattern}, got:\n${
      out.findings.map((f) => `${f.level} ${f.check}: ${f.message}`).join("\n")
    }`,
  );
}

const SOURCE_DDL = `
  CREATE DATABASE shop;
  CREATE TABLE shop.t_user (id INT PRIMARY KEY, name VARCHAR(64), note TEXT, born DATE NOT NULL);
  CREATE TABLE shop.line (
    order_id INT, sku VARCHAR(16), qty INT UNSIGNED NOT NULL, PRIMARY KEY (order_id, sku));`;

const TARGET_DDL = `
  CREATE TABLE public.t_user (id integer PRIMARY KEY, name varchar(64), note text, born date);
  CREATE SCHEMA sales;
  CREATE TABLE sales.order_line (order_id integer, sku varchar(16), qty bigint NOT NULL);
  CREATE INDEX ON sales.order_line (order_id, sku);`;

async function readySetup(fixture: Fixture): Promise<void> {
  await fixture.my.query(SOURCE_DDL);
  await fixture.pg.unsafe(TARGET_DDL);
  await fixture.writeConfig(SHOP_RULES);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
}

Deno.test("check: a ready setup passes; broken tables, columns and positions fail with the fix", async () => {
  await using fixture = await startFixture();
  await readySetup(fixture);
  const file = fixture.configFile;

  let out = await check(file);
  assertEquals(
    out.findings.filter((f) => f.level !== "ok"),
    [],
    "a ready setup has no warnings",
  );
  assertEquals([out.code, out.ready], [0, true]);
  for (
    const name of [
      "mysql",
      "flavor",
      "log_bin",
      "binlog_format",
      "binlog_row_image",
      "binlog_row_metadata",
      "privileges",
      "binlog",
      "server_id",
      "tables",
      "charset",
      "postgresql",
      "position_table",
      "target_table",
      "position",
    ]
  ) {
    assert(out.findings.some((f) => f.check === name), `no ${name} finding`);
  }
  expectFinding(out, "target_table", "ok", /^shop\.line -> sales\.order_line: 3 column/);
  expectFinding(out, "position", "ok", /run resumes at mysql-bin\.\d+:\d+ \(master\.info\)/);

  // The human form: one line per finding, then the summary.
  const human = await runCli(["check", "-c", file]);
  assertEquals(human.code, 0);
  const lines = human.stdout.trimEnd().split("\n");
  assertEquals(lines.length, out.findings.length + 1);
  assert(lines.slice(0, -1).every((l) => l.startsWith("OK   ")), human.stdout);
  assertMatch(lines[lines.length - 1], /^ready: \d+ OK, 0 warning/);

  // Break one thing of each kind at once.
  await fixture.my.query(`
    CREATE TABLE shop.nopk (v INT);
    CREATE TABLE shop.fresh (id INT PRIMARY KEY, v DECIMAL(10,2));
    CREATE TABLE shop.legacy (id INT PRIMARY KEY, t VARCHAR(20) CHARACTER SET big5);
    ALTER TABLE shop.t_user ADD KEY by_name (name(8));`);
  await fixture.pg.unsafe(`
    CREATE TABLE public.legacy (id integer PRIMARY KEY, t text);
    ALTER TABLE public.t_user DROP COLUMN note, ALTER COLUMN name TYPE varchar(10),
      ADD COLUMN region text NOT NULL;
    DROP INDEX sales.order_line_order_id_sku_idx;`);
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(
    file,
    text.replace('flavor = "mariadb"', 'flavor = "mysql"')
      .replace(
        'tables = ["t_user", "line"]',
        'tables = ["t_user", "line", "nopk", "fresh", "legacy", "gone"]',
      ) +
      '[[rule]]\nschema = "shop"\ntable = "nothing"\n',
  );
  await writeMasterInfo(fixture.dataDir, { file: "mysql-bin.000000", pos: 4 });
  out = await check(file);
  assertEquals([out.code, out.ready], [1, false]);
  assertMatch(out.summary, /^not ready: \d+ failure/);
  expectFinding(
    out,
    "flavor",
    "fail",
    /flavor = "mysql" but the server is MariaDB .*set flavor = "mariadb"/,
  );
  expectFinding(
    out,
    "tables",
    "warn",
    /^shop\.gone \(in \[\[source\]\]\) does not exist in MySQL yet.*CREATE TABLE$/,
  );
  expectFinding(
    out,
    "tables",
    "warn",
    /^shop\.nopk has neither a primary key nor a NOT NULL unique key: its rows are matched by their whole value.*skip_no_pk_table = true/,
  );
  expectFinding(out, "rules", "warn", /\[\[rule\]\] for shop\.nothing matches no table/);
  expectFinding(
    out,
    "prefix_index",
    "warn",
    /^shop\.t_user: index by_name is a prefix index \(name\(8\)\)/,
  );
  expectFinding(
    out,
    "charset",
    "warn",
    /^character set big5 \(shop\.legacy\.t\) is decoded approximately/,
  );
  expectFinding(
    out,
    "columns",
    "fail",
    /^shop\.t_user\.note has no column in public\.t_user: ALTER TABLE "public"\."t_user" ADD COLUMN "note" text$/,
  );
  expectFinding(
    out,
    "columns",
    "fail",
    /^shop\.t_user\.name -> name: varchar\(64\) into character varying\(10\): .*TYPE character varying\(64\)$/,
  );
  expectFinding(out, "columns", "fail", /^public\.t_user\.region is NOT NULL without a default/);
  expectFinding(
    out,
    "target_index",
    "warn",
    /^shop\.line -> sales\.order_line: no index on the key \(order_id, sku\).*CREATE INDEX ON "sales"\."order_line" \("order_id", "sku"\)$/,
  );
  expectFinding(
    out,
    "target_table",
    "fail",
    /^shop\.fresh -> public\.fresh: the target table does not exist .*CREATE TABLE "public"\."fresh" \("id" integer, "v" numeric\(10,2\), PRIMARY KEY \("id"\)\)$/,
  );
  expectFinding(
    out,
    "position",
    "fail",
    /mysql-bin\.000000:4 \(master\.info\) is in a binlog file the source no longer has/,
  );
  // The type check accepts a user's own compatible choice (text for varchar) without comment.
  assert(
    !out.findings.some((f) => f.message.startsWith("shop.legacy.t ->")),
    "text for varchar is fine",
  );

  // Skipping tables without a key leaves them out.
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replace("server_id", "skip_no_pk_table = true\nserver_id"),
  );
  out = await check(file);
  expectFinding(out, "tables", "warn", /^shop\.nopk has no primary key: skipped/);
  assert(
    !out.findings.some((f) => f.message.includes("public.nopk")),
    "a skipped table has no target check",
  );
});

Deno.test("check: the tables each pattern covers, merged targets and the rule keys", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.order_00 (id INT PRIMARY KEY, total INT);
    CREATE TABLE shop.order_01 (id INT PRIMARY KEY, total INT);
    CREATE TABLE shop.order_02 (id INT PRIMARY KEY, total INT);
    CREATE TABLE shop.log (v INT);`);
  await fixture.pg.unsafe(`CREATE TABLE public.orders (id integer PRIMARY KEY, total integer)`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const rules = (orderKeys: string) => `
[[source]]
schema = "shop"
tables = ["order_\\\\d+", "log", "nothing_\\\\d+"]

[[rule]]
schema = "shop"
table = "order_\\\\d+"
pg_table = "orders"
${orderKeys}

[[rule]]
schema = "shop"
table = "log"
soft_delete_column = "gone"
`;
  await fixture.writeConfig(rules(`source_column = "src"\ncolumns = ["total", "note"]`));
  let out = await check(fixture.configFile);
  assertEquals(out.code, 1);
  expectFinding(
    out,
    "patterns",
    "ok",
    /^\[\[source\]\] #1 shop\.order_\\d\+ covers 3 tables: order_00, order_01, order_02$/,
  );
  expectFinding(
    out,
    "patterns",
    "warn",
    /^\[\[source\]\] #1 shop\.nothing_\\d\+ matches no table yet/,
  );
  expectFinding(
    out,
    "rules",
    "ok",
    /^\[\[rule\]\] #1 shop\.order_\\d\+ -> public\.orders: 3 tables: order_00, order_01, order_02$/,
  );
  expectFinding(
    out,
    "rules",
    "fail",
    /^\[\[rule\]\] #1 columns names "note", missing from 3 tables/,
  );
  expectFinding(
    out,
    "rules",
    "fail",
    /^\[\[rule\]\] #2 soft_delete_column needs a key .*shop\.log/,
  );
  // Said once for the target, not once per table merged into it.
  const missingTag = out.findings.filter((f) => f.message.includes('no column "src"'));
  assertEquals(missingTag.length, 1, JSON.stringify(missingTag));
  assertMatch(
    missingTag[0].message,
    /^public\.orders has no column "src", which \[\[rule\]\] source_column names: ALTER TABLE "public"\."orders" ADD COLUMN "src" text NOT NULL/,
  );
  expectFinding(
    out,
    "target_table",
    "fail",
    /^shop\.log -> public\.log: the target table does not exist .*CREATE TABLE "public"\."log" \("v" integer/,
  );

  // The tag column added, the primary key still on id alone: other shards' equal ids refused.
  await fixture.pg.unsafe(`ALTER TABLE public.orders ADD COLUMN src text NOT NULL`);
  out = await check(fixture.configFile);
  expectFinding(
    out,
    "target_key",
    "fail",
    /^public\.orders: the primary key \(id\) leaves out src .*DROP CONSTRAINT "orders_pkey", ADD PRIMARY KEY \("id", "src"\)$/,
  );
  await fixture.pg.unsafe(
    `ALTER TABLE public.orders DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (id, src)`,
  );
  out = await check(fixture.configFile);
  assert(!out.findings.some((f) => f.check === "target_key"), "the key now holds the tag");
  expectFinding(
    out,
    "target_table",
    "ok",
    /^shop\.order_01 -> public\.orders: 2 column\(s\) compatible, key \(id, src\) indexed$/,
  );

  // Without the tag, three tables into one target overwrite each other's equal keys.
  await fixture.writeConfig(rules(""));
  out = await check(fixture.configFile);
  expectFinding(
    out,
    "rules",
    "warn",
    /^public\.orders is fed by 3 tables: shop\.order_00, shop\.order_01, shop\.order_02 without source_column/,
  );
});

Deno.test("check: unreachable servers, missing privileges and the server's own server_id", async () => {
  await using fixture = await startFixture();
  await readySetup(fixture);
  const file = fixture.configFile;
  const text = await Deno.readTextFile(file);

  // PostgreSQL down: that line fails, the source is still checked.
  await Deno.writeTextFile(file, text.replace(/pg_port = \d+/, "pg_port = 1"));
  let out = await check(file);
  assertEquals(out.code, 1);
  expectFinding(out, "postgresql", "fail", /cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
  expectFinding(out, "binlog_format", "ok", /ROW/);
  assert(!out.findings.some((f) => f.check === "position"), "position unknown without PostgreSQL");

  await Deno.writeTextFile(file, text.replace(/mysql_pass = "[^"]*"/, 'mysql_pass = "wrong"'));
  out = await check(file);
  assertEquals(out.code, 1);
  expectFinding(
    out,
    "mysql",
    "fail",
    /access denied for user "root" \(check mysql_user and mysql_pass\)/,
  );
  expectFinding(out, "postgresql", "ok", /connected to/);

  // A user that may read the tables but not the binlog.
  await fixture.my.query(`
    CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'pw';
    GRANT SELECT ON shop.* TO 'reader'@'127.0.0.1';
    CREATE USER 'replica'@'127.0.0.1' IDENTIFIED BY 'pw';
    GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR, REPLICATION MASTER ADMIN ON *.* TO 'replica'@'127.0.0.1';`);
  const as = (user: string) =>
    text.replace(/mysql_user = "[^"]*"/, `mysql_user = "${user}"`)
      .replace(/mysql_pass = "[^"]*"/, 'mysql_pass = "pw"');
  await Deno.writeTextFile(file, as("reader"));
  out = await check(file);
  assertEquals(out.code, 1);
  expectFinding(
    out,
    "privileges",
    "fail",
    /^'reader'@'127\.0\.0\.1' lacks REPLICATION SLAVE.*GRANT REPLICATION SLAVE, REPLICATION CLIENT ON \*\.\* TO 'reader'@'127\.0\.0\.1'$/,
  );
  expectFinding(
    out,
    "binlog",
    "fail",
    /^cannot read the binlog position .*GRANT REPLICATION CLIENT/,
  );
  await Deno.writeTextFile(file, as("replica"));
  out = await check(file);
  expectFinding(out, "privileges", "ok", /'replica'@'127\.0\.0\.1' may read the binlog/);
  expectFinding(out, "binlog", "ok", /the source writes mysql-bin/);
  assertEquals(out.code, 0, JSON.stringify(out.findings));

  await Deno.writeTextFile(file, text.replace("server_id = 1001", "server_id = 1"));
  out = await check(file);
  expectFinding(out, "server_id", "fail", /^server_id = 1 is the source's own @@server_id/);

  // A config mistake is a usage error, before any check.
  await Deno.writeTextFile(file, text.replace("server_id = 1001", "server_id = 0"));
  const bad = await runCli(["check", "-c", file]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /server_id: expected an integer/);
});

Deno.test("check: binlog settings that break the sync fail", async () => {
  await using fixture = await startFixture({
    mariadbArgs: [
      "--binlog-format=MIXED",
      "--binlog-row-image=MINIMAL",
      "--binlog-row-metadata=MINIMAL",
    ],
  });
  await readySetup(fixture);
  const out = await check(fixture.configFile);
  assertEquals(out.code, 1);
  expectFinding(out, "log_bin", "ok", /ON/);
  expectFinding(
    out,
    "binlog_format",
    "fail",
    /^binlog_format = MIXED: .*SET GLOBAL binlog_format = 'ROW'/,
  );
  expectFinding(
    out,
    "binlog_row_image",
    "fail",
    /^binlog_row_image = MINIMAL: .*binlog_row_image = FULL/,
  );
  expectFinding(out, "binlog_row_metadata", "warn", /^binlog_row_metadata = MINIMAL: .*= FULL/);
});

Deno.test("check: binary logging off fails", async () => {
  await using fixture = await startFixture({ mariadbArgs: ["--skip-log-bin"] });
  await readySetup(fixture).catch(() => {}); // no binlog position to save
  await fixture.writeConfig(SHOP_RULES);
  const out = await check(fixture.configFile);
  assertEquals(out.code, 1);
  expectFinding(out, "log_bin", "fail", /^log_bin = OFF: .*add log_bin = mysql-bin/);
});

Deno.test("check and init: a server_id a registered replica uses", async () => {
  await using fixture = await startFixture();
  await readySetup(fixture);
  await using replica = await startMariaDB({
    args: ["--server-id=1001", "--report-host=127.0.0.1"],
  });
  const connection = await mysql.createConnection({
    host: replica.host,
    port: replica.port,
    user: replica.user,
    password: replica.password,
  });
  try {
    const head = await fixture.masterStatus();
    await connection.query(
      `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${fixture.mariadb.port},
         MASTER_USER = '${fixture.mariadb.user}', MASTER_PASSWORD = '${fixture.mariadb.password}',
         MASTER_USE_GTID = no, MASTER_LOG_FILE = '${head.file}', MASTER_LOG_POS = ${head.pos}`,
    );
    await connection.query("START SLAVE");
    await waitFor("the replica to register", async () => {
      const [rows] = await fixture.my.query("SHOW SLAVE HOSTS");
      return (rows as unknown[]).length > 0;
    });
    const out = await check(fixture.configFile);
    assertEquals(out.code, 1);
    expectFinding(
      out,
      "server_id",
      "fail",
      new RegExp(
        `^server_id = 1001 is already used by the replica at 127\\.0\\.0\\.1:${replica.port}`,
      ),
    );

    // init steps around it.
    const generated = `${fixture.dir}/generated.toml`;
    const init = await runCli([
      "init",
      "--mysql-addr",
      `127.0.0.1:${fixture.mariadb.port}`,
      "--mysql-pass",
      fixture.mariadb.password,
      "--schema",
      "shop",
      "-o",
      generated,
    ]);
    assertEquals(init.code, 0, init.stderr);
    assertMatch(await Deno.readTextFile(generated), /^server_id = 1002$/m);
    await connection.query("STOP SLAVE");
  } finally {
    await connection.end();
  }
});

// --- The rules on their own, for settings only MySQL has -----------------------------------

const MYSQL8: ServerInfo = { version: "8.0.36", mariadb: false, serverId: 1 };

function vars(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

const GOOD_MYSQL8 = {
  log_bin: "ON",
  binlog_format: "ROW",
  binlog_row_image: "FULL",
  binlog_row_metadata: "FULL",
  binlog_transaction_compression: "OFF",
  binlog_row_value_options: "",
};

Deno.test("check rules: MySQL 8 compression and partial JSON", () => {
  const good = binlogSettingFindings(vars(GOOD_MYSQL8), MYSQL8);
  assertEquals(good.map((f) => f.level), ["ok", "ok", "ok", "ok", "ok", "ok"]);
  const bad = binlogSettingFindings(
    vars({
      ...GOOD_MYSQL8,
      binlog_transaction_compression: "ON",
      binlog_row_value_options: "PARTIAL_JSON",
    }),
    MYSQL8,
  );
  const byCheck = new Map(bad.map((f) => [f.check, f]));
  assertEquals(byCheck.get("binlog_transaction_compression")?.level, "fail");
  assertMatch(
    byCheck.get("binlog_transaction_compression")!.message,
    /SET GLOBAL binlog_transaction_compression = 'OFF'/,
  );
  assertEquals(byCheck.get("binlog_row_value_options")?.level, "fail");
  assertMatch(
    byCheck.get("binlog_row_value_options")!.message,
    /partial JSON updates cannot be decoded/,
  );

  // MySQL 5.7: no row metadata, no compression settings.
  const old = binlogSettingFindings(
    vars({ log_bin: "ON", binlog_format: "ROW", binlog_row_image: "FULL" }),
    { version: "5.7.44", mariadb: false, serverId: 1 },
  );
  assertEquals(old.map((f) => `${f.check}:${f.level}`), [
    "log_bin:ok",
    "binlog_format:ok",
    "binlog_row_image:ok",
    "binlog_row_metadata:warn",
  ]);
  assertMatch(
    old[3].message,
    /does not exist on 5\.7\.44 \(it needs MySQL 8\.0\.1\+ or MariaDB 10\.5\+\)/,
  );
});

Deno.test("check rules: grants, replicas, charsets, start position", () => {
  const user = "'sync'@'%'";
  assertEquals(
    grantFinding(["GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `sync`@`%`"], user).level,
    "ok",
  );
  assertEquals(
    grantFinding(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`"], user).level,
    "ok",
  );
  // Granted on one schema only: not the global privilege replication needs.
  assertEquals(
    grantFinding(["GRANT ALL PRIVILEGES ON `shop`.* TO `sync`@`%`"], user).level,
    "fail",
  );
  // MySQL 8 roles cannot be resolved from SHOW GRANTS alone.
  const role = grantFinding(
    ["GRANT USAGE ON *.* TO `sync`@`%`", "GRANT `repl`@`%` TO `sync`@`%`"],
    user,
  );
  assertEquals(role.level, "warn");
  assertMatch(role.message, /unless role `repl`@`%` grants it/);

  assertEquals(serverIdFinding(7, MYSQL8, "Access denied").level, "warn");
  assertEquals(serverIdFinding(7, MYSQL8, [{ serverId: 7, host: "r1", port: 3306 }]).level, "fail");
  assertEquals(serverIdFinding(7, MYSQL8, [{ serverId: 8, host: "r1", port: 3306 }]).level, "ok");

  const table = (charset: string) => ({
    schema: "s",
    table: "t",
    primaryKey: ["id"],
    columns: [{
      name: "c",
      columnType: "varchar(5)",
      dataType: "varchar",
      unsigned: false,
      charset,
      nullable: true,
    }],
  });
  assertEquals(charsetFindings([table("utf8mb4")]).map((f) => f.level), ["ok"]);
  assertEquals(charsetFindings([table("big5")]).map((f) => f.level), ["warn"]);
  const unsupported = charsetFindings([table("no_such_charset")]);
  assertEquals(unsupported.map((f) => f.level), ["fail"]);
  assertMatch(unsupported[0].message, /no_such_charset \(s\.t\.c\) cannot be decoded/);

  const binlog = {
    head: { file: "mysql-bin.000003", pos: 500 },
    files: [{ name: "mysql-bin.000002", size: 1000 }, { name: "mysql-bin.000003", size: 500 }],
  };
  const at = (file: string, pos: number) => ({ position: { file, pos }, from: "master.info" });
  assertEquals(startFinding(at("mysql-bin.000002", 900), binlog)?.level, "ok");
  assertEquals(startFinding(at("mysql-bin.000002", 1001), binlog)?.level, "fail");
  assertEquals(startFinding(at("mysql-bin.000001", 4), binlog)?.level, "fail");
  assertEquals(startFinding(null, binlog)?.level, "warn");
  assertEquals(startFinding(null, null), null);
});
