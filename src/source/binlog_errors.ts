/**
 * The replication errors a DBA can act on, explained: a binlog position the source can no longer
 * serve, missing replication privileges, a lost connection.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError, UserError } from "../config/errors.ts";
import { isConnectionLoss } from "./mysql.ts";

/** `err` of the replication stream, reworded where a DBA can act on it; other errors unchanged. */
export function describeBinlogError(err: unknown, config: Config): Error {
  const e = err as { errno?: number; code?: string; message?: string };
  const message = e.message ?? String(err);
  if (
    e.errno === 1236 ||
    /binlog|binary log/i.test(message) && /purged|not find|could not find/i.test(message)
  ) {
    return new FatalError(
      `the source cannot serve the saved binlog position (${message.split("\n")[0]}); ` +
        `the file was probably purged: load the tables again (mysql-gp-sync snapshot) and set a current position with "pos set"`,
    );
  }
  if (e.code === "ER_SPECIFIC_ACCESS_DENIED_ERROR" || e.errno === 1227) {
    return new UserError(
      `the MySQL user "${config.mysqlUser}" lacks replication privileges: ` +
        `GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '${config.mysqlUser}'`,
      1,
    );
  }
  if (isConnectionLoss(err)) {
    return new Error(
      `lost the connection to MySQL at ${config.mysqlHost}:${config.mysqlPort}: ${message}`,
    );
  }
  return err instanceof Error ? err : new Error(message);
}
