/**
 * The statements that compare a keyless table (rows identified by their whole value) as a
 * multiset: the source's rows, COPYed into a work table typed like the target, and the target's
 * rows are counted per distinct row (by the text of the whole row, as the sync matches them), and
 * every row whose counts differ is stored with both counts. A repair deletes the target's surplus
 * copies of a row by their location and inserts the copies it lacks from the work table. All of
 * it is set-based and takes nothing Greenplum 6 lacks.
 *
 * @module
 */
import { quoteIdent } from "../convert/ident.ts";
import { wholeRowText } from "../sink/apply_keyless.ts";
import { type TargetDialect, tempStagingName } from "../sink/dialect.ts";

/** The work tables, bare (as CREATE TEMP TABLE wants them). */
export const KEYLESS_WORK_TABLES = {
  /** The source's rows, kept across commits (they are COPYed in one go, compared after). */
  rows: quoteIdent("mgs_verify_rows"),
  /** Each distinct row whose copies differ: its text and both counts. */
  counts: quoteIdent("mgs_verify_counts"),
} as const;

const ROWS = tempStagingName(KEYLESS_WORK_TABLES.rows);
const COUNTS = tempStagingName(KEYLESS_WORK_TABLES.counts);

/** The texts for one target table, whose compared columns are `columns` (quoted). */
export class KeylessStatements {
  readonly copyRows: string;
  readonly clearRows = `TRUNCATE ${ROWS}`;
  readonly clearCounts = `TRUNCATE ${COUNTS}`;
  /** Creates the counts table (the rows table is made by the dialect, typed like the target). */
  readonly createCounts = [
    `DROP TABLE IF EXISTS ${COUNTS}`,
    `CREATE TEMP TABLE ${KEYLESS_WORK_TABLES.counts} (
       row_text text, source_copies bigint, target_copies bigint)`,
  ];
  readonly dropTables = [`DROP TABLE IF EXISTS ${ROWS}`, `DROP TABLE IF EXISTS ${COUNTS}`];
  readonly #list: string;

  constructor(
    /** `"schema"."table"` of the target. */
    readonly target: string,
    private readonly columns: readonly string[],
    private readonly dialect: TargetDialect,
    /**
     * `WHERE` restricting the target to the compared rows (a source tag's, the live ones), or
     * nothing. Other rows never match a staged row's text (the tag and flag are in it), so the
     * repair needs no such condition.
     */
    private readonly where = "",
  ) {
    this.#list = columns.join(", ");
    this.copyRows = `COPY ${ROWS} (${this.#list}) FROM STDIN`;
  }

  /** Stores every distinct row whose copies differ between the work table and the target. */
  compare(): string {
    return `INSERT INTO ${COUNTS} (row_text, source_copies, target_copies)
      SELECT r, sum(s), sum(t) FROM (
        SELECT ${this.#rowText("w")} AS r, 1 AS s, 0 AS t FROM ${ROWS} w
        UNION ALL
        SELECT ${this.#rowText("t")}, 0, 1 FROM ${this.target} t${this.where}) u
       GROUP BY r HAVING sum(s) <> sum(t)`;
  }

  /** Up to `limit` stored rows after the row text `$1` (in text order): text and both counts. */
  countsPage(limit: number): string {
    return `SELECT row_text, source_copies::text AS source, target_copies::text AS target
              FROM ${COUNTS} WHERE row_text > $1 ORDER BY row_text LIMIT ${Math.floor(limit)}`;
  }

  /** Deletes the target's surplus copies of each stored row (those beyond the source's count). */
  repairDelete(): string {
    const locator = this.dialect.rowLocator;
    return this.dialect.deleteLocated(
      this.target,
      `SELECT ${locator.map((c) => `m.${c}`).join(", ")} FROM (
         SELECT ${locator.map((c) => `t.${c} AS ${c}`).join(", ")},
                c.target_copies - c.source_copies AS surplus,
                row_number() OVER (PARTITION BY c.row_text) AS nth
           FROM ${this.target} t JOIN ${COUNTS} c ON ${this.#rowText("t")} = c.row_text
          WHERE c.target_copies > c.source_copies) m
        WHERE m.nth <= m.surplus`,
    );
  }

  /** Inserts the copies of each stored row that the target lacks, from the work table. */
  repairInsert(): string {
    const from = this.columns.map((c) => `w.${c}`).join(", ");
    return `INSERT INTO ${this.target} (${this.#list}) SELECT ${this.#list} FROM (
        SELECT ${from}, c.source_copies - c.target_copies AS lacking,
               row_number() OVER (PARTITION BY c.row_text) AS nth
          FROM ${ROWS} w JOIN ${COUNTS} c ON ${this.#rowText("w")} = c.row_text
         WHERE c.source_copies > c.target_copies) m
       WHERE m.nth <= m.lacking`;
  }

  #rowText(alias: string): string {
    return wholeRowText(alias, this.columns);
  }
}
