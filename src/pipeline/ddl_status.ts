/**
 * The last DDL applied to each followed table, in the sync's counters for `status` and /status:
 * taken from PostgreSQL when a session starts (so DDL of earlier runs shows too) and updated as
 * each statement is applied.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import type { SyncStats } from "../observe/stats.ts";
import { type AppliedDdl, DdlStore } from "../sink/ddl_store.ts";
import type { Queryable } from "../sink/postgres.ts";

/** Puts the last DDL per table stored in PostgreSQL into `stats`. */
export async function loadLastDdl(stats: SyncStats, sql: Queryable, config: Config): Promise<void> {
  noteDdl(stats, await new DdlStore(config.positionSchema, config.syncId).lastApplied(sql));
}

/** Notes DDL just applied (or read back) as the last of each table. */
export function noteDdl(stats: SyncStats, ddl: readonly AppliedDdl[]): void {
  for (const entry of ddl) {
    stats.lastDdl.set(entry.table, {
      position: entry.position,
      statement: entry.statement,
      outcome: entry.outcome,
      appliedAt: entry.appliedAt.getTime(),
    });
  }
}
