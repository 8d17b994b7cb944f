/**
 * Staging rows, common to the session's staging and the copiers' shared one: the target columns a
 * batch fills plus a flag marking deleted keys, sent as COPY text.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { quoteIdent } from "../convert/ident.ts";
import { DELETED, type StagingLayout } from "./dialect.ts";
import type { FinalState, TableChanges } from "./input.ts";

/** What `table`'s staging table is made for. */
export function stagingLayout(table: TableChanges): StagingLayout {
  return {
    target: table.plan.targetName,
    columns: table.encoder.columns.map(quoteIdent),
    targetColumns: table.plan.target.columns.map((column) => quoteIdent(column.name)),
  };
}

/** Identifies a target table together with the column list its rows fill. */
export function layoutId(table: TableChanges): string {
  return `${table.plan.targetName}\u0000${table.encoder.columns.join("\u0000")}`;
}

/** The COPY that fills `staging` with {@link stagedLines} of `table`. */
export function stagingCopy(staging: string, table: TableChanges): string {
  const columns = [...table.encoder.columns.map(quoteIdent), DELETED];
  return `COPY ${staging} (${columns.join(", ")}) FROM STDIN`;
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
