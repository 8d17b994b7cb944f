/**
 * The apply of a keyless table (rows identified by their whole value): its counted rows are
 * COPYed into staging with the copies to add or remove, then one DELETE removes, for every row
 * removed, that many of the target's rows equal to it, and one INSERT adds the copies of every row
 * added. A batch only inserting COPYs its rows straight into the target: without a key, nothing
 * there can refuse them.
 *
 * Equal means equal in every column, NULLs counting as equal (IS NOT DISTINCT FROM); columns of a
 * type without a usable `=` (json, geometry, unknown types) compare by their text. The target's
 * rows are matched by one hash join with the staged rows, so a batch reads the target once however
 * many rows it removes: that read is the cost of every batch that removes rows, proportional to
 * the table's size. The matching target rows are
 * numbered per staged row and the first `-copies` of them are deleted by their location (ctid,
 * on Greenplum with the segment): of identical rows, exactly as many go as the source deleted.
 *
 * @module
 */
import { quoteIdent } from "../convert/ident.ts";
import { comparedAsText, describeTarget, type TargetKind } from "../convert/target_kind.ts";
import { sendDirect } from "./apply_direct.ts";
import type { SessionStaging } from "./apply_staged.ts";
import { COPIES, type TargetDialect } from "./dialect.ts";
import type { TableChanges } from "./input.ts";
import type { Queryable } from "./postgres.ts";
import { type Merges, refusedRows, stagedKeyAt } from "./refused_rows.ts";

/**
 * A value of each column type to stand for NULL in the hash join's keys: IS NOT DISTINCT FROM
 * cannot be hashed, `coalesce(col, value) = ...` can. A real value equal to it merely shares its
 * hash bucket with NULL; the columns' IS NOT DISTINCT FROM tells them apart. Types not listed
 * (json, bit strings, unknown ones) are not hashed; without any hashed column, the whole row's
 * text is, which costs more: 18,000 rows removed from a 6-column table took 230-290 ms by the
 * columns against 350-450 ms by the text at 200,000 rows, 470-710 against 850-1,170 ms at
 * 1,000,000.
 */
const NULL_STAND_INS: Partial<Record<TargetKind["kind"], string>> = {
  smallint: "0",
  integer: "0",
  bigint: "0",
  numeric: "0",
  real: "0",
  double: "0",
  boolean: "false",
  date: "'epoch'",
  timestamp: "'epoch'",
  time: "'00:00'",
  interval: "'0'",
  text: "''",
  varchar: "''",
  char: "''",
  bytea: "''",
  jsonb: "'{}'",
  uuid: "'00000000-0000-0000-0000-000000000000'",
  inet: "'0.0.0.0'",
};

/**
 * The match of whole rows as a hash join, which reads the target once. A keyed table's merge
 * earlier in the transaction may have turned hash joins off (a nested loop would compare every
 * staged row with every target row), and the planner's own choice, a merge join, sorts the whole
 * target on disk: measured with 18,000 rows removed from a 6-column table, 200 against 240 ms at
 * 200,000 rows but 820 against 430 ms at 1,000,000, growing faster than the table.
 */
const HASH_JOIN = "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO off; ";

/** How {@link applyKeyless} may go about a table. */
export interface KeylessApply {
  staging: SessionStaging;
  /** A piece of a large transaction: the staging table may hold an earlier piece's rows. */
  reused: boolean;
  /**
   * Rows only inserted may be COPYed straight into the target: not so in pieces, nor for a target
   * found refusing duplicates (a unique index of its own), whose refusal then names the row.
   */
  direct: boolean;
  dialect: TargetDialect;
}

/**
 * Applies `table`'s counted rows (its plan is `wholeRow`): straight into the target when the batch
 * only inserted and `how.direct` allows, else through staging. The statements join `merges`;
 * resolves once they are sent, to the answer still due to the COPY (see `CopyIn.send`), which the
 * caller awaits before its next COPY on the connection.
 */
export async function applyKeyless(
  tx: Queryable,
  table: TableChanges,
  merges: Merges,
  how: KeylessApply,
): Promise<{ answer: Promise<void> }> {
  const inserted = how.direct ? table.insertedRows : null;
  if (inserted !== null) {
    const sent = await sendDirect(tx, table, inserted);
    merges.add(table, sent.answer);
    return sent;
  }
  const named = (err: unknown) => {
    throw refusedRows(err, table, stagedKeyAt(table));
  };
  const { name, answer } = await how.staging.send(tx, table, how.reused).catch(named);
  merges.add(table, answer.catch(named));
  // Sent at once (postgres.js pipelines them), the DELETE first: see apply_staged.ts.
  const statements = keylessStatements(table, name, how.dialect);
  merges.add(table, Promise.all(statements.map((text) => tx.unsafe(text))).then(() => {}));
  return { answer };
}

/** The DELETE and the INSERT of {@link applyKeyless}, for the staging table `staging`. */
export function keylessStatements(
  table: TableChanges,
  staging: string,
  dialect: TargetDialect,
): string[] {
  const target = table.plan.targetName;
  const types = new Map(table.plan.target.columns.map((column) => [column.name, column.type]));
  const columns = table.encoder.columns.map((name) => {
    const type = types.get(name) ?? "unknown";
    return {
      quoted: quoteIdent(name),
      asText: comparedAsText(type),
      standIn: NULL_STAND_INS[describeTarget(type).kind],
    };
  });
  const quoted = columns.map((c) => c.quoted);
  const list = quoted.join(", ");
  const equal = columns.map(({ quoted, asText }) => {
    const cast = asText ? "::text" : "";
    return `t.${quoted}${cast} IS NOT DISTINCT FROM s.${quoted}${cast}`;
  });
  const hashed = columns.flatMap(({ quoted, standIn }) =>
    standIn === undefined
      ? []
      : [`coalesce(t.${quoted}, ${standIn}) = coalesce(s.${quoted}, ${standIn})`]
  );
  if (hashed.length === 0) {
    hashed.push(`${wholeRowText("t", quoted)} = ${wholeRowText("s", quoted)}`);
  }
  const locator = dialect.rowLocator;
  const located = `SELECT ${locator.map((c) => `m.${c}`).join(", ")} FROM (
      SELECT ${locator.map((c) => `t.${c} AS ${c}`).join(", ")}, s.${COPIES} AS copies,
             row_number() OVER (PARTITION BY ${locator.map((c) => `s.${c}`).join(", ")}) AS nth
        FROM ${target} t JOIN ${staging} s
          ON ${[...hashed, ...equal].join(" AND ")}
       WHERE s.${COPIES} < 0) m
     WHERE m.nth <= -m.copies`;
  return [
    HASH_JOIN + dialect.deleteLocated(target, located) + "; SET LOCAL enable_mergejoin TO DEFAULT",
    `INSERT INTO ${target} (${list}) SELECT ${list} FROM (
       SELECT ${list}, generate_series(1, ${COPIES}) FROM ${staging} WHERE ${COPIES} > 0) s`,
  ];
}

/**
 * The text of the row `alias` over the quoted `columns`, as PostgreSQL prints a row value: a
 * NULL field is empty, an empty string `""`, so the text of two rows is the same exactly when
 * every field prints the same. Hashable, unlike the rows themselves (IS NOT DISTINCT FROM is not).
 */
export function wholeRowText(alias: string, columns: readonly string[]): string {
  return `ROW(${columns.map((column) => `${alias}.${column}`).join(", ")})::text`;
}
