/**
 * Pushing a running sync's numbers to statsd (`statsd_host`, `statsd_port`, `statsd_prefix`, as in
 * the seed).
 *
 * @module
 */
import StatsDClient, { type StatsD } from "hot-shots";
import type { Config } from "../config/config.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import type { StatusReport } from "./metrics.ts";

/**
 * Pushes a sync's numbers to statsd (`statsd_host`/`statsd_port`/`statsd_prefix`, as in the seed):
 * counters grow by what was applied since the previous push, gauges carry the latest lag. Plain
 * statsd has no tags, so the table is part of the name: `<prefix>.rows.<schema>.<table>`.
 */
export class StatsdPusher {
  #client: StatsD;
  #previous = new Map<string, number>();
  #warned = false;

  constructor(config: Config, private readonly log: Logger) {
    this.#client = new StatsDClient({
      host: config.statsdHost ?? undefined,
      port: config.statsdPort,
      prefix: config.statsdPrefix === "" ? "" : `${config.statsdPrefix}.`,
      errorHandler: (err) => this.#onError(err),
    });
  }

  /** Sends the counters' growth since the last push and the current gauges. */
  push(report: StatusReport): void {
    this.#count("rows_applied", report.rows_applied);
    this.#count("transactions_applied", report.transactions_applied);
    this.#count("batches_applied", report.batches_applied);
    this.#count("values_altered", report.values_altered);
    this.#count("reconnects", report.reconnects);
    for (const [table, rows] of Object.entries(report.tables ?? {})) {
      this.#count(`rows.${metricName(table)}`, rows);
    }
    for (const [table, ops] of Object.entries(report.table_changes ?? {})) {
      for (const op of ["insert", "update", "delete"] as const) {
        this.#count(`rows.${metricName(table)}.${op}`, ops[op]);
      }
    }
    this.#gauge("lag_seconds", report.lag_seconds);
    this.#gauge("lag_bytes", report.lag_bytes);
    this.#gauge("rows_per_second", report.rows_per_second);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#client.close(() => resolve()));
  }

  #count(name: string, total: number | null): void {
    if (total === null) return;
    const delta = total - (this.#previous.get(name) ?? 0);
    this.#previous.set(name, total);
    if (delta > 0) this.#client.increment(name, delta);
  }

  #gauge(name: string, value: number | null): void {
    if (value !== null) this.#client.gauge(name, value);
  }

  #onError(err: Error): void {
    // Every push would repeat it; once is enough to point at the setting.
    if (this.#warned) return;
    this.#warned = true;
    this.log.warn(`statsd push failed: ${errorMessage(err)} (check statsd_host/statsd_port)`);
  }
}

/** `schema.table` as statsd name parts: characters statsd gives meaning to (`:|@`) become `_`. */
export function metricName(table: string): string {
  return table.split(".").map((part) => part.replace(/[^A-Za-z0-9_-]/g, "_")).join(".");
}
