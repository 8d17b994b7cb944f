import type { SourceConfig } from "../config/config.ts";
import type { SourceConnection } from "./mysql.ts";

/** A source table as the catalog describes it now. */
export interface SourceTable {
  schema: string;
  table: string;
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
}

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
      entry = { schema: row.s, table: row.t, primaryKey: [] };
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
