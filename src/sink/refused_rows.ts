/**
 * Failures of the statements that apply a table's rows, named after the table: at once, or, for
 * statements sent and not yet answered, once their answers are awaited.
 *
 * @module
 */
import type { TableChanges } from "./input.ts";

/**
 * Names the table when PostgreSQL refuses data (a value it cannot store, a constraint), keeping
 * the server's own words and where it points; other errors (lost connections) pass unchanged.
 */
export function refusedRows(err: unknown, table: TableChanges): unknown {
  const e = err as { code?: string; message?: string; where?: string };
  if (!/^2[23]/.test(e.code ?? "")) return err;
  const where = e.where ? ` (${e.where.split("\n")[0]})` : "";
  return new Error(
    `PostgreSQL refused rows of MySQL ${table.plan.sourceName} for ${table.plan.targetName}: ` +
      `${e.message}${where}`,
  );
}

/**
 * Merge statements sent and not yet answered. postgres.js runs a transaction's statements in the
 * order they were sent, so later work need not wait for their answers; a failure still surfaces,
 * from `done`, named after its table.
 */
export class Merges {
  #pending: Promise<void>[] = [];

  add(table: TableChanges, merge: Promise<void>): void {
    const named = merge.catch((err) => {
      throw refusedRows(err, table);
    });
    // Should a later statement fail first, the caller gives up before `done`: no unhandled rejection.
    named.catch(() => {});
    this.#pending.push(named);
  }

  async done(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
