/**
 * The statements verify sends to the target, as text. All are set-based: a chunk costs the same
 * few statements however many rows it has, and none needs what Greenplum 6 lacks (LATERAL,
 * `ON CONFLICT`, `MERGE`, functions of PostgreSQL 9.5+). The work tables they read are made by the
 * target's dialect (`sink/dialect.ts`), typed (and on Greenplum spread) like the target.
 *
 * @module
 */
import { quoteIdent } from "../convert/ident.ts";
import { type ExtraColumn, tempStagingName } from "../sink/dialect.ts";
import type { ComparedColumn, KeyColumn } from "./key_columns.ts";

/** The session's work tables, bare (as CREATE TEMP TABLE wants them) and qualified with pg_temp. */
export const WORK_TABLES = {
  /** The source rows being compared; emptied by every commit. */
  source: quoteIdent("mgs_verify_src"),
  /** The keys being re-checked or repaired; emptied by every commit. */
  keys: quoteIdent("mgs_verify_keys"),
  /** Every key of the source compared so far (keys whose orders differ). */
  seen: quoteIdent("mgs_verify_seen"),
  /** The differing keys found, numbered, until they are read. */
  diffs: quoteIdent("mgs_verify_diff"),
} as const;

const SRC = tempStagingName(WORK_TABLES.source);
const KEYS = tempStagingName(WORK_TABLES.keys);
const SEEN = tempStagingName(WORK_TABLES.seen);

/** The seen-keys table, qualified. */
export const SEEN_TABLE = SEEN;
const DIFF = tempStagingName(WORK_TABLES.diffs);
const SEQ = quoteIdent("__mgs_verify_seq");
const KIND = quoteIdent("__mgs_verify_kind");

/** The columns {@link WORK_TABLES}.diffs has besides the key. */
export const DIFF_COLUMNS: readonly ExtraColumn[] = [
  { name: SEQ, type: "bigint" },
  { name: KIND, type: "text" },
];

/** Every work table, qualified (to drop them). */
export const QUALIFIED_WORK_TABLES = [SRC, KEYS, SEEN, DIFF];

/** An index on the differences' numbers, which {@link VerifyStatements.diffPage} reads in order. */
export const INDEX_DIFFS = `CREATE INDEX ON ${DIFF} (${SEQ})`;

export const CLEAR_DIFFS = `TRUNCATE ${DIFF}`;

/** The number of differences stored, `count`. */
export const COUNT_DIFFS = `SELECT count(*)::float8 AS count FROM ${DIFF}`;

/** Temporary tables are never analyzed by autovacuum; the anti-join's plan needs their size. */
export const ANALYZE_SEEN = `ANALYZE ${SEEN}`;

/**
 * The target rows compared (see `tables/target_slice.ts`): conditions on the target's alias `t`,
 * null for none.
 */
export interface ComparedSlice {
  /** The rows of the compared source table (its source tag). */
  rows: string | null;
  /** Of those, the rows the source still has (a soft-deleted row is kept, flagged). */
  live: string | null;
  /** The SET list that flags a row deleted (soft delete), for a repair; null: rows are deleted. */
  markDeleted: string | null;
}

/** All of the target, rows deleted when the source deletes them. */
export const WHOLE_TARGET: ComparedSlice = { rows: null, live: null, markDeleted: null };

/** How the target rows of a chunk are found: by key range, or by the keys of the chunk. */
export type ChunkScope =
  | { by: "range"; lo: readonly (string | null)[] | null; hi: readonly (string | null)[] | null }
  | { by: "keys" };

/**
 * The texts for one target table. A chunk's source rows sit in the source work table; its target
 * rows are those in the chunk's key range (when both sides order the key alike) or those with the
 * chunk's keys (otherwise). "Differs" covers a row missing, extra, changed, or a key the target
 * holds twice (a target without a unique key can). Only the target rows of `slice` take part: a
 * source tag's rows of a merged target, the live ones of a soft-delete target.
 */
export class VerifyStatements {
  readonly copySource: string;
  readonly copyKeys: string;
  /** Adds the chunk's keys to those seen. */
  readonly rememberKeys: string;
  readonly #list: string;
  readonly #keyList: string;
  readonly #k0: string;
  /** ` AND ` the slice's conditions, or nothing. */
  readonly #inSlice: string;

  constructor(
    private readonly target: string,
    private readonly columns: readonly ComparedColumn[],
    private readonly keys: readonly KeyColumn[],
    private readonly slice: ComparedSlice = WHOLE_TARGET,
  ) {
    this.#inSlice = [slice.rows, slice.live].map((c) => c === null ? "" : ` AND ${c}`).join("");
    this.#list = columns.map((c) => c.quoted).join(", ");
    this.#keyList = keys.map((k) => k.quoted).join(", ");
    this.#k0 = keys[0].quoted;
    this.copySource = `COPY ${SRC} (${this.#list}) FROM STDIN`;
    this.copyKeys = `COPY ${KEYS} (${this.#keyList}) FROM STDIN`;
    this.rememberKeys =
      `INSERT INTO ${SEEN} (${this.#keyList}) SELECT ${this.#keyList} FROM ${SRC}`;
  }

  /**
   * One row, `differs`: whether any row of the chunk differs. Cheap enough for every chunk: one
   * join and one aggregate row. Once no row is missing, extra or changed, the join has as many
   * rows as the source chunk unless the target holds a key twice. Fills `params`.
   */
  check(scope: ChunkScope, params: (string | null)[]): string {
    const { s, t } = this.#nulls();
    return `SELECT count(*) <> (SELECT count(*) FROM ${SRC})
                   OR coalesce(bool_or(${s} OR ${t} OR ${this.#mismatch()}), false) AS differs
              FROM ${this.#chunkJoin(scope, params)}`;
  }

  /** Numbers and stores (in the differences table) every differing key of the chunk. */
  listDiffs(scope: ChunkScope, params: (string | null)[]): string {
    const { s, t } = this.#nulls();
    const keyed = this.keys.map((k) => `coalesce(s.${k.quoted}, t.${k.quoted}) AS ${k.quoted}`);
    return this.#insertDiffs(
      `SELECT ${keyed.join(", ")}, ${this.#kind()} AS ${KIND}
         FROM ${this.#chunkJoin(scope, params)}
        GROUP BY ${this.keys.map((_, i) => i + 1).join(", ")}
       HAVING count(*) > 1 OR bool_or(${s} OR ${t} OR ${this.#mismatch()})`,
    );
  }

  /** After every chunk (keys compared by set): stores the target's keys never seen as extra. */
  listUnseen(): string {
    const k = this.keys.map((c) => `t.${c.quoted}`).join(", ");
    return this.#insertDiffs(
      `SELECT DISTINCT ${k}, 'extra' AS ${KIND} FROM ${this.target} t
        WHERE NOT EXISTS (SELECT 1 FROM ${SEEN} s WHERE ${this.#keyEq("s", "t")})${this.#inSlice}`,
    );
  }

  /**
   * Up to `limit` stored differences numbered after `$1`: number, kind, the key as PostgreSQL
   * prints it, then as MySQL should get it.
   */
  diffPage(limit: number): string {
    return `SELECT d.${SEQ}::text AS seq, d.${KIND}, ${this.#keyOutput("d")} FROM ${DIFF} d
             WHERE d.${SEQ} > $1 ORDER BY d.${SEQ} LIMIT ${Math.floor(limit)}`;
  }

  /**
   * The keys staged in the keys table, and those of the staged source rows (a MySQL collation can
   * match `a` for `A`), that still differ: kind, then the key as {@link diffPage} gives it.
   */
  recheck(): string {
    const q = this.keys.map((k) => `q.${k.quoted}`).join(", ");
    const { s, t } = this.#nulls();
    return `SELECT d.${KIND}, ${this.#keyOutput("d")} FROM (
      SELECT ${q}, ${this.#kind()} AS ${KIND}
        FROM (SELECT ${this.#keyList} FROM ${KEYS} UNION SELECT ${this.#keyList} FROM ${SRC}) q
        LEFT JOIN ${SRC} s ON ${this.#keyEq("s", "q")}
        LEFT JOIN ${this.target} t ON ${this.#keyEq("t", "q")}${this.#inSlice}
       GROUP BY ${q}
      HAVING bool_or(${s}) <> bool_or(${t}) OR count(*) > 1
          OR bool_or(NOT ${s} AND NOT ${t} AND (${this.#mismatch()}))) d`;
  }

  /**
   * Deletes the slice's target rows of the staged keys; with soft delete, only of the keys the
   * source has (they are inserted again), as {@link repairMark} flags the others.
   */
  repairDelete(): string {
    const kept = this.slice.markDeleted === null
      ? ""
      : ` AND EXISTS (SELECT 1 FROM ${SRC} s WHERE ${this.#keyEq("s", "k")})`;
    const rows = this.slice.rows === null ? "" : ` AND ${this.slice.rows}`;
    return `DELETE FROM ${this.target} t USING ${KEYS} k WHERE ${
      this.#keyEq("t", "k")
    }${rows}${kept}`;
  }

  /**
   * With soft delete, after {@link repairDelete}: flags deleted the live target rows of the
   * staged keys the source lacks (what the sync does for a deleted row); null without.
   */
  repairMark(): string | null {
    if (this.slice.markDeleted === null) return null;
    return `UPDATE ${this.target} t SET ${this.slice.markDeleted} FROM ${KEYS} k
             WHERE ${this.#keyEq("t", "k")}${this.#inSlice}`;
  }

  /**
   * Of the differences stored (a shared target's rows no source table had: `listUnseen`), forgets
   * those whose keys are staged (a source table has them now).
   */
  forgetFound(): string {
    return `DELETE FROM ${DIFF} d USING ${KEYS} k WHERE ${this.#keyEq("d", "k")}`;
  }

  /** Of the differences stored, forgets those whose rows the target's slice no longer has. */
  forgetGone(): string {
    return `DELETE FROM ${DIFF} d WHERE NOT EXISTS (
              SELECT 1 FROM ${this.target} t WHERE ${this.#keyEq("t", "d")}${this.#inSlice})`;
  }

  /** Inserts the staged source rows of the staged keys. */
  repairInsert(): string {
    return `INSERT INTO ${this.target} (${this.#list}) SELECT ${this.#list} FROM ${SRC} s
             WHERE EXISTS (SELECT 1 FROM ${KEYS} k WHERE ${this.#keyEq("s", "k")})`;
  }

  /**
   * The staged chunk joined with its target rows: a full join with the rows in its key range, or
   * a left join with the rows of its keys (extra rows are found once at the end, by
   * {@link listUnseen}).
   */
  #chunkJoin(scope: ChunkScope, params: (string | null)[]): string {
    if (scope.by === "keys") {
      return `${SRC} s LEFT JOIN ${this.target} t ON ${this.#keyEq("s", "t")}${this.#inSlice}`;
    }
    const range = this.#range(scope.lo, scope.hi, params);
    return `${SRC} s FULL JOIN (SELECT ${this.#list} FROM ${this.target} t
                                 WHERE ${range}${this.#inSlice}) t
              ON ${this.#keyEq("s", "t")}`;
  }

  /**
   * `t.k > $1 AND t.k <= $2` for one key column; for several, the row comparison
   * `(t.k1, t.k2) > ($1, $2)` and, so that any planner can scan an index range, the bound of the
   * first column too (`t.k1 >= $1`).
   */
  #range(
    lo: readonly (string | null)[] | null,
    hi: readonly (string | null)[] | null,
    params: (string | null)[],
  ): string {
    const composite = this.keys.length > 1;
    const row = composite
      ? `(${this.keys.map((k) => `t.${k.quoted}`).join(", ")})`
      : `t.${this.#k0}`;
    const terms: string[] = [];
    const bound = (fields: readonly (string | null)[], strict: string, loose: string) => {
      const casts = this.keys.map((k, i) => {
        params.push(fields[i]);
        return `$${params.length}::${k.type}`;
      });
      terms.push(`${row} ${strict} ${composite ? `(${casts.join(", ")})` : casts[0]}`);
      if (composite) terms.push(`t.${this.#k0} ${loose} ${casts[0]}`);
    };
    if (lo !== null) bound(lo, ">", ">=");
    if (hi !== null) bound(hi, "<=", "<=");
    return terms.length === 0 ? "true" : terms.join(" AND ");
  }

  /** Per joined row: no source row, no target row. */
  #nulls(): { s: string; t: string } {
    return { s: `s.${this.#k0} IS NULL`, t: `t.${this.#k0} IS NULL` };
  }

  /** The kind of difference of a key, from its joined rows (an aggregate). */
  #kind(): string {
    const { s, t } = this.#nulls();
    return `CASE WHEN bool_and(${t}) THEN 'missing' WHEN bool_and(${s}) THEN 'extra'
                 ELSE 'different' END`;
  }

  #insertDiffs(keysAndKind: string): string {
    return `INSERT INTO ${DIFF} (${SEQ}, ${this.#keyList}, ${KIND})
            SELECT row_number() OVER (), ${this.#keyList}, ${KIND} FROM (${keysAndKind}) d`;
  }

  /** The key of `alias` as PostgreSQL prints it, then as MySQL should get it. */
  #keyOutput(alias: string): string {
    return [
      ...this.keys.map((k) => `${alias}.${k.quoted}::text`),
      ...this.keys.map((k) => k.mysqlText(alias)),
    ].join(", ");
  }

  #keyEq(a: string, b: string): string {
    return this.keys.map((k) => `${a}.${k.quoted} = ${b}.${k.quoted}`).join(" AND ");
  }

  #mismatch(): string {
    return this.columns.map((c) => c.differs("s", "t")).join(" OR ");
  }
}
