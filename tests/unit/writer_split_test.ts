/**
 * The writer-split policy (src/sink/writer_split.ts): one writer first, parallel writers only
 * while measured faster, Greenplum trying them later, small batches never split, and the other
 * mode tried again ever less often while the choice holds.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  FIRST_RECHECK,
  FIRST_TRY,
  MIN_ROWS_PER_WRITER,
  SAMPLES,
  type WriterMode,
  WriterSplit,
} from "../../src/sink/writer_split.ts";

const ROWS = 6 * MIN_ROWS_PER_WRITER;

/** Applies `batches` batches of `rows` rows, each taking `msPerRow[mode]` per row; the modes. */
function run(
  policy: WriterSplit,
  batches: number,
  msPerRow: Record<WriterMode, number>,
  rows = ROWS,
  messages: string[] = [],
): WriterMode[] {
  const modes: WriterMode[] = [];
  for (let i = 0; i < batches; i++) {
    const mode = policy.choose(rows);
    modes.push(mode);
    const message = policy.record(mode, rows, msPerRow[mode] * rows);
    if (message) messages.push(message);
  }
  return modes;
}

const count = (modes: WriterMode[], mode: WriterMode) => modes.filter((m) => m === mode).length;

Deno.test("writer split: one writer first, splitting tried later and kept only when measurably faster", () => {
  const faster = new WriterSplit(6, "postgres");
  const messages: string[] = [];
  const before = run(faster, FIRST_TRY.postgres, { one: 0.01, split: 0.005 }, ROWS, messages);
  assertEquals(before, Array(FIRST_TRY.postgres).fill("one"));
  const tried = run(faster, SAMPLES + 10, { one: 0.01, split: 0.005 }, ROWS, messages);
  assertEquals(tried, Array(SAMPLES + 10).fill("split"));
  assertEquals(messages.length, 1);
  assert(messages[0].includes("splitting"), messages[0]);

  // 5% faster is within the noise: one writer stays
  const barely = new WriterSplit(6, "postgres");
  run(barely, FIRST_TRY.postgres + SAMPLES, { one: 0.01, split: 0.0095 });
  assertEquals(run(barely, 10, { one: 0.01, split: 0.0095 }), Array(10).fill("one"));

  const slower = new WriterSplit(6, "postgres");
  const said: string[] = [];
  const modes = run(
    slower,
    FIRST_TRY.postgres + SAMPLES + 10,
    { one: 0.01, split: 0.02 },
    ROWS,
    said,
  );
  assertEquals(count(modes, "split"), SAMPLES, "splitting costs a few batches to try, no more");
  assertEquals(modes.slice(-10), Array(10).fill("one"));
  assertEquals(said.length, 1, "the first choice is logged even when it keeps one writer");
  assert(said[0].includes("one writer"), said[0]);
});

Deno.test("writer split: Greenplum tries splitting later than PostgreSQL", () => {
  assert(FIRST_TRY.greenplum > FIRST_TRY.postgres);
  const policy = new WriterSplit(6, "greenplum");
  assert(policy.describe().includes("Greenplum"));
  const modes = run(policy, FIRST_TRY.greenplum, { one: 0.01, split: 0.001 });
  assertEquals(modes, Array(FIRST_TRY.greenplum).fill("one"));
  const messages: string[] = [];
  const next = run(policy, SAMPLES + 5, { one: 0.01, split: 0.001 }, ROWS, messages);
  assertEquals(next, Array(SAMPLES + 5).fill("split"));
  assertEquals(messages.length, 1);
});

Deno.test("writer split: a median decides, so one slow batch does not", () => {
  const policy = new WriterSplit(4, "postgres");
  const rows = 4 * MIN_ROWS_PER_WRITER;
  // one writer: 10 ms twice and one lucky 1 ms last (a mean of 7 would keep one writer); split:
  // 8 ms
  const times = {
    one: [...Array(FIRST_TRY.postgres - 3).fill(10), 10, 1, 10],
    split: [8, 8, 8],
  };
  for (let i = 0; i < FIRST_TRY.postgres + SAMPLES; i++) {
    const mode = policy.choose(rows);
    policy.record(mode, rows, times[mode].shift()!);
  }
  assertEquals(policy.choose(rows), "split");
});

Deno.test("writer split: small batches and a single writer are never split nor counted", () => {
  const policy = new WriterSplit(6, "postgres");
  const small = policy.minRows - 1;
  assertEquals(run(policy, 20, { one: 1, split: 0.001 }, small), Array(20).fill("one"));
  // Nothing was counted: the first try is as far ahead as ever
  const first = run(policy, FIRST_TRY.postgres, { one: 0.01, split: 0.001 });
  assertEquals(count(first, "split"), 0);
  assertEquals(run(policy, SAMPLES, { one: 0.01, split: 0.001 }), Array(SAMPLES).fill("split"));

  const alone = new WriterSplit(1, "postgres");
  assertEquals(run(alone, 10, { one: 1, split: 0.001 }), Array(10).fill("one"));
});

Deno.test("writer split: rechecks follow a change of circumstances, ever less often while it holds", () => {
  const policy = new WriterSplit(6, "postgres");
  run(policy, FIRST_TRY.postgres + SAMPLES, { one: 0.01, split: 0.005 });
  // Splitting stops paying (say the target moved behind a busier master): within one recheck
  // interval the other mode is tried and taken.
  const messages: string[] = [];
  const modes = run(
    policy,
    FIRST_RECHECK + SAMPLES + 10,
    { one: 0.01, split: 0.05 },
    ROWS,
    messages,
  );
  assertEquals(modes.slice(-10), Array(10).fill("one"));
  assertEquals(messages.length, 1);
  assert(messages[0].includes("one writer"), messages[0]);

  // While one writer stays best, the next rechecks come after 64, then 128, then 256 batches
  const tries: number[] = [];
  const steady = run(policy, 64 + 128 + 256 + 3 * SAMPLES, { one: 0.01, split: 0.05 });
  steady.forEach((mode, i) => mode === "split" && tries.push(i));
  assertEquals(tries.length, 3 * SAMPLES);
  assertEquals(tries[SAMPLES] - tries[0], 128 + SAMPLES);
  assertEquals(tries[2 * SAMPLES] - tries[SAMPLES], 256 + SAMPLES);
});
