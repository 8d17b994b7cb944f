/**
 * What an interrupted snapshot has left to load, from its checkpoints (snapshot/chunks.ts), and
 * the stored form of chunk keys.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { assertEquals, assertThrows } from "../support/assert.ts";
import { type DoneChunk, keyFromText, keyText, remainingWork } from "../../src/snapshot/chunks.ts";

const at = { file: "mysql-bin.000001", pos: 4 };

function done(ordinal: number, after: string | null, through: string | null): DoneChunk {
  return { ordinal, after, through, rows: 10, position: at };
}

Deno.test("nothing loaded: the whole table is left, planned from the start", () => {
  assertEquals(remainingWork([]), { gaps: [], tail: { after: null, ordinal: 1 } });
});

Deno.test("chunks loaded in order: the rest starts after the last, numbered after it", () => {
  assertEquals(remainingWork([done(2, "[10]", "[20]"), done(1, null, "[10]")]), {
    gaps: [],
    tail: { after: "[20]", ordinal: 3 },
  });
});

Deno.test("chunks that were loading when the load stopped are the gaps, loaded as they were", () => {
  // 1, 2 and 5 done; 3 and 4 were in flight: one range from the end of 2 to the start of 5.
  // 6 was in flight too, past the last done chunk: it is part of the tail, planned again.
  const work = remainingWork([
    done(5, "[40]", "[50]"),
    done(1, null, "[10]"),
    done(2, "[10]", "[20]"),
  ]);
  assertEquals(work, {
    gaps: [{ ordinal: 3, after: "[20]", through: "[40]" }],
    tail: { after: "[50]", ordinal: 6 },
  });
  // The first chunk missing: a gap from the start
  assertEquals(remainingWork([done(2, "[10]", "[20]")]).gaps, [
    { ordinal: 1, after: null, through: "[10]" },
  ]);
});

Deno.test("the table's last chunk loaded: no tail, only the gaps before it", () => {
  assertEquals(remainingWork([done(1, null, "[10]"), done(3, "[20]", null)]), {
    gaps: [{ ordinal: 2, after: "[10]", through: "[20]" }],
    tail: null,
  });
  assertEquals(remainingWork([done(1, null, null)]), { gaps: [], tail: null });
});

Deno.test("checkpoints that cannot come from one plan are refused, not loaded around", () => {
  // Consecutive ordinals always meet; these leave a hole with no ordinal for it
  assertThrows(() => remainingWork([done(1, null, "[10]"), done(2, "[11]", "[20]")]), Error);
});

Deno.test("keys round-trip through their stored text: numbers, big numbers as text, bytes", () => {
  const key = [42, "18446744073709551615", "naïve\u0000tab\t", Buffer.from([0, 255, 16])];
  const text = keyText(key);
  assertEquals(text, '[42,"18446744073709551615","naïve\\u0000tab\\t",{"hex":"00ff10"}]');
  assertEquals(keyFromText(text), key);
});
