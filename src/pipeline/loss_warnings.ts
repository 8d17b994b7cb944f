/**
 * Counts the values changed to fit PostgreSQL (zero dates, NUL bytes) and warns once per kind and
 * column, so a table full of them does not flood the log.
 *
 * @module
 */
import type { SyncStats } from "../observe/stats.ts";
import type { Logger } from "../util/log.ts";
import type { LossReporter } from "./plan.ts";

/** A reporter that counts every changed value in `stats` and warns at its first of a kind per column. */
export function lossWarnings(stats: SyncStats, log: Logger): LossReporter {
  const reported = new Set<string>();
  return (what, table, column) => {
    stats.valuesAltered++;
    const key = `${what}\u0000${table}\u0000${column}`;
    if (reported.has(key)) return;
    reported.add(key);
    log.warn(
      what === "zero-date"
        ? `${table}.${column}: zero date stored as NULL (PostgreSQL has no zero date); further ones are counted, not logged`
        : `${table}.${column}: NUL byte removed from text (PostgreSQL text cannot hold it); further ones are counted, not logged`,
    );
  };
}
