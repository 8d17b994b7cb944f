/**
 * `mysql-gp-sync verify`: its flags, report and exit code; the comparison itself is src/verify/.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { UserError } from "../config/errors.ts";
import { parseTableList } from "../tables/followed.ts";
import { reportJson, reportLines } from "../verify/report.ts";
import { DEFAULT_VERIFY_OPTIONS, verify } from "../verify/verify.ts";
import { type CommandContext, openConfig } from "./context.ts";
import { commandFlags } from "./flags.ts";

/** Flags of `verify` besides the global ones. */
export const VERIFY_OPTIONS = {
  repair: { type: "boolean", default: false },
  tables: { type: "string" },
  "chunk-rows": { type: "string" },
  wait: { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

/**
 * `verify [--repair] [--tables s.t,...] [--chunk-rows N] [--wait SECONDS]`: compares every
 * followed table with its target, row by row, while the sync may be running. Exit 0 when the
 * target equals the source (or every difference was repaired), 1 when it differs.
 */
export async function verifyCommand(ctx: CommandContext): Promise<number> {
  const flags = commandFlags(ctx, VERIFY_OPTIONS);
  const options = {
    ...DEFAULT_VERIFY_OPTIONS,
    repair: flags.repair,
    tables: parseTableList(flags.tables),
    chunkRows: positive("--chunk-rows", flags["chunk-rows"], DEFAULT_VERIFY_OPTIONS.chunkRows),
    waitMs: positive("--wait", flags.wait, DEFAULT_VERIFY_OPTIONS.waitMs / 1000) * 1000,
  };
  const { config, log } = await openConfig(ctx, { logFile: options.repair });
  try {
    const report = await verify(config, options, log);
    if (ctx.json) ctx.out(reportJson(report));
    else for (const line of reportLines(report)) ctx.out(line);
    return report.equal || report.repaired ? 0 : 1;
  } finally {
    log.close();
  }
}

/** A flag holding a positive whole number, or `fallback` when absent. */
export function positive(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new UserError(`${flag}: expected a positive whole number, got ${JSON.stringify(text)}`);
  }
  return n;
}
