import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { type Config, parseConfig, PASSWORD_ENV } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { DEFAULT_SOURCE_VALUE, sourceValueOf } from "../../src/config/table_rules.ts";
import type { SourceTable } from "../../src/schema/table.ts";
import { routeOf } from "../../src/tables/routes.ts";
import { plainRule } from "../support/rules.ts";

/** The example config of the original tool's documentation, verbatim (comments translated). */
const SEED = `# source mysql
mysql_addr = "127.0.0.1:3306"
mysql_user = "root"
mysql_pass = "123456"
mysql_charset = "utf8"

# target PostgreSQL
pg_host = "139.155.20.126"
pg_port = 5432
pg_user = "gpadmin"
pg_pass = "123456"
pg_dbname = "qidian_api"

# binlog position and process files
data_dir = "./var"

# statsd
statsd_host = "127.0.0.1"
statsd_port = 8125
statsd_prefix = "dbsync"

server_id = 1001
flavor = "mysql"

# concurrency
concurrent_size = 6

concurrent_ack_win = 2048

[[source]]
schema = "advanced"
tables = ["t_user"]

[[rule]]
schema = "advanced"
table = "t_user"
pg_schema = "public"
pg_table = "t_user"
`;
const FILE = "/etc/sync/mysql-gp-sync.toml";

function failure(text: string): string {
  return assertThrows(() => parseConfig(text, FILE), ConfigError).message;
}

Deno.test("the seed's example config loads with every key's meaning", () => {
  const config = parseConfig(SEED, FILE);
  assertEquals(config.mysqlHost, "127.0.0.1");
  assertEquals(config.mysqlPort, 3306);
  assertEquals(config.mysqlUser, "root");
  assertEquals(config.mysqlPass, "123456");
  assertEquals(config.pgHost, "139.155.20.126");
  assertEquals(config.pgPort, 5432);
  assertEquals(config.pgDbname, "qidian_api");
  assertEquals(config.dataDir, "/etc/sync/var");
  assertEquals(config.statsdHost, "127.0.0.1");
  assertEquals(config.statsdPrefix, "dbsync");
  assertEquals(config.serverId, 1001);
  assertEquals(config.flavor, "mysql");
  assertEquals(config.skipNoPkTable, false);
  assertEquals(config.concurrentSize, 6);
  assertEquals(config.concurrentAckWin, 2048);
  assertEquals(config.sources, [{ schema: "advanced", tables: ["t_user"] }]);
  assertEquals(config.rules, [
    plainRule("advanced", "t_user", "public", "t_user"),
  ]);
});

Deno.test("passwords from the environment replace the file's", () => {
  const config = parseConfig(SEED, FILE, {
    [PASSWORD_ENV.mysql]: "from-env-m",
    [PASSWORD_ENV.pg]: "from-env-p",
  });
  assertEquals(config.mysqlPass, "from-env-m");
  assertEquals(config.pgPass, "from-env-p");
});

Deno.test("malformed TOML names the file, line and column", () => {
  const message = failure('mysql_addr = "x"\npg_port = = 5\n');
  assertEquals(message.startsWith(`${FILE}:2:`), true, message);
  assertEquals(message.includes("invalid TOML"), true, message);
  assertEquals(message.includes("\n"), false);
});

Deno.test("each invalid setting is named with what is expected", () => {
  const cases: [string, string][] = [
    [
      SEED.replace("pg_port = 5432", 'pg_port = "abc"'),
      'pg_port: expected an integer from 1 to 65535, got "abc"',
    ],
    [
      SEED.replace("pg_port = 5432", "pg_port = 70000"),
      "pg_port: expected an integer from 1 to 65535, got 70000",
    ],
    [
      SEED.replace('mysql_addr = "127.0.0.1:3306"', 'mysql_addr = "127.0.0.1:x"'),
      "mysql_addr: expected",
    ],
    [
      SEED.replace("server_id = 1001", ""),
      "server_id: expected an integer from 1 to 4294967295 (the key is required)",
    ],
    [
      SEED.replace('flavor = "mysql"', 'flavor = "oracle"'),
      'flavor: expected one of "mysql", "mariadb", got "oracle"',
    ],
    [SEED.replace('pg_host = "139.155.20.126"', 'pg_hots = "x"'), 'unknown key "pg_hots"'],
    [
      SEED.replace('pg_table = "t_user"', 'pg_tabel = "t_user"'),
      '[[rule]] #1 unknown key "pg_tabel"',
    ],
    [
      SEED.replace('tables = ["t_user"]', "tables = []"),
      "[[source]] #1 tables: expected a non-empty array",
    ],
    [SEED.replace('pg_user = "gpadmin"', ""), "pg_user: expected a string (the key is required)"],
    [
      SEED.replace("concurrent_size = 6", "concurrent_size = 0"),
      "concurrent_size: expected an integer from 1 to 64",
    ],
    [SEED.replace(/^\[\[source\]\][\s\S]*?(?=^\[\[rule\]\])/m, ""), "no [[source]] section"],
  ];
  for (const [text, expected] of cases) {
    const message = failure(text);
    assertEquals(message.startsWith(`${FILE}: `), true, message);
    assertEquals(message.includes(expected), true, `${message}\n  should contain: ${expected}`);
  }
});

Deno.test("defaults: rule pg_schema public, pg_table = table; data_dir ./var", () => {
  const config = parseConfig(
    `mysql_addr = "db:3307"\nmysql_user = "u"\npg_host = "h"\npg_user = "p"\npg_dbname = "d"\n` +
      `server_id = 7\n[[source]]\nschema = "s"\ntables = ["*"]\n[[rule]]\nschema = "s"\ntable = "t"\n`,
    "rel/dir/sync.toml",
  );
  assertEquals(config.mysqlHost, "db");
  assertEquals(config.mysqlPort, 3307);
  assertEquals(config.pgPort, 5432);
  assertEquals(config.concurrentSize, 1);
  assertEquals(config.dataDir, `${Deno.cwd()}/rel/dir/var`);
  assertEquals(config.rules[0], plainRule("s", "t", "public", "t"));
  assertEquals(config.syncId, "7");
});

Deno.test("the annotated sample config in the repository loads", async () => {
  const file = new URL("../../mysql-gp-sync.toml", import.meta.url).pathname;
  const config = parseConfig(await Deno.readTextFile(file), file);
  assertEquals(config.sources, [{ schema: "advanced", tables: ["t_user"] }]);
  assertEquals(config.concurrentSize, 1);
});

Deno.test("the Go tool's my_* spellings load; both spellings of one key are an error", () => {
  const goSpelling = SEED.replace('mysql_addr = "127.0.0.1:3306"', 'my_addr = "10.0.0.5:3307"')
    .replace('mysql_user = "root"', 'my_user = "repl"')
    .replace('mysql_pass = "123456"', 'my_pass = "secret"')
    .replace('mysql_charset = "utf8"', 'my_charset = "gbk"');
  const config = parseConfig(goSpelling, FILE);
  assertEquals(
    [config.mysqlHost, config.mysqlPort, config.mysqlUser, config.mysqlPass, config.mysqlCharset],
    ["10.0.0.5", 3307, "repl", "secret", "gbk"],
  );
  assertEquals(
    failure(`my_user = "repl"\n${SEED}`),
    `${FILE}: both mysql_user and my_user are set; they are two spellings of one key, keep one`,
  );
});

// --- [[source]] and [[rule]]: patterns and the rule keys of shard merge, selection, soft delete --

const BASE = `mysql_addr = "db:3306"\nmysql_user = "u"\npg_host = "h"\npg_user = "p"\n` +
  `pg_dbname = "d"\nserver_id = 7\n`;

/** A config of BASE with these `[[source]]`/`[[rule]]` sections (TOML text). */
function withTables(sections: string): Config {
  return parseConfig(BASE + sections, FILE);
}

/** The one-line ConfigError of BASE with these sections. */
function tablesFailure(sections: string): string {
  const message = failure(BASE + sections);
  assertEquals(message.includes("\n"), false, message);
  assertEquals(message.startsWith(`${FILE}: `), true, message);
  return message;
}

const SHARDS = `[[source]]\nschema = "shop"\ntables = ["order_\\\\d+", "audit"]\n`;

Deno.test("patterns load as written; a table pattern without pg_table keeps each table's name", () => {
  const config = withTables(
    SHARDS +
      `[[rule]]\nschema = "shop"\ntable = "order_\\\\d+"\npg_table = "orders"\n` +
      `[[rule]]\nschema = "shop_(eu|us)"\ntable = '.*_log'\npg_schema = "logs"\n` +
      `[[rule]]\nschema = "shop"\ntable = "*"\n`,
  );
  assertEquals(config.sources, [{ schema: "shop", tables: ["order_\\d+", "audit"] }]);
  assertEquals(config.rules.map((r) => [r.schema, r.table, r.pgSchema, r.pgTable]), [
    ["shop", "order_\\d+", "public", "orders"],
    ["shop_(eu|us)", ".*_log", "logs", null],
    ["shop", "*", "public", null],
  ]);
});

Deno.test("a pattern that does not compile names its section, key and the pattern", () => {
  assertMatch(
    tablesFailure(
      `[[source]]\nschema = "a"\ntables = ["t"]\n[[source]]\nschema = "shop"\n` +
        `tables = ["ok", "order_(\\\\d+"]\n`,
    ),
    /^\S+: \[\[source\]\] #2 tables: expected a name or an anchored regular expression \(.*\), got "order_\(\\\\d\+"$/,
  );
  assertMatch(
    tablesFailure(`[[source]]\nschema = "shop["\ntables = ["t"]\n`),
    /\[\[source\]\] #1 schema: expected a name or an anchored regular expression/,
  );
  assertMatch(
    tablesFailure(
      SHARDS + `[[rule]]\nschema = "shop"\ntable = "t"\n` +
        `[[rule]]\nschema = "shop"\ntable = "t[0-"\n`,
    ),
    /\[\[rule\]\] #2 table: expected a name or an anchored regular expression .*got "t\[0-"$/,
  );
});

Deno.test("columns, or the ancestor's filter, selects the replicated columns; not both", () => {
  const rule = (keys: string) =>
    withTables(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n${keys}`).rules[0];
  assertEquals(rule(`columns = ["id", "Name"]\n`).columns, ["id", "Name"]);
  assertEquals(rule(`filter = ["id", "total"]\n`).columns, ["id", "total"]);
  assertEquals(rule("").columns, null);
  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n` +
        `columns = ["id"]\nfilter = ["id"]\n`,
    ),
    /\[\[rule\]\] #1 both columns and filter are set; .*keep one$/,
  );
  assertMatch(
    tablesFailure(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\nfilter = []\n`),
    /\[\[rule\]\] #1 filter: expected a non-empty array of names/,
  );
  assertMatch(
    tablesFailure(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\ncolumns = "id"\n`),
    /\[\[rule\]\] #1 columns: expected a non-empty array of names, e\.g\. \["id", "name"\], got "id"$/,
  );
});

Deno.test("source_column tags each row with its source; source_value is a template of three names", () => {
  const rule = (keys: string) =>
    withTables(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "order_\\\\d+"\n${keys}`).rules[0];
  const tagged = rule(`pg_table = "orders"\nsource_column = "src"\n`);
  assertEquals([tagged.sourceColumn, tagged.sourceValue], ["src", DEFAULT_SOURCE_VALUE]);
  assertEquals(sourceValueOf(tagged, "eu1", "shop", "order_03"), "eu1.shop.order_03");
  const custom = rule(`source_column = "shard"\nsource_value = "{table}@{instance}/{table}"\n`);
  assertEquals(sourceValueOf(custom, "eu1", "shop", "order_03"), "order_03@eu1/order_03");
  assertEquals(rule("").sourceColumn, null);

  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n` +
        `source_column = "src"\nsource_value = "{host}.{table}"\n`,
    ),
    /\[\[rule\]\] #1 source_value: expected text with \{instance\}, \{schema\} or \{table\}, got "\{host\}\.\{table\}"$/,
  );
  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\nsource_value = "{table}"\n`,
    ),
    /\[\[rule\]\] #1 source_column: expected a column name \(source_value needs it\)$/,
  );
  assertMatch(
    tablesFailure(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\nsource_column = ""\n`),
    /\[\[rule\]\] #1 source_column: expected a non-empty string/,
  );
});

Deno.test("instance_name names the source in source_value; by default the sync_id", () => {
  const rule = `[[rule]]\nschema = "shop"\ntable = "audit"\nsource_column = "src"\n`;
  assertEquals(withTables(SHARDS + rule).instanceName, "7");
  assertEquals(parseConfig(`sync_id = "eu"\n${BASE}${SHARDS}${rule}`, FILE).instanceName, "eu");
  const named = parseConfig(`instance_name = "eu-2"\n${BASE}${SHARDS}${rule}`, FILE);
  assertEquals(named.instanceName, "eu-2");
  assertEquals(
    routeOf(table("shop", "audit"), named.rules, named.instanceName).sourceTag,
    { column: "src", value: "eu-2.shop.audit" },
  );
});

Deno.test("soft delete: a flag column, optionally a time column, which needs the flag", () => {
  const rule = (keys: string) =>
    withTables(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n${keys}`).rules[0];
  assertEquals(rule(`soft_delete_column = "deleted"\n`).softDelete, {
    column: "deleted",
    timeColumn: null,
  });
  assertEquals(
    rule(`soft_delete_column = "deleted"\nsoft_delete_time_column = "deleted_at"\n`).softDelete,
    { column: "deleted", timeColumn: "deleted_at" },
  );
  assertEquals(rule("").softDelete, null);
  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n` +
        `soft_delete_time_column = "deleted_at"\n`,
    ),
    /\[\[rule\]\] #1 soft_delete_column: expected a column name \(soft_delete_time_column needs it\)$/,
  );
});

Deno.test("the target columns a rule adds must differ from each other", () => {
  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n` +
        `source_column = "gone"\nsoft_delete_column = "gone"\n`,
    ),
    /\[\[rule\]\] #1 soft_delete_column: expected a column other than source_column, got "gone"$/,
  );
  assertMatch(
    tablesFailure(
      `${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n` +
        `soft_delete_column = "deleted"\nsoft_delete_time_column = "deleted"\n`,
    ),
    /\[\[rule\]\] #1 soft_delete_time_column: expected a column other than soft_delete_column/,
  );
});

Deno.test('distributed_by: "randomly" (any case) or a list of columns; table_options as written', () => {
  const rule = (keys: string) =>
    withTables(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\n${keys}`).rules[0];
  assertEquals(rule(`distributed_by = "randomly"\n`).distributedBy, "randomly");
  assertEquals(rule(`distributed_by = "RANDOMLY"\n`).distributedBy, "randomly");
  assertEquals(rule(`distributed_by = ["customer_id", "id"]\n`).distributedBy, [
    "customer_id",
    "id",
  ]);
  assertEquals(rule("").distributedBy, null);
  assertEquals(
    rule(`table_options = "appendoptimized=true, orientation=column"\n`).tableOptions,
    "appendoptimized=true, orientation=column",
  );
  assertMatch(
    tablesFailure(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\ndistributed_by = "id"\n`),
    /\[\[rule\]\] #1 distributed_by: expected a non-empty array of names, e\.g\. \["customer_id"\] or "randomly", got "id"$/,
  );
  assertMatch(
    tablesFailure(`${SHARDS}[[rule]]\nschema = "shop"\ntable = "audit"\ndistributed_by = []\n`),
    /\[\[rule\]\] #1 distributed_by: expected a non-empty array/,
  );
});

Deno.test("a route takes the first rule that matches, with the rule's keys", () => {
  const config = withTables(
    SHARDS +
      `[[rule]]\nschema = "shop"\ntable = "order_0\\\\d"\npg_table = "early"\n` +
      `[[rule]]\nschema = "shop"\ntable = "order_\\\\d+"\npg_table = "orders"\n` +
      `source_column = "src"\ncolumns = ["ID", "total"]\nsoft_delete_column = "gone"\n` +
      `[[rule]]\nschema = "s.*"\ntable = "*"\npg_schema = "rest"\n`,
  );
  const route = (name: string) => routeOf(table("shop", name), config.rules, "eu");
  assertEquals([route("order_03").pgTable, route("order_03").sourceTag], ["early", null]);
  const late = route("order_42");
  assertEquals([late.pgSchema, late.pgTable, late.explicit], ["public", "orders", true]);
  assertEquals(late.sourceTag, { column: "src", value: "eu.shop.order_42" });
  assertEquals(late.columns, new Set(["id", "total"]));
  assertEquals(late.softDelete, { column: "gone", timeColumn: null });
  assertEquals([route("audit").pgSchema, route("audit").pgTable], ["rest", "audit"]);
  const other = routeOf(table("x", "y"), config.rules, "eu");
  assertEquals([other.pgSchema, other.pgTable, other.explicit], ["public", "y", false]);
});

function table(schema: string, name: string): SourceTable {
  return { schema, table: name, primaryKey: ["id"], columns: [] };
}
