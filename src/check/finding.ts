/**
 * What every rule of `check` yields: a finding (ok, warn or fail) whose message says the fix.
 *
 * @module
 */
/** How a prerequisite stands: fine, worth knowing, or blocking `run`. */
export type Level = "ok" | "warn" | "fail";

/** One line of `check`: what was checked and, unless it is fine, what to do about it. */
export interface Finding {
  level: Level;
  /** Short name of the check, e.g. `binlog_format`, `columns`; stable for scripts. */
  check: string;
  /** One line: the state and, for warn/fail, the fix. */
  message: string;
}

export const ok = (check: string, message: string): Finding => ({ level: "ok", check, message });
export const warn = (check: string, message: string): Finding => ({
  level: "warn",
  check,
  message,
});
export const fail = (check: string, message: string): Finding => ({
  level: "fail",
  check,
  message,
});
