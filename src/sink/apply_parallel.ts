/**
 * Parallel copiers: a batch's tables are split by key hash and every copier connection COPYs its
 * part into its own shared unlogged staging table, all at once, before the committing session
 * merges them (see apply_staged.ts).
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
   * returns each table's staging tables.
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
      copier.begin(async (tx) => {
        for (const [table, states] of parts[i]) {
          const name = staged.get(table)![i];
          // Leftovers of a batch whose merge failed would be merged twice; start empty.
          await tx.unsafe(this.dialect.clearSharedStaging(name));
          if (states.size > 0) {
            await copyLines(tx, stagingCopy(name, table), stagedLines(table, states)).catch(
              (err) => {
                throw refusedRows(err, table, stagedKeyAt(table, states));
              },
            );
          }
        }
      })
    ));
    return staged;
  }

  /** Drops the shared staging tables created. */
  async close(): Promise<void> {
    for (const names of this.#shared.values()) {
      for (const name of names) await this.sql.unsafe(`DROP TABLE IF EXISTS ${name}`);
    }
    this.#shared.clear();
  }

  async #sharedFor(table: TableChanges): Promise<string[]> {
    const id = layoutId(table);
    let names = this.#shared.get(id);
    if (names === undefined) {
      const { schema, syncId } = this.where;
      const tag = hash(`${syncId}\u0000${id}`).toString(36);
      names = this.copiers.map((_, i) => qualified(schema, `mysql_gp_sync_stage_${tag}_${i}`));
      const layout = stagingLayout(table);
      for (const name of names) {
        for (const statement of this.dialect.sharedStaging(name, layout)) {
          await this.sql.unsafe(statement);
        }
      }
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
