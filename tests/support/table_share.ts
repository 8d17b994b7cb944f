/**
 * Hand-built table shares of a batch (the sink's input), for unit tests of the apply strategies
 * and their error messages.
 */
import type { FinalState, TableChanges } from "../../src/sink/input.ts";
import type { TargetTable } from "../../src/sink/target.ts";

type Fields = (string | null)[];

/** A share of `public.items` (the first `keyCount` columns the key) as a batch would give it. */
export function share(
  columns: string[],
  keyCount: number,
  rows: { states?: [string, FinalState][]; inserted?: Fields[] },
  target: Partial<TargetTable> = {},
): TableChanges {
  const keyIndexes = columns.slice(0, keyCount).map((_, i) => i);
  const states = new Map(
    rows.states ?? rows.inserted!.map((row) => [keyIndexes.map((i) => row[i]).join("\u0000"), row]),
  );
  return {
    plan: {
      targetName: `"public"."items"`,
      sourceName: "shop.items",
      target: {
        schema: "public",
        table: "items",
        columns: columns.map((name) => ({ name, type: "text" })),
        indexLeads: [],
        uniqueKeys: [],
        ...target,
      },
      wholeRow: false,
    },
    encoder: { columns, keyIndexes, keyColumns: columns.slice(0, keyCount) },
    size: states.size,
    insertedRows: rows.inserted ?? null,
    states,
    keyFields: (key) => key.split("\u0000"),
    rowCounts: null,
  };
}

export const PRIMARY_KEY = { indexLeads: ["id"], uniqueKeys: [["id"]] };
