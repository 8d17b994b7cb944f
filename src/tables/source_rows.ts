/**
 * Reads a followed table from the source in the order of its row identity (its key), a page at a
 * time (keyset pagination: each page is an index range scan, however deep into the table), or by a
 * list of keys.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { qualifiedMySql, quoteMySqlIdent } from "../convert/ident.ts";
import { describeSource } from "../convert/source_kind.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { RowCodec } from "./row_codec.ts";

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
  /**
   * Per key column: compare as a number literal. A number sent as a quoted string would make
   * MySQL compare an integer column with it as a double, which cannot tell keys above 2^53 apart.
   */
  readonly #numeric: boolean[];

  constructor(private readonly connection: SourceConnection, private readonly codec: RowCodec) {
    const { schema, table } = codec.route.source;
    this.#from = qualifiedMySql(schema, table);
    this.#keyNames = codec.keyIndexes.map((i) => quoteMySqlIdent(codec.sourceColumns[i].name));
    this.#numeric = codec.keyIndexes.map((i) => {
      const kind = describeSource(codec.sourceColumns[i]).kind;
      return kind === "int" || kind === "decimal" || kind === "year" || kind === "bit";
    });
  }

  /** The key of a row read here, in key order. */
  keyOf(row: SourceRow): KeyValue[] {
    return this.codec.keyIndexes.map((i) => row[i] as KeyValue);
  }

  /** Up to `limit` rows whose key follows `after` (from the start when null), in key order. */
  async page(after: readonly KeyValue[] | null, limit: number): Promise<SourceRow[]> {
    const params: unknown[] = [];
    const where = after === null ? "" : `WHERE ${this.#after(after, params)}`;
    const sql = `SELECT ${this.codec.selectList} FROM ${this.#from} ${where} ` +
      `ORDER BY ${this.codec.sourceKeyList} LIMIT ${Math.floor(limit)}`;
    return await this.#query(sql, params);
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

  async #query(sql: string, params: unknown[]): Promise<SourceRow[]> {
    const [rows] = await this.connection.query({ sql, rowsAsArray: true }, params);
    return rows as SourceRow[];
  }

  /**
   * `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...`: unlike the row comparison `(k1, k2) > (v1, v2)`,
   * which MariaDB turns into a scan from the start of the index, this is a range scan.
   */
  #after(after: readonly KeyValue[], params: unknown[]): string {
    const terms: string[] = [];
    for (let i = 0; i < after.length; i++) {
      const parts = [];
      for (let j = 0; j < i; j++) {
        parts.push(`${this.#keyNames[j]} = ${this.#value(after[j], j, params)}`);
      }
      parts.push(`${this.#keyNames[i]} > ${this.#value(after[i], i, params)}`);
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
