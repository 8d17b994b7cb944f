/**
 * Connections to the target: the postgres.js client (Nagle off), connecting with a check, and
 * what its errors mean (a setting to fix, a lost connection worth retrying).
 *
 * @module
 */
import { connect as tcpConnect, type Socket } from "node:net";
import postgres from "postgres";
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { connectFailure } from "../util/connect_errors.ts";

/** A PostgreSQL client (postgres.js). */
export type Sql = postgres.Sql;

/** Anything that runs queries: a client or an open transaction. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

/** Connection settings for {@link pgClient}. */
export interface PgClientOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  max: number;
  /** Called when one of the client's connections closes (see connection_loss.ts). */
  onclose?: () => void;
}

/**
 * A postgres.js client whose connections have Nagle's algorithm off. Without it, a statement sent
 * right after COPY data waits for the server's delayed ACK (about 40 ms), which dominates the apply
 * of small batches.
 */
export function pgClient(options: PgClientOptions): Sql {
  const settings = {
    ...options,
    connect_timeout: 10,
    idle_timeout: 0,
    // Never replaced behind our back (postgres.js's default ends a connection after 30 to 60
    // minutes): a new one has lost the session's temporary staging tables and the run lock.
    max_lifetime: null,
    onnotice: () => {},
    connection: { application_name: "mysql-gp-sync" },
    // Supported by postgres.js though missing from its types: a function giving a connected socket.
    socket: () => noDelaySocket(options.host, options.port),
  };
  return postgres(settings as postgres.Options<Record<string, postgres.PostgresType>>);
}

function noDelaySocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * Opens a client with `max` connections and checks that it can log in; `onclose` hears of every
 * connection that closes.
 */
export async function connectTarget(
  config: Config,
  max = 1,
  onclose?: () => void,
): Promise<Sql> {
  const sql = pgClient({
    host: config.pgHost,
    port: config.pgPort,
    user: config.pgUser,
    password: config.pgPass,
    database: config.pgDbname,
    max,
    onclose,
  });
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw describePgError(err, config);
  }
  return sql;
}

interface PgErrorShape {
  code?: string;
  message?: string;
}

/** Turns a driver error into a one-line message that names the setting to check. */
export function describePgError(err: unknown, config: Config): Error {
  const e = err as PgErrorShape;
  const where = targetWhere(config);
  if (isTargetConnectionLoss(err) && e.code !== "ECONNREFUSED" && e.code !== "CONNECT_TIMEOUT") {
    return new Error(`lost the connection to ${where}: ${e.message ?? e.code}`);
  }
  const failure = connectFailure(e.code, where);
  if (failure) return failure;
  switch (e.code) {
    case "28P01":
    case "28000":
      return new UserError(
        `${where}: login refused for user "${config.pgUser}" (check pg_user and pg_pass): ${e.message}`,
        1,
      );
    case "3D000":
      return new UserError(
        `${where}: database "${config.pgDbname}" does not exist (check pg_dbname)`,
        1,
      );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** The target as messages name it, with the settings that point at it. */
export function targetWhere(config: Config): string {
  return `PostgreSQL at ${config.pgHost}:${config.pgPort} (pg_host/pg_port in ${config.file})`;
}

/** True for errors that mean the connection is gone or the server is restarting (worth retrying). */
export function isTargetConnectionLoss(err: unknown): boolean {
  const code = (err as PgErrorShape).code ?? "";
  return code === "CONNECTION_CLOSED" || code === "CONNECTION_ENDED" ||
    code === "CONNECTION_DESTROYED" || code === "ECONNREFUSED" || code === "ECONNRESET" ||
    code === "EPIPE" || code === "CONNECT_TIMEOUT" || code === "57P01" || code === "57P02" ||
    code === "57P03" || code === "08006" || code === "08003" || code === "08001";
}

/** Whether `table` (a qualified, quoted name) exists: state tables are created on first use. */
export async function tableExists(sql: Queryable, table: string): Promise<boolean> {
  const [{ found }] = await sql.unsafe<{ found: boolean }[]>(
    `SELECT to_regclass($1) IS NOT NULL AS found`,
    [table],
  );
  return found;
}
