/**
 * What a standalone statement from the binlog (DDL, TRUNCATE) does to the target: TRUNCATE of a
 * followed table is replayed; other DDL naming a followed table is logged (not replayed) and the
 * plans of those tables are rebuilt against their PostgreSQL tables.
 *
 * @module
 */
import { qualified } from "../convert/ident.ts";
import type { Logger } from "../util/log.ts";
import type { SourceTransaction } from "../source/transaction.ts";
import type { Sql } from "../sink/postgres.ts";
import type { BatchWriter } from "../sink/writer.ts";
import { Batch } from "./batch.ts";
import type { TablePlan } from "./plan.ts";
import type { TablePlans } from "./table_plans.ts";

/**
 * Applies the statement of `tx` and commits its position; returns the (row-less) batch applied,
 * for the caller to record.
 */
export async function applyStatement(
  tx: SourceTransaction,
  writer: BatchWriter,
  plans: TablePlans,
  sql: Sql,
  log: Logger,
): Promise<Batch> {
  const statement = tx.statement!;
  const batch = new Batch();
  batch.add({ ...tx, changes: [], rowCount: 0 }, plans.planFor);
  const touched = tablesNamedIn(statement.sql, statement.schema, plans.all);
  const truncate = /^\s*TRUNCATE\b/i.test(statement.sql);
  if (truncate && touched.length > 0) {
    for (const plan of touched) {
      await writer.truncate(plan.targetName, batch);
      log.info(
        `TRUNCATE of ${plan.sourceName} applied to ${
          qualified(plan.target.schema, plan.target.table)
        }`,
      );
    }
  } else {
    if (touched.length > 0) {
      log.warn(
        `DDL on followed table(s) ${
          touched.map((p) => p.sourceName).join(", ")
        } is not replayed: ` +
          `${statement.sql.slice(0, 200)}; change the PostgreSQL table to match if needed`,
      );
      await plans.refresh(sql, touched);
    }
    await writer.apply(batch);
  }
  return batch;
}

/**
 * The plans whose source table `sql` names, unqualified names counting in `defaultSchema` only (a
 * cheap scan, good enough to decide on a refresh).
 */
export function tablesNamedIn(
  sql: string,
  defaultSchema: string,
  plans: Iterable<TablePlan>,
): TablePlan[] {
  const text = sql.replace(/`/g, "").toLowerCase();
  return [...plans].filter((plan) => {
    const { schema, table } = plan.route.source;
    const name = table.toLowerCase();
    const pattern = new RegExp(
      `(^|[^\\w$.])(${escapeRegExp(schema.toLowerCase())}\\.)?${escapeRegExp(name)}($|[^\\w$])`,
    );
    const match = pattern.exec(text);
    return match !== null && (match[2] !== undefined || schema === defaultSchema);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
