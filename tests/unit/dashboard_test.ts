/**
 * deploy/grafana's dashboard is an importable Grafana model (no Grafana can be installed here, so
 * its structure is checked: a datasource variable every panel and query uses, unique panel ids, a
 * grid without overlaps, defined template variables) that shows what the brief asks for; and the
 * PromQL name extraction the deploy tests rely on finds what it should.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  dashboardExpressions,
  metricNames,
  readDashboard,
  SCRAPE_METRICS,
} from "../support/deploy_files.ts";

Deno.test("metricNames: metrics only, not functions, labels, strings, ranges or keywords", () => {
  assertEquals(
    metricNames(
      'sum by (sync_id, table) (rate(mysql_gp_sync_x_total{job=~"$job", a="b{c}"}[$__rate_interval]))',
    ),
    ["mysql_gp_sync_x_total"],
  );
  assertEquals(
    metricNames('time() - a_seconds{x="y"} > 1e3 and on (instance) up == 0 or vector(1)'),
    ["a_seconds", "up"],
  );
  assertEquals(metricNames('absent(up{job="mysql-gp-sync"})'), ["up"]);
  assertEquals(metricNames("increase(b_total[15m]) >= 3 unless c offset 5m"), ["b_total", "c"]);
  assertEquals(metricNames("histogram_quantile(0.99, sum without (le) (d_bucket))"), ["d_bucket"]);
});

Deno.test("the Grafana dashboard is an importable model with a Prometheus datasource variable", async () => {
  const dashboard = await readDashboard();
  assert(dashboard.title && dashboard.uid && dashboard.schemaVersion >= 36, "title, uid, schema");
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assertEquals(variables.get("datasource")?.type, "datasource");
  assertEquals(variables.get("datasource")?.query, "prometheus");
  const ds = { type: "prometheus", uid: "${datasource}" };
  for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
    assertEquals(variable.datasource, ds, `variable ${variable.name}`);
  }

  const ids = dashboard.panels.map((p) => p.id);
  assertEquals(new Set(ids).size, ids.length, "panel ids are unique");
  const taken = new Set<string>();
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    assert(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${panel.title}: within the 24-column grid`);
    for (let col = x; col < x + w; col++) {
      for (let row = y; row < y + h; row++) {
        assert(!taken.has(`${col},${row}`), `${panel.title} overlaps another panel`);
        taken.add(`${col},${row}`);
      }
    }
    assertEquals(panel.datasource, ds, `${panel.title}: datasource`);
    const targets = panel.targets ?? [];
    assert(targets.length > 0, `${panel.title}: no query`);
    assertEquals(new Set(targets.map((t) => t.refId)).size, targets.length, panel.title);
    for (const target of targets) assertEquals(target.datasource, ds, panel.title);
  }

  // Every $variable a query uses is defined (or one of Grafana's own).
  const known = new Set([...variables.keys(), "__rate_interval", "__interval", "__range"]);
  for (const expr of dashboardExpressions(dashboard)) {
    for (const [, name] of expr.matchAll(/\$\{?(\w+)/g)) {
      assert(known.has(name), `undefined variable $${name} in ${expr}`);
    }
  }
});

Deno.test("the dashboard shows lag, rates per table and operation, batches, errors, up", async () => {
  const dashboard = await readDashboard();
  const names = new Set(dashboardExpressions(dashboard).flatMap(metricNames));
  for (
    const name of [
      "up",
      "mysql_gp_sync_lag_seconds",
      "mysql_gp_sync_lag_bytes",
      "mysql_gp_sync_table_changes_applied_total",
      "mysql_gp_sync_batches_applied_total",
      "mysql_gp_sync_reconnects_total",
      "mysql_gp_sync_failing",
      "mysql_gp_sync_values_altered_total",
    ]
  ) {
    assert(names.has(name), `the dashboard does not show ${name}`);
  }
  for (const name of names) {
    assert(name.startsWith("mysql_gp_sync_") || SCRAPE_METRICS.has(name), `foreign name ${name}`);
  }
  const perTable = dashboardExpressions(dashboard).find((e) =>
    e.includes("mysql_gp_sync_table_changes_applied_total")
  );
  assert(perTable?.includes("table") && perTable.includes("operation"), String(perTable));
});
