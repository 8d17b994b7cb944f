/**
 * Typing a command's own flags, which main has already checked against the command's options.
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UserError } from "../config/errors.ts";
import { errorMessage } from "../util/log.ts";
import type { CommandContext } from "./context.ts";

/**
 * The command's own flags from `ctx.args` (main has already checked them; this types them). A
 * command taking flags takes no positionals: a stray word is a usage error.
 */
export function commandFlags<T extends ParseArgsOptionsConfig>(
  ctx: CommandContext,
  options: T,
) {
  try {
    return parseArgs({ args: ctx.args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UserError(errorMessage(err));
  }
}
