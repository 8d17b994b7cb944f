/**
 * `verify`: proves that every followed table in PostgreSQL holds what the source holds, and with
 * `repair` rewrites the rows that differ. Works while the sync runs (see `TableVerifier`).
 *
 * Each source table is compared with its slice of the target: with a source tag, the rows holding
 * its tag (a merged target holds other shards' rows beside); with soft delete, the rows not flagged
 * deleted. Source tables that share a target without a tag are each compared for their own rows,
 * and the target's rows none of them has are counted once for the target (`SharedExtras`).
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { followedRoutes, sourceName, targetName } from "../tables/followed.ts";
import { makeRowCodec, type RowCodec } from "../tables/row_codec.ts";
import {
  type SliceGroup,
  sliceGroups,
  type TargetSlice,
  targetSlice,
} from "../tables/target_slice.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import type { Route } from "../tables/routes.ts";
import { connectSource } from "../source/mysql.ts";
import { PositionStore } from "../sink/position_store.ts";
import { detectDialect } from "../sink/dialect.ts";
import { connectTarget, type Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import type { DiffKind } from "./comparer.ts";
import { TableVerifier } from "./keyed.ts";
import { KeylessVerifier } from "./keyless.ts";
import type { VerifySession } from "./session.ts";
import { SharedExtras } from "./shared_extras.ts";
import { SyncWaiter } from "./sync_wait.ts";

export interface VerifyOptions {
  /** Only these `schema.table` (null: every followed table). */
  tables: string[] | null;
  /** Rewrite the rows that differ. */
  repair: boolean;
  /** Source rows per chunk. */
  chunkRows: number;
  /** Longest wait for the sync to apply what a re-check needs (ms). */
  waitMs: number;
  /** Differing keys listed per table at most; the counts are always complete. */
  listLimit: number;
}

export const DEFAULT_VERIFY_OPTIONS: VerifyOptions = {
  tables: null,
  repair: false,
  chunkRows: 10_000,
  waitMs: 60_000,
  listLimit: 100,
};

export interface RowDifference {
  kind: DiffKind;
  /** Key column -> value as PostgreSQL prints it. */
  key: Record<string, string>;
}

export interface TableReport {
  source: string;
  target: string;
  /**
   * The target rows compared: the target, with its source tag's condition, and what else shares
   * them.
   */
  slice: string;
  /** Source rows compared. */
  rows: number;
  chunks: number;
  seconds: number;
  missing: number;
  extra: number;
  different: number;
  /** Rows that differed at first and matched once the sync had applied the changes in flight. */
  inFlight: number;
  /** The first differences found (at most `listLimit`). */
  differences: RowDifference[];
  /** Rows rewritten by `repair`: deleted from the target, then inserted from the source. */
  repaired: { deleted: number; inserted: number } | null;
  /** Why the table could not be compared (then it counts as differing). */
  error: string | null;
}

export interface VerifyReport {
  tables: TableReport[];
  /** Every table compared and no difference found. */
  equal: boolean;
  /** Every difference found was rewritten (always false without `repair`). */
  repaired: boolean;
  /** Why some re-checks could not wait for the sync (differences may be changes in flight). */
  notes: string[];
  seconds: number;
}

/** Compares (and with `repair` fixes) every followed table, or those in `options.tables`. */
export async function verify(
  config: Config,
  options: VerifyOptions,
  log: Logger,
): Promise<VerifyReport> {
  const started = performance.now();
  const source = await connectSource(config);
  let sql: Sql | null = null;
  try {
    sql = await connectTarget(config);
    const routes = await followedRoutes(config, source, log, options.tables);
    const waiter = new SyncWaiter(
      sql,
      new PositionStore(config.positionSchema, config.syncId),
      options.waitMs,
    );
    const session: VerifySession = {
      source,
      sql,
      dialect: await detectDialect(sql),
      waiter,
      options,
      log,
      notes: [],
    };
    const tables: TableReport[] = [];
    const found: Compared[] = [];
    for (const route of routes) {
      const table = await describeTable(route, session);
      if ("codec" in table) found.push(table);
      else tables.push(table.report);
    }
    for (const group of sliceGroups(found, (table) => table.slice)) {
      const shared = group.members.length > 1;
      if (!shared) await verifyTable(group.members[0], session);
      tables.push(...group.members.map((member) => member.report));
      // Its source tables' reports first, then the rows of the target none of them has
      if (shared) tables.push(await verifyShared(group, session));
    }
    const differs = (t: TableReport) => t.error !== null || t.missing + t.extra + t.different > 0;
    const equal = !tables.some(differs);
    // A shared target's extra rows are reported, never repaired
    const fixed = (t: TableReport) => t.error === null && (t.repaired !== null || !differs(t));
    return {
      tables,
      equal,
      repaired: options.repair && !equal && tables.every(fixed),
      notes: [...session.notes, ...waiter.notes.values()],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await source.end().catch(() => {});
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

/** A followed table with a target to compare with. */
interface Compared {
  codec: RowCodec;
  slice: TargetSlice;
  report: TableReport;
}

/** The table's codec and its empty report; only the report when its target does not exist. */
async function describeTable(
  route: Route,
  session: VerifySession,
): Promise<Compared | { report: TableReport }> {
  const report: TableReport = {
    source: sourceName(route),
    target: targetName(route),
    slice: targetName(route),
    rows: 0,
    chunks: 0,
    seconds: 0,
    missing: 0,
    extra: 0,
    different: 0,
    inFlight: 0,
    differences: [],
    repaired: null,
    error: null,
  };
  const target = await describeTarget(session.sql, route.pgSchema, route.pgTable);
  if (!target) {
    report.error =
      `PostgreSQL table ${report.target} does not exist (load it with "mysql-gp-sync snapshot")`;
    session.log.error(`verify ${report.source}: ${report.error}`);
    return { report };
  }
  // Both sides change a value PostgreSQL cannot hold the same way; nothing to report here.
  const codec = makeRowCodec(route, target, () => {});
  const slice = targetSlice(route, codec);
  report.slice = slice.label;
  return { codec, slice, report };
}

/**
 * Source tables that share their rows of a target (no source tag, or the same one): each is
 * compared for its own rows, then the target's rows none of them has are counted, in a report of
 * their own, returned.
 */
async function verifyShared(
  group: SliceGroup<Compared>,
  session: VerifySession,
): Promise<TableReport> {
  const { members, slice } = group;
  const names = members.map((m) => m.report.source);
  for (const member of members) {
    member.report.slice = `${slice.label} (shared with ${
      names.filter((name) => name !== member.report.source).join(", ")
    }: its extra rows are counted for all of them)`;
  }
  const report: TableReport = {
    ...members[0].report,
    source: `none of ${names.join(", ")}`,
    slice: `${slice.label}: rows in none of its source tables`,
    differences: [],
  };
  const extras = new SharedExtras(members.map((m) => m.codec), session, report);
  const refused = members.find((m) => m.codec.route.identity.kind === "whole-row");
  report.error = refused
    ? `${refused.report.source} has no key and shares ${slice.label} without a source tag: its ` +
      `rows cannot be told from the others'; give the [[rule]] a source_column`
    : extras.mismatch();
  if (report.error !== null) {
    for (const member of members) member.report.error = report.error;
    return report;
  }
  const started = performance.now();
  await extras.open();
  try {
    for (const member of members) await verifyTable(member, session, true);
    await extras.run();
  } finally {
    await extras.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Compares one table with its slice of the target (`shared`: see `verifyShared`). */
async function verifyTable(table: Compared, session: VerifySession, shared = false) {
  const { codec, report } = table;
  const started = performance.now();
  const verifier = codec.route.identity.kind === "whole-row"
    ? new KeylessVerifier(codec, session, report)
    : new TableVerifier(codec, session, report, shared);
  try {
    await verifier.run();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new Error(`verifying ${report.source}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await verifier.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  const rate = Math.round(report.rows / Math.max(report.seconds, 0.001));
  const found = report.missing + report.extra + report.different;
  session.log.info(
    `verify ${report.source} -> ${report.slice}: ${report.rows} rows in ${
      report.seconds.toFixed(1)
    } s (${rate} rows/s), ${
      found === 0
        ? "equal"
        : `${report.missing} missing, ${report.extra} extra, ${report.different} different`
    }${
      report.repaired
        ? `; repaired: ${report.repaired.deleted} deleted, ${report.repaired.inserted} inserted`
        : ""
    }`,
  );
}
