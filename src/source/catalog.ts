/**
 * The source catalog (INFORMATION_SCHEMA): the tables `[[source]]` names with their primary keys,
 * other indexes and columns (and one table created later), and the lookup that fills what
 * row-event metadata lacks.
 *
 * @module
 */
import type { SourceConfig } from "../config/config.ts";
import { isNamePattern, matchesName } from "../config/names.ts";
import {
  type InformationSchemaColumn,
  informationSchemaColumnsSql,
  sourceColumnsFromInformationSchema,
} from "../convert/types.ts";
import type { SourceTable, TableIndex } from "../schema/table.ts";
import { isMariaDb, type SourceConnection } from "./mysql.ts";

/**
 * Lists the tables `[[source]]` names (names, `*` and patterns expanded), in config order. Exact
 * names that do not exist are reported in `missing`, patterns that match nothing in `unmatched`.
 */
export async function resolveSourceTables(
  connection: SourceConnection,
  sources: SourceConfig[],
): Promise<{ tables: SourceTable[]; missing: string[]; unmatched: string[] }> {
  const schemas = [...new Set(sources.map((s) => s.schema))];
  const known = schemas.some(isNamePattern)
    ? await tablesWithKeys(connection, "t.TABLE_SCHEMA NOT IN (?)", [SYSTEM_SCHEMAS])
    : await tablesWithKeys(connection, "t.TABLE_SCHEMA IN (?)", [schemas]);
  const tables: SourceTable[] = [];
  const missing: string[] = [];
  const unmatched: string[] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    for (const name of source.tables) {
      const matches = [...known.values()].filter((entry) =>
        matchesName(source.schema, entry.schema) && matchesName(name, entry.table)
      );
      if (matches.length === 0) {
        const shown = `${source.schema}.${name}`;
        if (isNamePattern(source.schema) || isNamePattern(name)) unmatched.push(shown);
        else missing.push(shown);
      }
      for (const entry of matches.sort(byName)) {
        const key = `${entry.schema}.${entry.table}`;
        if (seen.has(key)) continue;
        seen.add(key);
        tables.push(entry);
      }
    }
  }
  return { tables, missing, unmatched };
}

/** Schemas of the server itself, never followed by a schema pattern. */
const SYSTEM_SCHEMAS = ["mysql", "information_schema", "performance_schema", "sys"];

function byName(a: SourceTable, b: SourceTable): number {
  return a.schema === b.schema
    ? (a.table < b.table ? -1 : a.table > b.table ? 1 : 0)
    : (a.schema < b.schema ? -1 : 1);
}

/**
 * One table as the catalog describes it now, primary key and columns loaded; null when there is no
 * such base table (dropped or renamed since, say).
 */
export async function readSourceTable(
  connection: SourceConnection,
  schema: string,
  table: string,
): Promise<SourceTable | null> {
  const found = await tablesWithKeys(
    connection,
    "t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ?",
    [schema, table],
  );
  const entry = found.values().next().value ?? null;
  if (entry) await loadColumns(connection, [entry]);
  return entry;
}

/** The base tables matching `where` (over information_schema.TABLES `t`), by `schema.table`. */
async function tablesWithKeys(
  connection: SourceConnection,
  where: string,
  params: unknown[],
): Promise<Map<string, SourceTable>> {
  const [rows] = await connection.query(
    `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t, k.COLUMN_NAME AS c
       FROM information_schema.TABLES t
       LEFT JOIN information_schema.STATISTICS k
         ON k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
        AND k.INDEX_NAME = 'PRIMARY'
      WHERE ${where} AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME, k.SEQ_IN_INDEX`,
    params,
  );
  const known = new Map<string, SourceTable>();
  for (const row of rows as { s: string; t: string; c: string | null }[]) {
    const key = `${row.s}.${row.t}`;
    let entry = known.get(key);
    if (!entry) {
      entry = { schema: row.s, table: row.t, primaryKey: [], columns: [] };
      known.set(key, entry);
    }
    if (row.c !== null) entry.primaryKey.push(row.c);
  }
  await loadIndexes(connection, where, params, known);
  return known;
}

/**
 * Fills `indexes` of the tables in `known` (matching `where`, as for `tablesWithKeys`): every
 * index but the primary key, as the server lists them. A key part without a column (MySQL 8's
 * functional key parts) marks its index functional.
 */
async function loadIndexes(
  connection: SourceConnection,
  where: string,
  params: unknown[],
  known: Map<string, SourceTable>,
): Promise<void> {
  for (const entry of known.values()) entry.indexes = [];
  const [rows] = await connection.query(
    `SELECT k.TABLE_SCHEMA AS s, k.TABLE_NAME AS t, k.INDEX_NAME AS i, k.COLUMN_NAME AS c,
            k.NON_UNIQUE AS n, k.SEQ_IN_INDEX AS q
       FROM information_schema.TABLES t
       JOIN information_schema.STATISTICS k
         ON k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
        AND k.INDEX_NAME <> 'PRIMARY'
      WHERE ${where} AND t.TABLE_TYPE = 'BASE TABLE'`,
    params,
  );
  const parts =
    (rows as { s: string; t: string; i: string; c: string | null; n: unknown; q: unknown }[])
      .sort((a, b) => Number(a.q) - Number(b.q));
  const byName = new Map<string, TableIndex>();
  for (const part of parts) {
    const entry = known.get(`${part.s}.${part.t}`);
    if (!entry) continue;
    const id = `${part.s}.${part.t}\u0000${part.i}`;
    let index = byName.get(id);
    if (!index) {
      index = { name: part.i, columns: [], unique: Number(part.n) === 0 };
      byName.set(id, index);
      entry.indexes!.push(index);
    }
    if (part.c === null) index.functional = true;
    else index.columns.push(part.c);
  }
}

/** Fills `columns` of each table from INFORMATION_SCHEMA. */
export async function loadColumns(connection: SourceConnection, tables: SourceTable[]) {
  const sql = informationSchemaColumnsSql((await isMariaDb(connection)) ? "mariadb" : "mysql");
  for (const table of tables) {
    const [rows] = await connection.query(sql, [table.schema, table.table]);
    table.columns = sourceColumnsFromInformationSchema(rows as InformationSchemaColumn[]);
  }
}
