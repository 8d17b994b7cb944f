/**
 * `mysql-gp-sync status`: the running sync's report over HTTP or, when none answers, one built from
 * the saved position, the source and sync.log.
 *
 * @module
 */
import { type Config, loadConfig } from "../config/config.ts";
import { errorMessage } from "../util/log.ts";
import { buildReport, type StatusReport } from "../observe/metrics.ts";
import { SourceProbe } from "../observe/source_probe.ts";
import { authority } from "../observe/status_server.ts";
import { readMasterInfo } from "../offsets/master_info.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget } from "../sink/postgres.ts";
import type { CommandContext } from "./context.ts";

/** How long to wait for a running sync to answer before reading the saved state instead. */
const ASK_TIMEOUT_MS = 5_000;

/**
 * `status`: the running sync's numbers (asked over HTTP on status_addr); when nothing answers, the
 * position saved in PostgreSQL compared with the source, and the newest ERROR line of sync.log.
 */
export async function statusCommand(ctx: CommandContext): Promise<number> {
  const config = await loadConfig(ctx.configFile);
  const asked = await askRunning(config);
  const report = asked.report ?? await savedStatus(config);
  if (ctx.json) {
    ctx.out(JSON.stringify(asked.report ? report : { ...report, note: asked.note }));
  } else {
    for (const line of formatReport(report, asked.note)) ctx.out(line);
  }
  return 0;
}

/** The running sync's report, or a note saying why there is none. */
async function askRunning(config: Config): Promise<{ report: StatusReport | null; note: string }> {
  if (!config.statusAddr) {
    return {
      report: null,
      note: `status_addr = "off" in ${config.file}, so a running sync cannot be asked`,
    };
  }
  const where = authority(config.statusAddr);
  let response: Response;
  try {
    response = await fetch(`http://${where}/status`, {
      signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
    });
  } catch (err) {
    const reason = err instanceof DOMException && err.name === "TimeoutError"
      ? "no answer"
      : "nothing listening";
    return { report: null, note: `not running (${reason} on ${where}: ${errorMessage(err)})` };
  }
  const report = response.ok
    ? await response.json().catch(() => null) as StatusReport | null
    : await response.body?.cancel().then(() => null) ?? null;
  if (typeof report?.sync_id !== "string") {
    return {
      report: null,
      note:
        `something else answers on ${where} (HTTP ${response.status}, not a mysql-gp-sync status)`,
    };
  }
  if (report.sync_id !== config.syncId) {
    return {
      report: null,
      note:
        `${where} is another sync (sync_id ${report.sync_id}, this config's is ${config.syncId})`,
    };
  }
  return { report, note: "" };
}

/** Status from what a sync leaves behind: its saved position, the source, and sync.log. */
async function savedStatus(config: Config): Promise<StatusReport> {
  const store = new PositionStore(config.positionSchema, config.syncId);
  const sql = await connectTarget(config).catch(() => null);
  const stored = sql ? await store.read(sql).catch(() => null).finally(() => sql.end()) : null;
  const masterInfo = stored ? null : await readMasterInfo(config.dataDir).catch(() => null);
  const applied = stored ?? masterInfo;
  const probe = new SourceProbe(config);
  const source = await probe.read(applied).finally(() => probe.close());
  return buildReport({
    syncId: config.syncId,
    running: false,
    pid: null,
    startedAt: null,
    positionFrom: stored ? "postgresql" : masterInfo ? "master.info" : null,
    applied,
    appliedAt: stored?.updatedAt.getTime() ?? null,
    appliedSourceTime: null,
    source,
    rowsPerSecond: null,
    stats: null,
    lastError: await lastLoggedError(`${config.dataDir}/sync.log`),
  });
}

/** The newest ERROR line in the last part of the log, without its timestamp. */
async function lastLoggedError(path: string): Promise<string | null> {
  const TAIL_BYTES = 256 * 1024;
  let text: string;
  try {
    using file = await Deno.open(path);
    const size = (await file.stat()).size;
    await file.seek(Math.max(0, size - TAIL_BYTES), Deno.SeekMode.Start);
    const buffer = new Uint8Array(Math.min(size, TAIL_BYTES));
    let read = 0;
    while (read < buffer.length) {
      const n = await file.read(buffer.subarray(read));
      if (n === null) break;
      read += n;
    }
    text = new TextDecoder().decode(buffer.subarray(0, read));
  } catch {
    return null;
  }
  const line = text.split("\n").reverse().find((l) => l.includes(" [ERROR] "));
  return line ? line.slice(line.indexOf(" [ERROR] ") + 9) : null;
}

/** Human-readable lines of a report. */
export function formatReport(report: StatusReport, note: string): string[] {
  const position = (p: StatusReport["applied_position"]) =>
    p ? `${p.bin_name}:${p.bin_pos}` : "none";
  const lines: string[] = [];
  if (report.running) {
    lines.push(`sync ${report.sync_id}: running, pid ${report.pid}, since ${report.started_at}`);
  } else {
    const from = report.position_from === "postgresql"
      ? "the position saved in PostgreSQL"
      : report.position_from === "master.info"
      ? "master.info (PostgreSQL could not be read)"
      : "no saved position";
    lines.push(`sync ${report.sync_id}: ${note}; showing ${from}`);
  }
  const appliedAt = report.applied_at ? ` (committed ${report.applied_at})` : "";
  lines.push(`applied position: ${position(report.applied_position)}${appliedAt}`);
  lines.push(
    `source position:  ${position(report.source_position)}${
      report.source_error ? ` (${report.source_error})` : ""
    }`,
  );
  const seconds = report.lag_seconds === null ? "unknown" : `${report.lag_seconds} s`;
  const bytes = report.lag_bytes === null ? "unknown" : `${report.lag_bytes} bytes`;
  lines.push(`lag:              ${seconds}, ${bytes}`);
  if (report.running) {
    lines.push(
      `read position:    ${position(report.read_position)} (source last heard ${
        report.source_seen_at ?? "never"
      }; ${report.reconnects} reconnect(s))`,
      `rows per second:  ${report.rows_per_second ?? "not measured yet"}`,
      `applied:          ${report.rows_applied} row changes in ${report.transactions_applied} ` +
        `transactions, ${report.batches_applied} batches (this run)`,
    );
    const tables = Object.entries(report.tables ?? {});
    if (tables.length > 0) {
      const width = Math.max(...tables.map(([name]) => name.length));
      lines.push("rows per table:");
      for (const [name, rows] of tables) lines.push(`  ${name.padEnd(width)}  ${rows}`);
    }
  }
  lines.push(`last error:       ${report.last_error ?? "none"}`);
  return lines;
}
