/**
 * The errors the CLI shows as one line and an exit code instead of a stack trace: mistakes the user
 * can fix, in the config file or elsewhere, and those that stop `run` for good. They sit in the
 * lowest layer so that every layer may throw them.
 *
 * @module
 */
/**
 * A mistake the user can fix: bad config, bad arguments, unreachable server.
 * The CLI prints only the message (one line, no stack trace) and exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = "UserError";
  }
}

/** Problem with the configuration file; always exit code 2. */
export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = "ConfigError";
  }
}

/** A problem that waiting and retrying cannot fix (e.g. the binlog to read was purged): `run` stops. */
export class FatalError extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = "FatalError";
  }
}
