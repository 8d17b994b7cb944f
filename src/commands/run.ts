/**
 * `mysql-gp-sync run`: the sync itself, with the status endpoint, rate sampling and statsd around
 * it, until SIGTERM or SIGINT.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { type Config, loadConfig } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { lockDataDir } from "../util/data_dir_lock.ts";
import { errorMessage, Logger } from "../util/log.ts";
import { SyncMonitor } from "../observe/metrics.ts";
import { SourceProbe } from "../observe/source_probe.ts";
import { StatsdPusher } from "../observe/statsd.ts";
import { serveStatus } from "../observe/status_server.ts";
import { formatPosition } from "../offsets/position.ts";
import { newStats } from "../observe/stats.ts";
import { replicate } from "../pipeline/replicate.ts";
import { settledWithin, sleep } from "../util/sleep.ts";
import type { CommandContext } from "./context.ts";
import { commandFlags } from "./flags.ts";

/** Flags of `run` besides the global ones. */
export const RUN_OPTIONS = {
  // start.sh sends stderr to sync.log, which the logger writes itself: without this every line
  // would be there twice.
  quiet: { type: "boolean", default: false },
} as const satisfies ParseArgsOptionsConfig;

/** How often rates are sampled and statsd is fed. */
const MONITOR_INTERVAL_MS = 1_000;
/**
 * After SIGTERM, the work in hand has this long to finish before the process gives up on it,
 * well within the 60 s stop.sh waits before SIGKILL. Giving up is safe: the position commits
 * with the data, so the next start resumes from the last committed batch.
 */
const STOP_GRACE_MS = 20_000;
/** Closing the status server, statsd and the source probe waits this long at most. */
const CLEANUP_WAIT_MS = 3_000;

/** `run`: follow the binlog until SIGTERM/SIGINT, then finish the work in hand and exit 0. */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const values = commandFlags(ctx, RUN_OPTIONS);
  const config = await loadConfig(ctx.configFile);
  const log = new Logger(config.logLevel, { quiet: values.quiet });
  await log.openFile(`${config.dataDir}/sync.log`, config);
  // Before anything connects: a second run of this data_dir is refused even while PostgreSQL
  // is down. Released when the process ends.
  using _dataDirLock = await lockDataDir(config.dataDir).catch((err) => {
    log.error(errorMessage(err));
    log.close();
    throw err;
  });
  const controller = new AbortController();
  let giveUp: (err: Error) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => giveUp = reject);
  let giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (name: string) => () => {
    if (controller.signal.aborted) return;
    log.info(`${name} received: finishing the work in hand`);
    controller.abort();
    giveUpTimer = setTimeout(() => giveUp(stopTimedOut(name, config)), STOP_GRACE_MS);
  };
  const signals = [["SIGTERM", stop("SIGTERM")], ["SIGINT", stop("SIGINT")]] as const;
  for (const [signal, handler] of signals) Deno.addSignalListener(signal, handler);
  const stats = newStats();
  log.info(`mysql-gp-sync starting (config ${config.file}, data_dir ${config.dataDir})`);
  // Lag is measured on the server followed, which a failover changes.
  const probe = new SourceProbe(config, undefined, () => stats.sourceServer);
  const monitor = new SyncMonitor(config, stats, probe);
  const server = serveStatus(config, () => monitor.report(), log);
  const statsd = config.statsdHost ? new StatsdPusher(config, log) : null;
  const monitoring = repeat(MONITOR_INTERVAL_MS, controller.signal, async () => {
    monitor.tick();
    if (statsd) statsd.push(await monitor.report());
  });
  try {
    await Promise.race([replicate(config, log, controller.signal, stats), gaveUp]);
    const at = stats.appliedPosition ? ` at ${formatPosition(stats.appliedPosition)}` : "";
    log.info(`stopped${at}; ${stats.rowsApplied} row changes applied in this run`);
    return 0;
  } catch (err) {
    // sync.log is where operators look first; the CLI prints the same line to stderr.
    log.error(err instanceof UserError ? err.message : `unexpected error: ${errorMessage(err)}`);
    throw err;
  } finally {
    clearTimeout(giveUpTimer);
    controller.abort();
    const cleanup = (async () => {
      await monitoring;
      await server?.shutdown();
      await statsd?.close();
      await probe.close();
    })();
    await settledWithin(cleanup, CLEANUP_WAIT_MS);
    for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
    log.close();
  }
}

/** The one line of a stop that had to give up on the work in hand. */
function stopTimedOut(signal: string, config: Config): UserError {
  return new UserError(
    `the work in hand did not finish within ${STOP_GRACE_MS / 1000}s of ${signal} ` +
      `(PostgreSQL at ${config.pgHost}:${config.pgPort} not answering?); exiting without it: the ` +
      `next start resumes from the position committed with the data`,
    1,
  );
}

/** Calls `task` every `ms` until `signal` aborts; one call at a time, failures ignored. */
async function repeat(ms: number, signal: AbortSignal, task: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    await sleep(ms, signal);
    if (signal.aborted) break;
    await task().catch(() => {});
  }
}
