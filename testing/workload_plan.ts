/**
 * The seeded plan of the fault workload: which transactions to run on MariaDB, as SQL text, drawn
 * from a small PRNG so that a seed always gives the same sequence. Multi-row inserts, updates and
 * deletes on several tables, primary-key changes, rollbacks, and now and then a big transaction of
 * tens of thousands of narrow rows. New keys come from counters that only grow, so a transaction
 * whose commit was lost with its connection can never make a later insert collide.
 *
 * @module
 */
import { WORKLOAD_SCHEMA } from "./workload_tables.ts";

/** One source transaction to run. */
export interface TransactionPlan {
  kind: PlanKind;
  statements: string[];
  /** false: the transaction ends with ROLLBACK (it must never reach the target). */
  commit: boolean;
}

export type PlanKind =
  | "order"
  | "readings"
  | "update"
  | "rekey"
  | "delete"
  | "mixed"
  | "rollback"
  | "big";

export interface PlannerOptions {
  /** One transaction in this many is a big one, on average (0: never on its own). */
  bigEvery?: number;
  /** Rows of a big transaction, drawn between these. */
  bigRows?: [number, number];
}

/** A 32-bit seed for the workload: `MGS_WORKLOAD_SEED` when set, random otherwise. */
export function workloadSeed(env: string | undefined = Deno.env.get("MGS_WORKLOAD_SEED")): number {
  if (env !== undefined && env !== "") {
    const seed = Number(env);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new Error(`MGS_WORKLOAD_SEED=${env}: not an integer from 0 to 4294967295`);
    }
    return seed;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** mulberry32: tiny, fast, and good enough to pick statements. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ["new", "paid", "packed", "sent", "done"];

/** Draws transactions one after another; the same seed and options give the same plans. */
export class WorkloadPlanner {
  readonly #random: () => number;
  readonly #bigEvery: number;
  readonly #bigRows: [number, number];
  #nextOrderId = 1;
  #nextReadingId = 1;

  constructor(readonly seed: number, options: PlannerOptions = {}) {
    this.#random = seededRandom(seed);
    this.#bigEvery = options.bigEvery ?? 500;
    this.#bigRows = options.bigRows ?? [20_000, 50_000];
  }

  /** The next transaction of the sequence. */
  next(): TransactionPlan {
    if (this.#bigEvery > 0 && this.#random() < 1 / this.#bigEvery) return this.big();
    const roll = this.#random();
    if (roll < 0.08) {
      return { kind: "rollback", statements: this.#simpleStatements(), commit: false };
    }
    if (roll < 0.14) {
      const statements = Array.from({ length: this.#int(2, 4) }, () => this.#simpleStatements());
      return { kind: "mixed", statements: statements.flat(), commit: true };
    }
    const kind = this.#simpleKind();
    return { kind, statements: this.#statements(kind), commit: true };
  }

  /** A big transaction: tens of thousands of narrow rows inserted, some of them then updated. */
  big(rows = this.#int(...this.#bigRows)): TransactionPlan {
    const base = this.#takeReadingIds(rows) - 1;
    const statements = [
      `INSERT INTO ${table("readings")} (id, sensor, value) ` +
      `SELECT ${base} + seq, seq % 97, seq FROM ${table(`seq_1_to_${rows}`)}`,
    ];
    if (this.#random() < 0.5) {
      const from = base + this.#int(1, Math.max(1, Math.floor(rows / 2)));
      statements.push(
        `UPDATE ${table("readings")} SET value = value - 1 ` +
          `WHERE id BETWEEN ${from} AND ${from + Math.floor(rows / 2)}`,
      );
    }
    return { kind: "big", statements, commit: true };
  }

  #simpleKind(): Exclude<PlanKind, "mixed" | "rollback" | "big"> {
    const roll = this.#random();
    if (roll < 0.3) return "order";
    if (roll < 0.55) return "readings";
    if (roll < 0.75) return "update";
    if (roll < 0.88) return "rekey";
    return "delete";
  }

  #simpleStatements(): string[] {
    return this.#statements(this.#simpleKind());
  }

  #statements(kind: Exclude<PlanKind, "mixed" | "rollback" | "big">): string[] {
    switch (kind) {
      case "order":
        return this.#newOrder();
      case "readings":
        return [this.#newReadings(this.#int(10, 200))];
      case "update":
        return this.#updates();
      case "rekey":
        return this.#rekeys();
      case "delete":
        return this.#deletes();
    }
  }

  #newOrder(): string[] {
    const id = this.#nextOrderId++;
    const note = this.#random() < 0.2
      ? "NULL"
      : `CONCAT('n\u00f8te \u20ac', REPEAT('ab', ${this.#int(0, 600)}))`;
    const lines = Array.from(
      { length: this.#int(1, 5) },
      (_, i) => `(${id}, ${i + 1}, 'SKU-${this.#int(1, 999)}', ${this.#int(1, 50)})`,
    );
    return [
      `INSERT INTO ${table("orders")} VALUES (${id}, ${this.#int(1, 1000)}, ` +
      `${this.#amount()}, '${this.#pick(STATUSES)}', ${note})`,
      `INSERT INTO ${table("order_lines")} VALUES ${lines.join(", ")}`,
    ];
  }

  #newReadings(count: number): string {
    const first = this.#takeReadingIds(count);
    const rows = Array.from(
      { length: count },
      (_, i) => `(${first + i}, ${this.#int(0, 96)}, ${this.#int(-1_000_000, 1_000_000)})`,
    );
    return `INSERT INTO ${table("readings")} VALUES ${rows.join(", ")}`;
  }

  #updates(): string[] {
    const order = this.#someOrderId();
    const reading = this.#someReadingId();
    return [
      `UPDATE ${table("orders")} SET amount = amount + ${this.#amount()}, ` +
      `status = '${this.#pick(STATUSES)}' WHERE id BETWEEN ${order} AND ${
        order + this.#int(0, 20)
      }`,
      `UPDATE ${table("order_lines")} SET qty = qty + 1 WHERE order_id = ${this.#someOrderId()}`,
      `UPDATE ${table("readings")} SET value = value + 1 ` +
      `WHERE id BETWEEN ${reading} AND ${reading + this.#int(0, 500)}`,
    ];
  }

  /** Primary-key changes to keys never used before, so they cannot collide. */
  #rekeys(): string[] {
    const order = this.#someOrderId();
    const newOrder = this.#nextOrderId++;
    const reading = this.#someReadingId();
    const span = this.#int(0, 50);
    const newReading = this.#takeReadingIds(span + 1);
    return [
      `UPDATE ${table("orders")} SET id = ${newOrder} WHERE id = ${order}`,
      `UPDATE ${table("order_lines")} SET order_id = ${newOrder} WHERE order_id = ${order}`,
      `UPDATE ${table("order_lines")} SET line_no = line_no + 50 ` +
      `WHERE order_id = ${this.#someOrderId()} AND line_no < 30000`,
      `UPDATE ${table("readings")} SET id = ${newReading - reading} + id ` +
      `WHERE id BETWEEN ${reading} AND ${reading + span}`,
    ];
  }

  #deletes(): string[] {
    const order = this.#someOrderId();
    const reading = this.#someReadingId();
    return [
      `DELETE FROM ${table("orders")} WHERE id BETWEEN ${order} AND ${order + this.#int(0, 5)}`,
      `DELETE FROM ${table("order_lines")} WHERE order_id = ${this.#someOrderId()}`,
      `DELETE FROM ${table("readings")} ` +
      `WHERE id BETWEEN ${reading} AND ${reading + this.#int(0, 100)}`,
    ];
  }

  #takeReadingIds(count: number): number {
    const first = this.#nextReadingId;
    this.#nextReadingId += count;
    return first;
  }

  #someOrderId(): number {
    return this.#int(1, Math.max(1, this.#nextOrderId - 1));
  }

  #someReadingId(): number {
    return this.#int(1, Math.max(1, this.#nextReadingId - 1));
  }

  #amount(): string {
    return (this.#int(1, 9_999_999) / 100).toFixed(2);
  }

  #pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.#random() * values.length)];
  }

  /** An integer from `min` to `max`, both included. */
  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }
}

function table(name: string): string {
  return `${WORKLOAD_SCHEMA}.${name}`;
}
