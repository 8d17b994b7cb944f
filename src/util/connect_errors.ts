/**
 * Connection failures the MySQL and PostgreSQL clients report alike (refused, unknown host, timed
 * out), as one-line UserErrors; each client handles its own other cases.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";

/**
 * The ways opening a connection fails that both databases share, as one line naming `where`
 * (the server and the config keys behind it); null for any other error.
 */
export function connectFailure(code: string | undefined, where: string): UserError | null {
  switch (code) {
    case "ECONNREFUSED":
      return new UserError(`cannot connect to ${where}: connection refused; is the server up?`, 1);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new UserError(`cannot connect to ${where}: unknown host`, 1);
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return new UserError(`cannot connect to ${where}: timed out`, 1);
  }
  return null;
}
