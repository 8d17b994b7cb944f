/**
 * The target side of verify: source rows, encoded exactly as the sync encodes them, are COPYed
 * into a temporary table typed (and on Greenplum spread) like the target, and compared with the
 * target there, value by typed value, by joins inside the database. Nothing is compared as
 * client-side text, so two values that PostgreSQL holds as equal (jsonb key order, numeric scale,
 * time zones) compare equal.
 *
 * @module
 */
import type postgres from "postgres";
import { copyText } from "../convert/copy.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { copyIn } from "../sink/copy_in.ts";
import type { StagingLayout, TargetDialect } from "../sink/dialect.ts";
import type { Queryable, Sql } from "../sink/postgres.ts";
import { keyIndexed } from "../sink/target.ts";
import type { KeyValue } from "../tables/source_rows.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { targetSlice } from "../tables/target_slice.ts";
import { comparedColumn, type KeyColumn, keyColumn, sameOrder } from "./key_columns.ts";
import {
  ANALYZE_SEEN,
  type ChunkScope,
  CLEAR_DIFFS,
  type ComparedSlice,
  COUNT_DIFFS,
  DIFF_COLUMNS,
  INDEX_DIFFS,
  QUALIFIED_WORK_TABLES,
  SEEN_TABLE,
  VerifyStatements,
  WORK_TABLES,
} from "./statements.ts";

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

/** How long a repair waits for its lock on the target table (the sync's batches hold it). */
export const REPAIR_LOCK_SECONDS = 60;

/**
 * Compares one table, chunk by chunk. Needs a connection of its own (temporary tables live in the
 * session).
 *
 * Chunks are ranges of the source's key order. When MySQL and PostgreSQL order the key alike
 * (numbers, dates, bytes) a chunk is the same key range in the target, so rows only the target has
 * are found in the chunk they fall into. Otherwise (text keys: collations differ, and no key range
 * means the same rows on both sides) a chunk's target rows are those with the chunk's keys, found
 * by one join; every source key compared is kept in a temporary table, and the target's keys never
 * seen there are its extra rows, found by one anti-join at the end. Both ways take a fixed number
 * of statements per chunk, whatever its size, and are right whatever the collations: keys are
 * matched by equality only.
 *
 * A chunk costs BEGIN, COPY, one query and COMMIT (plus, for keys compared by set, the insert of
 * its keys and the planner settings, sent without waiting); a chunk that differs two statements
 * more to store its differing keys, which are then read a chunk's worth at a time.
 */
export class Comparer {
  /** The key ranges of both sides agree (see the class comment). */
  readonly ordered: boolean;
  /** An index of the target serves the chunks' lookups (see the constructor). */
  readonly keyIndexed: boolean;
  readonly #statements: VerifyStatements;
  readonly #keys: readonly KeyColumn[];
  readonly #layout: StagingLayout;
  readonly #keyLayout: StagingLayout;

  constructor(
    private readonly sql: Sql,
    codec: RowCodec,
    private readonly dialect: TargetDialect,
    /**
     * The target is shared with other source tables, untagged: its rows in no source table are
     * found once for all of them (`SharedExtras`, which owns the seen-keys table).
     */
    private readonly shared = false,
  ) {
    const target = qualified(codec.target.schema, codec.target.table);
    const columns = codec.targetColumns.map(comparedColumn);
    const keys = codec.keyIndexes.map((i) => keyColumn(codec.targetColumns[i]));
    this.#keys = keys;
    this.#statements = new VerifyStatements(target, columns, keys, comparedSlice(codec));
    const targetColumns = codec.target.columns.map((c) => quoteIdent(c.name));
    this.#layout = { target, columns: columns.map((c) => c.quoted), targetColumns };
    this.#keyLayout = { target, columns: keys.map((k) => k.quoted), targetColumns };
    // A chunk's key range in a shared target holds other tables' rows, which are no extras here
    this.ordered = !shared &&
      codec.keyIndexes.every((i) => sameOrder(codec.sourceColumns[i], codec.targetColumns[i]));
    // A range of the key order is scanned through an index led by its first column; a lookup by
    // key can use an index led by any of them
    this.keyIndexed = this.ordered
      ? codec.target.indexLeads.includes(keys[0].name)
      : keyIndexed(codec.target, keys.map((k) => k.name));
  }

  /** Creates the session's work tables, typed (on Greenplum also spread) like the target. */
  async prepare(): Promise<void> {
    const { source, keys, seen, diffs } = WORK_TABLES;
    const statements = [
      ...this.dialect.tempStaging(source, this.#layout),
      ...this.dialect.tempStaging(keys, this.#keyLayout),
      ...this.dialect.tempKeptTable(diffs, this.#keyLayout, DIFF_COLUMNS),
      INDEX_DIFFS,
      ...(this.ordered || this.shared ? [] : this.dialect.tempKeptTable(seen, this.#keyLayout, [])),
    ];
    for (const statement of statements) await this.sql.unsafe(statement);
  }

  /** Drops the work tables (a shared target's seen keys stay, for `SharedExtras`). */
  async close(): Promise<void> {
    for (const table of QUALIFIED_WORK_TABLES) {
      if (this.shared && table === SEEN_TABLE) continue;
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
    const scope: ChunkScope = this.ordered ? { by: "range", lo, hi } : { by: "keys" };
    return await this.sql.begin(async (tx) => {
      await copyIn(tx, this.#statements.copySource, rows);
      const setup = this.ordered ? [] : [this.#statements.rememberKeys, this.#lookupSettings()];
      const params: (string | null)[] = [];
      const check = this.#statements.check(scope, params);
      const [{ differs }] = await this.#after(
        tx,
        setup,
        this.#prepared<{ differs: boolean }>(tx, check, params),
      );
      // First the cheap question (does any row differ?), the keys only for a chunk where one does
      if (!differs) return 0;
      const listParams: (string | null)[] = [];
      const list = this.#statements.listDiffs(scope, listParams);
      return (await this.#after(tx, [CLEAR_DIFFS], this.#prepared(tx, list, listParams))).count;
    });
  }

  /** Creates the seen-keys table of a shared target, which its comparers fill. */
  async openSeen(): Promise<void> {
    const statements = this.dialect.tempKeptTable(WORK_TABLES.seen, this.#keyLayout, []);
    for (const statement of statements) await this.sql.unsafe(statement);
  }

  /** Drops the seen-keys table of a shared target. */
  async dropSeen(): Promise<void> {
    await this.sql.unsafe(`DROP TABLE IF EXISTS ${SEEN_TABLE}`).catch(() => {});
  }

  /**
   * After all chunks of a table whose key orders differ (or of every table sharing the target):
   * records the target's keys that no chunk had (its extra rows) for {@link diffPage}; returns
   * how many.
   */
  async findUnseen(): Promise<number> {
    if (this.ordered) return 0;
    await this.sql.unsafe(CLEAR_DIFFS);
    await this.sql.unsafe(ANALYZE_SEEN);
    return (await this.sql.unsafe(this.#statements.listUnseen())).count;
  }

  /**
   * Forgets the recorded differences whose keys are in `keys` (COPY text of encoded keys): rows
   * that a source table sharing the target turned out to have.
   */
  async forgetFound(keys: string): Promise<void> {
    await this.sql.begin(async (tx) => {
      await copyIn(tx, this.#statements.copyKeys, keys);
      await tx.unsafe(this.#statements.forgetFound());
    });
  }

  /** Forgets the recorded differences the target no longer has; returns how many are left. */
  async countLeft(): Promise<number> {
    await this.sql.unsafe(this.#statements.forgetGone());
    const [{ count }] = await this.sql.unsafe<{ count: number }[]>(COUNT_DIFFS);
    return count;
  }

  /** Up to `limit` recorded differences after number `afterSeq`, and the number of the last. */
  async diffPage(afterSeq: number, limit: number): Promise<{ diffs: KeyDiff[]; last: number }> {
    const rows = await this.sql.unsafe(this.#statements.diffPage(limit), [afterSeq], {
      prepare: true,
    }).values();
    const diffs = rows.map((row) => this.#toDiff(row[1], row.slice(2)));
    return { diffs, last: rows.length > 0 ? Number(rows[rows.length - 1][0]) : afterSeq };
  }

  /**
   * Compares the rows of the given keys: `rows` (COPY text) is what the source holds for them
   * now. Returns the keys that still differ, including keys the source returned beyond those asked
   * for (a MySQL collation can match `a` for `A`).
   */
  async compareKeys(keys: readonly KeyDiff[], rows: string): Promise<KeyDiff[]> {
    const found = await this.sql.begin(async (tx) => {
      await copyIn(tx, this.#statements.copyKeys, keysText(keys));
      await copyIn(tx, this.#statements.copySource, rows);
      const recheck = tx.unsafe(this.#statements.recheck()).values();
      return await this.#after(tx, [this.#lookupSettings()], recheck);
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
    return await this.sql.begin(async (tx) => {
      await tx.unsafe(`SET LOCAL lock_timeout = '${REPAIR_LOCK_SECONDS}s'`);
      // Conflicts with the sync's row changes, not with readers: no batch can commit to this table
      // between the read of the source and this commit.
      await tx.unsafe(`LOCK TABLE ${this.#layout.target} IN SHARE ROW EXCLUSIVE MODE`);
      const rows = await readSource();
      await copyIn(tx, this.#statements.copyKeys, keysText(keys));
      await copyIn(tx, this.#statements.copySource, rows);
      const deleted = await tx.unsafe(this.#statements.repairDelete());
      const mark = this.#statements.repairMark();
      const marked = mark === null ? 0 : (await tx.unsafe(mark)).count;
      const inserted = await tx.unsafe(this.#statements.repairInsert());
      return { deleted: deleted.count + marked, inserted: inserted.count };
    });
  }

  /**
   * Sends `setup` and then `query` (not executed yet) without waiting in between: one round trip.
   * The result of `query`.
   */
  async #after<Q extends PromiseLike<unknown> & { execute(): unknown }>(
    tx: Queryable,
    setup: readonly string[],
    query: Q,
  ): Promise<Awaited<Q>> {
    // Queries are sent in the order they are executed
    const sent = setup.map((text) => tx.unsafe(text).execute());
    query.execute();
    await Promise.all(sent);
    return await query;
  }

  /** `statement` with `params`, prepared once per connection: its text repeats chunk after chunk. */
  #prepared<T extends postgres.Row>(tx: Queryable, statement: string, params: (string | null)[]) {
    return tx.unsafe<T[]>(statement, params, { prepare: true });
  }

  /**
   * For joins by key with a small staged side: the planner left to its costs may hash the whole
   * target for every chunk; an index lookup per staged key costs the same however large the target
   * grows (the sync's merge does the same).
   */
  #lookupSettings(): string {
    return this.dialect.mergeSettings(this.keyIndexed);
  }

  #toDiff(kind: unknown, fields: unknown[]): KeyDiff {
    const n = this.#keys.length;
    return {
      kind: kind as DiffKind,
      key: fields.slice(0, n).map(String),
      mysqlKey: fields.slice(n).map((text, i) => this.#keys[i].toMySql(String(text))),
    };
  }
}

/** The target rows compared with the codec's source table (see `tables/target_slice.ts`). */
export function comparedSlice(codec: RowCodec): ComparedSlice {
  const { rows, live } = targetSlice(codec.route, codec);
  const { deleted, deletedAt } = codec.appended;
  const set = (index: number, value: string) =>
    `${quoteIdent(codec.targetColumns[index].name)} = ${value}`;
  const markDeleted = deleted === null
    ? null
    : [set(deleted, "true"), ...(deletedAt === null ? [] : [set(deletedAt, "now()")])].join(", ");
  return { rows, live, markDeleted };
}

/** COPY text of the keys (as PostgreSQL prints them). */
function keysText(keys: readonly KeyDiff[]): string {
  let text = "";
  for (const key of keys) text += copyText(key.key);
  return text;
}
