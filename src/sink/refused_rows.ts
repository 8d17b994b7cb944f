/**
 * Failures of the statements that apply a table's rows, named after the table and the key of the
 * refused row: at once, or, for statements sent and not yet answered, once their answers are
 * awaited.
 *
 * @module
 */
import type { FinalState, TableChanges } from "./input.ts";

/** PostgreSQL refused a table's rows: a value it cannot store, or a constraint. */
export class RefusedRows extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedRows";
  }
}

/** The key fields of the row on COPY line `line` (1-based), if there is such a row. */
export type KeyAtLine = (line: number) => readonly (string | null)[] | undefined;

/** Keys listed when the refused row itself is not known. */
const KEYS_LISTED = 5;
/** Longest text kept of a key field or of PostgreSQL's detail. */
const FIELD_CHARS = 60;
const DETAIL_CHARS = 300;

interface PgRefusal {
  code?: string;
  message?: string;
  detail?: string;
  where?: string;
}

/**
 * Names the table when PostgreSQL refuses data (a value it cannot store, a constraint), keeping
 * the server's own words, its detail and where it points, and adds the refused row's key: from
 * the COPY line the error points at (`keyAt`), from the detail (a unique or foreign key names
 * it), or else the batch's keys of the table. Other errors (lost connections) pass unchanged.
 */
export function refusedRows(err: unknown, table: TableChanges, keyAt?: KeyAtLine): unknown {
  const e = err as PgRefusal;
  if (!/^2[23]/.test(e.code ?? "")) return err;
  const detail = e.detail ? `: ${clip(e.detail, DETAIL_CHARS)}` : "";
  const where = e.where ? ` (${clip(e.where.split("\n")[0], DETAIL_CHARS)})` : "";
  return new RefusedRows(
    `PostgreSQL refused rows of MySQL ${table.plan.sourceName} for ${table.plan.targetName}: ` +
      `${e.message}${detail}${where}${refusedKey(e, table, keyAt)}`,
  );
}

/** The staged rows' key on a line of `states`' COPY (staging and copiers send them in order). */
export function stagedKeyAt(
  table: TableChanges,
  states: ReadonlyMap<string, FinalState> = table.states,
): KeyAtLine {
  return (line) => {
    let i = 0;
    for (const key of states.keys()) if (++i === line) return table.keyFields(key);
    return undefined;
  };
}

/** The key of `rows[line - 1]` (a COPY straight into the target). */
export function rowKeyAt(
  table: TableChanges,
  rows: readonly (readonly (string | null)[])[],
): KeyAtLine {
  return (line) => {
    const row = rows[line - 1];
    return row && table.encoder.keyIndexes.map((i) => row[i]);
  };
}

function refusedKey(e: PgRefusal, table: TableChanges, keyAt?: KeyAtLine): string {
  const line = /^COPY [^\n]*?, line (\d+)/.exec(e.where ?? "")?.[1];
  const fields = line && keyAt ? keyAt(Number(line)) : undefined;
  if (fields) return `; the refused row's key: ${keyText(table, fields)}`;
  if (e.detail?.startsWith("Key (")) return "";
  const keys = batchKeys(table);
  const more = table.size > keys.length ? ` and ${table.size - keys.length} more` : "";
  return `; keys of ${table.plan.sourceName} in the batch: ${
    keys.map((k) => keyText(table, k)).join(", ")
  }${more}`;
}

/** The first few keys of the table's rows in the batch, without turning a list into a map. */
function batchKeys(table: TableChanges): (readonly (string | null)[])[] {
  const keys: (readonly (string | null)[])[] = [];
  const rows = table.insertedRows;
  if (rows) {
    for (const row of rows.slice(0, KEYS_LISTED)) {
      keys.push(table.encoder.keyIndexes.map((i) => row[i]));
    }
    return keys;
  }
  for (const key of table.states.keys()) {
    if (keys.length === KEYS_LISTED) break;
    keys.push(table.keyFields(key));
  }
  return keys;
}

/** `(id)=(5)`, as PostgreSQL writes keys in its messages. */
function keyText(table: TableChanges, fields: readonly (string | null)[]): string {
  const values = fields.map((f) => f === null ? "NULL" : clip(f, FIELD_CHARS));
  return `(${table.encoder.keyColumns.join(", ")})=(${values.join(", ")})`;
}

/** One line of at most `chars` characters. */
function clip(text: string, chars: number): string {
  const line = text.trim().replace(/\s*\n\s*/g, " ");
  return line.length > chars ? `${line.slice(0, chars)}...` : line;
}

/**
 * Merge statements sent and not yet answered. postgres.js runs a transaction's statements in the
 * order they were sent, so later work need not wait for their answers; a failure still surfaces,
 * from `done`, named after its table.
 */
export class Merges {
  #pending: Promise<void>[] = [];

  add(table: TableChanges, merge: Promise<void>): void {
    const named = merge.catch((err) => {
      throw refusedRows(err, table);
    });
    // Should a later statement fail first, the caller gives up before `done`: no unhandled rejection.
    named.catch(() => {});
    this.#pending.push(named);
  }

  async done(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
