/**
 * The fault workload's seeded plan (testing/workload_plan.ts): a seed always gives the same
 * transactions, every kind the fault tests count on turns up, and new keys never repeat.
 *
 * @module
 */
import { assert, assertEquals, assertNotEquals, assertThrows } from "../support/assert.ts";
import {
  type PlanKind,
  seededRandom,
  type TransactionPlan,
  WorkloadPlanner,
  workloadSeed,
} from "../../testing/workload_plan.ts";

function draw(seed: number, count: number): TransactionPlan[] {
  const planner = new WorkloadPlanner(seed, { bigEvery: 100, bigRows: [20_000, 50_000] });
  return Array.from({ length: count }, () => planner.next());
}

Deno.test("workload plan: the same seed gives the same transactions, another seed others", () => {
  assertEquals(draw(42, 300), draw(42, 300));
  assertNotEquals(draw(42, 300), draw(43, 300));
  const random = seededRandom(7);
  const values = Array.from({ length: 1000 }, random);
  assert(values.every((v) => v >= 0 && v < 1), "values outside [0, 1)");
  assert(new Set(values).size > 990, "the generator repeats itself");
});

Deno.test("workload plan: every kind turns up, rollbacks end in ROLLBACK, big ones are big", () => {
  const plans = draw(1234, 3000);
  const kinds = new Set(plans.map((plan) => plan.kind));
  const expected: PlanKind[] = ["order", "readings", "update", "rekey", "delete", "mixed"];
  for (const kind of [...expected, "rollback", "big"] as PlanKind[]) {
    assert(kinds.has(kind), `no ${kind} transaction in 3000`);
  }
  for (const plan of plans) {
    assertEquals(plan.commit, plan.kind !== "rollback", plan.kind);
    assert(plan.statements.length > 0, `${plan.kind} without statements`);
  }
  for (const plan of plans.filter((p) => p.kind === "big")) {
    const rows = Number(/seq_1_to_(\d+)/.exec(plan.statements[0])?.[1]);
    assert(rows >= 20_000 && rows <= 50_000, `a big transaction of ${rows} rows`);
  }
  assert(plans.some((p) => p.statements.some((s) => /UPDATE \S+ SET id = /.test(s))), "no rekey");
});

Deno.test("workload plan: inserted and re-keyed ids are never used twice", () => {
  const planner = new WorkloadPlanner(99, { bigEvery: 50, bigRows: [1_000, 2_000] });
  const orderIds: number[] = [];
  const readingIds: number[] = [];
  for (let i = 0; i < 2000; i++) {
    for (const statement of planner.next().statements) {
      const order = /INSERT INTO weather\.orders VALUES \((\d+),/.exec(statement);
      if (order) orderIds.push(Number(order[1]));
      const rekey = /UPDATE weather\.orders SET id = (\d+) /.exec(statement);
      if (rekey) orderIds.push(Number(rekey[1]));
      const readings = /INSERT INTO weather\.readings VALUES (.*)$/.exec(statement);
      if (readings) {
        for (const row of readings[1].matchAll(/\((\d+),/g)) readingIds.push(Number(row[1]));
      }
      const big = /SELECT (\d+) \+ seq, .* seq_1_to_(\d+)$/.exec(statement);
      if (big) {
        for (let id = 1; id <= Number(big[2]); id++) readingIds.push(Number(big[1]) + id);
      }
    }
  }
  assert(orderIds.length > 500 && readingIds.length > 50_000, "too few keys drawn");
  assertEquals(new Set(orderIds).size, orderIds.length, "an order id was used twice");
  assertEquals(new Set(readingIds).size, readingIds.length, "a reading id was used twice");
});

Deno.test("workloadSeed: MGS_WORKLOAD_SEED when set, a 32-bit number otherwise", () => {
  assertEquals(workloadSeed("123"), 123);
  assertThrows(() => workloadSeed("abc"), Error);
  assertThrows(() => workloadSeed("4294967296"), Error);
  const seed = workloadSeed("");
  assert(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff, String(seed));
});
