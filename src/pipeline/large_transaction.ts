/**
 * Applies a source transaction too large to hold whole: it arrives in pieces, which go into one
 * PostgreSQL transaction while the reader keeps the rest back (it pauses when its queue is full).
 *
 * @module
 */
import type { BinlogReader } from "../source/binlog_reader.ts";
import type { RowsChange, SourceTransaction } from "../source/transaction.ts";
import type { BatchWriter } from "../sink/writer.ts";
import { Batch } from "./batch.ts";
import type { TablePlan } from "./plan.ts";

/** Waiting for the next piece looks at the stop signal this often. */
const PIECE_WAIT_MS = 1_000;

/** What a large transaction applied. */
export interface LargeApplied {
  /** The last piece, its position the transaction's end. */
  last: Batch;
  /** Row changes of the pieces before the last. */
  earlierRows: number;
}

/**
 * Applies the transaction whose first piece is `first`, reading the other pieces from `reader`;
 * null when nothing was committed. Throws when `signal` stops it midway (it is applied again from
 * its start next time).
 */
export async function applyLargeTransaction(
  first: SourceTransaction,
  reader: BinlogReader,
  writer: BatchWriter,
  planFor: (change: RowsChange) => TablePlan | undefined,
  signal: AbortSignal,
): Promise<LargeApplied | null> {
  let earlierRows = 0;
  let final = first;
  const rolledBack = new Error("rolled back on the source");
  async function* pieces(): AsyncGenerator<Batch> {
    let unit: SourceTransaction | null = first;
    while (true) {
      final = unit;
      if (unit.rolledBack) throw rolledBack;
      const piece = new Batch();
      piece.add(unit, planFor);
      yield piece;
      if (unit.partial) earlierRows += unit.rowCount;
      if (!unit.partial) return;
      do {
        unit = await reader.next(PIECE_WAIT_MS);
        if (unit === null && signal.aborted) {
          throw new Error("stopped inside a large transaction; it is applied again from its start");
        }
      } while (unit === null);
    }
  }
  let applied: Batch | null;
  try {
    applied = await writer.applyInPieces(pieces());
  } catch (err) {
    if (err !== rolledBack) throw err;
    earlierRows = 0;
    applied = new Batch();
    applied.add(final, planFor);
    await writer.apply(applied);
  }
  return applied?.position ? { last: applied, earlierRows } : null;
}
