/**
 * Counts an applied batch into the sync's stats (per table, per kind, position and lag) and logs it
 * at debug level.
 *
 * @module
 */
import { noteApplied, type SyncStats } from "../observe/stats.ts";
import { formatPosition } from "../offsets/position.ts";
import type { Logger } from "../util/log.ts";
import type { Batch } from "./batch.ts";

/** Records `batch` (its position set) as applied, in `applyMs` milliseconds. */
export function recordApplied(stats: SyncStats, log: Logger, batch: Batch, applyMs = 0): void {
  for (const [plan, changes] of batch.sourceOps) {
    const name = plan.sourceName;
    const { share, sources } = batch.heldBy(plan)!;
    // Rows written are known per share: one several source tables merged into credits each of
    // them with its row changes instead.
    const written = sources === 1 ? share.size : changes.insert + changes.update + changes.delete;
    stats.perTable.set(name, (stats.perTable.get(name) ?? 0) + written);
    const ops = stats.perTableOps.get(name) ?? { insert: 0, update: 0, delete: 0 };
    ops.insert += changes.insert;
    ops.update += changes.update;
    ops.delete += changes.delete;
    stats.perTableOps.set(name, ops);
  }
  stats.appliedPosition = batch.position;
  stats.appliedAt = Date.now();
  stats.appliedSourceTime = batch.sourceTimestamp;
  stats.rowsApplied += batch.changes;
  stats.transactionsApplied += batch.transactions;
  stats.batchesApplied++;
  noteApplied(stats);
  log.debug(
    `applied ${batch.changes} row changes in ${batch.transactions} transactions up to ${
      formatPosition(batch.position!)
    } in ${Math.round(applyMs)} ms`,
  );
}
