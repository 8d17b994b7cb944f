/**
 * `status --watch` without servers: per-table rates between two samples, the one-line form for
 * pipes, the redrawn terminal frame, and the refresh loop (a reader that counts its calls stands
 * in for the HTTP ask; the real command against a running sync is in
 * tests/integration/status_watch_test.ts).
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { stripAnsi } from "../support/terminal.ts";
import type { StatusReport } from "../../src/observe/metrics.ts";
import {
  type StatusSample,
  tableRates,
  watchFrame,
  watchLine,
  watchStatus,
} from "../../src/commands/status_watch.ts";

function report(overrides: Partial<StatusReport> = {}): StatusReport {
  return {
    sync_id: "7",
    running: true,
    pid: 42,
    started_at: "2026-01-01T00:00:00.000Z",
    position_from: "process",
    applied_position: { bin_name: "mysql-bin.000003", bin_pos: 1200 },
    applied_gtid_state: null,
    source_server: null,
    applied_at: null,
    applied_source_time: null,
    source_position: { bin_name: "mysql-bin.000003", bin_pos: 1500 },
    read_position: null,
    source_seen_at: null,
    source_error: null,
    lag_seconds: 1.5,
    lag_bytes: 300,
    rows_per_second: 20,
    rows_applied: 100,
    transactions_applied: 10,
    batches_applied: 4,
    values_altered: 0,
    tables: { "shop.a": 60, "shop.b": 40 },
    followed_tables: ["shop.a", "shop.b"],
    table_changes: {
      "shop.a": { insert: 50, update: 10, delete: 0 },
      "shop.b": { insert: 40, update: 0, delete: 0 },
    },
    ddl: null,
    reconnects: 1,
    last_error: null,
    last_error_at: null,
    previous_error: null,
    recovered_at: null,
    ...overrides,
  };
}

const sample = (at: number, overrides: Partial<StatusReport> = {}, note = ""): StatusSample => ({
  report: report(overrides),
  note,
  at,
});

Deno.test("tableRates: changes per second of each table between two samples of one process", () => {
  const before = sample(10_000);
  const after = sample(12_000, {
    table_changes: {
      "shop.a": { insert: 70, update: 14, delete: 6 },
      "shop.b": { insert: 40, update: 0, delete: 0 },
      "shop.c": { insert: 3, update: 0, delete: 1 },
    },
  });
  assertEquals(tableRates(before, after), {
    "shop.a": { insert: 10, update: 2, delete: 3 },
    "shop.b": { insert: 0, update: 0, delete: 0 },
    "shop.c": { insert: 1.5, update: 0, delete: 0.5 },
  });
  // Counters of another process (a restart) or of no process cannot be compared.
  assertEquals(tableRates(before, sample(12_000, { pid: 43 })), null);
  assertEquals(tableRates(before, sample(12_000, { running: false, table_changes: null })), null);
  assertEquals(tableRates(before, sample(10_000)), null, "no time between them");
});

Deno.test("watchLine: one line per refresh with positions, lag, counters, rates and the error", () => {
  const before = sample(Date.UTC(2026, 0, 1, 0, 0, 0));
  const after = sample(Date.UTC(2026, 0, 1, 0, 0, 2), {
    table_changes: {
      "shop.a": { insert: 54, update: 10, delete: 2 },
      "shop.b": { insert: 40, update: 0, delete: 0 },
    },
    last_error: 'relation "public.b" does not exist',
  });
  assertEquals(
    watchLine(after, tableRates(before, after)),
    "2026-01-01T00:00:02.000Z sync=7 running pid=42 applied=mysql-bin.000003:1200 " +
      "source=mysql-bin.000003:1500 lag=1.5s,300B rows/s=20 rows=100 batches=4 reconnects=1 " +
      'table_changes/s=shop.a:3.0,shop.b:0.0 error="relation \\"public.b\\" does not exist"',
  );
  const stopped = sample(0, {
    running: false,
    pid: null,
    lag_seconds: null,
    table_changes: null,
  }, "not running (nothing listening on 127.0.0.1:9717: refused)");
  assertEquals(
    watchLine(stopped, null),
    "1970-01-01T00:00:00.000Z sync=7 stopped applied=mysql-bin.000003:1200 " +
      'source=mysql-bin.000003:1500 lag=?,300B error="none" ' +
      "(not running (nothing listening on 127.0.0.1:9717: refused))",
  );
});

Deno.test("watchFrame: the status lines, then rates and totals per table in aligned columns", () => {
  const before = sample(1_000);
  const after = sample(3_000, {
    table_changes: {
      "shop.a": { insert: 1050, update: 10, delete: 0 },
      "shop.b": { insert: 40, update: 0, delete: 0 },
    },
  });
  const frame = watchFrame(after, tableRates(before, after), () => ["STATUS LINE"], 2000);
  assertEquals(frame.slice(0, 3), [
    "mysql-gp-sync status, 1970-01-01T00:00:03.000Z, every 2 s (Ctrl-C to stop)",
    "",
    "STATUS LINE",
  ]);
  assertEquals(frame.slice(5), [
    "  table   ins/s  upd/s  del/s  inserts  updates  deletes",
    "  shop.a  500.0    0.0    0.0     1050       10        0",
    "  shop.b    0.0    0.0    0.0       40        0        0",
  ]);
  const first = watchFrame(after, null, () => [], 2000);
  assertMatch(first.join("\n"), /^ {2}shop\.a +- +- +- +1050 +10 +0$/m, "no rate before 2 samples");
});

Deno.test("watchStatus: refreshes until aborted; redraws on a terminal, a line each elsewhere", async () => {
  for (const mode of ["terminal", "pipe", "json"] as const) {
    const controller = new AbortController();
    const printed: string[] = [];
    let reads = 0;
    await watchStatus({
      read: () => {
        reads++;
        if (reads === 3) controller.abort();
        return Promise.resolve(sample(reads * 1000, { rows_applied: reads }));
      },
      format: (r) => [`rows ${r.rows_applied}`],
      out: (text) => printed.push(text),
      intervalMs: 1,
      terminal: mode === "terminal",
      json: mode === "json",
      signal: controller.signal,
      columns: () => 30,
    });
    assertEquals(reads, 3, mode);
    if (mode === "terminal") {
      // Cursor off and screen cleared, two frames drawn from the top, cursor back on.
      assertEquals(printed.length, 4);
      assertEquals(printed[0], "\x1b[?25l\x1b[H\x1b[J");
      assert(printed[1].startsWith("\x1b[H") && printed[1].endsWith("\x1b[J"), printed[1]);
      assert(printed[2].includes("\nrows 2\x1b[K\n"), printed[2]);
      for (const line of printed[2].split("\n")) {
        assert(stripAnsi(line).length <= 30, `wider than 30: ${line}`);
      }
      assertEquals(printed[3], "\x1b[?25h");
    } else if (mode === "pipe") {
      assertEquals(printed.length, 2);
      assert(printed.every((l) => !l.includes("\x1b") && !l.includes("\n")), printed.join("|"));
      assertMatch(printed[1], /^1970-01-01T00:00:02\.000Z sync=7 running .* rows=2 /);
    } else {
      assertEquals(printed.map((l) => JSON.parse(l).rows_applied), [1, 2]);
    }
  }
});
