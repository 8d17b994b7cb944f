/**
 * One keyless table's share of a batch: its rows are identified by their whole value, so the
 * batch keeps how many copies of each distinct row it adds or removes. Rows that are equal in
 * every column cannot be told apart on either side, so a table is a multiset of rows and the
 * merged transactions are a sum of additions and removals: an insert adds a copy, a delete removes
 * one, an update removes one of the old row and adds one of the new. A sum does not depend on the
 * order of its terms, so inserts and deletes of the same row within a batch cancel out whatever
 * their order, and applying the counts reproduces the source's multiset exactly, provided the
 * target held the source's rows when the batch began (which the position committed with every
 * batch guarantees).
 *
 * @module
 */
import type { OpCounts } from "../observe/stats.ts";
import type { Row } from "../source/transaction.ts";
import type { CountedRow, FinalState } from "../sink/input.ts";
import type { RowEncoder, TablePlan } from "./plan.ts";

/** A counted row as the batch updates it. */
interface Count {
  fields: (string | null)[];
  count: number;
}

/**
 * The text a row is counted under. Every field is tagged: NUL then `N` for NULL, NUL then `V`
 * and the text for a value. Encoded fields never contain NUL (see batch.ts), so two rows have the
 * same text exactly when their fields are the same, NULLs counting as equal.
 */
export function rowText(fields: readonly (string | null)[]): string {
  let text = "";
  for (const field of fields) text += field === null ? "\u0000N" : "\u0000V" + field;
  return text;
}

export class KeylessTableBatch {
  /** Source row changes merged in, by kind. */
  readonly ops: OpCounts = { insert: 0, update: 0, delete: 0 };
  /** Rows inserted while the batch has only inserted into the table (as in `TableBatch`). */
  #inserted: (string | null)[][] = [];
  #counts: Map<string, Count> | null = null;

  constructor(readonly plan: TablePlan, readonly encoder: RowEncoder) {}

  /** Number of rows (distinct rows, once counted) the apply writes. */
  get size(): number {
    return this.#counts?.size ?? this.#inserted.length;
  }

  /** The rows, when the batch has only inserted into the table; otherwise null. */
  get insertedRows(): readonly (string | null)[][] | null {
    return this.#counts === null ? this.#inserted : null;
  }

  /** Each distinct row the batch changes the number of, by {@link rowText}. */
  get rowCounts(): ReadonlyMap<string, CountedRow> {
    return this.#counted();
  }

  /** The counted rows as final states, for messages: the row when added, null when removed. */
  get states(): ReadonlyMap<string, FinalState> {
    const states = new Map<string, FinalState>();
    for (const [text, row] of this.#counted()) states.set(text, row.count > 0 ? row.fields : null);
    return states;
  }

  /** The fields of the counted row `text`. */
  keyFields(text: string): (string | null)[] {
    const row = this.#counted().get(text);
    if (!row) throw new Error(`no counted row ${JSON.stringify(text)}`);
    return row.fields;
  }

  /** An inserted row: one copy more. */
  upsert(encoder: RowEncoder, after: Row): void {
    const fields = encoder.encode(after);
    if (this.#counts === null) this.#inserted.push(fields);
    else this.#add(fields, 1);
  }

  /** A deleted row: one copy less (a keyless table cannot soft-delete: no time `_at` needed). */
  remove(encoder: RowEncoder, before: Row, _at: string): void {
    this.#add(encoder.encode(before), -1);
  }

  /** An updated row: one copy of the old row less, one of the new more. */
  update(encoder: RowEncoder, before: Row, after: Row, _at: string): void {
    this.#add(encoder.encode(before), -1);
    this.#add(encoder.encode(after), 1);
  }

  #add(fields: (string | null)[], delta: number): void {
    const counts = this.#counted();
    const text = rowText(fields);
    const row = counts.get(text);
    if (row === undefined) counts.set(text, { fields, count: delta });
    else if ((row.count += delta) === 0) counts.delete(text);
  }

  #counted(): Map<string, Count> {
    if (this.#counts === null) {
      this.#counts = new Map();
      const inserted = this.#inserted;
      this.#inserted = [];
      for (const fields of inserted) this.#add(fields, 1);
    }
    return this.#counts;
  }
}
