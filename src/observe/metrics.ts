/**
 * The numbers of a sync as users see them: one report shape for `status`, GET /status, GET /metrics
 * (Prometheus text, prometheus.ts) and statsd, built from a running sync's SyncStats or, when
 * nothing runs, from the position saved in PostgreSQL.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { OpCounts, SyncStats, TableDdl } from "./stats.ts";
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
  /** GTID state of everything applied; null when not known. */
  applied_gtid_state: string | null;
  /** `host:port` of the server followed (the one `applied_position` is on). */
  source_server: string | null;
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
  /** The source tables (`schema.table`) the running sync follows now, patterns resolved. */
  followed_tables: string[] | null;
  /** Source row changes applied per table in this run, by kind. */
  table_changes: Record<string, OpCounts> | null;
  /** The last DDL statement applied to each source table (`schema.table`). */
  ddl: Record<string, ReportDdl> | null;
  /** Connection losses the running sync recovered from. */
  reconnects: number | null;
  /** The error the sync is retrying after; null once a batch has gone through since. */
  last_error: string | null;
  /** When the newest error happened, recovered from or not (running sync only). */
  last_error_at: string | null;
  /** The newest error recovered from, and when a batch first went through after it. */
  previous_error: string | null;
  recovered_at: string | null;
}

/** The last DDL statement applied to a table, and what it did to the target. */
export interface ReportDdl {
  /** Where the statement ends. */
  bin_name: string;
  bin_pos: number;
  statement: string;
  outcome: string;
  applied_at: string | null;
}

/** What a report is built from; the counters are absent when no sync process answered. */
export interface ReportInput {
  syncId: string;
  running: boolean;
  pid: number | null;
  startedAt: number | null;
  positionFrom: StatusReport["position_from"];
  applied: BinlogPosition | null;
  /** GTID state applied (text); absent or null when not known. */
  appliedGtidState?: string | null;
  /** Server followed; absent or null when not known. */
  sourceServer?: string | null;
  appliedAt: number | null;
  appliedSourceTime: number | null;
  source: SourceSnapshot | null;
  rowsPerSecond: number | null;
  stats: SyncStats | null;
  lastError: string | null;
  /** The last DDL per table as stored in PostgreSQL, when no sync process answered. */
  ddl?: ReadonlyMap<string, TableDdl> | null;
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
    applied_gtid_state: input.appliedGtidState ?? null,
    source_server: input.sourceServer ?? null,
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
    followed_tables: stats ? [...stats.followed] : null,
    table_changes: stats ? Object.fromEntries(stats.perTableOps) : null,
    ddl: reportDdl(stats?.lastDdl ?? input.ddl ?? null),
    reconnects: stats?.reconnects ?? null,
    last_error: input.lastError,
    last_error_at: iso(stats?.lastErrorAt ?? null),
    previous_error: stats?.previousError ?? null,
    recovered_at: iso(stats?.recoveredAt ?? null),
  };
}

function reportDdl(ddl: ReadonlyMap<string, TableDdl> | null): Record<string, ReportDdl> | null {
  if (ddl === null) return null;
  return Object.fromEntries(
    [...ddl].map(([table, last]) => [table, {
      bin_name: last.position.file,
      bin_pos: last.position.pos,
      statement: last.statement,
      outcome: last.outcome,
      applied_at: iso(last.appliedAt),
    }]),
  );
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
      appliedGtidState: stats.appliedGtids?.toString() ?? null,
      sourceServer: stats.sourceServer,
      appliedAt: stats.appliedAt || null,
      appliedSourceTime: stats.appliedSourceTime || null,
      source,
      rowsPerSecond: this.#rate.perSecond(),
      stats,
      lastError: stats.lastError,
    });
  }
}
