import { assertEquals, assertThrows } from "../support/assert.ts";
import { parseConfig, PASSWORD_ENV } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/errors.ts";
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
