/**
 * Results of the benchmark phases and their rendering as a text table and as markdown.
 *
 * @module
 */
import type { Variant } from "./options.ts";
import type { Kind } from "./rows.ts";

export interface CopyResult {
  rows: number;
  runs: number[];
  best: number;
}

export interface ThroughputResult {
  kind: Kind;
  single: boolean;
  /** A table without a key: the sync matches its rows by their whole value. */
  keyless: boolean;
  /** How the sync reached PostgreSQL, and with how many writers. */
  variant: Variant;
  stmtRows: number;
  rows: number;
  /** Seconds from "streaming" to applied up to the source's position; null on error/timeout. */
  seconds: number | null;
  /** Seconds from "streaming" until the last transaction was taken from the reader into a batch. */
  readSeconds: number | null;
  /** Peak VmRSS of the (in-process) sync above the process's RSS before it started, MiB. */
  rssGrowth: number;
  /** From starting the sync to "streaming from ...". */
  startupMs: number;
  /** Seconds zongji alone takes to read the same binlog stretch (see decoder.ts). */
  zongjiSeconds: number | null;
  /** How long the source took to write the workload (not part of the measurement). */
  sourceSeconds: number;
  cpu: Map<string, number>;
  batches: number;
  /** Sum of per-batch apply times the sync logged, when it logs them. */
  applyMs: number | null;
  equal: boolean | null;
  error: string | null;
}

export interface LagResult {
  seconds: number;
  statements: number;
  rows: number;
  /** Rows/s the source actually reached. */
  achievedRate: number;
  /** Furthest the writer fell behind its schedule (ms). */
  writerBehindMs: number;
  /** Per-transaction delays commit -> visible in PostgreSQL (ms), sorted. */
  lags: number[];
  cpu: Map<string, number>;
  rssPeak: number;
  error: string | null;
}

export interface MemoryResult {
  blockSeconds: number;
  rowsWritten: number;
  baseline: number;
  peakBlocked: number;
  peakCatchUp: number;
  /** VmHWM at the end: the process's all-time peak. */
  hwm: number;
  catchUpSeconds: number | null;
  equal: boolean | null;
  error: string | null;
}

export interface Report {
  title: string;
  environment: string[];
  copy: CopyResult | null;
  throughput: ThroughputResult[];
  lag: LagResult | null;
  memory: MemoryResult | null;
  notes: string[];
}

export const TARGETS: Record<Kind, number> = { insert: 25, update: 15, delete: 25 };
/** Every workload at a 2 ms round trip to PostgreSQL: at least this share of its loopback figure. */
export const LATENCY_RATIO_TARGET = 0.85;
export const LAG_P99_TARGET_MS = 1000;
export const RSS_TARGET_MIB = 300;

/** The q-quantile (0..1) of sorted values (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${int(n)} ms`;
const mib = (n: number) => `${int(n)} MB`;
const pct = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

function workloadName(r: ThroughputResult): string {
  const how = r.single ? "single-row autocommit" : `${int(r.stmtRows)}-row statements`;
  return `${r.keyless ? "keyless " : ""}${r.kind}s, ${how}`;
}

/** ` (+1 ms each way, concurrent_size 6)`; empty for loopback with the config's writers. */
export function variantLabel(variant: Variant): string {
  const parts = [
    ...variant.delayMs > 0 ? [`+${variant.delayMs} ms each way`] : [],
    ...variant.writers !== null ? [`concurrent_size ${variant.writers}`] : [],
  ];
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

type Table = { head: string[]; rows: string[][]; align: ("l" | "r")[] };

/**
 * Each variant of a workload beside its first (loopback, the first writer count), by the median
 * of their runs: the runs of one workload go in turns, so the ratio compares like with like on a
 * shared machine.
 */
function variantTable(report: Report): Table | null {
  const groups = new Map<string, { first: ThroughputResult; rates: (number | null)[] }>();
  for (const r of report.throughput) {
    const id = JSON.stringify([r.kind, r.single, r.keyless, r.variant]);
    const group = groups.get(id) ?? { first: r, rates: [] };
    group.rates.push(r.seconds ? r.rows / r.seconds : null);
    groups.set(id, group);
  }
  const rows: string[][] = [];
  let base: { first: ThroughputResult; rate: number | null } | null = null;
  for (const { first: r, rates } of groups.values()) {
    const rate = rates.includes(null) ? null : median(rates as number[]);
    const same = base !== null && base.first.kind === r.kind &&
      base.first.single === r.single && base.first.keyless === r.keyless;
    if (!same) {
      base = { first: r, rate };
      continue;
    }
    const ratio = rate !== null && base!.rate !== null ? rate / base!.rate : null;
    const them = base!.first.variant;
    const latency = r.variant.delayMs > 0 && them.delayMs === 0 &&
      r.variant.writers === them.writers;
    rows.push([
      workloadName(r),
      `${base!.rate === null ? "-" : int(base!.rate)}${variantLabel(them)}`,
      `${rate === null ? "-" : int(rate)}${variantLabel(r.variant)}`,
      String(rates.length),
      ratio === null ? "-" : ratio.toFixed(2),
      latency ? `>= ${LATENCY_RATIO_TARGET}` : "-",
      ratio === null ? "ERROR" : latency ? ratio >= LATENCY_RATIO_TARGET ? "PASS" : "MISS" : "-",
    ]);
  }
  if (rows.length === 0) return null;
  return {
    head: ["workload", "first rows/s", "this rows/s", "runs", "ratio", "target", "result"],
    rows,
    align: ["l", "r", "r", "r", "r", "r", "l"],
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function throughputTable(report: Report): Table {
  const ceiling = report.copy?.best ?? null;
  const head = [
    "workload",
    "rows",
    "rows/s",
    "COPY rows/s",
    "% of COPY",
    "target",
    "result",
    "zongji alone rows/s",
    "seconds",
    "all batched at",
    "sync CPU",
    "PG CPU",
    "MariaDB CPU",
    "other CPU",
    "batches",
    "in apply txn",
    "RSS growth",
    "tables equal",
  ];
  const rows = report.throughput.map((r) => {
    const rate = r.seconds ? r.rows / r.seconds : null;
    const share = rate !== null && ceiling ? (rate / ceiling) * 100 : null;
    // Keyless tables have no target: each batch that changes rows reads the whole table
    const target = r.keyless ? null : TARGETS[r.kind];
    const cpu = (name: string) => r.seconds ? pct(r.cpu.get(name) ?? 0, r.seconds) : "-";
    return [
      workloadName(r) + variantLabel(r.variant),
      int(r.rows),
      rate === null ? (r.error ?? "failed") : int(rate),
      ceiling ? int(ceiling) : "-",
      share === null ? "-" : `${share.toFixed(1)}%`,
      target === null ? "-" : `>= ${target}%`,
      share === null
        ? (r.error ? "ERROR" : "-")
        : target === null
        ? "-"
        : share >= target
        ? "PASS"
        : "MISS",
      r.zongjiSeconds ? int(r.rows / r.zongjiSeconds) : "-",
      r.seconds ? r.seconds.toFixed(2) : "-",
      r.readSeconds !== null ? `${r.readSeconds.toFixed(2)} s` : "-",
      cpu("sync"),
      cpu("postgres"),
      cpu("mariadb"),
      cpu("other"),
      int(r.batches),
      r.applyMs !== null && r.seconds ? pct(r.applyMs / 1000, r.seconds) : "-",
      r.seconds ? mib(r.rssGrowth) : "-",
      r.equal === null ? "-" : r.equal ? "yes" : "NO",
    ];
  });
  return { head, rows, align: ["l", ...head.slice(1).map(() => "r" as const)] };
}

function lagTable(lag: LagResult): Table {
  const p99 = quantile(lag.lags, 0.99);
  return {
    head: [
      "source rate",
      "duration",
      "transactions",
      "lag p50",
      "lag p99",
      "lag max",
      "target",
      "result",
      "sync CPU",
      "PG CPU",
      "MariaDB CPU",
      "other CPU",
      "sync RSS peak",
    ],
    rows: [[
      `${int(lag.achievedRate)} rows/s`,
      `${lag.seconds.toFixed(1)} s`,
      int(lag.statements),
      lag.lags.length ? ms(quantile(lag.lags, 0.5)) : "-",
      lag.lags.length ? ms(p99) : "-",
      lag.lags.length ? ms(lag.lags[lag.lags.length - 1]) : "-",
      `p99 < ${ms(LAG_P99_TARGET_MS)}`,
      lag.error ? "ERROR" : p99 < LAG_P99_TARGET_MS ? "PASS" : "MISS",
      pct(lag.cpu.get("sync") ?? 0, lag.seconds),
      pct(lag.cpu.get("postgres") ?? 0, lag.seconds),
      pct(lag.cpu.get("mariadb") ?? 0, lag.seconds),
      pct(lag.cpu.get("other") ?? 0, lag.seconds),
      mib(lag.rssPeak),
    ]],
    align: ["r", "r", "r", "r", "r", "r", "r", "l", "r", "r", "r", "r", "r"],
  };
}

function memoryTable(m: MemoryResult): Table {
  const peak = Math.max(m.peakBlocked, m.peakCatchUp);
  return {
    head: [
      "PostgreSQL blocked",
      "rows written meanwhile",
      "RSS before",
      "peak RSS blocked",
      "peak RSS catching up",
      "VmHWM",
      "target",
      "result",
      "catch-up",
      "tables equal",
    ],
    rows: [[
      `${m.blockSeconds} s`,
      int(m.rowsWritten),
      mib(m.baseline),
      mib(m.peakBlocked),
      mib(m.peakCatchUp),
      mib(m.hwm),
      `< ${RSS_TARGET_MIB} MB`,
      m.error ? "ERROR" : peak < RSS_TARGET_MIB ? "PASS" : "MISS",
      m.catchUpSeconds === null ? "-" : `${m.catchUpSeconds.toFixed(1)} s`,
      m.equal === null ? "-" : m.equal ? "yes" : "NO",
    ]],
    align: ["r", "r", "r", "r", "r", "r", "r", "l", "r", "l"],
  };
}

function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => t.align[i] === "l" ? c.padEnd(widths[i]) : c.padStart(widths[i]))
      .join("  ").trimEnd();
  return [line(t.head), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join(
    "\n",
  );
}

function markdownTable(t: Table): string {
  const cell = (c: string) => c.replaceAll("|", "\\|");
  return [
    `| ${t.head.map(cell).join(" | ")} |`,
    `|${t.align.map((a) => (a === "l" ? "---" : "---:")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

function copyLine(copy: CopyResult): string {
  return `COPY ceiling (6-column rows straight into a PostgreSQL table, ${int(copy.rows)} rows, ` +
    `best of ${copy.runs.length}: ${copy.runs.map(int).join(", ")}): ${int(copy.best)} rows/s`;
}

const LEGEND = "rows/s: row changes applied per second, from the sync's start of streaming until " +
  "it had applied up to the source's position (the source wrote the whole workload first). " +
  "zongji alone: the same binlog read by zongji with its own decoders and a consumer that " +
  "does nothing; the sync reads the frequent events straight from the packets instead " +
  "(src/source/zongji/packet_events.ts), so it can beat this. " +
  "CPU columns: CPU time during that interval as % of one core (sync = the Deno process; " +
  "other = everything else on the machine, e.g. other jobs on a shared box). " +
  "all batched at: when the last transaction had been taken from the binlog reader into a " +
  "batch (the rest is the final apply). " +
  "in apply txn: share of the interval with an apply transaction open (PostgreSQL work, COPY " +
  "encoding and waiting). RSS growth: peak RSS of the process running the sync (the benchmark itself) above its " +
  "RSS before the sync started.";

const VARIANTS_TITLE =
  "Each workload's runs against its first (run one after another; round trips " +
  "through a loopback proxy delaying each way between the sync and PostgreSQL):";

/** The whole report as plain text. */
export function renderText(report: Report): string {
  const parts = [report.title, ...report.environment.map((e) => `  ${e}`), ""];
  if (report.copy) parts.push(copyLine(report.copy), "");
  if (report.throughput.length) parts.push(textTable(throughputTable(report)), "");
  const variants = variantTable(report);
  if (variants) parts.push(VARIANTS_TITLE, textTable(variants), "");
  if (report.lag) {
    parts.push("Lag (commit on the source -> visible in PostgreSQL), sync running live:");
    parts.push(textTable(lagTable(report.lag)), "");
  }
  if (report.memory) {
    parts.push(
      "Memory of the sync process while PostgreSQL is blocked (the source keeps writing):",
    );
    parts.push(textTable(memoryTable(report.memory)), "");
  }
  if (report.notes.length) parts.push("Notes:", ...report.notes.map((n) => `- ${n}`), "");
  return parts.join("\n");
}

/** The whole report as markdown, for the README. */
export function renderMarkdown(report: Report): string {
  const parts = [`### ${report.title}`, "", ...report.environment.map((e) => `- ${e}`), ""];
  if (report.copy) parts.push(copyLine(report.copy) + ".", "");
  if (report.throughput.length) {
    parts.push(markdownTable(throughputTable(report)), "", LEGEND, "");
  }
  const variants = variantTable(report);
  if (variants) parts.push(VARIANTS_TITLE, "", markdownTable(variants), "");
  if (report.lag) {
    parts.push("Lag (commit on the source -> visible in PostgreSQL), sync running live:", "");
    parts.push(markdownTable(lagTable(report.lag)), "");
  }
  if (report.memory) {
    parts.push(
      "Memory of the sync process while PostgreSQL is blocked (the source keeps writing):",
      "",
    );
    parts.push(markdownTable(memoryTable(report.memory)), "");
  }
  if (report.notes.length) parts.push(...report.notes.map((n) => `- ${n}`), "");
  return parts.join("\n");
}
