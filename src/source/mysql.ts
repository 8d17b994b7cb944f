/**
 * Connections to the source server: the options every source connection shares (the binlog's
 * included), opening a query connection with the session set for exact values, and what a driver
 * error means (a setting to check, a lost connection).
 *
 * @module
 */
import mysql from "mysql2/promise";
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { connectFailure } from "../util/connect_errors.ts";
import { SOURCE_CONNECTION_OPTIONS, SOURCE_SESSION_STATEMENTS } from "../convert/source.ts";
import { sourceAddressKey } from "./members.ts";

/** A connection to the source for catalog and data queries. */
export type SourceConnection = mysql.Connection;

/**
 * Options for every source connection, the binlog's included, so that a value decoded from a row
 * event and the same value read by SELECT come out identical (see SOURCE_CONNECTION_OPTIONS).
 * `mysql_charset` is not used for the connection: values are decoded in each column's own charset
 * and results always travel as utf8mb4, which no character can fall out of.
 */
export function sourceOptions(config: Config): mysql.ConnectionOptions {
  return {
    ...SOURCE_CONNECTION_OPTIONS,
    host: config.mysqlHost,
    port: config.mysqlPort,
    user: config.mysqlUser,
    password: config.mysqlPass,
    connectTimeout: 10_000,
  };
}

/** Opens a query connection to the source with the session set for exact values. */
export async function connectSource(config: Config): Promise<SourceConnection> {
  let connection: SourceConnection;
  try {
    connection = await mysql.createConnection(sourceOptions(config));
  } catch (err) {
    throw describeMySqlError(err, config);
  }
  for (const statement of SOURCE_SESSION_STATEMENTS) await connection.query(statement);
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
  const where = `MySQL at ${config.mysqlHost}:${config.mysqlPort} (${
    sourceAddressKey(config)
  } in ${config.file})`;
  const failure = connectFailure(e.code, where);
  if (failure) return failure;
  if (e.code === "ER_ACCESS_DENIED_ERROR") {
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

/** True when the connected server is MariaDB (its flavour decides some catalog queries). */
export async function isMariaDb(connection: SourceConnection): Promise<boolean> {
  const [rows] = await connection.query("SELECT VERSION() AS v");
  return /mariadb/i.test((rows as { v: string }[])[0].v);
}
