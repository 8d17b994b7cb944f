/**
 * Shared plumbing for the conversion tests: source connections set up the way the product sets
 * them up, a binlog capture through zongji (with `patchTableMap`), and COPY into PostgreSQL.
 */
import mysql from "mysql2/promise";
import postgres from "postgres";
import ZongJi, { type TableMapEvent, type WriteRowsEvent } from "@vlasky/zongji";
import { SOURCE_CONNECTION_OPTIONS, SOURCE_SESSION_STATEMENTS } from "../../src/convert/source.ts";
import type { CatalogLookup } from "../../src/source/zongji/shapes.ts";
import { patchTableMap } from "../../src/source/zongji/table_map_repair.ts";
import { copyStatement, copyText } from "../../src/convert/copy.ts";
import {
  type InformationSchemaColumn,
  informationSchemaColumnsSql,
  type SourceColumn,
  sourceColumnsFromInformationSchema,
  type ZongJiColumnSchema,
} from "../../src/convert/types.ts";
import type { MariaDBServer } from "../../testing/mariadb_server.ts";
import type { PostgresServer } from "../../testing/postgres_server.ts";

export type Row = Record<string, unknown>;

/** A query connection exactly as snapshot/verify must open one. */
export async function sourceConnection(my: MariaDBServer): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: my.host,
    port: my.port,
    user: my.user,
    password: my.password,
    ...SOURCE_CONNECTION_OPTIONS,
  });
  for (const statement of SOURCE_SESSION_STATEMENTS) await connection.query(statement);
  return connection;
}

/** A plain connection (no special options) for DDL and inserts, in the given session zone. */
export async function writerConnection(
  my: MariaDBServer,
  timeZone = "+08:00",
): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({
    host: my.host,
    port: my.port,
    user: my.user,
    password: my.password,
    charset: "UTF8MB4_UNICODE_CI",
    multipleStatements: true,
  });
  await connection.query(`SET time_zone = '${timeZone}'`);
  return connection;
}

export async function query<T = Row>(
  connection: mysql.Connection,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const [rows] = await connection.query(sql, params);
  return rows as T[];
}

/** A MariaDB table's columns as the catalog (INFORMATION_SCHEMA) describes them. */
export async function catalogColumns(
  connection: mysql.Connection,
  schema: string,
  table: string,
): Promise<SourceColumn[]> {
  return sourceColumnsFromInformationSchema(
    await query<InformationSchemaColumn>(connection, informationSchemaColumnsSql("mariadb"), [
      schema,
      table,
    ]),
  );
}

/** Row images of insert events, collected per `schema.table`, through a live zongji stream. */
export class BinlogCapture {
  readonly rows = new Map<string, Row[]>();
  /** The column schemas zongji decoded the latest rows of each table with. */
  readonly columnSchemas = new Map<string, ZongJiColumnSchema[]>();
  readonly errors: Error[] = [];
  #zongji: ZongJi;

  private constructor(zongji: ZongJi) {
    this.#zongji = zongji;
  }

  static async start(
    my: MariaDBServer,
    schema: string,
    catalog?: CatalogLookup,
  ): Promise<BinlogCapture> {
    const zongji = new ZongJi({
      host: my.host,
      port: my.port,
      user: my.user,
      password: my.password,
      ...SOURCE_CONNECTION_OPTIONS,
    });
    const capture = new BinlogCapture(zongji);
    zongji.on("binlog", (event) => {
      try {
        const name = event.getEventName();
        if (name === "tablemap") {
          patchTableMap(zongji, event as TableMapEvent, catalog);
        } else if (name === "writerows") {
          const e = event as WriteRowsEvent;
          const entry = zongji.tableMap[e.tableId];
          const key = `${entry.parentSchema}.${entry.tableName}`;
          const list = capture.rows.get(key) ?? [];
          list.push(...e.rows);
          capture.columnSchemas.set(key, entry.columnSchemas);
          capture.rows.set(key, list);
        }
      } catch (err) {
        capture.errors.push(err as Error);
      }
    });
    zongji.on("error", (err: Error) => capture.errors.push(err));
    await new Promise<void>((resolve, reject) => {
      zongji.once("ready", () => resolve());
      zongji.once("error", reject);
      zongji.start({
        startAtEnd: true,
        serverId: 4000 + Math.floor(Math.random() * 1000),
        includeEvents: ["tablemap", "writerows"],
        includeSchema: { [schema]: true },
      });
    });
    return capture;
  }

  /** Waits until `count` rows of `table` arrived (or fails after `ms`). */
  async waitFor(table: string, count: number, ms = 10_000): Promise<Row[]> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (this.errors.length > 0) throw this.errors[0];
      const rows = this.rows.get(table) ?? [];
      if (rows.length >= count) return rows;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `binlog: only ${(this.rows.get(table) ?? []).length}/${count} rows of ${table}`,
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#zongji.once("stopped", () => resolve());
      this.#zongji.stop();
    });
  }
}

export function pgClient(pg: PostgresServer): postgres.Sql {
  return postgres({
    host: pg.host,
    port: pg.port,
    user: pg.user,
    password: pg.password,
    database: pg.database,
    max: 1,
    onnotice: () => {},
  });
}

/** COPYs encoded rows into `schema.table`. */
export async function copyRows(
  sql: postgres.Sql,
  schema: string,
  table: string,
  columns: string[],
  rows: (string | null)[][],
): Promise<void> {
  const stream = await sql.unsafe(copyStatement(schema, table, columns)).writable();
  const done = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", reject);
  });
  stream.write(rows.map((row) => copyText(row)).join(""));
  stream.end();
  await done;
}

/**
 * A JSON document in a canonical form for comparing MariaDB's text with PostgreSQL's jsonb
 * output: keys sorted, numbers as normalised exact decimals (jsonb prints 1.5e300 in full),
 * strings without U+0000 (which jsonb cannot store).
 */
export function canonicalJson(text: string): string {
  const value = JSON.parse(
    text,
    (_key, value, context?: { source?: string }) =>
      typeof value === "number" && context?.source !== undefined
        ? { $num: canonicalNumber(context.source) }
        : value,
  );
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0
    );
    return Object.fromEntries(entries.map(([k, v]) => [k.replaceAll("\u0000", ""), sortKeys(v)]));
  }
  if (typeof value === "string") return value.replaceAll("\u0000", "");
  return value;
}

/** `-1.50e+3` -> `-1500`: sign, digits without surrounding zeros, decimal exponent. */
export function canonicalNumber(source: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(source);
  if (!m) throw new Error(`not a JSON number: ${source}`);
  const [, sign, int, frac = "", exp = "0"] = m;
  let digits = (int + frac).replace(/^0+/, "");
  let exponent = Number(exp) - frac.length;
  if (digits === "") return "0";
  while (digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  return `${sign}${digits}e${exponent}`;
}

/** Microseconds in `[-]seconds[.fraction]` as a bigint. */
export function micros(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`not seconds: ${text}`);
  const value = BigInt(m[2]) * 1_000_000n + BigInt((m[3] ?? "").padEnd(6, "0").slice(0, 6) || "0");
  return m[1] === "-" ? -value : value;
}
