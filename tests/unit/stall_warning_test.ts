/**
 * A wait for PostgreSQL past the threshold is logged with what it waits for, again each time it
 * has doubled; a wait that ends in time says nothing. The clock is passed in, so no test waits.
 */
import { assertEquals, assertMatch } from "../support/assert.ts";
import { STALL_WARN_MS, StallWarning } from "../../src/pipeline/stall_warning.ts";

function warnings(): { log: { warn(message: string): void }; lines: string[] } {
  const lines: string[] = [];
  return { log: { warn: (message) => lines.push(message) }, lines };
}

Deno.test("a stalled apply is logged at the threshold, then at each doubling of the wait", () => {
  const { log, lines } = warnings();
  const stall = new StallWarning(log, "PostgreSQL at h:5432 (pg_host/pg_port in x.toml)");
  try {
    stall.begin(() => "applying a batch of 3 row changes (binlog b.000001:4 to b.000001:900)", 0);
    for (let s = 1; s <= 130; s++) stall.check(s * 1000);
    assertEquals(lines.length, 3);
    assertEquals(STALL_WARN_MS, 30_000);
    assertMatch(
      lines[0],
      /^waited 30s for PostgreSQL at h:5432 \(pg_host\/pg_port in x\.toml\) while applying a batch of 3 row changes \(binlog b\.000001:4 to b\.000001:900\); still waiting \(a lock held by another session\? see pg_locks and pg_stat_activity there\)$/,
    );
    assertMatch(lines[1], /^waited 60s /);
    assertMatch(lines[2], /^waited 120s /);
  } finally {
    stall.close();
  }
});

Deno.test("a wait that ends in time, or a new one, starts the count again", () => {
  const { log, lines } = warnings();
  const stall = new StallWarning(log, "PostgreSQL");
  try {
    stall.begin("taking the run lock", 0);
    stall.check(29_000);
    stall.end();
    stall.check(40_000);
    assertEquals(lines, []);
    stall.begin("reading the saved position", 100_000);
    stall.check(131_000);
    assertEquals(lines, [
      "waited 31s for PostgreSQL while reading the saved position; still " +
      "waiting (a lock held by another session? see pg_locks and pg_stat_activity there)",
    ]);
  } finally {
    stall.close();
  }
});
