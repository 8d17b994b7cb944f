/**
 * The numbers of a sync as users see them: one report shape for `status`, GET /status, GET /metrics
 * (Prometheus text) and statsd, built from a running sync's SyncStats or, when nothing runs, from
 * the position saved in PostgreSQL.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { OpCounts, SyncStats } from "./stats.ts";
import type { SourceProbe, SourceSnapshot } from "./source_probe.ts";

/** A binlog position as the seed's master.info names its parts. */
export interface ReportPosition {
  bin_name: string;
  bin_pos: number;
}

/** The status of one sync; JSON of GET /status and `status --json`. */
export interface StatusReport {
  sync_id: string;
  /** A `run` process answered (false: figures from PostgreSQL / master.info and the source). */
  running: boolean;
  pid: number | null;
  started_at: string | null;
  /** Where `applied_position` comes from. */
  position_from: "process" | "postgresql" | "master.info" | null;
  applied_position: ReportPosition | null;
  /** When the applied position was committed to PostgreSQL. */
  applied_at: string | null;
  /** Source commit time of the newest applied transaction (known only to a running sync). */
  applied_source_time: string | null;
  source_position: ReportPosition | null;
  /** Newest position read from the binlog, possibly ahead of the applied one (running sync only). */
  read_position: ReportPosition | null;
  /** Last time anything (a heartbeat included) came from the source (running sync only). */
  source_seen_at: string | null;
  /** Why the source position is unknown. */
  source_error: string | null;
  /** 0 when caught up; while behind, the age of the newest applied source transaction. */
  lag_seconds: number | null;
  lag_bytes: number | null;
  /** Row changes applied per second over the last few seconds (running sync only). */
  rows_per_second: number | null;
  rows_applied: number | null;
  transactions_applied: number | null;
  batches_applied: number | null;
  /** Values changed to fit PostgreSQL (zero dates, NUL bytes). */
  values_altered: number | null;
  /** Rows applied per source table (`schema.table`) in this run. */
  tables: Record<string, number> | null;
  /** Source row changes applied per table in this run, by kind. */
  table_changes: Record<string, OpCounts> | null;
  /** Connection losses the running sync recovered from. */
  reconnects: number | null;
  last_error: string | null;
}

/** What a report is built from; the counters are absent when no sync process answered. */
export interface ReportInput {
  syncId: string;
  running: boolean;
  pid: number | null;
  startedAt: number | null;
  positionFrom: StatusReport["position_from"];
  applied: BinlogPosition | null;
  appliedAt: number | null;
  appliedSourceTime: number | null;
  source: SourceSnapshot | null;
  rowsPerSecond: number | null;
  stats: SyncStats | null;
  lastError: string | null;
}

/** Builds the report; `now` is a parameter so lag can be computed deterministically. */
export function buildReport(input: ReportInput, now = Date.now()): StatusReport {
  const { stats, source } = input;
  const lagBytes = source?.lagBytes ?? null;
  let lagSeconds: number | null = null;
  if (lagBytes === 0) lagSeconds = 0;
  else if (lagBytes !== null && input.appliedSourceTime) {
    lagSeconds = round(Math.max(0, now - input.appliedSourceTime) / 1000, 3);
  }
  return {
    sync_id: input.syncId,
    running: input.running,
    pid: input.pid,
    started_at: iso(input.startedAt),
    position_from: input.positionFrom,
    applied_position: reportPosition(input.applied),
    applied_at: iso(input.appliedAt),
    applied_source_time: iso(input.appliedSourceTime),
    source_position: reportPosition(source?.head ?? null),
    read_position: reportPosition(stats?.readPosition ?? null),
    source_seen_at: iso(stats?.sourceAliveAt ?? null),
    source_error: source?.error ?? null,
    lag_seconds: lagSeconds,
    lag_bytes: lagBytes,
    rows_per_second: input.rowsPerSecond === null ? null : round(input.rowsPerSecond, 1),
    rows_applied: stats?.rowsApplied ?? null,
    transactions_applied: stats?.transactionsApplied ?? null,
    batches_applied: stats?.batchesApplied ?? null,
    values_altered: stats?.valuesAltered ?? null,
    tables: stats ? Object.fromEntries(stats.perTable) : null,
    table_changes: stats ? Object.fromEntries(stats.perTableOps) : null,
    reconnects: stats?.reconnects ?? null,
    last_error: input.lastError,
  };
}

function reportPosition(position: BinlogPosition | null): ReportPosition | null {
  return position ? { bin_name: position.file, bin_pos: position.pos } : null;
}

function iso(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Rate of a growing counter over a sliding window of samples. */
export class RateWindow {
  #samples: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  add(at: number, value: number): void {
    this.#samples.push({ at, value });
    // Keep one sample at or before the window start so the rate spans the whole window.
    while (this.#samples.length > 2 && this.#samples[1].at <= at - this.windowMs) {
      this.#samples.shift();
    }
  }

  /** Per second; null until two samples at different times exist. */
  perSecond(): number | null {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || last.at <= first.at) return null;
    return ((last.value - first.value) * 1000) / (last.at - first.at);
  }
}

/** A running sync's live view: its counters, its rate and the source's position. */
export class SyncMonitor {
  readonly startedAt = Date.now();
  #rate = new RateWindow();

  constructor(
    private readonly config: Config,
    private readonly stats: SyncStats,
    private readonly probe: SourceProbe,
  ) {}

  /** Records a rate sample; call about once a second. */
  tick(now = Date.now()): void {
    this.#rate.add(now, this.stats.rowsApplied);
  }

  async report(): Promise<StatusReport> {
    const { stats } = this;
    const applied = stats.appliedPosition;
    const source = await this.probe.read(applied);
    return buildReport({
      syncId: this.config.syncId,
      running: true,
      pid: Deno.pid,
      startedAt: this.startedAt,
      positionFrom: applied ? "process" : null,
      applied,
      appliedAt: stats.appliedAt || null,
      appliedSourceTime: stats.appliedSourceTime || null,
      source,
      rowsPerSecond: this.#rate.perSecond(),
      stats,
      lastError: stats.lastError,
    });
  }
}

/** Prometheus text exposition (format 0.0.4) of a report. */
export function prometheusText(report: StatusReport): string {
  const lines: string[] = [];
  const metric = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    samples: [labels: Record<string, string>, value: number | null][],
  ) => {
    const known = samples.filter(([, value]) => value !== null);
    if (known.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of known) lines.push(`${name}${labelText(labels)} ${value}`);
  };
  const sync = { sync_id: report.sync_id };
  metric("mysql_gp_sync_up", "gauge", "1 while the sync process runs.", [[sync, 1]]);
  metric("mysql_gp_sync_start_time_seconds", "gauge", "When the sync process started.", [
    [sync, report.started_at === null ? null : Date.parse(report.started_at) / 1000],
  ]);
  metric(
    "mysql_gp_sync_rows_applied_total",
    "counter",
    "Row changes applied to PostgreSQL by this process.",
    [[sync, report.rows_applied]],
  );
  metric(
    "mysql_gp_sync_table_rows_applied_total",
    "counter",
    "Rows applied per source table by this process.",
    Object.entries(report.tables ?? {}).map(([table, rows]) => [{ ...sync, table }, rows]),
  );
  metric(
    "mysql_gp_sync_table_changes_applied_total",
    "counter",
    "Source row changes applied per table and operation by this process.",
    Object.entries(report.table_changes ?? {}).flatMap(([table, ops]) =>
      (["insert", "update", "delete"] as const).map((op) =>
        [{ ...sync, table, op }, ops[op]] as [Record<string, string>, number]
      )
    ),
  );
  metric(
    "mysql_gp_sync_transactions_applied_total",
    "counter",
    "Source transactions applied.",
    [[sync, report.transactions_applied]],
  );
  metric("mysql_gp_sync_batches_applied_total", "counter", "Batches committed to PostgreSQL.", [
    [sync, report.batches_applied],
  ]);
  metric(
    "mysql_gp_sync_values_altered_total",
    "counter",
    "Values changed to fit PostgreSQL (zero dates to NULL, NUL bytes removed).",
    [[sync, report.values_altered]],
  );
  metric(
    "mysql_gp_sync_reconnects_total",
    "counter",
    "Connection losses (either side) recovered from.",
    [[sync, report.reconnects]],
  );
  metric("mysql_gp_sync_rows_per_second", "gauge", "Row changes applied per second, recently.", [
    [sync, report.rows_per_second],
  ]);
  metric("mysql_gp_sync_lag_seconds", "gauge", "Seconds the applied position is behind.", [
    [sync, report.lag_seconds],
  ]);
  metric("mysql_gp_sync_lag_bytes", "gauge", "Binlog bytes not yet applied.", [
    [sync, report.lag_bytes],
  ]);
  const positions: [string, ReportPosition | null, string][] = [
    ["applied", report.applied_position, "Binlog offset applied (file in label bin_name)."],
    ["read", report.read_position, "Binlog offset read, possibly not yet applied."],
    ["source", report.source_position, "Binlog offset the source writes next."],
  ];
  for (const [what, position, help] of positions) {
    metric(`mysql_gp_sync_${what}_position`, "gauge", help, [
      [{ ...sync, bin_name: position?.bin_name ?? "" }, position?.bin_pos ?? null],
    ]);
  }
  metric("mysql_gp_sync_last_error", "gauge", "1 when the sync has hit an error in this run.", [
    [sync, report.last_error === null ? 0 : 1],
  ]);
  return lines.join("\n") + "\n";
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([key, value]) =>
    `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}
