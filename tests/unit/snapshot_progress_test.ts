/**
 * The figures of a snapshot's progress (snapshot/progress.ts): rows against the estimate, rate,
 * time left, and how they read as a log line and as a bar.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  duration,
  LoadProgress,
  progressBar,
  progressLine,
  TableProgress,
} from "../../src/snapshot/progress.ts";

Deno.test("rate and time left come from the rows of this run, the estimate from the source", () => {
  // 200,000 of an estimated 1,000,000 rows, 100,000 of them loaded by an interrupted run
  const table = new TableProgress("bank.acct", 1_000_000, 100_000);
  table.start(0);
  table.add(60_000);
  table.add(40_000);
  assertEquals(table.total, 200_000);
  assertEquals(table.rate(2_000), 50_000);
  assertEquals(table.fraction(), 0.2);
  assertEquals(table.secondsLeft(2_000), 16);
  assertEquals(
    progressLine(table, 2_000),
    "bank.acct: 200,000 of ~1,000,000 rows (20%), 50,000 rows/s, ~16 s left",
  );
});

Deno.test("an estimate that falls short: below 100% and no time left until the end", () => {
  const table = new TableProgress("s.t", 1_000, 0);
  table.start(0);
  table.add(1_500);
  assertEquals(table.fraction(), 0.99);
  assertEquals(table.secondsLeft(1_000), null);
  assertEquals(
    progressLine(table, 1_000),
    "s.t: 1,500 of ~1,000 rows (99%), 1,500 rows/s, time left unknown",
  );
  table.finish(3_000);
  assertEquals([table.fraction(), table.secondsLeft(), table.seconds()], [1, 0, 3]);
  // Nothing to estimate from: no "of", no time
  const unknown = new TableProgress("s.u", 0, 0);
  unknown.start(0);
  assertEquals(progressLine(unknown, 0), "s.u: 0 rows (0%), 0 rows/s, time left unknown");
});

Deno.test("a bar fills with the fraction and never exceeds the terminal's width", () => {
  const table = new TableProgress("bank.acct", 1_000, 0);
  table.start(0);
  table.add(500);
  assertEquals(
    progressBar(table, 200, 1_000),
    "bank.acct [##########----------] 50% 500/~1,000 rows 500 rows/s ETA 1 s",
  );
  const narrow = progressBar(table, 30, 1_000);
  assertEquals(narrow.length, 30);
  assert(narrow.startsWith("bank.acct [##########-------"), narrow);
});

Deno.test("only tables between their start and their end are shown", () => {
  const load = new LoadProgress();
  const first = load.add("a.first", 10, 0);
  const second = load.add("a.second", 10, 0);
  load.add("a.third", 10, 0);
  first.start(0);
  second.start(0);
  first.finish(1);
  assertEquals(load.active().map((t) => t.name), ["a.second"]);
});

Deno.test("durations read as seconds, minutes or hours", () => {
  assertEquals(
    [duration(4.4), duration(65), duration(3_599), duration(7_630)],
    ["4 s", "1 min 05 s", "59 min 59 s", "2 h 07 min"],
  );
});
