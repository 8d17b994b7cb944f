/**
 * `mysql-gp-sync snapshot`: its flags and its report; the load itself is src/snapshot/.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { parseTableList } from "../tables/followed.ts";
import { formatPosition } from "../offsets/position.ts";
import { DEFAULT_SNAPSHOT_OPTIONS, snapshot } from "../snapshot/snapshot.ts";
import { type CommandContext, openConfig } from "./context.ts";
import { commandFlags } from "./flags.ts";
import { positive } from "./verify.ts";

/** Flags of `snapshot` besides the global ones. */
export const SNAPSHOT_OPTIONS = {
  truncate: { type: "boolean", default: false },
  tables: { type: "string" },
  "chunk-rows": { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

/**
 * `snapshot [--truncate] [--tables s.t,...] [--chunk-rows N]`: loads the followed tables from a
 * consistent read of the running source and sets the position `run` continues from.
 */
export async function snapshotCommand(ctx: CommandContext): Promise<number> {
  const flags = commandFlags(ctx, SNAPSHOT_OPTIONS);
  const options = {
    truncate: flags.truncate,
    tables: parseTableList(flags.tables),
    chunkRows: positive("--chunk-rows", flags["chunk-rows"], DEFAULT_SNAPSHOT_OPTIONS.chunkRows),
  };
  const { config, log } = await openConfig(ctx, { logFile: true });
  try {
    const report = await snapshot(config, options, log);
    const rows = report.tables.reduce((n, t) => n + t.rows, 0);
    const rate = Math.round(rows / Math.max(report.seconds, 0.001));
    if (ctx.json) {
      ctx.out(JSON.stringify({
        bin_name: report.position.file,
        bin_pos: report.position.pos,
        snapshot_position: formatPosition(report.snapshotPosition),
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
        })),
      }));
    } else {
      for (const t of report.tables) {
        const notes = [t.created ? "created" : "", t.truncated ? "emptied first" : ""]
          .filter((note) => note !== "");
        ctx.out(
          `${t.source} -> ${t.target}: ${t.rows} rows in ${t.seconds.toFixed(1)} s (${
            Math.round(t.rows / Math.max(t.seconds, 0.001))
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
