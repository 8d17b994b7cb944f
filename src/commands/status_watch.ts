/**
 * `status --watch`: the status again and again until Ctrl-C. On a terminal the screen is redrawn in
 * place, with the changes per second of each table; elsewhere (a pipe, a file) each refresh is one
 * line, and with --json one JSON object per line.
 *
 * @module
 */
import type { OpCounts } from "../observe/stats.ts";
import type { ReportPosition, StatusReport } from "../observe/metrics.ts";
import { sleep } from "../util/sleep.ts";

/** One look at the sync: its report, why no process answered (empty if one did), and when. */
export interface StatusSample {
  report: StatusReport;
  note: string;
  /** ms since the epoch. */
  at: number;
}

/** Source row changes per second of one table, by kind. */
export type TableRates = Record<string, OpCounts>;

export interface WatchOptions {
  /** Takes one sample; never throws for a sync that is down (the report says so). */
  read: () => Promise<StatusSample>;
  /** The lines `status` prints for a report. */
  format: (report: StatusReport, note: string) => string[];
  /** Prints a text followed by a newline. */
  out: (text: string) => void;
  intervalMs: number;
  /** stdout is a terminal: redraw in place instead of printing a line per refresh. */
  terminal: boolean;
  json: boolean;
  /** Ctrl-C. */
  signal: AbortSignal;
  /** Terminal width, to keep redrawn lines from wrapping; 0 when unknown. */
  columns?: () => number;
}

// ANSI control sequences: cursor home, erase to the end of the line, erase below, cursor off/on.
const HOME = "\x1b[H";
const ERASE_LINE = "\x1b[K";
const ERASE_BELOW = "\x1b[J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

/** Refreshes every `intervalMs` until `signal` aborts. */
export async function watchStatus(options: WatchOptions): Promise<void> {
  const { signal, out } = options;
  let previous: StatusSample | null = null;
  if (options.terminal && !options.json) out(HIDE_CURSOR + HOME + ERASE_BELOW);
  try {
    while (!signal.aborted) {
      const sample = await options.read();
      if (signal.aborted) break;
      const rates = previous ? tableRates(previous, sample) : null;
      if (options.json) {
        out(JSON.stringify(sample.note ? { ...sample.report, note: sample.note } : sample.report));
      } else if (options.terminal) {
        // A terminal that does not know its size says 0: then lines are left as they are.
        const width = options.columns?.() || Infinity;
        const lines = watchFrame(sample, rates, options.format, options.intervalMs);
        out(HOME + lines.map((l) => l.slice(0, width) + ERASE_LINE).join("\n") + ERASE_BELOW);
      } else {
        out(watchLine(sample, rates));
      }
      previous = sample;
      await sleep(options.intervalMs, signal);
    }
  } finally {
    if (options.terminal && !options.json) out(SHOW_CURSOR);
  }
}

/**
 * Changes per second of each table between two samples of the same process; null when they are
 * not comparable (no process, another process, no time between them).
 */
export function tableRates(before: StatusSample, after: StatusSample): TableRates | null {
  const [a, b] = [before.report, after.report];
  const seconds = (after.at - before.at) / 1000;
  if (!a.running || !b.running || a.pid !== b.pid || a.started_at !== b.started_at) return null;
  if (!b.table_changes || seconds <= 0) return null;
  const rates: TableRates = {};
  for (const [table, now] of Object.entries(b.table_changes)) {
    const then = a.table_changes?.[table] ?? { insert: 0, update: 0, delete: 0 };
    rates[table] = {
      insert: (now.insert - then.insert) / seconds,
      update: (now.update - then.update) / seconds,
      delete: (now.delete - then.delete) / seconds,
    };
  }
  return rates;
}

/** The redrawn screen: a title, the `status` lines, and a table of per-table rates and totals. */
export function watchFrame(
  sample: StatusSample,
  rates: TableRates | null,
  format: (report: StatusReport, note: string) => string[],
  intervalMs: number,
): string[] {
  const title = `mysql-gp-sync status, ${new Date(sample.at).toISOString()}, every ${
    intervalMs / 1000
  } s (Ctrl-C to stop)`;
  const lines = [title, "", ...format(sample.report, sample.note)];
  const changes = Object.entries(sample.report.table_changes ?? {});
  if (changes.length === 0) return lines;
  const header = ["table", "ins/s", "upd/s", "del/s", "inserts", "updates", "deletes"];
  const rows = changes.sort(([a], [b]) => a.localeCompare(b)).map(([table, total]) => {
    const rate = rates?.[table];
    const perSecond = (n: number | undefined) => n === undefined ? "-" : n.toFixed(1);
    return [
      table,
      perSecond(rate?.insert),
      perSecond(rate?.update),
      perSecond(rate?.delete),
      String(total.insert),
      String(total.update),
      String(total.delete),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const align = (row: string[]) =>
    row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ");
  lines.push("", "changes by table (per second since the previous refresh, totals this run):");
  lines.push("  " + align(header), ...rows.map((row) => "  " + align(row)));
  return lines;
}

/** One line per refresh for logs and pipes: `key=value` fields, the error and the note last. */
export function watchLine(sample: StatusSample, rates: TableRates | null): string {
  const r = sample.report;
  const position = (p: ReportPosition | null) => p ? `${p.bin_name}:${p.bin_pos}` : "none";
  const known = (value: number | null, unit: string) => value === null ? "?" : `${value}${unit}`;
  const fields = [
    new Date(sample.at).toISOString(),
    `sync=${r.sync_id}`,
    r.running ? `running pid=${r.pid}` : "stopped",
    `applied=${position(r.applied_position)}`,
    `source=${position(r.source_position)}`,
    `lag=${known(r.lag_seconds, "s")},${known(r.lag_bytes, "B")}`,
  ];
  if (r.running) {
    fields.push(
      `rows/s=${known(r.rows_per_second, "")}`,
      `rows=${r.rows_applied}`,
      `batches=${r.batches_applied}`,
      `reconnects=${r.reconnects}`,
    );
  }
  if (rates) {
    const perTable = Object.entries(rates).sort(([a], [b]) => a.localeCompare(b))
      .map(([table, rate]) => `${table}:${(rate.insert + rate.update + rate.delete).toFixed(1)}`);
    if (perTable.length > 0) fields.push(`table_changes/s=${perTable.join(",")}`);
  }
  fields.push(`error=${JSON.stringify(r.last_error ?? "none")}`);
  if (sample.note) fields.push(`(${sample.note})`);
  return fields.join(" ");
}
