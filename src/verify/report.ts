/**
 * How a verify result is shown: lines for people, one JSON document for machines.
 *
 * @module
 */
import type { TableReport, VerifyReport } from "./verify.ts";

/** The report as text lines: one per table, its differing keys indented, then the totals. */
export function reportLines(report: VerifyReport): string[] {
  const lines: string[] = [];
  for (const table of report.tables) {
    lines.push(`${table.source} -> ${table.slice}: ${tableSummary(table)}`);
    for (const diff of table.differences) {
      const key = Object.entries(diff.key).map(([name, value]) => `${name}=${value}`).join(" ");
      lines.push(`  ${diff.kind.padEnd(9)} ${key}`);
    }
    const found = table.missing + table.extra + table.different;
    if (found > table.differences.length) {
      lines.push(`  ... and ${found - table.differences.length} more`);
    }
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  const totals = totalsOf(report);
  const rate = Math.round(totals.rows / Math.max(report.seconds, 0.001));
  const verdict = report.equal
    ? "target equals source"
    : report.repaired
    ? "differences repaired"
    : "target differs from source";
  lines.push(
    `${verdict}: ${report.tables.length} tables, ${totals.rows} rows in ${
      report.seconds.toFixed(1)
    } s (${rate} rows/s); ${totals.missing} missing, ${totals.extra} extra, ${totals.different} different` +
      (totals.repaired
        ? `; rewrote ${totals.repaired.deleted} deleted, ${totals.repaired.inserted} inserted`
        : ""),
  );
  return lines;
}

/** The report as one JSON document (snake_case keys, like the rest of the CLI's JSON). */
export function reportJson(report: VerifyReport): string {
  const totals = totalsOf(report);
  return JSON.stringify({
    equal: report.equal,
    repaired: report.repaired,
    seconds: round(report.seconds),
    rows_per_second: Math.round(totals.rows / Math.max(report.seconds, 0.001)),
    totals: {
      tables: report.tables.length,
      rows: totals.rows,
      missing: totals.missing,
      extra: totals.extra,
      different: totals.different,
      repaired: totals.repaired,
    },
    notes: report.notes,
    tables: report.tables.map((t) => ({
      source: t.source,
      target: t.target,
      slice: t.slice,
      rows: t.rows,
      chunks: t.chunks,
      seconds: round(t.seconds),
      missing: t.missing,
      extra: t.extra,
      different: t.different,
      in_flight: t.inFlight,
      differences: t.differences,
      differences_not_listed: t.missing + t.extra + t.different - t.differences.length,
      repaired: t.repaired,
      error: t.error,
    })),
  });
}

function tableSummary(table: TableReport): string {
  if (table.error !== null) return `not compared: ${table.error}`;
  const found = table.missing + table.extra + table.different;
  const rate = Math.round(table.rows / Math.max(table.seconds, 0.001));
  const head = `${table.rows} rows, ${table.seconds.toFixed(1)} s (${rate} rows/s)`;
  if (found === 0) return `${head}, equal`;
  const repaired = table.repaired
    ? `; repaired: ${table.repaired.deleted} deleted, ${table.repaired.inserted} inserted`
    : "";
  return `${head}, ${table.missing} missing, ${table.extra} extra, ${table.different} different${repaired}`;
}

function totalsOf(report: VerifyReport) {
  let rows = 0, missing = 0, extra = 0, different = 0;
  let repaired: { deleted: number; inserted: number } | null = null;
  for (const t of report.tables) {
    rows += t.rows;
    missing += t.missing;
    extra += t.extra;
    different += t.different;
    if (t.repaired) {
      repaired ??= { deleted: 0, inserted: 0 };
      repaired.deleted += t.repaired.deleted;
      repaired.inserted += t.repaired.inserted;
    }
  }
  return { rows, missing, extra, different, repaired };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
