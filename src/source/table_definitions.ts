/**
 * What the catalog knows of a table beyond its columns' types and its keys (`catalog.ts`), for the
 * schema history's seed: each column's collation, DEFAULT and generation expression, the table's
 * default character set and collation; and each schema's default character set (for a CREATE
 * TABLE that names none). Read from INFORMATION_SCHEMA once per schema, not per table.
 *
 * @module
 */
import { charsetOfCollation } from "../schema/ddl/charsets.ts";
import type { ColumnDefault, SourceTable, TableColumn } from "../schema/table.ts";
import { tableKey } from "../schema/table.ts";
import { isMariaDb, type SourceConnection } from "./mysql.ts";

interface ColumnRow {
  s: string;
  t: string;
  name: string;
  collation: string | null;
  defaultText: string | null;
  generation: string | null;
  extra: string | null;
}

interface TableRow {
  s: string;
  t: string;
  collation: string | null;
  charset: string | null;
}

/**
 * Completes `tables` (columns loaded by `loadColumns`) with what INFORMATION_SCHEMA knows beyond
 * the types: collations, defaults, generation expressions, the table's defaults.
 */
export async function loadDefinitions(
  connection: SourceConnection,
  tables: readonly SourceTable[],
): Promise<void> {
  if (tables.length === 0) return;
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const mariadb = await isMariaDb(connection);
  const [columnRows] = await connection.query(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, COLUMN_NAME AS name, COLLATION_NAME AS collation,
            COLUMN_DEFAULT AS defaultText, GENERATION_EXPRESSION AS generation, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN (?)`,
    [schemas],
  );
  const [tableRows] = await connection.query(
    `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t, t.TABLE_COLLATION AS collation,
            c.CHARACTER_SET_NAME AS charset
       FROM information_schema.TABLES t
       LEFT JOIN information_schema.COLLATIONS c ON c.COLLATION_NAME = t.TABLE_COLLATION
      WHERE t.TABLE_SCHEMA IN (?)`,
    [schemas],
  );
  const byTable = new Map(tables.map((table) => [tableKey(table.schema, table.table), table]));
  const columns = new Map<string, ColumnRow>();
  for (const row of columnRows as ColumnRow[]) {
    if (byTable.has(tableKey(row.s, row.t))) {
      columns.set(`${tableKey(row.s, row.t)}\u0000${row.name}`, row);
    }
  }
  for (const table of tables) {
    const key = tableKey(table.schema, table.table);
    table.columns = table.columns.map((column) => {
      const row = columns.get(`${key}\u0000${column.name}`);
      return row ? withCatalogDetails(column, row, mariadb) : column;
    });
  }
  for (const row of tableRows as TableRow[]) {
    const table = byTable.get(tableKey(row.s, row.t));
    if (!table || row.collation === null) continue;
    table.defaultCollation = row.collation.toLowerCase();
    const charset = row.charset ?? charsetOfCollation(row.collation);
    if (charset) table.defaultCharset = charset.toLowerCase();
  }
}

/** Each schema's default character set (INFORMATION_SCHEMA.SCHEMATA), by name. */
export async function schemaCharsets(connection: SourceConnection): Promise<Map<string, string>> {
  const [rows] = await connection.query(
    "SELECT SCHEMA_NAME AS s, DEFAULT_CHARACTER_SET_NAME AS c FROM information_schema.SCHEMATA",
  );
  return new Map((rows as { s: string; c: string }[]).map((row) => [row.s, row.c.toLowerCase()]));
}

function withCatalogDetails(column: TableColumn, row: ColumnRow, mariadb: boolean): TableColumn {
  const detailed: TableColumn = { ...column };
  if (row.collation !== null) detailed.collation = row.collation.toLowerCase();
  const extra = (row.extra ?? "").toUpperCase();
  if (column.generated && row.generation) {
    detailed.generation = {
      expression: row.generation,
      stored: /STORED|PERSISTENT/.test(extra),
    };
  } else {
    detailed.default = mariadb
      ? mariaDbDefault(row.defaultText)
      : mySqlDefault(row.defaultText, extra, column);
  }
  return detailed;
}

/**
 * MariaDB 10.2.7+ shows COLUMN_DEFAULT as an expression: NULL for none, `NULL` for DEFAULT NULL,
 * strings quoted, functions as called.
 */
export function mariaDbDefault(text: string | null): ColumnDefault {
  if (text === null) return { kind: "none" };
  if (text === "NULL") return { kind: "null" };
  const quoted = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(text);
  if (quoted) return { kind: "literal", value: unescapeLiteral(quoted[1]), quoted: true };
  if (/^-?[\d.]+(e[-+]?\d+)?$/i.test(text)) return { kind: "literal", value: text, quoted: false };
  const now = /^current_timestamp(?:\((\d*)\))?$/i.exec(text);
  if (now) return { kind: "current-timestamp", fsp: Number(now[1] || 0) };
  return { kind: "expression", text };
}

/**
 * MySQL shows COLUMN_DEFAULT as the value itself (NULL for none and for DEFAULT NULL alike) and
 * marks expression defaults DEFAULT_GENERATED in EXTRA.
 */
export function mySqlDefault(
  text: string | null,
  extra: string,
  column: TableColumn,
): ColumnDefault {
  if (text === null) return column.nullable ? { kind: "null" } : { kind: "none" };
  if (extra.includes("DEFAULT_GENERATED")) {
    const now = /^(?:current_timestamp|now)(?:\((\d*)\))?$/i.exec(text);
    if (now) return { kind: "current-timestamp", fsp: Number(now[1] || 0) };
    return { kind: "expression", text };
  }
  const numeric = /int|decimal|float|double|bit|year/.test(column.dataType);
  return { kind: "literal", value: text, quoted: !numeric };
}

/** A quoted SQL string's content with its escapes undone (`''`, `\\n`, ...). */
function unescapeLiteral(body: string): string {
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", Z: "\x1a" };
  return body.replace(/''|\\(.)/gs, (_whole, char: string | undefined) => {
    if (char === undefined) return "'";
    return escapes[char] ?? char;
  });
}

/** Copies of `tables` (columns loaded) completed by `loadDefinitions`; `tables` stay as they are. */
export async function catalogDefinitions(
  connection: SourceConnection,
  tables: readonly SourceTable[],
): Promise<SourceTable[]> {
  const copies = structuredClone([...tables]);
  await loadDefinitions(connection, copies);
  return copies;
}
