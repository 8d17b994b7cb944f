/**
 * `mysql-gp-sync init`: writes a commented config file for a source and its tables (all, or those
 * `--tables` names or patterns match, each pattern annotated with what it matches now), with a free
 * server_id and the target schemas chosen.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { parseConfig, PASSWORD_ENV } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { isNamePattern, matchesName, nameMatcher } from "../config/names.ts";
import { listReplicas } from "../source/binlog_status.ts";
import { resolveSourceTables } from "../source/catalog.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import { connectSource, isMariaDb, type SourceConnection } from "../source/mysql.ts";
import type { CommandContext } from "./context.ts";
import { commandFlags } from "./flags.ts";
import { type InitSchema, type InitSettings, renderConfig } from "./init_render.ts";

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
  tables: { type: "string", multiple: true },
  "pg-schema": { type: "string" },
  "server-id": { type: "string" },
  "data-dir": { type: "string", default: "./var" },
  output: { type: "string", short: "o" },
  force: { type: "boolean", default: false },
} as const satisfies ParseArgsOptionsConfig;

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
    schemas = await listTables(
      connection,
      values.schema ?? [],
      values.tables ?? [],
      values["pg-schema"],
    );
  } finally {
    await connection.end().catch(() => {});
  }
  // A pattern follows the tables it matches, with a key or not.
  const followed = schemas.reduce(
    (n, s) => n + s.tables.length + (s.patterns ? s.noKey.length : 0),
    0,
  );
  if (followed === 0) {
    const what = values.tables
      ? `matching --tables ${values.tables.join(", ")}`
      : "with a primary key";
    throw new UserError(
      `no table ${what} in ${
        schemas.map((s) => s.schema).join(", ") || values.schema?.join(", ") || "any schema"
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
  const skipped = schemas.reduce((n, s) => n + (s.patterns ? 0 : s.noKey.length), 0);
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

/** UserError naming the flag when a name given there is a pattern that does not compile. */
function checkPatterns(flag: string, texts: readonly string[]): void {
  for (const text of texts) {
    try {
      nameMatcher(text);
    } catch (err) {
      throw new UserError(
        `--${flag} "${text}": not a name nor a valid regular expression (${
          (err as Error).message
        })`,
      );
    }
  }
}

/**
 * The base tables of the named schemas (names or patterns; all user schemas when none is named),
 * those `tableNames` match when given. When the followed tables are all in one schema they go to
 * `public`, as in the seed; otherwise each keeps its schema name, so equal table names cannot
 * collide.
 */
async function listTables(
  connection: SourceConnection,
  named: string[],
  tableNames: string[],
  pgSchema: string | undefined,
): Promise<InitSchema[]> {
  checkPatterns("schema", named);
  checkPatterns("tables", tableNames);
  const [rows] = await connection.query(
    `SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA
      WHERE SCHEMA_NAME NOT IN (?) ORDER BY SCHEMA_NAME`,
    [SYSTEM_SCHEMAS],
  );
  const existing = (rows as { s: string }[]).map((r) => r.s);
  // A plain name the server lacks is reported below as a schema without tables.
  const names = named.length === 0 ? existing : [
    ...new Set(
      named.flatMap((n) => isNamePattern(n) ? existing.filter((s) => matchesName(n, s)) : [n]),
    ),
  ];
  const unmatched = named.find((n) => isNamePattern(n) && !existing.some((s) => matchesName(n, s)));
  if (unmatched !== undefined) {
    throw new UserError(`--schema "${unmatched}" matches no schema on the source`, 1);
  }
  if (names.length === 0) return [];
  const { tables } = await resolveSourceTables(
    connection,
    names.map((schema) => ({ schema, tables: ["*"] })),
  );
  const schemas: InitSchema[] = [];
  const patterns = tableNames.length === 0 ? null : [...new Set(tableNames)];
  for (const schema of names) {
    const own = tables.filter((t) =>
      t.schema === schema && (patterns === null || patterns.some((p) => matchesName(p, t.table)))
    );
    if (own.length === 0) {
      if (named.includes(schema) && patterns === null) {
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
      patterns: patterns?.map((text) => {
        const matched = own.filter((t) => matchesName(text, t.table));
        return {
          text,
          matches: matched.map((t) => t.table),
          noKey: matched.filter((t) => rowIdentity(t).kind !== "primary-key").map((t) => t.table),
        };
      }),
    });
  }
  if (pgSchema === undefined && schemas.filter((s) => s.tables.length > 0).length === 1) {
    for (const schema of schemas) schema.pgSchema = "public";
  }
  return schemas;
}
