/**
 * The benchmark's table and rows: six columns (int key, bigint, varchar(64), decimal(12,2),
 * datetime(6), text), the same on both sides, and the SQL that writes, changes and compares them.
 *
 * @module
 */

/**
 * Source (MariaDB) table definition for `bench.<name>`; `keyless`: without a key, so the sync
 * matches its rows by their whole value (the source then finds rows by a secondary index).
 */
export function mysqlTable(name: string, keyless = false): string {
  return `CREATE TABLE bench.${name} (
    id INT ${keyless ? "NOT NULL" : "PRIMARY KEY"}, n BIGINT NOT NULL, s VARCHAR(64) NOT NULL,
    d DECIMAL(12,2) NOT NULL, ts DATETIME(6) NOT NULL, txt TEXT${
    keyless ? ", INDEX (id)" : ""
  }) ENGINE=InnoDB`;
}

/** Target (PostgreSQL) table definition for `public.<name>`; `keyless`: without a key. */
export function pgTable(name: string, keyless = false): string {
  return `CREATE TABLE public.${name} (
    id integer${keyless ? "" : " PRIMARY KEY"}, n bigint NOT NULL, s varchar(64) NOT NULL,
    d numeric(12,2) NOT NULL, ts timestamp(6) NOT NULL, txt text)`;
}

export const COLUMNS = ["id", "n", "s", "d", "ts", "txt"];

const BASE_MS = Date.UTC(2024, 0, 1);
const TEXT = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod";

/** The six field values of row `id` as text (no quotes, tabs, backslashes nor newlines in them). */
export function rowFields(id: number): [string, string, string, string, string, string] {
  const cents = (id * 12_347) % 1_000_000_000;
  const iso = new Date(BASE_MS + id * 1000).toISOString();
  const micros = String((id * 7919) % 1_000_000).padStart(6, "0");
  return [
    String(id),
    String(id * 1_000_003),
    `name-${id}-${(id * 2654435761 % 4294967296).toString(16)}`,
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
    `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}`,
    `row ${id}: ${TEXT}`,
  ];
}

function sqlTuple(id: number): string {
  const [i, n, s, d, ts, txt] = rowFields(id);
  return `(${i},${n},'${s}',${d},'${ts}','${txt}')`;
}

/** One multi-row INSERT of ids `from`..`to` (inclusive). */
export function insertStatement(table: string, from: number, to: number): string {
  const tuples: string[] = [];
  for (let id = from; id <= to; id++) tuples.push(sqlTuple(id));
  return `INSERT INTO bench.${table} VALUES ${tuples.join(",")}`;
}

/** Changes four of the six columns; the key stays. */
const UPDATE_SET =
  "SET n = n + 1, d = d + 1.25, s = CONCAT('upd-', id), ts = ts + INTERVAL 1 SECOND";

export type Kind = "insert" | "update" | "delete";

/** The statement applying `kind` to ids `from`..`to` (one statement; one row when from = to). */
export function changeStatement(kind: Kind, table: string, from: number, to: number): string {
  const where = from === to ? `id = ${from}` : `id BETWEEN ${from} AND ${to}`;
  switch (kind) {
    case "insert":
      return insertStatement(table, from, to);
    case "update":
      return `UPDATE bench.${table} ${UPDATE_SET} WHERE ${where}`;
    case "delete":
      return `DELETE FROM bench.${table} WHERE ${where}`;
  }
}

/** COPY text of ids `from`..`to`, in chunks of about `chunkChars` characters. */
export function copyChunks(from: number, to: number, chunkChars = 1 << 20): string[] {
  const chunks: string[] = [];
  let chunk = "";
  for (let id = from; id <= to; id++) {
    chunk += rowFields(id).join("\t") + "\n";
    if (chunk.length >= chunkChars) {
      chunks.push(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") chunks.push(chunk);
  return chunks;
}

/**
 * Row count, sums and an order-independent checksum (XOR of a 60-bit slice of each row's MD5) that
 * must come out the same on both sides when the tables hold the same rows.
 */
export function mysqlChecksum(table: string): string {
  return `SELECT COUNT(*) AS c, COALESCE(SUM(n), 0) AS n, COALESCE(CAST(SUM(d * 100) AS SIGNED), 0) AS d,
    BIT_XOR(CAST(CONV(SUBSTRING(MD5(CONCAT_WS('|', id, n, s, d,
      DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), txt)), 1, 15), 16, 10) AS UNSIGNED)) AS x
    FROM bench.${table}`;
}

export function pgChecksum(table: string): string {
  return `SELECT count(*) AS c, COALESCE(sum(n), 0) AS n, COALESCE(sum(d * 100)::bigint, 0) AS d,
    COALESCE(bit_xor(('x' || substr(md5(concat_ws('|', id, n, s, d,
      to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'), txt)), 1, 15))::bit(60)::bigint), 0) AS x
    FROM public.${table}`;
}

/** The checksum row as comparable text. */
export function checksumText(row: Record<string, unknown>): string {
  return ["c", "n", "d", "x"].map((k) => String(row[k])).join(" ");
}
