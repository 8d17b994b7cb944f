/**
 * deploy/'s Grafana dashboard and Prometheus alert rules use only metrics a running sync exports:
 * a real `run` (the CLI) against throwaway servers goes through inserts, updates, deletes, an
 * altered value, an error and its recovery, so that every metric it can export appears; then its
 * /metrics is scraped, checked against Prometheus' naming conventions, and compared with every
 * metric name in the dashboard's and the rules' expressions.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  alertExpressions,
  dashboardExpressions,
  exportedMetrics,
  metricNames,
  readDashboard,
  SCRAPE_METRICS,
} from "../support/deploy_files.ts";
import type { StatusReport } from "../../src/observe/metrics.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { cliCommand, startFixture, waitFor } from "../../testing/fixture.ts";
import { freePort } from "../../testing/os.ts";

async function getStatus(url: string): Promise<StatusReport | null> {
  try {
    const response = await fetch(`${url}/status`);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

Deno.test("every metric the dashboard and the alert rules use is exported by a running sync", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.t_user (id INT PRIMARY KEY, name VARCHAR(20), born DATE);`);
  const createTarget =
    "CREATE TABLE public.t_user (id integer PRIMARY KEY, name varchar(20), born date)";
  await fixture.pg.unsafe(createTarget);
  const port = freePort();
  await fixture.writeConfig(`status_addr = "127.0.0.1:${port}"
[[source]]
schema = "shop"
tables = ["t_user"]
`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const url = `http://127.0.0.1:${port}`;
  const child = cliCommand(["run", "-c", fixture.configFile]).spawn();
  try {
    await waitFor("the status endpoint", async () => (await getStatus(url)) !== null);
    // A zero date becomes NULL: values_altered.
    await fixture.my.query(`SET SESSION sql_mode = '';
      INSERT INTO shop.t_user VALUES (1, 'a', '2020-01-02'), (2, 'b', '0000-00-00');
      UPDATE shop.t_user SET name = 'B' WHERE id = 2;
      DELETE FROM shop.t_user WHERE id = 1;`);
    await waitFor("4 row changes applied", async () => (await getStatus(url))?.rows_applied === 4);

    // An error (the target table is gone), then the recovery once it is back.
    await fixture.pg.unsafe("DROP TABLE public.t_user");
    await fixture.my.query("INSERT INTO shop.t_user VALUES (3, 'c', NULL)");
    await waitFor("the error", async () => (await getStatus(url))?.last_error != null);
    let metrics = await (await fetch(`${url}/metrics`)).text();
    assertMatch(metrics, /^mysql_gp_sync_failing\{sync_id="1001"\} 1$/m);
    await fixture.pg.unsafe(createTarget);
    await waitFor("the recovery", async () => {
      const status = await getStatus(url);
      return status?.last_error === null && status.rows_applied === 5;
    }, 60_000);

    metrics = await (await fetch(`${url}/metrics`)).text();
    const exported = exportedMetrics(metrics);
    assertMatch(metrics, /^mysql_gp_sync_failing\{sync_id="1001"\} 0$/m);
    assertMatch(metrics, /^mysql_gp_sync_values_altered_total\{sync_id="1001"\} [1-9]\d*$/m);
    assertMatch(metrics, /^mysql_gp_sync_reconnects_total\{sync_id="1001"\} [1-9]\d*$/m);
    assertMatch(metrics, /^mysql_gp_sync_last_error_timestamp_seconds\{sync_id="1001"\} \d+/m);
    assertMatch(
      metrics,
      /^mysql_gp_sync_table_changes_applied_total\{sync_id="1001",table="shop\.t_user",operation="delete"\} 1$/m,
    );

    // Prometheus' naming conventions, on what is really served.
    for (const [name, type] of exported) {
      assertMatch(name, /^mysql_gp_sync_[a-z0-9]+(_[a-z0-9]+)*$/, "snake_case with our prefix");
      assertEquals(name.endsWith("_total"), type === "counter", `${name} is a ${type}`);
      assert(!/per_second|_ms$|milliseconds|_kb$/.test(name), `${name}: not in base units`);
    }
    for (const [, labels] of metrics.matchAll(/^mysql_gp_sync_\w+\{([^}]*)\}/gm)) {
      for (const [, label] of labels.matchAll(/(\w+)="/g)) assertMatch(label, /^[a-z_]+$/);
    }

    const used = new Map<string, string>();
    for (const expr of dashboardExpressions(await readDashboard())) {
      for (const name of metricNames(expr)) used.set(name, "the Grafana dashboard");
    }
    for (const expr of await alertExpressions()) {
      for (const name of metricNames(expr)) used.set(name, "the alert rules");
    }
    assert(used.size >= 8, `only ${used.size} metric names found in deploy/`);
    const missing = [...used].filter(([name]) => !exported.has(name) && !SCRAPE_METRICS.has(name))
      .map(([name, where]) => `${name} (${where})`);
    assertEquals(missing, [], `used in deploy/ but not exported:\n${metrics}`);
  } finally {
    child.kill("SIGTERM");
    const output = await child.output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  }
});
