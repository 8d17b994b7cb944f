/**
 * Plain statements for a table with only a few rows in the batch: a DELETE of its keys and an
 * INSERT of its surviving rows, one round trip and no staging.
 *
 * @module
 */
import { quoteIdent, quoteLiteral } from "../convert/ident.ts";
import type { TableChanges } from "./input.ts";
import type { Queryable } from "./postgres.ts";

/**
 * Deletes every key of `table` from the target and inserts its surviving rows, in one round trip.
 * The values are untyped literals: PostgreSQL reads them with the column types' input functions,
 * as it reads COPY text. (Parameters would not do: postgres.js rewrites them by the types the
 * server describes, a timestamp through JavaScript's Date, say.)
 */
export async function applyPlain(tx: Queryable, table: TableChanges): Promise<void> {
  // Without parameters postgres.js sends it as a simple query: both statements at once, and no
  // prepared statement left behind per text.
  await tx.unsafe(plainStatements(table));
}

/** The DELETE, and the INSERT when a row survives, as one text. */
export function plainStatements(table: TableChanges): string {
  const columns = table.encoder.columns.map(quoteIdent);
  const keys = table.encoder.keyIndexes.map((i) => columns[i]);
  const keyTuples: string[] = [];
  const rowTuples: string[] = [];
  for (const [key, state] of table.states) {
    keyTuples.push(literalTuple(table.keyFields(key)));
    if (state !== null) rowTuples.push(literalTuple(state));
  }
  const target = table.plan.targetName;
  let statements = `DELETE FROM ${target} WHERE (${keys.join(", ")}) IN (${keyTuples.join(", ")})`;
  if (rowTuples.length > 0) {
    statements += `; INSERT INTO ${target} (${columns.join(", ")}) VALUES ${rowTuples.join(", ")}`;
  }
  return statements;
}

function literalTuple(fields: readonly (string | null)[]): string {
  return `(${fields.map(quoteLiteral).join(", ")})`;
}
