/**
 * The reconnect loop of `run`: replication sessions one after another, with backoff after a
 * failure, until stopped.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError, UserError } from "../config/errors.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { sleep } from "../util/sleep.ts";
import { newStats, type SyncStats } from "../observe/stats.ts";
import { Session } from "./session.ts";

/** Pause between reconnect attempts grows to this. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Follows the binlog into PostgreSQL until `signal` aborts. Connection losses on either side are
 * retried with backoff from the last committed position; problems only the user can fix are thrown
 * as UserError when they show up at start, and retried (logged as ERROR) when they appear later.
 */
export async function replicate(
  config: Config,
  log: Logger,
  signal: AbortSignal,
  stats: SyncStats = newStats(),
): Promise<void> {
  let attempt = 0;
  let streamed = false;
  while (!signal.aborted) {
    const session = new Session(config, log, signal, stats);
    const appliedBefore = stats.batchesApplied;
    try {
      await session.run(() => streamed = true);
      return;
    } catch (err) {
      if (signal.aborted) return;
      const message = errorMessage(err);
      stats.lastError = message;
      if (err instanceof FatalError || (!streamed && err instanceof UserError)) throw err;
      // The backoff restarts only after progress: a failure that recurs at once (a refused row)
      // is retried ever more slowly instead of every second.
      if (stats.batchesApplied > appliedBefore) attempt = 0;
      attempt++;
      stats.reconnects++;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 6));
      log.error(
        `${message}; retrying in ${Math.round(delay / 1000)}s from the last applied position`,
      );
      await sleep(delay, signal);
    } finally {
      await session.close();
    }
  }
}
