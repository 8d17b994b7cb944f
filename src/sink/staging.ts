/**
 * Staging rows, common to the session's staging and the copiers' shared one: the target columns a
 * batch fills plus a flag marking deleted keys (for a keyless table, the copies of the row to add
 * or remove), sent as COPY text.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { quoteIdent } from "../convert/ident.ts";
import { COPIES, DELETED, type StagingLayout } from "./dialect.ts";
import type { CountedRow, FinalState, TableChanges } from "./input.ts";

/** What `table`'s staging table is made for. */
export function stagingLayout(table: TableChanges): StagingLayout {
  return {
    target: table.plan.targetName,
    columns: table.encoder.columns.map(quoteIdent),
    targetColumns: table.plan.target.columns.map((column) => quoteIdent(column.name)),
    flag: table.plan.wholeRow ? { name: COPIES, type: "bigint" } : undefined,
  };
}

/** Identifies a target table together with the column list its rows fill. */
export function layoutId(table: TableChanges): string {
  const kind = table.plan.wholeRow ? "counted" : "keyed";
  return `${table.plan.targetName}\u0000${kind}\u0000${table.encoder.columns.join("\u0000")}`;
}

/** The COPY that fills `staging` with {@link stagedLines} of `table`. */
export function stagingCopy(staging: string, table: TableChanges): string {
  const flag = table.plan.wholeRow ? COPIES : DELETED;
  const columns = [...table.encoder.columns.map(quoteIdent), flag];
  return `COPY ${staging} (${columns.join(", ")}) FROM STDIN`;
}

/** Staging lines of a keyless table: each counted row with the copies to add or remove. */
export function* countedLines(rows: ReadonlyMap<string, CountedRow>): Generator<string> {
  for (const row of rows.values()) yield copyText(row.fields, String(row.count));
}

/** Staging lines: each state with its deleted flag; deleted keys carry only their key fields. */
export function* stagedLines(
  table: TableChanges,
  states: ReadonlyMap<string, FinalState>,
): Generator<string> {
  const width = table.encoder.columns.length;
  const keyIndexes = table.encoder.keyIndexes;
  for (const [key, state] of states) {
    if (state === null) {
      const fields = new Array<string | null>(width).fill(null);
      const keyFields = table.keyFields(key);
      keyIndexes.forEach((index, i) => fields[index] = keyFields[i]);
      yield copyText(fields, "t");
    } else {
      yield copyText(state, "f");
    }
  }
}
