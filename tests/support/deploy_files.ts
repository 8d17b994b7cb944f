/**
 * The PromQL of deploy/ (the Grafana dashboard and the Prometheus alert rules) and the metric names
 * it uses, for the tests that check them against what a sync exports.
 *
 * @module
 */

export const DASHBOARD_FILE = new URL(
  "../../deploy/grafana/mysql-gp-sync-dashboard.json",
  import.meta.url,
);
export const ALERTS_FILE = new URL(
  "../../deploy/prometheus/mysql-gp-sync-alerts.yml",
  import.meta.url,
);

/** Metric names Prometheus makes itself for every target (the sync does not export them). */
export const SCRAPE_METRICS = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);

/** A Grafana panel, as far as the tests look at it. */
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
}

export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: {
    list: {
      name: string;
      type: string;
      query: string | { query: string };
      datasource?: { uid: string };
    }[];
  };
}

export async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await Deno.readTextFile(DASHBOARD_FILE));
}

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
export function dashboardExpressions(dashboard: Dashboard): string[] {
  const targets = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
  const variables = dashboard.templating.list.filter((v) => v.type === "query").map((v) =>
    typeof v.query === "string" ? v.query : v.query.query
  ).map((q) => q.replace(/^label_values\((.*),\s*\w+\)$/, "$1"));
  return [...targets, ...variables];
}

/**
 * The `expr:` of every rule in the alert rules file. Our rule files keep each expression on one
 * line; the test compares the count with promtool's, so a multi-line one cannot slip by.
 */
export async function alertExpressions(): Promise<string[]> {
  const text = await Deno.readTextFile(ALERTS_FILE);
  return [...text.matchAll(/^\s+expr:\s*(.+)$/gm)].map((m) => m[1].trim());
}

/** PromQL words that are neither metrics nor functions. */
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
]);

/**
 * The metric names a PromQL expression reads. Strings, label matchers (`{...}`), ranges (`[...]`)
 * and `by (...)` groupings are dropped first; of the words left, those followed by `(` are
 * functions and the rest are metric names (or keywords).
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const [word, call] = [match[0].replace(/\s*\($/, ""), match[1]];
    if (call || KEYWORDS.has(word) || /^(Inf|NaN)$/i.test(word)) continue;
    // A unit after a number ("5m") or an exponent is not a name.
    const before = bare[match.index! - 1] ?? " ";
    if (/[0-9.]/.test(before)) continue;
    names.add(word);
  }
  return [...names].sort();
}

/** Names in a Prometheus text exposition (from its `# TYPE` lines), with their types. */
export function exportedMetrics(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as [string, string]),
  );
}
