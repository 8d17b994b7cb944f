/**
 * The config file `init` writes: the annotated layout of mysql-gp-sync.toml filled with the
 * settings found, a `[[source]]` and `[[rule]]`s for the tables chosen (exact names escaped where
 * they hold a pattern character, `--tables` patterns as given with what they match now), and the
 * optional keys commented out.
 *
 * @module
 */
import { type Config, PASSWORD_ENV } from "../config/config.ts";
import { isNamePattern, literalName } from "../config/names.ts";
import { countedList } from "../util/short_list.ts";

/** Connection and identity settings of a new config file. */
export interface InitSettings {
  mysqlAddr: string;
  mysqlUser: string;
  /** null: left out of the file, to come from MYSQL_GP_SYNC_MYSQL_PASS. */
  mysqlPass: string | null;
  pgHost: string;
  pgPort: number;
  pgUser: string;
  /** null: left out of the file, to come from MYSQL_GP_SYNC_PG_PASS. */
  pgPass: string | null;
  pgDbname: string;
  dataDir: string;
  serverId: number;
  flavor: Config["flavor"];
}

/** One `[[source]]` to write, with the rule target of its tables. */
export interface InitSchema {
  schema: string;
  /** Tables with a primary key: followed. */
  tables: string[];
  /** Tables without one: listed commented out (matched by `patterns`: followed by whole row). */
  noKey: string[];
  pgSchema: string;
  /** The `--tables` names and patterns, written as given; absent: every table by name. */
  patterns?: InitPattern[];
}

/** A `--tables` entry as given (a name or pattern) and the tables of its schema it matches now. */
export interface InitPattern {
  text: string;
  matches: string[];
  /** Those of `matches` without a primary key. */
  noKey: string[];
}

/** A TOML basic string (JSON's escapes are TOML's, except that TOML also forbids a raw DEL). */
function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\x7f/g, "\\u007f");
}

/** A schema or table name as written in `[[source]]`/`[[rule]]`: matching only itself. */
function exactName(name: string): string {
  return tomlString(literalName(name));
}

/** The config file text: the annotated layout of mysql-gp-sync.toml with these values. */
export function renderConfig(s: InitSettings, schemas: InitSchema[]): string {
  const password = (key: string, value: string | null, env: string) =>
    value === null
      ? `# ${key} is taken from the environment variable ${env}.`
      : `# May be left out and given as the environment variable ${env} instead.\n` +
        `${key} = ${tomlString(value)}`;
  const lines = [
    '# mysql-gp-sync configuration, written by "mysql-gp-sync init". Every key of the original',
    '# tool keeps its name and meaning; keys marked "extension" are new and optional.',
    "",
    "# Source MySQL / MariaDB (binlog on, binlog_format = ROW, binlog_row_image = FULL).",
    `mysql_addr = ${tomlString(s.mysqlAddr)}`,
    `mysql_user = ${tomlString(s.mysqlUser)}`,
    password("mysql_pass", s.mysqlPass, PASSWORD_ENV.mysql),
    '# Connection character set; "utf8" is widened to utf8mb4 so 4-byte characters survive.',
    'mysql_charset = "utf8mb4"',
    "",
    "# Target PostgreSQL / Greenplum-based warehouse (the master node).",
    `pg_host = ${tomlString(s.pgHost)}`,
    `pg_port = ${s.pgPort}`,
    `pg_user = ${tomlString(s.pgUser)}`,
    password("pg_pass", s.pgPass, PASSWORD_ENV.pg),
    `pg_dbname = ${tomlString(s.pgDbname)}`,
    "",
    "# Holds master.info (the binlog position, seed format) and sync.log; relative to this file.",
    `data_dir = ${tomlString(s.dataDir)}`,
    "",
    "# statsd server; metrics are pushed only when statsd_host is set.",
    '# statsd_host = "127.0.0.1"',
    "# statsd_port = 8125",
    '# statsd_prefix = "dbsync"',
    "",
    "# server-id this tool uses as a replica: unique among all replicas of the source.",
    `server_id = ${s.serverId}`,
    '# "mysql" or "mariadb" (detected from the server)',
    `flavor = "${s.flavor}"`,
    "",
    "# Tables without a primary key: false stops with an error naming them, true skips them.",
    "# skip_no_pk_table = false",
    "",
    "# Parallel writers and the bound on work in flight: source transactions per batch (keep it a",
    "# multiple of concurrent_size; more helps many small transactions, e.g. 8192).",
    "# concurrent_size = 1",
    "# concurrent_ack_win = 2048",
    "",
    "# Extensions (optional):",
    "# batch_max_rows = 50000     # flush a batch at this many row changes",
    "# batch_max_ms = 200         # ... or this long after its first change",
    "# batch_plain_max_rows = 32  # up to this many rows of a table: plain statements, not COPY",
    `# sync_id = "${s.serverId}"           # names this sync in the position table (default: server_id)`,
    '# position_schema = "public" # schema of table mysql_gp_sync_position in PostgreSQL',
    '# log_level = "info"         # debug | info | warn | error',
    '# log_max_size = "100MB"     # rotate sync.log at this size (0: never) ...',
    "# log_max_files = 5          # ... keeping sync.log.1 to sync.log.5",
    '# status_addr = "127.0.0.1:9717"  # HTTP status (JSON) and /metrics (Prometheus) of a running sync; "off" disables',
    `# instance_name = "${s.serverId}"     # names this source in a rule's source_value (default: sync_id)`,
    "",
    '# MySQL tables to follow; several [[source]] sections and tables are allowed; "*" means all tables.',
    '# A name with a regular-expression character is an anchored pattern ("order_\\\\d+" matches',
    "# order_01, not xorder_01); tables created later that match are followed from their CREATE TABLE.",
  ];
  for (const schema of schemas) {
    if (schema.patterns) {
      lines.push(...patternSource(schema, schema.patterns), "");
      continue;
    }
    const section = schema.tables.length > 0 ? "" : "# ";
    if (schema.tables.length === 0) {
      lines.push(`# ${schema.schema}: no table with a primary key (add keys, then uncomment)`);
    }
    lines.push(`${section}[[source]]`, `${section}schema = ${exactName(schema.schema)}`);
    lines.push(`${section}tables = [`);
    for (const table of schema.tables) lines.push(`  ${exactName(table)},`);
    for (const table of schema.noKey) {
      lines.push(
        `#   ${exactName(table)}, # no primary key: add one, or uncomment to match rows by value`,
      );
    }
    lines.push(`${section}]`, "");
  }
  lines.push(
    "# Where each table lands in PostgreSQL. A followed table without a rule goes to public.<same name>.",
  );
  for (const schema of schemas) {
    for (const pattern of schema.patterns ?? []) {
      if (!isNamePattern(pattern.text)) continue;
      lines.push(
        `# ${pattern.text}: ${describeMatches(pattern)}; each lands in a table of its own name`,
        "# (to merge them into one target, set pg_table and source_column: see the example below)",
        "[[rule]]",
        `schema = ${exactName(schema.schema)}`,
        `table = ${tomlString(pattern.text)}`,
        `pg_schema = ${tomlString(schema.pgSchema)}`,
        "",
      );
    }
    const plain = schema.patterns
      ? schema.patterns.filter((p) => !isNamePattern(p.text)).flatMap((p) => p.matches)
      : schema.tables;
    for (const table of plain) {
      lines.push(
        "[[rule]]",
        `schema = ${exactName(schema.schema)}`,
        `table = ${exactName(table)}`,
        `pg_schema = ${tomlString(schema.pgSchema)}`,
        `pg_table = ${tomlString(table)}`,
        "",
      );
    }
  }
  lines.push(...RULE_KEYS_EXAMPLE);
  return lines.join("\n");
}

/** What a `--tables` pattern matches now, for its comment. */
function describeMatches(pattern: InitPattern): string {
  const keyless = pattern.noKey.length === 0
    ? ""
    : ` (${pattern.noKey.length} without a primary key: rows matched by their whole value)`;
  return `now matches ${countedList(pattern.matches)}${keyless}`;
}

/** A `[[source]]` listing `--tables` as given, each with what it matches now. */
function patternSource(schema: InitSchema, patterns: readonly InitPattern[]): string[] {
  return [
    "[[source]]",
    `schema = ${exactName(schema.schema)}`,
    "tables = [",
    ...patterns.map((p) =>
      `  ${tomlString(p.text)},${isNamePattern(p.text) ? ` # ${describeMatches(p)}` : ""}`
    ),
    "]",
  ];
}

/** The optional rule keys, on a commented example. */
const RULE_KEYS_EXAMPLE = [
  "# Optional rule keys, on an example: shards order_00, order_01, ... merged into one target.",
  "# [[rule]]",
  '# schema = "shop"',
  '# table = "order_\\\\d+"          # a name, "*" or an anchored regular expression',
  '# pg_schema = "public"',
  '# pg_table = "orders"           # every matching table into this one (default: its own name)',
  '# source_column = "src"         # text column naming each row\'s source table, part of the key,',
  "#                               # so equal keys from different shards stay different rows",
  '# source_value = "{instance}.{schema}.{table}"  # its value ({instance}: instance_name)',
  '# columns = ["id", "total"]     # replicate only these columns (the key always); alias: filter',
  '# soft_delete_column = "deleted"        # keep deleted rows, this boolean set to true',
  '# soft_delete_time_column = "deleted_at" # ... and the time of the delete (timestamptz)',
  '# distributed_by = ["id"]       # Greenplum: a created target\'s distribution, or "randomly"',
  '# table_options = "appendoptimized=true, orientation=column"  # WITH (...) of a created target',
  "",
];
