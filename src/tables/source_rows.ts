/**
 * Reads a followed table from the source in the order of its row identity (its key), a page at a
 * time (keyset pagination: each page is an index range scan, however deep into the table), or by a
 * list of keys; a table without a key, all at once as a stream.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Readable } from "node:stream";
import { qualifiedMySql, quoteMySqlIdent } from "../convert/ident.ts";
import { selectList } from "../convert/source.ts";
import { describeSource } from "../convert/source_kind.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { RowCodec } from "./row_codec.ts";

/** What {@link SourceRows.all} uses of mysql2's callback connection beneath the promise one. */
interface StreamingConnection {
  query(options: { sql: string; rowsAsArray: boolean }): {
    stream(options: { highWaterMark: number }): Readable;
  };
  resume(): void;
}

/** A row as mysql2 returns it with `rowsAsArray`: values in SELECT order. */
export type SourceRow = unknown[];

/** A key value as MySQL should compare it: text, a number, or bytes (binary keys). */
export type KeyValue = string | number | Buffer;

/** Keys looked up per statement by {@link SourceRows.byKeys}. */
const KEYS_PER_QUERY = 1_000;

const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;

/** Reads rows of one table through a connection set up by `connectSource`. */
export class SourceRows {
  readonly #from: string;
  readonly #keyNames: string[];
  /** The key columns read exactly as in `codec.selectList`, so a key read alone equals keyOf(row). */
  readonly #keySelect: string;
  /**
   * Per key column: compare as a number literal. A number sent as a quoted string would make
   * MySQL compare an integer column with it as a double, which cannot tell keys above 2^53 apart.
   */
  readonly #numeric: boolean[];

  constructor(private readonly connection: SourceConnection, private readonly codec: RowCodec) {
    const { schema, table } = codec.route.source;
    this.#from = qualifiedMySql(schema, table);
    this.#keyNames = codec.keyIndexes.map((i) => quoteMySqlIdent(codec.sourceColumns[i].name));
    this.#keySelect = selectList(codec.keyIndexes.map((i) => codec.sourceColumns[i]));
    this.#numeric = codec.keyIndexes.map((i) => {
      const kind = describeSource(codec.sourceColumns[i]).kind;
      return kind === "int" || kind === "decimal" || kind === "year" || kind === "bit";
    });
  }

  /** The key of a row read here, in key order. */
  keyOf(row: SourceRow): KeyValue[] {
    return this.codec.keyIndexes.map((i) => row[i] as KeyValue);
  }

  /**
   * Up to `limit` rows whose key follows `after` (from the start when null) and, when `through` is
   * given, is not beyond it, in key order.
   */
  async page(
    after: readonly KeyValue[] | null,
    limit: number,
    through: readonly KeyValue[] | null = null,
  ): Promise<SourceRow[]> {
    const params: unknown[] = [];
    const sql = `SELECT ${this.codec.selectList} FROM ${this.#from} ` +
      `${this.#range(after, through, params)} ` +
      `ORDER BY ${this.codec.sourceKeyList} LIMIT ${Math.floor(limit)}`;
    return await this.#query(sql, params);
  }

  /**
   * The key of the `count`-th row after `after` (from the start when null) in key order: a split
   * point that leaves `count` rows before it. Null when no row follows that one (the rest is
   * `count` rows or fewer). The server walks the index reading only the key columns; at most two
   * keys travel.
   */
  async keyAfter(after: readonly KeyValue[] | null, count: number): Promise<KeyValue[] | null> {
    const params: unknown[] = [];
    const sql = `SELECT ${this.#keySelect} FROM ${this.#from} ` +
      `${this.#range(after, null, params)} ` +
      `ORDER BY ${this.codec.sourceKeyList} LIMIT 2 OFFSET ${Math.floor(count) - 1}`;
    const keys = await this.#query(sql, params);
    return keys.length < 2 ? null : keys[0] as KeyValue[];
  }

  /**
   * The rows that have one of `keys` (as MySQL compares them: a collation may match several).
   * `lock`: read with shared locks (inside a transaction the caller opened), so that until it
   * ends nobody can change these rows, nor insert the keys that are absent.
   */
  async byKeys(
    keys: readonly (readonly KeyValue[])[],
    options: { lock?: boolean } = {},
  ): Promise<SourceRow[]> {
    const rows: SourceRow[] = [];
    for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
      const params: unknown[] = [];
      const tuples = keys.slice(i, i + KEYS_PER_QUERY).map((key) =>
        `(${key.map((value, k) => this.#value(value, k, params)).join(", ")})`
      );
      // A row constructor IN list is a range lookup per key on MariaDB and MySQL alike.
      const sql = `SELECT ${this.codec.selectList} FROM ${this.#from} WHERE (${
        this.#keyNames.join(", ")
      }) IN (${tuples.join(", ")})${options.lock ? " LOCK IN SHARE MODE" : ""}`;
      rows.push(...await this.#query(sql, params));
    }
    return rows;
  }

  /**
   * Every row of the table, in pages of up to `pageRows`, from one SELECT whose rows stream in as
   * they are taken (the server waits while a page is handled): the read of a table whose rows no
   * key orders (a whole-row identity), where keyset pages would skip identical rows. Inside a
   * consistent read, the rows are those of its instant. `lock`: as in {@link byKeys}, which for
   * a whole table keeps every writer of it waiting until the caller's transaction ends.
   */
  async *all(pageRows: number, options: { lock?: boolean } = {}): AsyncGenerator<SourceRow[]> {
    const core = (this.connection as unknown as { connection: StreamingConnection }).connection;
    const sql = `SELECT ${this.codec.selectList} FROM ${this.#from}` +
      (options.lock ? " LOCK IN SHARE MODE" : "");
    const stream = core.query({ sql, rowsAsArray: true }).stream({ highWaterMark: pageRows });
    let page: SourceRow[] = [];
    try {
      for await (const row of stream) {
        page.push(row as SourceRow);
        if (page.length >= pageRows) {
          yield page;
          page = [];
        }
      }
    } finally {
      // Stopped early, the stream is destroyed while it may hold the connection paused (it pauses
      // it whenever its buffer is full): the rest of the rows then go nowhere, and the
      // connection reads on.
      core.resume();
    }
    if (page.length > 0) yield page;
  }

  async #query(sql: string, params: unknown[]): Promise<SourceRow[]> {
    const [rows] = await this.connection.query({ sql, rowsAsArray: true }, params);
    return rows as SourceRow[];
  }

  /** The WHERE clause of keys after `after` and up to `through` (either may be open). */
  #range(
    after: readonly KeyValue[] | null,
    through: readonly KeyValue[] | null,
    params: unknown[],
  ): string {
    const bounds = [];
    if (after !== null) bounds.push(this.#compare(after, ">", params));
    if (through !== null) bounds.push(this.#compare(through, "<=", params));
    return bounds.length === 0 ? "" : `WHERE ${bounds.join(" AND ")}`;
  }

  /**
   * `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...` (with `<=`: `<` on all but the last column):
   * unlike the row comparison `(k1, k2) > (v1, v2)`, which MariaDB turns into a scan from the
   * start of the index, this is a range scan.
   */
  #compare(key: readonly KeyValue[], operator: ">" | "<=", params: unknown[]): string {
    const terms: string[] = [];
    for (let i = 0; i < key.length; i++) {
      const parts = [];
      for (let j = 0; j < i; j++) {
        parts.push(`${this.#keyNames[j]} = ${this.#value(key[j], j, params)}`);
      }
      const last = i === key.length - 1;
      const op = operator === ">" ? ">" : last ? "<=" : "<";
      parts.push(`${this.#keyNames[i]} ${op} ${this.#value(key[i], i, params)}`);
      terms.push(parts.length === 1 ? parts[0] : `(${parts.join(" AND ")})`);
    }
    return terms.length === 1 ? terms[0] : `(${terms.join(" OR ")})`;
  }

  /** A literal for numeric key columns (checked to be a plain number), else a placeholder. */
  #value(value: KeyValue, index: number, params: unknown[]): string {
    if (this.#numeric[index]) {
      const text = typeof value === "number" ? String(value) : value;
      if (typeof text === "string" && NUMBER_TEXT.test(text)) return text;
    }
    params.push(value);
    return "?";
  }
}
