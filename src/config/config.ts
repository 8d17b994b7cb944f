/**
 * The config file (`mysql-gp-sync.toml`): reads, parses and validates it into a {@link Config}
 * with the seed's keys, our extensions and their defaults; environment variables may replace the
 * passwords.
 *
 * @module
 */
import { parse, TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";
import type { Table } from "./toml_reader.ts";
import { type RuleConfig, type SourceConfig, TableRulesReader } from "./table_rules.ts";

export type { RuleConfig, SourceConfig } from "./table_rules.ts";

/** The validated configuration: every key of the seed plus our extensions. */
export interface Config {
  /** Path of the file it came from, for messages. */
  file: string;
  mysqlHost: string;
  mysqlPort: number;
  /**
   * The other members of the source's replication group (`mysql_members`), tried in this order
   * after `mysql_addr` when the followed server is gone; empty: `mysql_addr` only.
   */
  mysqlMembers: { host: string; port: number }[];
  /** Follow only a primary (`read_only` and `super_read_only` off): switch when it is demoted. */
  mysqlPrimaryOnly: boolean;
  mysqlUser: string;
  mysqlPass: string;
  mysqlCharset: string;
  pgHost: string;
  pgPort: number;
  pgUser: string;
  pgPass: string;
  pgDbname: string;
  /** Absolute path. */
  dataDir: string;
  statsdHost: string | null;
  statsdPort: number;
  statsdPrefix: string;
  serverId: number;
  flavor: "mysql" | "mariadb";
  skipNoPkTable: boolean;
  concurrentSize: number;
  concurrentAckWin: number;
  sources: SourceConfig[];
  rules: RuleConfig[];
  // Extensions (not in the seed).
  /** Flush a batch once it holds this many row changes. */
  batchMaxRows: number;
  /** While PostgreSQL is busy, flush a batch at the latest this long after its first change (ms). */
  batchMaxMs: number;
  /** A table's share of a batch up to this many rows goes in as plain statements, not via COPY. */
  batchPlainMaxRows: number;
  /** Identifies this sync in the PostgreSQL position table. */
  syncId: string;
  /** Names this source in a rule's `source_value` (`{instance}`); default: the sync_id. */
  instanceName: string;
  /** Schema of the position table in PostgreSQL. */
  positionSchema: string;
  logLevel: "debug" | "info" | "warn" | "error";
  /** sync.log is rotated when a line would take it past this many bytes; 0: never. */
  logMaxSize: number;
  /** Rotated logs kept beside sync.log (sync.log.1 newest ... sync.log.N oldest). */
  logMaxFiles: number;
  /** Where a running `run` serves status (JSON) and metrics (Prometheus); null when disabled. */
  statusAddr: { host: string; port: number } | null;
  /** A column dropped on the source: dropped from the target too, or kept there (nullable). */
  ddlDropColumn: "drop" | "keep";
  /** A followed table dropped on the source: its target kept (a WARN), dropped, or the sync stops. */
  ddlDropTable: "ignore" | "drop" | "stop";
  /**
   * Where a table's schema history starts when it has none, at a start position the binlog has
   * moved past, on a source without FULL column metadata: "strict" refuses (load with `snapshot`),
   * "catalog" trusts today's catalog there.
   */
  schemaHistorySeed: "strict" | "catalog";
}

/** Environment variables that, when set, replace the passwords in the file. */
export const PASSWORD_ENV = { mysql: "MYSQL_GP_SYNC_MYSQL_PASS", pg: "MYSQL_GP_SYNC_PG_PASS" };

export const DEFAULT_CONFIG_FILE = "mysql-gp-sync.toml";

/** sync.log rotates at this size unless `log_max_size` says otherwise. */
export const DEFAULT_LOG_MAX_SIZE = 100 * 1024 * 1024;

/** Rotated logs kept unless `log_max_files` says otherwise. */
export const DEFAULT_LOG_MAX_FILES = 5;

/** Port of the status/metrics HTTP endpoint unless `status_addr` says otherwise. */
export const DEFAULT_STATUS_PORT = 9717;

/** Reads, parses and validates a config file. Throws ConfigError with a one-line message. */
export async function loadConfig(
  file: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(
        `${file}: config file not found (create one with "mysql-gp-sync init", or pass --config FILE)`,
      );
    }
    throw new ConfigError(`${file}: cannot read config file: ${(err as Error).message}`);
  }
  return parseConfig(text, file, env);
}

/** Parses and validates config text; `file` names it in messages and anchors relative paths. */
export function parseConfig(
  text: string,
  file: string,
  env: Record<string, string | undefined> = {},
): Config {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new ConfigError(`${file}:${err.line}:${err.column}: invalid TOML: ${reason}`);
    }
    throw err;
  }
  return new Reader(withSeedSpellings(doc, file), file).config(env);
}

/**
 * The Go tool's own code (branch go-mysql-postgresql-multdatasource) reads `my_addr`, `my_user`,
 * `my_pass` and `my_charset` where the seed's document writes `mysql_*`; a DBA's file may use
 * either spelling of each, not both.
 */
const GO_TOOL_SPELLINGS: Readonly<Record<string, string>> = {
  my_addr: "mysql_addr",
  my_user: "mysql_user",
  my_pass: "mysql_pass",
  my_charset: "mysql_charset",
};

/** `doc` with the Go tool's spellings under the seed's names; ConfigError when both are given. */
function withSeedSpellings(doc: Table, file: string): Table {
  const result = { ...doc };
  for (const [goKey, seedKey] of Object.entries(GO_TOOL_SPELLINGS)) {
    if (!(goKey in doc)) continue;
    if (seedKey in doc) {
      throw new ConfigError(
        `${file}: both ${seedKey} and ${goKey} are set; they are two spellings of one key, keep one`,
      );
    }
    result[seedKey] = doc[goKey];
    delete result[goKey];
  }
  return result;
}

const KNOWN_KEYS = new Set([
  "mysql_addr",
  "mysql_members",
  "mysql_primary_only",
  "mysql_user",
  "mysql_pass",
  "mysql_charset",
  "pg_host",
  "pg_port",
  "pg_user",
  "pg_pass",
  "pg_dbname",
  "data_dir",
  "statsd_host",
  "statsd_port",
  "statsd_prefix",
  "server_id",
  "flavor",
  "skip_no_pk_table",
  "concurrent_size",
  "concurrent_ack_win",
  "source",
  "rule",
  "batch_max_rows",
  "batch_max_ms",
  "batch_plain_max_rows",
  "sync_id",
  "instance_name",
  "position_schema",
  "log_level",
  "log_max_size",
  "log_max_files",
  "status_addr",
  "ddl_drop_column",
  "ddl_drop_table",
  "schema_history_seed",
]);

/** Keys the Go ancestor (go-mysql-elasticsearch) accepted that mean nothing here; tolerated silently. */
const ANCESTOR_KEYS = new Set(["bulk_size", "flush_bulk_time", "skip_master_data", "mysqldump"]);

class Reader extends TableRulesReader {
  config(env: Record<string, string | undefined>): Config {
    const { doc, file } = this;
    this.checkKeys(doc, KNOWN_KEYS, ANCESTOR_KEYS, "");
    const { host, port } = this.address("mysql_addr", 3306);
    const sources = this.tables("source").map((s, i) => this.source(s, i));
    if (sources.length === 0) {
      throw new ConfigError(
        `${file}: no [[source]] section: name at least one schema and its tables`,
      );
    }
    const rules = this.tables("rule").map((r, i) => this.rule(r, i));
    const statsdHost = this.string(doc, "statsd_host", "", "");
    const configDir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : ".";
    const dataDir = this.nonEmpty(doc, "data_dir", "", "./var");
    const concurrentSize = this.integer("concurrent_size", 1, 64, 1);
    const serverId = this.integer("server_id", 1, 4294967295);
    const syncId = this.nonEmpty(doc, "sync_id", "", String(serverId));
    return {
      file,
      mysqlHost: host,
      mysqlPort: port,
      mysqlMembers: this.addresses("mysql_members", 3306),
      mysqlPrimaryOnly: this.boolean("mysql_primary_only", false),
      mysqlUser: this.nonEmpty(doc, "mysql_user", ""),
      mysqlPass: env[PASSWORD_ENV.mysql] ?? this.string(doc, "mysql_pass", "", ""),
      mysqlCharset: this.nonEmpty(doc, "mysql_charset", "", "utf8mb4"),
      pgHost: this.nonEmpty(doc, "pg_host", ""),
      pgPort: this.integer("pg_port", 1, 65535, 5432),
      pgUser: this.nonEmpty(doc, "pg_user", ""),
      pgPass: env[PASSWORD_ENV.pg] ?? this.string(doc, "pg_pass", "", ""),
      pgDbname: this.nonEmpty(doc, "pg_dbname", ""),
      dataDir: dataDir.startsWith("/") ? dataDir : resolvePath(configDir, dataDir),
      statsdHost: statsdHost === "" ? null : statsdHost,
      statsdPort: this.integer("statsd_port", 1, 65535, 8125),
      statsdPrefix: this.string(doc, "statsd_prefix", "", "dbsync"),
      serverId,
      flavor: this.oneOf("flavor", ["mysql", "mariadb"] as const, "mysql"),
      skipNoPkTable: this.boolean("skip_no_pk_table", false),
      concurrentSize,
      concurrentAckWin: this.integer("concurrent_ack_win", 1, 1_000_000, 2048),
      sources,
      rules,
      batchMaxRows: this.integer("batch_max_rows", 1, 10_000_000, 50_000),
      batchMaxMs: this.integer("batch_max_ms", 1, 60_000, 200),
      batchPlainMaxRows: this.integer("batch_plain_max_rows", 0, 1000, 32),
      syncId,
      instanceName: this.nonEmpty(doc, "instance_name", "", syncId),
      positionSchema: this.nonEmpty(doc, "position_schema", "", "public"),
      logLevel: this.oneOf("log_level", ["debug", "info", "warn", "error"] as const, "info"),
      logMaxSize: this.size("log_max_size", DEFAULT_LOG_MAX_SIZE),
      logMaxFiles: this.integer("log_max_files", 0, 1000, DEFAULT_LOG_MAX_FILES),
      statusAddr: doc.status_addr === "off"
        ? null
        : this.address("status_addr", DEFAULT_STATUS_PORT, `127.0.0.1:${DEFAULT_STATUS_PORT}`),
      ddlDropColumn: this.oneOf("ddl_drop_column", ["drop", "keep"] as const, "drop"),
      ddlDropTable: this.oneOf("ddl_drop_table", ["ignore", "drop", "stop"] as const, "ignore"),
      schemaHistorySeed: this.oneOf(
        "schema_history_seed",
        ["strict", "catalog"] as const,
        "strict",
      ),
    };
  }
}

function resolvePath(dir: string, path: string): string {
  const base = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  const parts: string[] = [];
  for (const part of `${base}/${path}`.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}
