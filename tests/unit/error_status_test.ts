/**
 * The last error of a running sync: shown while it retries, cleared once a batch has gone through
 * after it (then kept as the error recovered from), in the stats and in `status`'s lines.
 */
import { assertEquals } from "../support/assert.ts";
import { formatReport } from "../../src/commands/status.ts";
import { buildReport } from "../../src/observe/metrics.ts";
import { newStats, noteApplied, noteError } from "../../src/observe/stats.ts";

function lastErrorLine(stats: ReturnType<typeof newStats>): string {
  const report = buildReport({
    syncId: "1",
    running: true,
    pid: 1,
    startedAt: 0,
    positionFrom: null,
    applied: null,
    appliedAt: null,
    appliedSourceTime: null,
    source: null,
    rowsPerSecond: null,
    stats,
    lastError: stats.lastError,
  });
  return formatReport(report, "").find((line) => line.startsWith("last error:"))!;
}

Deno.test("an error is shown until a batch goes through, then kept as recovered from", () => {
  const stats = newStats();
  noteApplied(stats, 1_000);
  assertEquals(lastErrorLine(stats), "last error:       none");
  noteError(stats, "lost the connection to PostgreSQL at h:1", Date.UTC(2024, 0, 1, 10));
  assertEquals(
    lastErrorLine(stats),
    "last error:       lost the connection to PostgreSQL at h:1 (at 2024-01-01T10:00:00.000Z; " +
      "retrying)",
  );
  noteApplied(stats, Date.UTC(2024, 0, 1, 10, 0, 5));
  assertEquals(stats.lastError, null);
  assertEquals(
    lastErrorLine(stats),
    "last error:       none since 2024-01-01T10:00:05.000Z (recovered from: lost the " +
      "connection to PostgreSQL at h:1, at 2024-01-01T10:00:00.000Z)",
  );
  // Later batches change nothing; a new error is shown again.
  noteApplied(stats, Date.UTC(2024, 0, 1, 11));
  assertEquals(stats.recoveredAt, Date.UTC(2024, 0, 1, 10, 0, 5));
  noteError(stats, "again", Date.UTC(2024, 0, 1, 12));
  assertEquals(
    lastErrorLine(stats),
    "last error:       again (at 2024-01-01T12:00:00.000Z; retrying)",
  );
});
