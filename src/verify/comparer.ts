/**
 * The PostgreSQL side of verify: source rows, encoded exactly as the sync encodes them, are COPYed
 * into a temporary table typed like the target, and compared with the target there, value by typed
 * value. Nothing is compared as client-side text, so two values that PostgreSQL holds as equal
 * (jsonb key order, numeric scale, time zones) compare equal.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { copyIn } from "../sink/copy_in.ts";
import type { KeyValue } from "../tables/source_rows.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import type { Sql } from "../sink/postgres.ts";
import {
  type ComparedColumn,
  comparedColumn,
  type KeyColumn,
  keyColumn,
  sameOrder,
} from "./key_columns.ts";

/** How a key differs: only in the source, only in the target, or in its values. */
export type DiffKind = "missing" | "extra" | "different";

/** One differing row, by key. */
export interface KeyDiff {
  kind: DiffKind;
  /** The key's values as PostgreSQL prints them, in key order. */
  key: string[];
  /** The same key as MySQL compares it. */
  mysqlKey: KeyValue[];
}

// The session's work tables, always named with pg_temp so that no user table can be meant.
const SRC = `pg_temp.${quoteIdent("mgs_verify_src")}`;
const KEYS = `pg_temp.${quoteIdent("mgs_verify_keys")}`;
const DIFF = `pg_temp.${quoteIdent("mgs_verify_diff")}`;
const SEEN = `pg_temp.${quoteIdent("mgs_verify_seen")}`;
const SEQ = quoteIdent("__mgs_verify_seq");
const KIND = quoteIdent("__mgs_verify_kind");
const COUNT = quoteIdent("__mgs_verify_n");

/** A work table's name without its schema, as CREATE TEMP TABLE wants it. */
function bare(table: string): string {
  return table.slice("pg_temp.".length);
}

/** How long a repair waits for its lock on the target table (the sync's batches hold it). */
export const REPAIR_LOCK_SECONDS = 60;

/**
 * Compares one table, chunk by chunk. Needs a connection of its own (temporary tables live in the
 * session).
 *
 * Chunks are ranges of the source's key order. When MySQL and PostgreSQL order the key alike
 * (numbers, dates, bytes) a chunk is the same key range in the target, so rows only the target has
 * are found in the chunk they fall into. Otherwise (text keys: collations differ) a chunk's target
 * rows are looked up by the chunk's keys, every source key is remembered, and the target's keys
 * never seen are its extra rows, found in one pass at the end.
 */
export class Comparer {
  /** The key ranges of both sides agree (see the class comment). */
  readonly ordered: boolean;
  readonly #target: string;
  readonly #columns: ComparedColumn[];
  readonly #keys: KeyColumn[];
  readonly #list: string;
  readonly #keyList: string;

  constructor(private readonly sql: Sql, private readonly codec: RowCodec) {
    this.#target = qualified(codec.target.schema, codec.target.table);
    this.#columns = codec.targetColumns.map(comparedColumn);
    this.#keys = codec.keyIndexes.map((i) => keyColumn(codec.targetColumns[i]));
    this.#list = this.#columns.map((c) => c.quoted).join(", ");
    this.#keyList = this.#keys.map((k) => k.quoted).join(", ");
    this.ordered = codec.keyIndexes.every((i) =>
      sameOrder(codec.sourceColumns[i], codec.targetColumns[i])
    );
  }

  /** Creates the session's work tables, typed like the target. */
  async prepare(): Promise<void> {
    const from = `FROM ${this.#target} WITH NO DATA`;
    for (const table of [SRC, KEYS, DIFF, SEEN]) {
      await this.sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
    }
    await this.sql.unsafe(`CREATE TEMP TABLE ${bare(SRC)} AS SELECT ${this.#list} ${from}`);
    await this.sql.unsafe(`CREATE TEMP TABLE ${bare(KEYS)} AS SELECT ${this.#keyList} ${from}`);
    await this.sql.unsafe(
      `CREATE TEMP TABLE ${bare(DIFF)} AS SELECT 0::bigint AS ${SEQ}, ${this.#keyList}, ` +
        `''::text AS ${KIND} ${from}`,
    );
    await this.sql.unsafe(`CREATE INDEX ON ${DIFF} (${SEQ})`);
    if (!this.ordered) {
      await this.sql.unsafe(`CREATE TEMP TABLE ${bare(SEEN)} AS SELECT ${this.#keyList} ${from}`);
    }
  }

  /**
   * Whether an index of the target starts with the key columns, in key order. Without one, every
   * chunk reads the whole target table.
   */
  async keyIndexed(): Promise<boolean> {
    const indexes = await this.sql<{ columns: string[] }[]>`
      SELECT array(SELECT a.attname::text
                     FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    ORDER BY k.ord) AS columns
        FROM pg_index i WHERE i.indrelid = to_regclass(${this.#target})`;
    const key = this.#keys.map((k) => k.name);
    return indexes.some(({ columns }) => key.every((name, i) => columns[i] === name));
  }

  /** Drops the work tables. */
  async close(): Promise<void> {
    for (const table of [SRC, KEYS, DIFF, SEEN]) {
      await this.sql.unsafe(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    }
  }

  /**
   * Compares one chunk: `rows` (COPY text of the source rows with keys in (`lo`, `hi`], in the
   * source's order) against the target. `lo`/`hi` are key fields as encoded, null for no bound.
   * Records every differing key for {@link diffPage} and returns how many there are.
   */
  async checkChunk(
    rows: string,
    lo: readonly (string | null)[] | null,
    hi: readonly (string | null)[] | null,
  ): Promise<number> {
    return await this.sql.begin(async (tx) => {
      await tx.unsafe(`TRUNCATE ${SRC}`);
      await copyIn(tx, `COPY ${SRC} (${this.#list}) FROM STDIN`, rows);
      if (!this.ordered) await tx.unsafe(`INSERT INTO ${SEEN} SELECT ${this.#keyList} FROM ${SRC}`);
      const params: (string | null)[] = [];
      const scope = this.ordered ? this.#range(lo, hi, params) : "";
      // First the cheap question (does any row differ?), the keys only for a chunk where one does
      const [{ differs }] = await tx.unsafe<{ differs: boolean }[]>(
        this.ordered ? this.#rangeCheck(scope) : this.#lookupCheck(),
        params,
      );
      if (!differs) return 0;
      await tx.unsafe(`TRUNCATE ${DIFF}`);
      const found = await tx.unsafe(
        `INSERT INTO ${DIFF} (${SEQ}, ${this.#keyList}, ${KIND}) ` +
          `SELECT row_number() OVER (), ${this.#keyList}, ${KIND} FROM (${
            this.ordered ? this.#rangeDiff(scope) : this.#lookupDiff()
          }) d`,
        params,
      );
      return found.count;
    });
  }

  /**
   * After all chunks of a table whose key orders differ: records the target's keys that no chunk
   * had (its extra rows) for {@link diffPage}; returns how many.
   */
  async findUnseen(): Promise<number> {
    if (this.ordered) return 0;
    await this.sql.unsafe(`TRUNCATE ${DIFF}`);
    // Temporary tables are never analyzed by autovacuum; the anti-join's plan needs their size
    await this.sql.unsafe(`ANALYZE ${SEEN}`);
    const k = (alias: string) => this.#keys.map((c) => `${alias}.${c.quoted}`).join(", ");
    const found = await this.sql.unsafe(
      `INSERT INTO ${DIFF} (${SEQ}, ${this.#keyList}, ${KIND})
       SELECT row_number() OVER (), ${this.#keyList}, 'extra' FROM (
         SELECT DISTINCT ${k("t")} FROM ${this.#target} t
          WHERE NOT EXISTS (SELECT 1 FROM ${SEEN} s WHERE ${this.#keyEq("s", "t")})) d`,
    );
    return found.count;
  }

  /** Up to `limit` recorded differences after number `afterSeq`, and the number of the last. */
  async diffPage(afterSeq: number, limit: number): Promise<{ diffs: KeyDiff[]; last: number }> {
    const rows = await this.sql.unsafe(
      `SELECT d.${SEQ}::text AS seq, d.${KIND}, ${this.#keyOutput("d")} FROM ${DIFF} d
        WHERE d.${SEQ} > $1 ORDER BY d.${SEQ} LIMIT ${Math.floor(limit)}`,
      [afterSeq],
    ).values();
    const diffs = rows.map((row) => this.#toDiff(row[1], row.slice(2)));
    return { diffs, last: rows.length > 0 ? Number(rows[rows.length - 1][0]) : afterSeq };
  }

  /**
   * Compares the rows of the given keys: `rows` (COPY text) is what the source holds for them
   * now. Returns the keys that still differ, including keys the source returned beyond those asked
   * for (a MySQL collation can match `a` for `A`).
   */
  async compareKeys(keys: readonly KeyDiff[], rows: string): Promise<KeyDiff[]> {
    await this.#loadKeys(keys);
    const found = await this.sql.begin(async (tx) => {
      await tx.unsafe(`TRUNCATE ${SRC}`);
      await copyIn(tx, `COPY ${SRC} (${this.#list}) FROM STDIN`, rows);
      const k0 = this.#keys[0].quoted;
      return await tx.unsafe(
        `WITH q AS (SELECT ${this.#keyList} FROM ${KEYS} UNION SELECT ${this.#keyList} FROM ${SRC})
         SELECT DISTINCT ON (${this.#keys.map((c) => `q.${c.quoted}`).join(", ")})
                CASE WHEN t.${k0} IS NULL THEN 'missing' WHEN s.${k0} IS NULL THEN 'extra'
                     ELSE 'different' END,
                ${this.#keyOutput("q")}
           FROM q LEFT JOIN ${SRC} s ON ${this.#keyEq("s", "q")}
           LEFT JOIN LATERAL (${this.#lookup("q")}) t ON true
          WHERE (s.${k0} IS NULL) <> (t.${k0} IS NULL) OR t.${COUNT} > 1
             OR (s.${k0} IS NOT NULL AND (${this.#mismatch()}))`,
      ).values();
    });
    return found.map((row) => this.#toDiff(row[0], row.slice(1)));
  }

  /**
   * Rewrites the rows of `keys` from the source: deletes them in the target and inserts what the
   * source holds, in one transaction. `readSource` is called once the target table is locked
   * against the sync's writes, so what it reads is at least as new as everything applied.
   */
  async repair(
    keys: readonly KeyDiff[],
    readSource: () => Promise<string>,
  ): Promise<{ deleted: number; inserted: number }> {
    await this.#loadKeys(keys);
    return await this.sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${REPAIR_LOCK_SECONDS}s'`);
      // Conflicts with the sync's row changes, not with readers: no batch can commit to this table
      // between the read of the source and this commit.
      await tx.unsafe(`LOCK TABLE ${this.#target} IN SHARE ROW EXCLUSIVE MODE`);
      const rows = await readSource();
      await tx.unsafe(`TRUNCATE ${SRC}`);
      await copyIn(tx, `COPY ${SRC} (${this.#list}) FROM STDIN`, rows);
      const deleted = await tx.unsafe(
        `DELETE FROM ${this.#target} t USING ${KEYS} k WHERE ${this.#keyEq("t", "k")}`,
      );
      const inserted = await tx.unsafe(
        `INSERT INTO ${this.#target} (${this.#list}) SELECT ${this.#list} FROM ${SRC} s
          WHERE EXISTS (SELECT 1 FROM ${KEYS} k WHERE ${this.#keyEq("s", "k")})`,
      );
      return { deleted: deleted.count, inserted: inserted.count };
    });
  }

  async #loadKeys(keys: readonly KeyDiff[]): Promise<void> {
    let text = "";
    for (const key of keys) text += copyText(key.key);
    await this.sql.begin(async (tx) => {
      await tx.unsafe(`TRUNCATE ${KEYS}`);
      await copyIn(tx, `COPY ${KEYS} (${this.#keyList}) FROM STDIN`, text);
    });
  }

  #toDiff(kind: unknown, fields: unknown[]): KeyDiff {
    const n = this.#keys.length;
    return {
      kind: kind as DiffKind,
      key: fields.slice(0, n).map(String),
      mysqlKey: fields.slice(n).map((text, i) => this.#keys[i].toMySql(String(text))),
    };
  }

  /** The key of `alias` as PostgreSQL prints it, then as MySQL should get it. */
  #keyOutput(alias: string): string {
    return [
      ...this.#keys.map((k) => `${alias}.${k.quoted}::text`),
      ...this.#keys.map((k) => k.mysqlText(alias)),
    ].join(", ");
  }

  #keyEq(a: string, b: string): string {
    return this.#keys.map((k) => `${a}.${k.quoted} = ${b}.${k.quoted}`).join(" AND ");
  }

  #mismatch(): string {
    return this.#columns.map((c) => c.differs("s", "t")).join(" OR ");
  }

  /**
   * The target rows with the key of `alias`, and how many there are (a target without a primary
   * key can hold a key twice). OFFSET 0 keeps it a per-key index lookup: flattened into a join,
   * the planner may prefer to scan the whole target for every chunk.
   */
  #lookup(alias: string): string {
    return `SELECT ${this.#list}, count(*) OVER () AS ${COUNT} FROM ${this.#target} t
             WHERE ${this.#keyEq("t", alias)} OFFSET 0`;
  }

  /** `(t.k1, t.k2) > ($1, $2) AND (t.k1, t.k2) <= ($3, $4)` for the bounds given. */
  #range(
    lo: readonly (string | null)[] | null,
    hi: readonly (string | null)[] | null,
    params: (string | null)[],
  ): string {
    const row = (alias: string) => {
      const columns = this.#keys.map((k) => `${alias}.${k.quoted}`);
      return columns.length === 1 ? columns[0] : `(${columns.join(", ")})`;
    };
    const values = (fields: readonly (string | null)[]) => {
      const casts = this.#keys.map((k, i) => {
        params.push(fields[i]);
        return `$${params.length}::${k.type}`;
      });
      return casts.length === 1 ? casts[0] : `(${casts.join(", ")})`;
    };
    const terms: string[] = [];
    if (lo !== null) terms.push(`${row("t")} > ${values(lo)}`);
    if (hi !== null) terms.push(`${row("t")} <= ${values(hi)}`);
    return terms.length === 0 ? "true" : terms.join(" AND ");
  }

  #rangeCheck(scope: string): string {
    const k0 = this.#keys[0].quoted;
    return `SELECT (SELECT count(*) FROM ${SRC}) <> (SELECT count(*) FROM ${this.#target} t WHERE ${scope})
        OR EXISTS (SELECT 1 FROM ${SRC} s
                   FULL JOIN (SELECT ${this.#list} FROM ${this.#target} t WHERE ${scope}) t
                     ON ${this.#keyEq("s", "t")}
                   WHERE s.${k0} IS NULL OR t.${k0} IS NULL OR ${this.#mismatch()}) AS differs`;
  }

  #rangeDiff(scope: string): string {
    const k0 = this.#keys[0].quoted;
    const keyed = this.#keys.map((k) => `COALESCE(s.${k.quoted}, t.${k.quoted}) AS ${k.quoted}`);
    return `SELECT DISTINCT ON (${this.#keyList}) * FROM (
      SELECT ${keyed.join(", ")},
             CASE WHEN t.${k0} IS NULL THEN 'missing' WHEN s.${k0} IS NULL THEN 'extra'
                  ELSE 'different' END AS ${KIND}
        FROM ${SRC} s
        FULL JOIN (SELECT ${this.#list}, count(*) OVER (PARTITION BY ${this.#keyList}) AS ${COUNT}
                     FROM ${this.#target} t WHERE ${scope}) t ON ${this.#keyEq("s", "t")}
       WHERE s.${k0} IS NULL OR t.${k0} IS NULL OR t.${COUNT} > 1 OR ${this.#mismatch()}) x`;
  }

  #lookupCheck(): string {
    return `SELECT EXISTS (SELECT 1 FROM ${SRC} s LEFT JOIN LATERAL (${this.#lookup("s")}) t ON true
                   WHERE t.${COUNT} IS NULL OR t.${COUNT} > 1 OR ${this.#mismatch()}) AS differs`;
  }

  #lookupDiff(): string {
    const k0 = this.#keys[0].quoted;
    return `SELECT DISTINCT ON (${this.#keyList}) * FROM (
      SELECT ${this.#keys.map((k) => `s.${k.quoted}`).join(", ")},
             CASE WHEN t.${k0} IS NULL THEN 'missing' ELSE 'different' END AS ${KIND}
        FROM ${SRC} s LEFT JOIN LATERAL (${this.#lookup("s")}) t ON true
       WHERE t.${COUNT} IS NULL OR t.${COUNT} > 1 OR ${this.#mismatch()}) x`;
  }
}
