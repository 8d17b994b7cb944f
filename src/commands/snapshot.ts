/**
 * `mysql-gp-sync snapshot`: its flags and its report; the load itself is src/snapshot/.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { loadConfig } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { parseTableList } from "../tables/followed.ts";
import { formatPosition } from "../offsets/position.ts";
import {
  BarLogger,
  LogProgressView,
  type ProgressView,
  TerminalProgressView,
} from "../snapshot/progress_view.ts";
import { DEFAULT_SNAPSHOT_OPTIONS, snapshot } from "../snapshot/snapshot.ts";
import { Logger } from "../util/log.ts";
import type { CommandContext } from "./context.ts";
import { commandFlags } from "./flags.ts";
import { positive } from "./verify.ts";

/** Flags of `snapshot` besides the global ones. */
export const SNAPSHOT_OPTIONS = {
  truncate: { type: "boolean", default: false },
  tables: { type: "string" },
  "chunk-rows": { type: "string" },
  "progress-seconds": { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

/** Seconds between progress lines when stderr is not a terminal (a pipe, a service's log). */
const PROGRESS_SECONDS = 5;

/**
 * `snapshot [--truncate] [--tables s.t,...] [--chunk-rows N] [--progress-seconds S]`: loads the
 * followed tables from consistent reads of the running source, continuing an interrupted
 * snapshot, and sets the position `run` continues from. Progress: bars on a terminal, else a log
 * line per table every S seconds.
 */
export async function snapshotCommand(ctx: CommandContext): Promise<number> {
  const flags = commandFlags(ctx, SNAPSHOT_OPTIONS);
  const everySeconds = seconds("--progress-seconds", flags["progress-seconds"], PROGRESS_SECONDS);
  const config = await loadConfig(ctx.configFile);
  let log: Logger;
  let progress: ProgressView;
  if (Deno.stderr.isTerminal()) {
    const bars = new TerminalProgressView();
    log = new BarLogger(config.logLevel, bars);
    progress = bars;
  } else {
    log = new Logger(config.logLevel);
    progress = new LogProgressView(log, everySeconds * 1000);
  }
  await log.openFile(`${config.dataDir}/sync.log`, config);
  const options = {
    truncate: flags.truncate,
    tables: parseTableList(flags.tables),
    chunkRows: positive("--chunk-rows", flags["chunk-rows"], DEFAULT_SNAPSHOT_OPTIONS.chunkRows),
    progress,
  };
  try {
    const report = await snapshot(config, options, log);
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    // Rates count the rows this run loaded, not those an interrupted one had
    const loaded = rows - report.tables.reduce((n, t) => n + t.resumedRows, 0);
    const rate = Math.round(loaded / Math.max(report.seconds, 0.001));
    if (ctx.json) {
      ctx.out(JSON.stringify({
        bin_name: report.position.file,
        bin_pos: report.position.pos,
        snapshot_position: formatPosition(report.snapshotPosition),
        consistent_from: formatPosition(report.consistentFrom),
        readers: report.readers,
        rows,
        seconds: Math.round(report.seconds * 1000) / 1000,
        rows_per_second: rate,
        tables: report.tables.map((t) => ({
          source: t.source,
          target: t.target,
          rows: t.rows,
          seconds: Math.round(t.seconds * 1000) / 1000,
          created: t.created,
          truncated: t.truncated,
          resumed_rows: t.resumedRows,
          chunks: t.chunks,
        })),
      }));
    } else {
      for (const t of report.tables) {
        const notes = [
          t.created ? "created" : "",
          t.truncated ? "emptied first" : "",
          t.resumedRows > 0 ? `continued after ${t.resumedRows} rows loaded before` : "",
        ].filter((note) => note !== "");
        ctx.out(
          `${t.source} -> ${t.target}: ${t.rows} rows in ${t.seconds.toFixed(1)} s (${
            Math.round((t.rows - t.resumedRows) / Math.max(t.seconds, 0.001))
          } rows/s)${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`,
        );
      }
      ctx.out(
        `loaded ${rows} rows from ${report.tables.length} tables in ${
          report.seconds.toFixed(1)
        } s (${rate} rows/s); position set to ${formatPosition(report.position)}`,
      );
    }
    return 0;
  } finally {
    log.close();
  }
}

/** A flag's positive number of seconds (fractions allowed), or `fallback` when absent. */
function seconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new UserError(
      `${flag}: expected a positive number of seconds, got ${JSON.stringify(text)}`,
    );
  }
  return n;
}
