import { formatPosition } from "../offsets/position.ts";
import { newStats, replicate } from "../pipeline/replicator.ts";
import { type CommandContext, openConfig } from "./context.ts";

/** `run`: follow the binlog until SIGTERM/SIGINT, then finish the work in hand and exit 0. */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const { config, log } = await openConfig(ctx, { logFile: true });
  const controller = new AbortController();
  const stop = (name: string) => () => {
    if (controller.signal.aborted) return;
    log.info(`${name} received: finishing the work in hand`);
    controller.abort();
  };
  const signals = [["SIGTERM", stop("SIGTERM")], ["SIGINT", stop("SIGINT")]] as const;
  for (const [signal, handler] of signals) Deno.addSignalListener(signal, handler);
  const stats = newStats();
  log.info(`mysql-gp-sync starting (config ${config.file}, data_dir ${config.dataDir})`);
  try {
    await replicate(config, log, controller.signal, stats);
    const at = stats.appliedPosition ? ` at ${formatPosition(stats.appliedPosition)}` : "";
    log.info(`stopped${at}; ${stats.rowsApplied} row changes applied in this run`);
    return 0;
  } finally {
    for (const [signal, handler] of signals) Deno.removeSignalListener(signal, handler);
    log.close();
  }
}
