/**
 * What main hands every command (its arguments, `--json`, where results go) and the config and
 * logger most commands open first.
 *
 * @module
 */
import { type Config, loadConfig } from "../config/config.ts";
import { Logger } from "../util/log.ts";

/** What every command receives: parsed flags and a way to load the config they name. */
export interface CommandContext {
  /** Path given with --config, or the default. */
  configFile: string;
  /** Arguments after the command name, without the global flags. */
  args: string[];
  /** `--json` was given. */
  json: boolean;
  /** Text for the user (results); logs go to stderr. */
  out: (line: string) => void;
}

/** Loads the config and a logger that writes to stderr and `data_dir/sync.log`. */
export async function openConfig(
  ctx: CommandContext,
  options: { logFile?: boolean } = {},
): Promise<{ config: Config; log: Logger }> {
  const config = await loadConfig(ctx.configFile);
  const log = new Logger(config.logLevel);
  if (options.logFile) await log.openFile(`${config.dataDir}/sync.log`, config);
  return { config, log };
}
