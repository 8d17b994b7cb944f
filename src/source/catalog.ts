/**
 * The source catalog (INFORMATION_SCHEMA): the tables `[[source]]` names with their primary keys
 * and columns, and the lookup that fills what row-event metadata lacks.
 *
 * @module
 */
import type { SourceConfig } from "../config/config.ts";
import type { CatalogLookup } from "./zongji/shapes.ts";
import {
  type InformationSchemaColumn,
  informationSchemaColumnsSql,
  type SourceColumn,
  sourceColumnsFromInformationSchema,
} from "../convert/types.ts";
import type { SourceTable } from "../schema/table.ts";
import { isMariaDb, type SourceConnection } from "./mysql.ts";

/** Lists the tables `[[source]]` names (with `*` expanded), in config order. Missing ones are reported. */
export async function resolveSourceTables(
  connection: SourceConnection,
  sources: SourceConfig[],
): Promise<{ tables: SourceTable[]; missing: string[] }> {
  const schemas = [...new Set(sources.map((s) => s.schema))];
  const [rows] = await connection.query(
    `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t, k.COLUMN_NAME AS c
       FROM information_schema.TABLES t
       LEFT JOIN information_schema.STATISTICS k
         ON k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME
        AND k.INDEX_NAME = 'PRIMARY'
      WHERE t.TABLE_SCHEMA IN (?) AND t.TABLE_TYPE = 'BASE TABLE'
      ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME, k.SEQ_IN_INDEX`,
    [schemas],
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
  const tables: SourceTable[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const take = (entry: SourceTable) => {
    const key = `${entry.schema}.${entry.table}`;
    if (!seen.has(key)) {
      seen.add(key);
      tables.push(entry);
    }
  };
  for (const source of sources) {
    for (const name of source.tables) {
      if (name === "*") {
        for (const entry of known.values()) if (entry.schema === source.schema) take(entry);
        continue;
      }
      const entry = known.get(`${source.schema}.${name}`);
      if (entry) take(entry);
      else missing.push(`${source.schema}.${name}`);
    }
  }
  return { tables, missing };
}

/** Fills `columns` of each table from INFORMATION_SCHEMA. */
export async function loadColumns(connection: SourceConnection, tables: SourceTable[]) {
  const sql = informationSchemaColumnsSql((await isMariaDb(connection)) ? "mariadb" : "mysql");
  for (const table of tables) {
    const [rows] = await connection.query(sql, [table.schema, table.table]);
    table.columns = sourceColumnsFromInformationSchema(rows as InformationSchemaColumn[]);
  }
}

/**
 * The catalog as a lookup for the binlog decoder: it fills in what row-event metadata lacks
 * (declared JSON/UUID types, charsets zongji drops). It describes the tables as they are now,
 * which is only used for columns whose storage matches.
 */
export function catalogLookup(tables: SourceTable[]): CatalogLookup {
  const byTable = new Map<string, Map<string, SourceColumn>>();
  for (const table of tables) {
    byTable.set(
      `${table.schema}\u0000${table.table}`,
      new Map(table.columns.map((c) => [c.name, c])),
    );
  }
  return (schema, table, column) => byTable.get(`${schema}\u0000${table}`)?.get(column);
}
