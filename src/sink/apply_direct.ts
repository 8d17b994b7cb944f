/**
 * COPY straight into the target, for a table the batch only inserted into: a unique index on the
 * key makes that safe. Should the target already hold one of the keys, the index refuses the COPY
 * and {@link KeysAlreadyStored} tells the writer to apply the batch again with the merge.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { quoteIdent } from "../convert/ident.ts";
import { sendLines } from "./copy_in.ts";
import type { TableChanges } from "./input.ts";
import type { Queryable } from "./postgres.ts";
import { refusedRows, rowKeyAt } from "./refused_rows.ts";
import { duplicateKeysRefused } from "./target.ts";

const UNIQUE_VIOLATION = "23505";

/** A COPY straight into the target met a key the target already holds. */
export class KeysAlreadyStored extends Error {
  constructor(readonly table: TableChanges) {
    super(`${table.plan.targetName} already holds keys the batch inserts`);
  }
}

/**
 * The table's rows if they may be COPYed straight into the target: the batch only inserted them,
 * the target refuses duplicate keys at once, and is not among `mergeOnly` (targets found holding
 * keys the source inserted).
 */
export function directRows(
  table: TableChanges,
  mergeOnly: ReadonlySet<string>,
): readonly (readonly (string | null)[])[] | null {
  const { insertedRows, encoder, plan } = table;
  if (insertedRows === null || mergeOnly.has(plan.targetName)) return null;
  return duplicateKeysRefused(plan.target, encoder.keyColumns) ? insertedRows : null;
}

/** The COPY that sends `table`'s rows straight into its target. */
export function directCopy(table: TableChanges): string {
  const columns = table.encoder.columns.map(quoteIdent);
  return `COPY ${table.plan.targetName} (${columns.join(", ")}) FROM STDIN`;
}

/**
 * COPYs `rows` (from {@link directRows}) into `table`'s target without waiting for PostgreSQL's
 * answer to the end of the rows: resolves once they are sent, to the answer still due (a round
 * trip less before the next statement).
 */
export async function sendDirect(
  tx: Queryable,
  table: TableChanges,
  rows: readonly (readonly (string | null)[])[],
): Promise<{ answer: Promise<void> }> {
  const named = (err: unknown) => {
    throw (err as { code?: string }).code === UNIQUE_VIOLATION
      ? new KeysAlreadyStored(table)
      : refusedRows(err, table, rowKeyAt(table, rows));
  };
  const { answer } = await sendLines(tx, directCopy(table), rowLines(rows)).catch(named);
  return { answer: answer.catch(named) };
}

function* rowLines(rows: readonly (readonly (string | null)[])[]): Generator<string> {
  for (const row of rows) yield copyText(row);
}
