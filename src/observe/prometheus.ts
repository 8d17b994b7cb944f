/**
 * GET /metrics: a running sync's report as Prometheus text (exposition format 0.0.4). Names follow
 * Prometheus' conventions: `mysql_gp_sync_` prefix, base units in the name (`_seconds`, `_bytes`),
 * counters ending in `_total`, the table and the kind of change as labels. deploy/ holds a Grafana
 * dashboard and alert rules built on these names; a test checks that they use only names exported
 * here, so rename with care (README lists the renames made so far).
 *
 * @module
 */
import type { ReportPosition, StatusReport } from "./metrics.ts";

type Labels = Record<string, string>;
type Sample = [labels: Labels, value: number | null];

/** Kinds of source row change, the values of the `operation` label. */
const OPERATIONS = ["insert", "update", "delete"] as const;

/** Prometheus text of a report; a metric whose value is unknown (null) is left out. */
export function prometheusText(report: StatusReport): string {
  const lines: string[] = [];
  const metric = (name: string, type: "counter" | "gauge", help: string, samples: Sample[]) => {
    const known = samples.filter(([, value]) => value !== null);
    if (known.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of known) lines.push(`${name}${labelText(labels)} ${value}`);
  };
  const sync = { sync_id: report.sync_id };
  const one = (value: number | null): Sample[] => [[sync, value]];
  metric("mysql_gp_sync_up", "gauge", "1 while the sync process runs.", one(1));
  metric(
    "mysql_gp_sync_start_time_seconds",
    "gauge",
    "When the sync process started, in seconds since the epoch.",
    one(seconds(report.started_at)),
  );
  metric(
    "mysql_gp_sync_followed_tables",
    "gauge",
    "Source tables the sync follows now (table patterns resolved, tables created since included).",
    one(report.followed_tables?.length ?? null),
  );
  metric(
    "mysql_gp_sync_rows_applied_total",
    "counter",
    "Source row changes applied to PostgreSQL by this process.",
    one(report.rows_applied),
  );
  metric(
    "mysql_gp_sync_table_rows_applied_total",
    "counter",
    "Rows written per source table by this process (the final state per key of each batch).",
    Object.entries(report.tables ?? {}).map(([table, rows]) => [{ ...sync, table }, rows]),
  );
  metric(
    "mysql_gp_sync_table_changes_applied_total",
    "counter",
    "Source row changes applied per table and operation (insert, update, delete).",
    Object.entries(report.table_changes ?? {}).flatMap(([table, counts]) =>
      OPERATIONS.map((operation): Sample => [{ ...sync, table, operation }, counts[operation]])
    ),
  );
  metric(
    "mysql_gp_sync_transactions_applied_total",
    "counter",
    "Source transactions applied.",
    one(report.transactions_applied),
  );
  metric(
    "mysql_gp_sync_batches_applied_total",
    "counter",
    "Batches committed to PostgreSQL.",
    one(report.batches_applied),
  );
  metric(
    "mysql_gp_sync_values_altered_total",
    "counter",
    "Values changed to fit PostgreSQL (zero dates to NULL, NUL bytes removed).",
    one(report.values_altered),
  );
  metric(
    "mysql_gp_sync_reconnects_total",
    "counter",
    "Times the sync started over from the last applied position after an error (a lost " +
      "connection to either side, a failed batch).",
    one(report.reconnects),
  );
  metric(
    "mysql_gp_sync_failing",
    "gauge",
    "1 while the sync retries after an error and no batch has gone through since, else 0.",
    one(report.last_error === null ? 0 : 1),
  );
  metric(
    "mysql_gp_sync_last_error_timestamp_seconds",
    "gauge",
    "When the newest error of this process happened (recovered from or not), in seconds since " +
      "the epoch.",
    one(seconds(report.last_error_at)),
  );
  metric(
    "mysql_gp_sync_lag_seconds",
    "gauge",
    "How far the applied position is behind the source, in seconds (0 when caught up).",
    one(report.lag_seconds),
  );
  metric(
    "mysql_gp_sync_lag_bytes",
    "gauge",
    "Binlog bytes written by the source and not yet applied.",
    one(report.lag_bytes),
  );
  const positions: [string, ReportPosition | null, string][] = [
    ["applied", report.applied_position, "applied"],
    ["read", report.read_position, "read from the binlog, possibly not yet applied"],
    ["source", report.source_position, "the source writes next"],
  ];
  for (const [what, position, meaning] of positions) {
    metric(
      `mysql_gp_sync_${what}_position_bytes`,
      "gauge",
      `Binlog offset ${meaning}, in bytes into the file named by label bin_name.`,
      [[{ ...sync, bin_name: position?.bin_name ?? "" }, position?.bin_pos ?? null]],
    );
  }
  return lines.join("\n") + "\n";
}

function seconds(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso) / 1000;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) =>
    `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}
