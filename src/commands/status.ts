/**
 * `mysql-gp-sync status [--watch]`: the running sync's report over HTTP or, when none answers, one
 * built from the saved position, the source and sync.log; once, or refreshed until Ctrl-C.
 *
 * @module
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { type Config, loadConfig } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { errorMessage } from "../util/log.ts";
import { countedList } from "../util/short_list.ts";
import { buildReport, type StatusReport } from "../observe/metrics.ts";
import { SourceProbe } from "../observe/source_probe.ts";
import type { TableDdl } from "../observe/stats.ts";
import { authority } from "../observe/status_server.ts";
import { readMasterInfo } from "../offsets/master_info.ts";
import { PositionStore } from "../sink/position_store.ts";
import { DdlStore } from "../sink/ddl_store.ts";
import { connectTarget, type Sql } from "../sink/postgres.ts";
import type { CommandContext } from "./context.ts";
import { commandFlags } from "./flags.ts";
import { watchStatus } from "./status_watch.ts";
import { positive } from "./verify.ts";

/** How long to wait for a running sync to answer before reading the saved state instead. */
const ASK_TIMEOUT_MS = 5_000;

/** Flags of `status` besides the global ones. */
export const STATUS_OPTIONS = {
  watch: { type: "boolean", default: false },
  interval: { type: "string" },
} as const satisfies ParseArgsOptionsConfig;

/** Seconds between refreshes of `status --watch` unless --interval says otherwise. */
const DEFAULT_WATCH_INTERVAL_S = 2;

/**
 * `status`: the running sync's numbers (asked over HTTP on status_addr); when nothing answers, the
 * position saved in PostgreSQL compared with the source, and the newest ERROR line of sync.log.
 * With --watch, again every --interval seconds until Ctrl-C.
 */
export async function statusCommand(ctx: CommandContext): Promise<number> {
  const flags = commandFlags(ctx, STATUS_OPTIONS);
  const config = await loadConfig(ctx.configFile);
  if (flags.watch) {
    const seconds = positive("--interval", flags.interval, DEFAULT_WATCH_INTERVAL_S);
    await watch(ctx, config, seconds * 1000);
    return 0;
  }
  if (flags.interval !== undefined) {
    throw new UserError(
      "--interval sets how often --watch refreshes: add --watch, or drop --interval",
    );
  }
  const { report, note } = await currentStatus(config);
  if (ctx.json) {
    ctx.out(JSON.stringify(note ? { ...report, note } : report));
  } else {
    for (const line of formatReport(report, note)) ctx.out(line);
  }
  return 0;
}

/** `status --watch` until SIGINT (Ctrl-C) or SIGTERM. */
async function watch(ctx: CommandContext, config: Config, intervalMs: number): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await watchStatus({
      read: async () => ({ ...await currentStatus(config), at: Date.now() }),
      format: formatReport,
      out: ctx.out,
      intervalMs,
      terminal: Deno.stdout.isTerminal(),
      json: ctx.json,
      signal: controller.signal,
      columns: terminalColumns,
    });
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

/** Width of the terminal on stdout; 0 when unknown. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 0;
  }
}

/** The running sync's report or, when none answers, the saved one and a note saying why. */
async function currentStatus(config: Config): Promise<{ report: StatusReport; note: string }> {
  const asked = await askRunning(config);
  return { report: asked.report ?? await savedStatus(config), note: asked.note };
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
  const stored = sql ? await store.read(sql).catch(() => null) : null;
  const ddl = sql ? await lastDdl(sql, config).catch(() => null).finally(() => sql.end()) : null;
  const masterInfo = stored ? null : await readMasterInfo(config.dataDir).catch(() => null);
  const applied = stored ?? masterInfo;
  const probe = new SourceProbe(config, undefined, () => stored?.server ?? null);
  const source = await probe.read(applied).finally(() => probe.close());
  return buildReport({
    syncId: config.syncId,
    running: false,
    pid: null,
    startedAt: null,
    positionFrom: stored ? "postgresql" : masterInfo ? "master.info" : null,
    applied,
    appliedGtidState: stored?.gtidState ?? null,
    sourceServer: stored?.server ?? null,
    appliedAt: stored?.updatedAt.getTime() ?? null,
    appliedSourceTime: null,
    source,
    rowsPerSecond: null,
    stats: null,
    lastError: await lastLoggedError(`${config.dataDir}/sync.log`),
    ddl,
  });
}

/** The last DDL applied to each table, as stored in PostgreSQL. */
async function lastDdl(sql: Sql, config: Config): Promise<Map<string, TableDdl>> {
  const stored = await new DdlStore(config.positionSchema, config.syncId).lastApplied(sql);
  return new Map(stored.map((entry) => [entry.table, {
    position: entry.position,
    statement: entry.statement,
    outcome: entry.outcome,
    appliedAt: entry.appliedAt.getTime(),
  }]));
}

/**
 * The newest ERROR line in the last part of the log, without its timestamp; the newest rotated log
 * is read too when sync.log has none (it may just have been rotated).
 */
async function lastLoggedError(path: string): Promise<string | null> {
  for (const file of [path, `${path}.1`]) {
    const line = (await logTail(file)).split("\n").reverse().find((l) => l.includes(" [ERROR] "));
    if (line) return line.slice(line.indexOf(" [ERROR] ") + 9);
  }
  return null;
}

/** The last 256 kB of a file; empty when it cannot be read. */
async function logTail(path: string): Promise<string> {
  const TAIL_BYTES = 256 * 1024;
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
    return new TextDecoder().decode(buffer.subarray(0, read));
  } catch {
    return "";
  }
}

/** `text` on one line, cut to `width` characters. */
function oneLine(text: string, width: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > width ? `${flat.slice(0, width - 3)}...` : flat;
}

/** The error being retried, with its time, or the newest one recovered from. */
function lastErrorText(report: StatusReport): string {
  if (report.last_error !== null) {
    return report.last_error_at
      ? `${report.last_error} (at ${report.last_error_at}; retrying)`
      : report.last_error;
  }
  if (report.previous_error === null) return "none";
  return `none since ${report.recovered_at} (recovered from: ${report.previous_error}, at ` +
    `${report.last_error_at})`;
}

/** The GTID state applied, for people: it may be empty, or not known. */
function gtidStateText(state: string | null): string {
  if (state === null) return "not known (positions by file and offset only)";
  return state === "" ? "none yet (empty GTID state)" : state;
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
  lines.push(`applied GTIDs:    ${gtidStateText(report.applied_gtid_state)}`);
  lines.push(`source server:    ${report.source_server ?? "not recorded"}`);
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
    if (report.followed_tables) {
      lines.push(`following:        ${countedList(report.followed_tables.toSorted())}`);
    }
    const tables = Object.entries(report.tables ?? {});
    if (tables.length > 0) {
      const width = Math.max(...tables.map(([name]) => name.length));
      lines.push("rows per table:");
      for (const [name, rows] of tables) lines.push(`  ${name.padEnd(width)}  ${rows}`);
    }
  }
  const ddl = Object.entries(report.ddl ?? {});
  if (ddl.length > 0) {
    lines.push("last DDL per table:");
    for (const [table, last] of ddl) {
      lines.push(
        `  ${table}: ${last.bin_name}:${last.bin_pos} ${oneLine(last.statement, 80)} -> ` +
          last.outcome,
      );
    }
  }
  lines.push(`last error:       ${lastErrorText(report)}`);
  return lines;
}
