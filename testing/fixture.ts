/**
 * A throwaway MariaDB + PostgreSQL pair with connections, a config file pointing at them, and
 * helpers to run the sync in-process or as the real CLI, for integration tests and the bench.
 *
 * @module
 */
import mysql from "mysql2/promise";
import postgres from "postgres";
import { type Config, loadConfig } from "../src/config/config.ts";
import { Logger } from "../src/util/log.ts";
import { newStats, type SyncStats } from "../src/observe/stats.ts";
import { replicate } from "../src/pipeline/replicate.ts";
import { type MariaDBServer, startMariaDB } from "./mariadb_server.ts";
import { type PostgresServer, startPostgres } from "./postgres_server.ts";

export interface Fixture extends AsyncDisposable {
  mariadb: MariaDBServer;
  postgres: PostgresServer;
  /** Root connection to MariaDB, session time zone UTC, big numbers and dates as strings. */
  my: mysql.Connection;
  /** Superuser connection to PostgreSQL. */
  pg: postgres.Sql;
  /** Temp dir holding the config file and data_dir. */
  dir: string;
  configFile: string;
  dataDir: string;
  /**
   * Writes the config file: the connection keys plus `body` (sources, rules, extras). `via`
   * replaces the servers' addresses (a proxy in between, say).
   */
  writeConfig(body: string, via?: ConfigAddresses): Promise<Config>;
  /** Replaces `my` and `pg` with fresh connections (after a server restart). */
  reconnect(): Promise<void>;
  /** Current binlog file and position of the source (`SHOW MASTER STATUS`). */
  masterStatus(): Promise<{ file: string; pos: number }>;
  dispose(): Promise<void>;
}

/** Addresses a config reaches the servers at, when not their own. */
export interface ConfigAddresses {
  mysql?: { host: string; port: number };
  pg?: { host: string; port: number };
}

export interface FixtureOptions {
  mariadbArgs?: string[];
}

/** Starts both servers and opens connections to them. */
export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const [mariadb, pgServer] = await Promise.all([
    startMariaDB({ args: options.mariadbArgs }),
    startPostgres(),
  ]);
  const my = await connectMysql(mariadb);
  const pg = connectPg(pgServer);
  const dir = await Deno.makeTempDir({ prefix: "mgs-fixture-" });
  const configFile = `${dir}/mysql-gp-sync.toml`;
  const dataDir = `${dir}/var`;
  const fixture: Fixture = {
    mariadb,
    postgres: pgServer,
    my,
    pg,
    dir,
    configFile,
    dataDir,
    async writeConfig(body: string, via: ConfigAddresses = {}) {
      const mysqlAt = via.mysql ?? mariadb;
      const pgAt = via.pg ?? pgServer;
      await Deno.writeTextFile(
        configFile,
        `mysql_addr = "${mysqlAt.host}:${mysqlAt.port}"
mysql_user = "${mariadb.user}"
mysql_pass = "${mariadb.password}"
mysql_charset = "utf8mb4"
pg_host = "${pgAt.host}"
pg_port = ${pgAt.port}
pg_user = "${pgServer.user}"
pg_pass = "${pgServer.password}"
pg_dbname = "${pgServer.database}"
data_dir = "./var"
server_id = 1001
flavor = "mariadb"
${body}
`,
      );
      return await loadConfig(configFile, {});
    },
    async reconnect() {
      await fixture.my.end().catch(() => {});
      await fixture.pg.end({ timeout: 1 }).catch(() => {});
      fixture.my = await connectMysql(mariadb);
      fixture.pg = connectPg(pgServer);
    },
    async masterStatus() {
      const [rows] = await fixture.my.query("SHOW MASTER STATUS");
      const row = (rows as { File: string; Position: number | string }[])[0];
      return { file: row.File, pos: Number(row.Position) };
    },
    async dispose() {
      // Tests may replace the connections (after restarting a server); close the current ones.
      await fixture.my.end().catch(() => {});
      await fixture.pg.end({ timeout: 1 }).catch(() => {});
      await Promise.all([mariadb.dispose(), pgServer.dispose()]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    [Symbol.asyncDispose]() {
      return fixture.dispose();
    },
  };
  return fixture;
}

/** A root connection to `server` like the fixture's `my` (UTC, big numbers and dates as strings). */
export async function connectMysql(server: MariaDBServer): Promise<mysql.Connection> {
  const my = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: true,
    charset: "utf8mb4",
  });
  await my.query("SET time_zone = '+00:00'");
  return my;
}

function connectPg(server: PostgresServer): postgres.Sql {
  return postgres({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    max: 2,
    onnotice: () => {},
  });
}

/** A sync running inside the test process. */
export interface RunningSync {
  stats: SyncStats;
  /** Settles when the sync ends (rejects with its fatal error). */
  done: Promise<void>;
  /** Asks it to stop (as SIGTERM would) and waits until it has. */
  stop(): Promise<void>;
}

/** Runs `replicate` in-process with a quiet logger that still writes `sync.log`. */
export async function startSync(config: Config): Promise<RunningSync> {
  const log = new Logger(config.logLevel, { quiet: !Deno.env.get("MGS_TEST_LOG") });
  await log.openFile(`${config.dataDir}/sync.log`);
  const controller = new AbortController();
  const stats = newStats();
  const done = replicate(config, log, controller.signal, stats).finally(() => log.close());
  return {
    stats,
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Polls `check` until it returns true; fails after `timeoutMs` with `what` in the message. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Waits until the sync has applied everything the source has written so far. */
export async function waitForCatchUp(fixture: Fixture, sync: RunningSync, timeoutMs = 30_000) {
  const target = await fixture.masterStatus();
  await waitFor(
    `the sync to reach ${target.file}:${target.pos}`,
    () => {
      const applied = sync.stats.appliedPosition;
      return applied !== null &&
        (applied.file > target.file || (applied.file === target.file && applied.pos >= target.pos));
    },
    timeoutMs,
  );
}

/** Runs the CLI as a child process: `deno run -A main.ts ...args`. */
export function cliCommand(
  args: string[],
  env: Record<string, string> = {},
  signal?: AbortSignal,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
    signal,
  });
}

/** Runs the CLI to completion and returns exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  // A command that should exit but hangs (a sync that keeps streaming) must fail the test, not CI.
  const signal = AbortSignal.timeout(timeoutMs);
  const output = await cliCommand(args, env, signal).output();
  if (signal.aborted) throw new Error(`\`${args.join(" ")}\` did not exit within ${timeoutMs} ms`);
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Rows of a MySQL query as arrays of strings (NULL as null), sorted, for set comparison. */
export async function mysqlRows(my: mysql.Connection, sql: string): Promise<(string | null)[][]> {
  const [rows] = await my.query({ sql, rowsAsArray: true });
  return sortRows((rows as unknown[][]).map((r) => r.map((v) => (v === null ? null : String(v)))));
}

/** Rows of a PostgreSQL query as arrays of strings (NULL as null), sorted. */
export async function pgRows(pg: postgres.Sql, sql: string): Promise<(string | null)[][]> {
  const rows = await pg.unsafe(sql).values();
  return sortRows(rows.map((r) => r.map((v: unknown) => (v === null ? null : String(v)))));
}

function sortRows(rows: (string | null)[][]): (string | null)[][] {
  const key = (r: (string | null)[]) => JSON.stringify(r);
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
