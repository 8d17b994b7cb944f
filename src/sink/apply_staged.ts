/**
 * The merge through staging: a table's final states are COPYed into a temporary table of the
 * committing session, then one DELETE USING removes every staged key from the target and one
 * INSERT SELECT adds the surviving rows. The copiers' shared staging is merged the same way.
 *
 * @module
 */
import { quoteIdent } from "../convert/ident.ts";
import { sendLines } from "./copy_in.ts";
import { DELETED, type TargetDialect, tempStagingName } from "./dialect.ts";
import type { TableChanges } from "./input.ts";
import type { Queryable } from "./postgres.ts";
import { countedLines, layoutId, stagedLines, stagingCopy, stagingLayout } from "./staging.ts";
import { keyIndexed } from "./target.ts";

/** The committing session's staging tables, one per (target, column list). */
export class SessionStaging {
  #names = new Map<string, string>();

  constructor(private readonly dialect: TargetDialect) {}

  /**
   * COPYs `table`'s final states (or counted rows) into its staging table, created on first use,
   * without waiting for PostgreSQL's answer to the end of the rows: resolves once they are sent,
   * to the table's name and the answer still due (a round trip less before the merge). `reused`:
   * an earlier piece of the same transaction may have filled it.
   */
  async send(
    tx: Queryable,
    table: TableChanges,
    reused: boolean,
  ): Promise<{ name: string; answer: Promise<void> }> {
    const name = await this.#stagingFor(tx, table);
    // Staging empties itself at commit; pieces of one transaction must clear it in between.
    if (reused) await tx.unsafe(`TRUNCATE ${name}`);
    const counted = table.rowCounts;
    const lines = counted ? countedLines(counted) : stagedLines(table, table.states);
    return { name, ...await sendLines(tx, stagingCopy(name, table), lines) };
  }

  /** To be called after a rollback, which may have taken the creation of staging tables with it. */
  forget(): void {
    this.#names.clear();
  }

  async #stagingFor(tx: Queryable, table: TableChanges): Promise<string> {
    const id = layoutId(table);
    let name = this.#names.get(id);
    if (name === undefined) {
      const bare = quoteIdent(`mysql_gp_sync_stage_${this.#names.size + 1}`);
      for (const statement of this.dialect.tempStaging(bare, stagingLayout(table))) {
        await tx.unsafe(statement);
      }
      name = tempStagingName(bare);
      this.#names.set(id, name);
    }
    return name;
  }
}

/** Deletes every key staged in `staging` from the target and inserts the surviving rows. */
export async function merge(
  tx: Queryable,
  table: TableChanges,
  staging: readonly string[],
  dialect: TargetDialect,
): Promise<void> {
  // All are sent at once (postgres.js pipelines them): a round trip each would wait for this
  // process to turn to PostgreSQL's answer while it reads the binlog.
  await Promise.all(mergeStatements(table, staging, dialect).map((text) => tx.unsafe(text)));
}

/** The statements of {@link merge}, in the order they are sent. */
export function mergeStatements(
  table: TableChanges,
  staging: readonly string[],
  dialect: TargetDialect,
): string[] {
  const { encoder, plan } = table;
  const columns = encoder.columns.map(quoteIdent);
  const list = columns.join(", ");
  const matches = encoder.keyIndexes.map((i) => `t.${columns[i]} = s.${columns[i]}`)
    .join(" AND ");
  // Sent with the first DELETE: without parameters both go as one simple query.
  let settings = dialect.mergeSettings(keyIndexed(plan.target, encoder.keyColumns));
  // One statement per staging table (not a UNION ALL) keeps the plan of the single-writer path.
  const statements: string[] = [];
  for (const s of staging) {
    statements.push(`${settings}DELETE FROM ${plan.targetName} t USING ${s} s WHERE ${matches}`);
    settings = "";
  }
  for (const s of staging) {
    statements.push(
      `INSERT INTO ${plan.targetName} (${list}) SELECT ${list} FROM ${s} WHERE NOT ${DELETED}`,
    );
  }
  return statements;
}
