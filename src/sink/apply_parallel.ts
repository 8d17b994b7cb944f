/**
 * Parallel copiers: a batch's tables are split by key hash and every copier connection COPYs its
 * part into its own shared unlogged staging table, all at once, while the committing session sends
 * the rest of the batch; it merges them once they are committed (see apply_staged.ts). Whether a
 * batch is split at all is writer_split.ts's call.
 *
 * @module
 */
import { qualified } from "../convert/ident.ts";
import { copyLines } from "./copy_in.ts";
import type { TargetDialect } from "./dialect.ts";
import type { FinalState, TableChanges } from "./input.ts";
import type { Sql } from "./postgres.ts";
import { refusedRows, stagedKeyAt } from "./refused_rows.ts";
import { layoutId, stagedLines, stagingCopy, stagingLayout } from "./staging.ts";
import { pipelinedTransaction } from "./transaction.ts";

/** Where the parallel writers stage their parts: shared tables, since temp tables are per session. */
export interface SharedStaging {
  schema: string;
  syncId: string;
}

/** The copier connections and the shared staging tables they fill. */
export class ParallelCopiers {
  /** Shared staging tables per (target, column list), one per copier. */
  #shared = new Map<string, string[]>();

  constructor(
    private readonly sql: Sql,
    private readonly copiers: readonly Sql[],
    private readonly where: SharedStaging,
    private readonly dialect: TargetDialect,
  ) {}

  /**
   * Splits the tables' final states by key hash and COPYs part i through copier i, all at once;
   * returns each table's staging tables once every copier has committed. A copier's statements
   * go out without waiting for the answers before them: BEGIN, each TRUNCATE and the COPY behind
   * it share a round trip, and COMMIT follows the last COPY at once.
   */
  async copy(tables: readonly TableChanges[]): Promise<Map<TableChanges, string[]>> {
    const staged = new Map<TableChanges, string[]>();
    const parts = this.copiers.map(() => new Map<TableChanges, Map<string, FinalState>>());
    for (const table of tables) {
      staged.set(table, await this.#sharedFor(table));
      const split = this.copiers.map(() => new Map<string, FinalState>());
      for (const [key, state] of table.states) split[hash(key) % split.length].set(key, state);
      split.forEach((states, i) => parts[i].set(table, states));
    }
    await Promise.all(this.copiers.map((copier, i) =>
      pipelinedTransaction(copier, async (tx) => {
        const cleared: Promise<unknown>[] = [];
        for (const [table, states] of parts[i]) {
          const name = staged.get(table)![i];
          // Leftovers of a batch whose merge failed would be merged twice; start empty.
          const clear = tx.unsafe(this.dialect.clearSharedStaging(name));
          clear.catch(() => {});
          cleared.push(clear);
          if (states.size === 0) continue;
          await copyLines(tx, stagingCopy(name, table), stagedLines(table, states)).catch(
            async (err) => {
              // A COPY behind a failed TRUNCATE fails for that reason: report the TRUNCATE's.
              await clear;
              throw refusedRows(err, table, stagedKeyAt(table, states));
            },
          );
        }
        return { answers: Promise.all(cleared) };
      })
    ));
    return staged;
  }

  /** Drops the shared staging tables created. */
  async close(): Promise<void> {
    const names = [...this.#shared.values()].flat();
    this.#shared.clear();
    // Sent at once: one round trip however many there are.
    await Promise.all(names.map((name) => this.sql.unsafe(`DROP TABLE IF EXISTS ${name}`)));
  }

  /**
   * The shared staging tables of `table`'s layout, created on first use by the first copier (the
   * committing session may be in its transaction, waiting for the copies), all statements sent
   * at once.
   */
  async #sharedFor(table: TableChanges): Promise<string[]> {
    const id = layoutId(table);
    let names = this.#shared.get(id);
    if (names === undefined) {
      const { schema, syncId } = this.where;
      const tag = hash(`${syncId}\u0000${id}`).toString(36);
      names = this.copiers.map((_, i) => qualified(schema, `mysql_gp_sync_stage_${tag}_${i}`));
      const layout = stagingLayout(table);
      const statements = names.flatMap((name) => this.dialect.sharedStaging(name, layout));
      await Promise.all(statements.map((statement) => this.copiers[0].unsafe(statement)));
      this.#shared.set(id, names);
    }
    return names;
  }
}

/** FNV-1a over UTF-16 code units: cheap and evenly spread for splitting keys among writers. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
