import mysql from "mysql2/promise";
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";

/** A connection to the source for catalog and data queries. */
export type SourceConnection = mysql.Connection;

/**
 * Connection options shared by every source connection, binlog included, so that a value decoded
 * from a row event and the same value read by SELECT come out identical: exact decimals and big
 * integers as strings, dates as written (no Date objects, which drop microseconds and zero dates),
 * TIMESTAMP rendered in UTC.
 */
export function sourceOptions(config: Config): mysql.ConnectionOptions {
  return {
    host: config.mysqlHost,
    port: config.mysqlPort,
    user: config.mysqlUser,
    password: config.mysqlPass,
    charset: connectionCharset(config.mysqlCharset),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    timezone: "Z",
    connectTimeout: 10_000,
  };
}

/** `utf8` in MySQL is the 3-byte subset; reading through it would mangle emoji, so widen it. */
function connectionCharset(charset: string): string {
  const lower = charset.toLowerCase();
  return lower === "utf8" || lower === "utf8mb3" ? "utf8mb4" : lower;
}

/** Opens a query connection to the source with the session set for exact values. */
export async function connectSource(config: Config): Promise<SourceConnection> {
  let connection: SourceConnection;
  try {
    connection = await mysql.createConnection(sourceOptions(config));
  } catch (err) {
    throw describeMySqlError(err, config);
  }
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

interface MySqlErrorShape {
  code?: string;
  errno?: number;
  message?: string;
}

/** Turns a driver error into a one-line message that names the setting to check. */
export function describeMySqlError(err: unknown, config: Config): Error {
  const e = err as MySqlErrorShape;
  const where = `MySQL at ${config.mysqlHost}:${config.mysqlPort} (mysql_addr in ${config.file})`;
  switch (e.code) {
    case "ECONNREFUSED":
      return new UserError(`cannot connect to ${where}: connection refused; is the server up?`, 1);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UserError(`cannot connect to ${where}: unknown host`, 1);
    case "ETIMEDOUT":
      return new UserError(`cannot connect to ${where}: timed out`, 1);
    case "ER_ACCESS_DENIED_ERROR":
      return new UserError(
        `${where}: access denied for user "${config.mysqlUser}" (check mysql_user and mysql_pass)`,
        1,
      );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** True for errors that mean the connection to the server is gone (worth reconnecting). */
export function isConnectionLoss(err: unknown): boolean {
  const code = (err as MySqlErrorShape).code ?? "";
  return code === "PROTOCOL_CONNECTION_LOST" || code === "ECONNRESET" ||
    code === "ECONNREFUSED" || code === "EPIPE" || code === "ETIMEDOUT" ||
    code === "ER_SERVER_SHUTDOWN" || code === "ER_CONNECTION_KILLED" ||
    code === "PROTOCOL_SEQUENCE_TIMEOUT" || code === "ER_NET_READ_ERROR";
}
