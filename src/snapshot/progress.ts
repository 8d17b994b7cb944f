/**
 * How far a snapshot's load is, table by table: rows loaded against the source's estimate, the
 * rate and the time left, as a log line or a progress bar. The load only adds to counters; the
 * views (progress_view.ts) read them when they redraw.
 *
 * @module
 */

/** One table's load. Times are `performance.now()` milliseconds. */
export class TableProgress {
  /** Rows loaded by this run. */
  loaded = 0;
  /** Chunks loaded by this run. */
  chunks = 0;
  startedAt: number | null = null;
  finishedAt: number | null = null;

  constructor(
    /** The source table, `schema.table`. */
    readonly name: string,
    /** The source's row count, estimated (information_schema) or counted. */
    readonly estimate: number,
    /** Rows an interrupted earlier run loaded (the load resumes after them). */
    readonly resumed: number,
  ) {}

  /** Marks the start of the load, once. */
  start(now = performance.now()): void {
    this.startedAt ??= now;
  }

  /** Counts rows sent to the target. */
  add(rows: number): void {
    this.loaded += rows;
  }

  finish(now = performance.now()): void {
    this.start(now);
    this.finishedAt = now;
  }

  /** Loading now (started, not finished). */
  get active(): boolean {
    return this.startedAt !== null && this.finishedAt === null;
  }

  /** Rows in the target so far, resumed ones included. */
  get total(): number {
    return this.resumed + this.loaded;
  }

  /** Seconds from the start to the end (or to now while loading). */
  seconds(now = performance.now()): number {
    return ((this.finishedAt ?? now) - (this.startedAt ?? this.finishedAt ?? now)) / 1000;
  }

  /** Rows per second of this run. */
  rate(now = performance.now()): number {
    const seconds = this.seconds(now);
    return seconds > 0 ? this.loaded / seconds : 0;
  }

  /**
   * The fraction done, from 0 to 1. Below 1 until finished: the estimate may be short (the
   * table grows, or information_schema guesses low).
   */
  fraction(): number {
    if (this.finishedAt !== null) return 1;
    if (this.estimate <= 0) return 0;
    return Math.min(0.99, this.total / this.estimate);
  }

  /** Seconds left at the current rate, or null when unknown (no rate yet, estimate passed). */
  secondsLeft(now = performance.now()): number | null {
    if (this.finishedAt !== null) return 0;
    const rate = this.rate(now);
    const left = this.estimate - this.total;
    return rate > 0 && left > 0 ? left / rate : null;
  }
}

/** Every table of a load, in load order. */
export class LoadProgress {
  readonly tables: TableProgress[] = [];

  add(name: string, estimate: number, resumed: number): TableProgress {
    const table = new TableProgress(name, estimate, resumed);
    this.tables.push(table);
    return table;
  }

  /** Tables loading now. */
  active(): TableProgress[] {
    return this.tables.filter((t) => t.active);
  }
}

/** `12,345` */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en");
}

/** `42 s`, `3 min 05 s`, `2 h 07 min` */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;
}

/** The figures after a table's name: rows of the estimate, percent, rate, time left. */
function figures(table: TableProgress, now: number): string {
  const percent = Math.floor(table.fraction() * 100);
  const of = table.estimate > 0 ? ` of ~${count(table.estimate)}` : "";
  const left = table.secondsLeft(now);
  return `${count(table.total)}${of} rows (${percent}%), ${count(table.rate(now))} rows/s, ` +
    (left === null ? "time left unknown" : `~${duration(left)} left`);
}

/** A log line: `bank.acct: 120,000 of ~500,000 rows (24%), 85,000 rows/s, ~4 s left`. */
export function progressLine(table: TableProgress, now = performance.now()): string {
  return `${table.name}: ${figures(table, now)}`;
}

/**
 * A bar line at most `width` characters wide, terser than the log line so that it fits 80
 * columns: `bank.acct [####----------------] 24% 120,000/~500,000 rows 85,000 rows/s ETA 4 s`.
 */
export function progressBar(table: TableProgress, width: number, now = performance.now()): string {
  const slots = 20;
  const filled = Math.floor(table.fraction() * slots);
  const of = table.estimate > 0 ? `/~${count(table.estimate)}` : "";
  const left = table.secondsLeft(now);
  const line = `${table.name} [${"#".repeat(filled)}${"-".repeat(slots - filled)}] ` +
    `${Math.floor(table.fraction() * 100)}% ${count(table.total)}${of} rows ` +
    `${count(table.rate(now))} rows/s${left === null ? "" : ` ETA ${duration(left)}`}`;
  return line.length <= width ? line : line.slice(0, Math.max(0, width - 1)) + "…";
}
