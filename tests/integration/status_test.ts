// `status`, GET /status, GET /metrics and statsd against a real running sync (the CLI), then the
// fallback to PostgreSQL's position table once it has stopped.
import dgram from "node:dgram";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  buildReport,
  RateWindow,
  type ReportInput,
  type StatusReport,
} from "../../src/observe/metrics.ts";
import { prometheusText } from "../../src/observe/prometheus.ts";
import { metricName } from "../../src/observe/statsd.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { lagBytes } from "../../src/source/binlog_status.ts";
import { cliCommand, type Fixture, runCli, startFixture, waitFor } from "../../testing/fixture.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** A UDP socket standing in for statsd; collects the metric lines it receives. */
async function fakeStatsd(): Promise<{ port: number; lines: string[]; close(): void }> {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const lines: string[] = [];
  socket.on("message", (message) => lines.push(...message.toString().split("\n")));
  return { port: socket.address().port, lines, close: () => socket.close() };
}

/** Sum of a statsd counter's increments. */
function counted(lines: string[], name: string): number {
  return lines.filter((l) => l.startsWith(`${name}:`) && l.endsWith("|c"))
    .reduce((sum, l) => sum + Number(l.slice(name.length + 1, -2)), 0);
}

async function prepare(fixture: Fixture, topLevel: string): Promise<void> {
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.t_user (id INT PRIMARY KEY, name VARCHAR(20));
    CREATE TABLE shop.line (order_id INT, sku VARCHAR(8), PRIMARY KEY (order_id, sku));`);
  await fixture.pg.unsafe(`
    CREATE TABLE public.t_user (id integer PRIMARY KEY, name varchar(20));
    CREATE TABLE public.line (order_id integer, sku varchar(8), PRIMARY KEY (order_id, sku));`);
  await fixture.writeConfig(`${topLevel}
[[source]]
schema = "shop"
tables = ["t_user", "line"]
`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
}

async function getJson(url: string): Promise<StatusReport | null> {
  try {
    const response = await fetch(url);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

Deno.test("status: a running sync reports over HTTP and statsd; a stopped one from PostgreSQL", async () => {
  await using fixture = await startFixture();
  const statsd = await fakeStatsd();
  const port = freePort();
  await prepare(
    fixture,
    `status_addr = "127.0.0.1:${port}"
statsd_host = "127.0.0.1"
statsd_port = ${statsd.port}
statsd_prefix = "test"`,
  );
  const file = fixture.configFile;
  const child = cliCommand(["run", "-c", file]).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill("SIGTERM");
    const output = await child.output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  };
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitFor("the status endpoint", async () => (await getJson(`${url}/status`)) !== null);
    await fixture.my.query("INSERT INTO shop.t_user VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await fixture.my.query("INSERT INTO shop.line VALUES (1, 'x'), (1, 'y')");
    await fixture.my.query("UPDATE shop.t_user SET name = 'B' WHERE id = 2");
    await fixture.my.query("DELETE FROM shop.t_user WHERE id = 3");
    const head = await fixture.masterStatus();
    let report: StatusReport | null = null;
    await waitFor("the sync to apply everything", async () => {
      report = await getJson(`${url}/status`);
      return report?.applied_position?.bin_pos === head.pos && report.rows_per_second !== null;
    });
    const live = report!;
    assertEquals(live.running, true);
    assertEquals(live.pid, child.pid);
    assertEquals(live.sync_id, "1001");
    assertEquals(live.position_from, "process");
    assertEquals(live.applied_position, { bin_name: head.file, bin_pos: head.pos });
    assertEquals(live.source_position, { bin_name: head.file, bin_pos: head.pos });
    assertEquals([live.lag_seconds, live.lag_bytes], [0, 0]);
    assertEquals(live.rows_applied, 7);
    assertEquals(live.transactions_applied, 4);
    assertEquals(live.tables?.["shop.line"], 2);
    assertEquals(live.table_changes?.["shop.t_user"], { insert: 3, update: 1, delete: 1 });
    assertEquals(live.table_changes?.["shop.line"], { insert: 2, update: 0, delete: 0 });
    assert(live.tables!["shop.t_user"] >= 3, JSON.stringify(live.tables));
    assertEquals(live.last_error, null);
    assertEquals(live.read_position, live.applied_position);
    assertEquals(live.reconnects, 0);
    assertEquals(live.followed_tables?.toSorted(), ["shop.line", "shop.t_user"]);
    assert(Date.parse(live.source_seen_at!) > Date.parse(live.started_at!), "heard the source");
    assert(typeof live.rows_per_second === "number" && live.rows_per_second >= 0);

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assertMatch(metrics, /^# TYPE mysql_gp_sync_rows_applied_total counter$/m);
    assertMatch(metrics, /^mysql_gp_sync_rows_applied_total\{sync_id="1001"\} 7$/m);
    assertMatch(
      metrics,
      /^mysql_gp_sync_table_rows_applied_total\{sync_id="1001",table="shop\.line"\} 2$/m,
    );
    assertMatch(
      metrics,
      /^mysql_gp_sync_table_changes_applied_total\{sync_id="1001",table="shop\.t_user",operation="update"\} 1$/m,
    );
    assertMatch(metrics, /^mysql_gp_sync_lag_bytes\{sync_id="1001"\} 0$/m);
    assertMatch(metrics, /^mysql_gp_sync_reconnects_total\{sync_id="1001"\} 0$/m);
    assertMatch(metrics, /^mysql_gp_sync_followed_tables\{sync_id="1001"\} 2$/m);
    assertMatch(
      metrics,
      new RegExp(
        `^mysql_gp_sync_applied_position_bytes\\{sync_id="1001",bin_name="${head.file}"\\} ${head.pos}$`,
        "m",
      ),
    );
    assertEquals((await fetch(`${url}/nothing`)).status, 404);

    // The CLI asks the process.
    let result = await runCli(["status", "-c", file]);
    assertEquals(result.code, 0, result.stderr);
    assertMatch(result.stdout, new RegExp(`^sync 1001: running, pid ${child.pid}, since `, "m"));
    assertMatch(result.stdout, new RegExp(`^applied position: ${head.file}:${head.pos} `, "m"));
    assertMatch(result.stdout, /^lag: +0 s, 0 bytes$/m);
    assertMatch(result.stdout, /^ {2}shop\.line +2$/m);
    assertMatch(result.stdout, /^following: +2 tables: shop\.line, shop\.t_user$/m);
    result = await runCli(["status", "-c", file, "--json"]);
    const asked: StatusReport = JSON.parse(result.stdout);
    assertEquals([asked.running, asked.rows_applied, asked.pid], [true, 7, child.pid]);

    // statsd got the counters' growth and the lag gauges.
    await waitFor("statsd counters", () => counted(statsd.lines, "test.rows_applied") === 7);
    assertEquals(counted(statsd.lines, "test.rows.shop.line"), 2);
    assertEquals(counted(statsd.lines, "test.rows.shop.t_user.insert"), 3);
    assertEquals(counted(statsd.lines, "test.rows.shop.t_user.delete"), 1);
    assertEquals(counted(statsd.lines, "test.transactions_applied"), 4);
    assert(statsd.lines.includes("test.lag_bytes:0|g"), statsd.lines.join("\n"));
    assert(statsd.lines.includes("test.lag_seconds:0|g"), statsd.lines.join("\n"));

    // An apply error is reported while the sync keeps retrying.
    await fixture.pg.unsafe("DROP TABLE public.line");
    await fixture.my.query("INSERT INTO shop.line VALUES (2, 'z')");
    // The source's head is sampled about once a second, so the lag may show a moment later.
    await waitFor("the error and the lag to show", async () => {
      report = await getJson(`${url}/status`);
      return report?.last_error != null && (report.lag_bytes ?? 0) > 0;
    });
    assertMatch(report!.last_error!, /line/);
    assert(report!.lag_bytes! > 0, "still behind");
    await stop();

    // Stopped: the saved position against the source, and the last ERROR line of sync.log.
    await fixture.my.query("INSERT INTO shop.t_user VALUES (9, 'late')");
    const now = await fixture.masterStatus();
    result = await runCli(["status", "-c", file]);
    assertEquals(result.code, 0, result.stderr);
    assertMatch(
      result.stdout,
      new RegExp(
        `^sync 1001: not running \\(nothing listening on 127\\.0\\.0\\.1:${port}: .*\\); showing the position saved in PostgreSQL$`,
        "m",
      ),
    );
    assertMatch(result.stdout, new RegExp(`^source position: +${now.file}:${now.pos}$`, "m"));
    assertMatch(result.stdout, /^last error: .*line/m);
    result = await runCli(["status", "-c", file, "--json"]);
    const saved = JSON.parse(result.stdout) as StatusReport & { note: string };
    assertEquals([saved.running, saved.position_from, saved.rows_applied], [
      false,
      "postgresql",
      null,
    ]);
    assertEquals(saved.applied_position, { bin_name: head.file, bin_pos: head.pos });
    assertEquals(saved.lag_bytes, now.pos - head.pos);
    assertEquals(saved.lag_seconds, null, "how far behind in time is unknown without the process");
    assertMatch(saved.note, /^not running/);
  } finally {
    if (!stopped) {
      stopped = true;
      child.kill("SIGKILL");
      await child.output();
    }
    statsd.close();
  }
});

Deno.test("status: a taken status port only warns, and the sync runs", async () => {
  await using fixture = await startFixture();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  await prepare(fixture, `status_addr = "127.0.0.1:${port}"`);
  const child = cliCommand(["run", "-c", fixture.configFile]).spawn();
  try {
    await fixture.my.query("INSERT INTO shop.t_user VALUES (1, 'a')");
    await waitFor("the row in PostgreSQL", async () => {
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.t_user`;
      return row.n === 1;
    });
  } finally {
    child.kill("SIGTERM");
    const output = await child.output();
    assertEquals(output.code, 0);
    taken.close();
  }
  const log = await Deno.readTextFile(`${fixture.dataDir}/sync.log`);
  assertMatch(
    log,
    new RegExp(
      `\\[WARN\\] cannot serve status on 127\\.0\\.0\\.1:${port} \\(status_addr in .*syncing anyway`,
    ),
  );

  const text = await Deno.readTextFile(fixture.configFile);
  await Deno.writeTextFile(
    fixture.configFile,
    text.replace(/status_addr = ".*"/, 'status_addr = "off"'),
  );
  const result = await runCli(["status", "-c", fixture.configFile]);
  assertEquals(result.code, 0);
  assertMatch(
    result.stdout,
    /^sync 1001: status_addr = "off" in .*, so a running sync cannot be asked; showing the position saved in PostgreSQL$/m,
  );
  assertMatch(result.stdout, /^lag: +0 s, 0 bytes$/m);
});

Deno.test("status units: lag in bytes across files, rates, Prometheus text", () => {
  const files = [
    { name: "mysql-bin.000001", size: 1000 },
    { name: "mysql-bin.000002", size: 300 },
    { name: "mysql-bin.000003", size: 120 },
  ];
  const at = (file: string, pos: number) => ({ file, pos });
  assertEquals(lagBytes(at("mysql-bin.000003", 120), at("mysql-bin.000003", 120), files), 0);
  assertEquals(lagBytes(at("mysql-bin.000003", 100), at("mysql-bin.000003", 120), []), 20);
  assertEquals(lagBytes(at("mysql-bin.000001", 900), at("mysql-bin.000003", 120), files), 520);
  assertEquals(lagBytes(at("mysql-bin.000000", 4), at("mysql-bin.000003", 120), files), null);

  const rate = new RateWindow(10_000);
  assertEquals(rate.perSecond(), null);
  for (let s = 0; s <= 30; s++) rate.add(s * 1000, s * 50);
  assertEquals(rate.perSecond(), 50);
  rate.add(31_000, 1550 + 1000);
  assertEquals(rate.perSecond(), 150, "the last 10 s only");

  const input: ReportInput = {
    syncId: 'a"b',
    running: true,
    pid: 1,
    startedAt: 1_000,
    positionFrom: "process",
    applied: at("mysql-bin.000001", 900),
    appliedAt: 5_000,
    appliedSourceTime: 2_000,
    source: { head: at("mysql-bin.000001", 1000), lagBytes: 100, error: null },
    rowsPerSecond: 12.345,
    stats: null,
    lastError: null,
  };
  const report = buildReport(input, 9_500);
  assertEquals([report.lag_seconds, report.lag_bytes, report.rows_per_second], [7.5, 100, 12.3]);
  const caughtUp = buildReport({ ...input, source: { ...input.source!, lagBytes: 0 } }, 9_500);
  assertEquals(caughtUp.lag_seconds, 0);
  const text = prometheusText(report);
  assertMatch(text, /^mysql_gp_sync_lag_seconds\{sync_id="a\\"b"\} 7\.5$/m);
  assert(!text.includes("rows_applied_total"), "counters unknown without stats are left out");

  assertEquals(metricName("shop.t:user|x"), "shop.t_user_x");
});
