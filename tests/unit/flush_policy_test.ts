/** The flush policy of the replication session: each limit, the idle flush, position-only batches. */
import { assert, assertEquals } from "../support/assert.ts";
import {
  BATCH_MAX_BYTES,
  BUSY_ACK_WIN_FACTOR,
  type FlushLimits,
  type GatheredBatch,
  IDLE_POSITION_MS,
  mustFlush,
  readWaitMs,
} from "../../src/pipeline/flush_policy.ts";

const limits: FlushLimits = { batchMaxRows: 100, batchMaxMs: 200, concurrentAckWin: 10 };
const STARTED = 1_000_000;

/** A batch of one transaction with rows of `tables` followed tables, started at STARTED. */
function gathered(fields: Partial<Omit<GatheredBatch, "tables">> = {}, tables = 1): GatheredBatch {
  return {
    changes: 1,
    bytes: 100,
    transactions: 1,
    startedAt: STARTED,
    tables: { size: tables },
    ...fields,
  };
}

/** PostgreSQL busy with the previous batch, so only the limits can flush. */
const APPLYING = true;

Deno.test("an empty batch is never flushed and the read waits a second", () => {
  const empty = gathered({ changes: 0, bytes: 0, transactions: 0, startedAt: 0 }, 0);
  assert(!mustFlush(empty, false, 0, STARTED + 60_000, limits));
  assertEquals(readWaitMs(empty, limits, STARTED), IDLE_POSITION_MS);
});

Deno.test("a batch under every limit waits", () => {
  assert(!mustFlush(gathered(), APPLYING, 0, STARTED + 10, limits));
  assert(!mustFlush(gathered(), false, 5, STARTED + 10, limits));
});

Deno.test("batch_max_rows flushes once the row changes reach it", () => {
  assert(!mustFlush(gathered({ changes: 99 }), APPLYING, 5, STARTED, limits));
  assert(mustFlush(gathered({ changes: 100 }), APPLYING, 5, STARTED, limits));
});

Deno.test("the byte limit flushes once the binlog bytes reach it", () => {
  assert(!mustFlush(gathered({ bytes: BATCH_MAX_BYTES - 1 }), APPLYING, 5, STARTED, limits));
  assert(mustFlush(gathered({ bytes: BATCH_MAX_BYTES }), APPLYING, 5, STARTED, limits));
});

Deno.test("concurrent_ack_win flushes once the transactions reach it", () => {
  assert(!mustFlush(gathered({ transactions: 9 }), false, 5, STARTED, limits));
  assert(mustFlush(gathered({ transactions: 10 }), false, 5, STARTED, limits));
});

Deno.test("while PostgreSQL applies the last batch, the next gathers up to a larger count", () => {
  const stretched = 10 * BUSY_ACK_WIN_FACTOR;
  assert(BUSY_ACK_WIN_FACTOR > 1);
  assert(!mustFlush(gathered({ transactions: 10 }), APPLYING, 5, STARTED, limits));
  assert(!mustFlush(gathered({ transactions: stretched - 1 }), APPLYING, 5, STARTED, limits));
  assert(mustFlush(gathered({ transactions: stretched }), APPLYING, 5, STARTED, limits));
  // Once PostgreSQL is done, the count over concurrent_ack_win flushes at once.
  assert(mustFlush(gathered({ transactions: 11 }), false, 5, STARTED, limits));
});

Deno.test("batch_max_ms flushes a batch with rows once it is that old", () => {
  assert(!mustFlush(gathered(), APPLYING, 5, STARTED + 199, limits));
  assert(mustFlush(gathered(), APPLYING, 5, STARTED + 200, limits));
  assertEquals(readWaitMs(gathered(), limits, STARTED + 50), 150);
  assertEquals(readWaitMs(gathered(), limits, STARTED + 500), 0);
});

Deno.test("rows go at once when PostgreSQL is idle and nothing waits to be read", () => {
  assert(mustFlush(gathered(), false, 0, STARTED, limits));
  assert(!mustFlush(gathered(), true, 0, STARTED, limits), "PostgreSQL busy");
  assert(!mustFlush(gathered(), false, 1, STARTED, limits), "backlog");
});

Deno.test("a position-only batch is not flushed when idle but after a second", () => {
  const positionOnly = gathered({ changes: 3 }, 0);
  assert(!mustFlush(positionOnly, false, 0, STARTED + 500, limits));
  assert(!mustFlush(positionOnly, false, 0, STARTED + IDLE_POSITION_MS - 1, limits));
  assert(mustFlush(positionOnly, false, 0, STARTED + IDLE_POSITION_MS, limits));
  assertEquals(readWaitMs(positionOnly, limits, STARTED + 200), IDLE_POSITION_MS - 200);
  const slow = { ...limits, batchMaxMs: 5_000 };
  assert(mustFlush(positionOnly, APPLYING, 5, STARTED + IDLE_POSITION_MS, slow));
});

Deno.test("a position-only batch still obeys the count limits", () => {
  assert(mustFlush(gathered({ transactions: 10 }, 0), false, 0, STARTED, limits));
  assert(mustFlush(gathered({ changes: 100 }, 0), false, 0, STARTED, limits));
});
