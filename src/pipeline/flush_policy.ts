/**
 * When the batch in hand must go to PostgreSQL, and how long the read loop may wait for the next
 * transaction meanwhile. Pure: the session passes numbers (no object per transaction on the hot
 * path) and the batch itself.
 *
 * @module
 */
import type { Config } from "../config/config.ts";

/**
 * A batch is flushed once its transactions' rows are estimated to take this much memory
 * (`SourceTransaction.bytes`): 8 MB of binlog for the bench's six-column rows, fewer rows where
 * they are narrow (bounds memory whatever `batch_max_rows` says).
 */
export const BATCH_MAX_BYTES = 24 << 20;
/** Position-only commits (binlog traffic for tables we do not follow) at most this often. */
export const IDLE_POSITION_MS = 1_000;

/**
 * While PostgreSQL still applies the previous batch, the batch in hand may gather this many times
 * `concurrent_ack_win` transactions rather than wait idle for it, so the round trips a batch costs
 * are shared by more rows when the target is far away. Measured through a proxy at 2.66 ms round
 * trips: single-row inserts and deletes reached 0.92 and 0.85 of their loopback rates with
 * 8192-transaction batches, against 0.79 and 0.72 (at 1.96 ms) with 2048. Memory stays bounded by
 * `BATCH_MAX_BYTES` and `batch_max_rows` whatever the count.
 */
export const BUSY_ACK_WIN_FACTOR = 4;

/** The configured limits of a batch. */
export type FlushLimits = Pick<Config, "batchMaxRows" | "batchMaxMs" | "concurrentAckWin">;

/** What the policy looks at in a batch (`Batch` is one). */
export interface GatheredBatch {
  /** Row changes read into the batch. */
  readonly changes: number;
  /** Estimated memory of its transactions' decoded rows. */
  readonly bytes: number;
  readonly transactions: number;
  /** When its first transaction was added (ms since epoch). */
  readonly startedAt: number;
  /** Its rows by followed table; none when it only advances the position. */
  readonly tables: { readonly size: number };
}

/** How long the batch may gather: a batch of only a position is not worth a commit per second. */
function ageLimit(batch: GatheredBatch, limits: FlushLimits): number {
  return batch.tables.size > 0 ? limits.batchMaxMs : IDLE_POSITION_MS;
}

/** How long the read loop may wait for a transaction before the batch in hand is due. */
export function readWaitMs(batch: GatheredBatch, limits: FlushLimits, now: number): number {
  if (batch.transactions === 0) return IDLE_POSITION_MS;
  return Math.max(0, batch.startedAt + ageLimit(batch, limits) - now);
}

/**
 * Whether the batch must be flushed now: a limit is reached, it is old enough, or it holds rows
 * while PostgreSQL is idle and nothing is waiting to be read (waiting longer would only add lag).
 * The transaction count's limit is `concurrent_ack_win`, stretched while PostgreSQL is busy.
 */
export function mustFlush(
  batch: GatheredBatch,
  applying: boolean,
  backlog: number,
  now: number,
  limits: FlushLimits,
): boolean {
  if (batch.transactions === 0) return false;
  const ackWin = applying ? limits.concurrentAckWin * BUSY_ACK_WIN_FACTOR : limits.concurrentAckWin;
  return batch.changes >= limits.batchMaxRows || batch.bytes >= BATCH_MAX_BYTES ||
    batch.transactions >= ackWin ||
    (batch.tables.size > 0 && !applying && backlog === 0) ||
    now - batch.startedAt >= ageLimit(batch, limits);
}
