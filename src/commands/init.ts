/**
 * `mysql-gp-sync init`: writes a commented config file for a source and its tables, with a free
 * server_id and the target schemas chosen.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { type Config, parseConfig, PASSWORD_ENV } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { listReplicas } from "../source/binlog_status.ts";
import { resolveSourceTables } from "../source/catalog.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import { connectSource, isMariaDb, type SourceConnection } from "../source/mysql.ts";
import type { CommandContext } from "./context.ts";
import { commandFlags } from "./flags.ts";

/** Flags of `init` besides the global ones. */
export const INIT_OPTIONS = {
  "mysql-addr": { type: "string", default: "127.0.0.1:3306" },
  "mysql-user": { type: "string", default: "root" },
  "mysql-pass": { type: "string" },
  "pg-host": { type: "string", default: "127.0.0.1" },
  "pg-port": { type: "string", default: "5432" },
  "pg-user": { type: "string", default: "postgres" },
  "pg-pass": { type: "string" },
  "pg-dbname": { type: "string", default: "postgres" },
  schema: { type: "string", multiple: true },
  "pg-schema": { type: "string" },
  "server-id": { type: "string" },
  "data-dir": { type: "string", default: "./var" },
  output: { type: "string", short: "o" },
  force: { type: "boolean", default: false },
} as const satisfies ParseArgsOptionsConfig;

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
  /** Tables without one: listed commented out. */
  noKey: string[];
  pgSchema: string;
}

/** Schemas of the server itself, never followed. */
const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];

/** First server_id tried when none is given (the seed's example uses it). */
const DEFAULT_SERVER_ID = 1001;

/**
 * `init`: writes a commented config for the given servers, with a `[[source]]` and `[[rule]]`s for
 * the source's tables. Refuses to overwrite a file unless --force.
 */
export async function initCommand(ctx: CommandContext): Promise<number> {
  const values = commandFlags(ctx, INIT_OPTIONS);
  const output = values.output ?? ctx.configFile;
  const toStdout = output === "-";
  if (!toStdout && !values.force && await exists(output)) {
    throw new UserError(`${output} already exists; pass --force to overwrite it`);
  }
  const env = Deno.env.toObject();
  const settings: InitSettings = {
    mysqlAddr: values["mysql-addr"],
    mysqlUser: values["mysql-user"],
    mysqlPass: values["mysql-pass"] ?? (env[PASSWORD_ENV.mysql] === undefined ? "" : null),
    pgHost: values["pg-host"],
    pgPort: integerFlag("pg-port", values["pg-port"]),
    pgUser: values["pg-user"],
    pgPass: values["pg-pass"] ?? (env[PASSWORD_ENV.pg] === undefined ? "" : null),
    pgDbname: values["pg-dbname"],
    dataDir: values["data-dir"],
    serverId: values["server-id"] === undefined
      ? DEFAULT_SERVER_ID
      : integerFlag("server-id", values["server-id"]),
    flavor: "mysql",
  };
  // The tables are not known before connecting; a schema every server has stands in, so the
  // connection settings are checked exactly as `run` will read them.
  const draft = parseConfig(
    renderConfig(settings, [{
      schema: "information_schema",
      tables: ["*"],
      noKey: [],
      pgSchema: "public",
    }]),
    output,
    env,
  );
  const connection = await connectSource(draft);
  let schemas: InitSchema[];
  try {
    settings.flavor = (await isMariaDb(connection)) ? "mariadb" : "mysql";
    if (values["server-id"] === undefined) settings.serverId = await freeServerId(connection);
    schemas = await listTables(connection, values.schema ?? [], values["pg-schema"]);
  } finally {
    await connection.end().catch(() => {});
  }
  const followed = schemas.reduce((n, s) => n + s.tables.length, 0);
  if (followed === 0) {
    throw new UserError(
      `no table with a primary key in ${
        schemas.map((s) => s.schema).join(", ") || "any schema"
      }: nothing to follow`,
      1,
    );
  }
  const text = renderConfig(settings, schemas);
  parseConfig(text, output, env); // what we write must load
  if (toStdout) {
    ctx.out(text.trimEnd());
    return 0;
  }
  await Deno.writeTextFile(output, text, { createNew: !values.force, mode: 0o600 });
  const skipped = schemas.reduce((n, s) => n + s.noKey.length, 0);
  ctx.out(
    `wrote ${output}: ${followed} table(s) in ${schemas.filter((s) => s.tables.length).length} ` +
      `schema(s)${skipped ? `, ${skipped} without a primary key left commented out` : ""}`,
  );
  ctx.out(`next: review it, then run "mysql-gp-sync check --config ${output}"`);
  return 0;
}

function integerFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UserError(`--${name}: expected a number, got "${value}"`);
  return Number(value);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The first id from DEFAULT_SERVER_ID up that neither the source nor a replica of it uses. */
async function freeServerId(connection: SourceConnection): Promise<number> {
  const [rows] = await connection.query("SELECT @@server_id AS id");
  const used = new Set([Number((rows as { id: number | string }[])[0].id)]);
  const replicas = await listReplicas(connection);
  if (typeof replicas !== "string") { for (const r of replicas) used.add(r.serverId); }
  let id = DEFAULT_SERVER_ID;
  while (used.has(id)) id++;
  return id;
}

/**
 * The base tables of the named schemas (all user schemas when none is named). When the followed
 * tables are all in one schema they go to `public`, as in the seed; otherwise each keeps its schema
 * name, so equal table names cannot collide.
 */
async function listTables(
  connection: SourceConnection,
  named: string[],
  pgSchema: string | undefined,
): Promise<InitSchema[]> {
  let names = [...new Set(named)];
  if (names.length === 0) {
    const [rows] = await connection.query(
      `SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA
        WHERE SCHEMA_NAME NOT IN (?) ORDER BY SCHEMA_NAME`,
      [SYSTEM_SCHEMAS],
    );
    names = (rows as { s: string }[]).map((r) => r.s);
  }
  if (names.length === 0) return [];
  const { tables } = await resolveSourceTables(
    connection,
    names.map((schema) => ({ schema, tables: ["*"] })),
  );
  const schemas: InitSchema[] = [];
  for (const schema of names) {
    const own = tables.filter((t) => t.schema === schema);
    if (own.length === 0) {
      if (named.length > 0) {
        throw new UserError(
          `schema "${schema}" has no tables on the source (or the user may not see them)`,
          1,
        );
      }
      continue;
    }
    schemas.push({
      schema,
      tables: own.filter((t) => rowIdentity(t).kind === "primary-key").map((t) => t.table),
      noKey: own.filter((t) => rowIdentity(t).kind !== "primary-key").map((t) => t.table),
      pgSchema: pgSchema ?? schema,
    });
  }
  if (pgSchema === undefined && schemas.filter((s) => s.tables.length > 0).length === 1) {
    for (const schema of schemas) schema.pgSchema = "public";
  }
  return schemas;
}

/** A TOML basic string (JSON's escapes are TOML's, except that TOML also forbids a raw DEL). */
function tomlString(value: string): string {
  return JSON.stringify(value).replace(/\x7f/g, "\\u007f");
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
    "",
    '# MySQL tables to follow; several [[source]] sections and tables are allowed; "*" means all tables.',
  ];
  for (const schema of schemas) {
    const section = schema.tables.length > 0 ? "" : "# ";
    if (schema.tables.length === 0) {
      lines.push(`# ${schema.schema}: no table with a primary key (add keys, then uncomment)`);
    }
    lines.push(`${section}[[source]]`, `${section}schema = ${tomlString(schema.schema)}`);
    lines.push(`${section}tables = [`);
    for (const table of schema.tables) lines.push(`  ${tomlString(table)},`);
    for (const table of schema.noKey) {
      lines.push(
        `#   ${tomlString(table)}, # no primary key: add one, or uncomment to match rows by value`,
      );
    }
    lines.push(`${section}]`, "");
  }
  lines.push(
    "# Where each table lands in PostgreSQL. A followed table without a rule goes to public.<same name>.",
  );
  for (const schema of schemas) {
    for (const table of schema.tables) {
      lines.push(
        "[[rule]]",
        `schema = ${tomlString(schema.schema)}`,
        `table = ${tomlString(table)}`,
        `pg_schema = ${tomlString(schema.pgSchema)}`,
        `pg_table = ${tomlString(table)}`,
        "",
      );
    }
  }
  return lines.join("\n");
}
