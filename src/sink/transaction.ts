/**
 * A transaction on one reserved connection whose BEGIN and COMMIT are sent without waiting for
 * the answers before them: two round trips less per batch than postgres.js's `begin`.
 *
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "./postgres.ts";

/** A connection with a transaction open on it. */
export type Transaction = postgres.ReservedSql;

/** Statements sent: a promise (wrapped, so that awaiting `Sent` does not wait for it). */
export interface Sent {
  answers: Promise<unknown>;
}

/**
 * Runs `work` in a transaction on one connection. `work` resolves once it has sent its last
 * statement, to the promise of the answers still due; COMMIT follows at once. Neither BEGIN's
 * answer nor those of the last statements are waited for before what comes next is sent
 * (postgres.js's `begin` waits for both): two round trips less per batch.
 */
export async function pipelinedTransaction(
  sql: Sql,
  work: (tx: Transaction) => Promise<Sent>,
): Promise<void> {
  const tx = await sql.reserve();
  try {
    const begun = tx.unsafe("BEGIN");
    // Should BEGIN fail, so does what follows it; that failure is the one reported.
    begun.catch(() => {});
    const { answers } = await work(tx);
    answers.catch(() => {});
    const committed = tx.unsafe("COMMIT");
    committed.catch(() => {});
    await begun;
    await answers;
    // After a failed statement, COMMIT ends the transaction with a ROLLBACK (and no error); the
    // failure was thrown above. This guards against one that was not awaited.
    const { command } = await committed;
    if (command !== "COMMIT") throw new Error(`PostgreSQL answered COMMIT with ${command}`);
  } catch (err) {
    await tx.unsafe("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    tx.release();
  }
}
