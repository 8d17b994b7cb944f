/**
 * The schema history kept in PostgreSQL, beside the position: one row per table and binlog
 * position at which its definition became what the row holds (a seed from the catalog, or a DDL
 * statement). A statement's rows are written in the transaction that commits the position after
 * it, or before that transaction: reading takes only versions at or before the committed position,
 * so history and position agree whatever a crash interrupts.
 *
 * @module
 */
import { qualified, quoteLiteral } from "../convert/ident.ts";
import { type BinlogPosition, comparePositions } from "../offsets/position.ts";
import type { TableVersion } from "../schema/history.ts";
import { type SourceTable, tableKey } from "../schema/table.ts";
import { type Queryable, tableExists } from "./postgres.ts";

/** Name of the table that holds each sync's schema history. */
export const SCHEMA_TABLE = "mysql_gp_sync_schema";

/** How a stored version came to be. */
export type VersionOrigin =
  /** `snapshot` read the catalog in its consistent read, at its position. */
  | "snapshot"
  /** `run` read the catalog at its first start (see `seedOrigin`). */
  | "catalog"
  /** A DDL statement read from the binlog. */
  | "ddl";

/** A table's definition as stored, valid from `position` on. */
export interface StoredVersion {
  schema: string;
  table: string;
  /** null: the table did not exist from there on. */
  definition: SourceTable | null;
  position: BinlogPosition;
  origin: VersionOrigin;
  provisional: boolean;
  ddl: string | null;
}

/** What `check` and `status` say about a sync's history. */
export interface HistoryState {
  /** `schema.table` of the tables with a definition (not dropped) at their newest version. */
  tables: string[];
  /** The newest version's position and what made it; null when the history is empty. */
  newest: { position: BinlogPosition; origin: VersionOrigin; table: string } | null;
}

interface VersionRow {
  schema_name: string;
  table_name: string;
  bin_name: string;
  bin_pos: string;
  definition: string | null;
  origin: VersionOrigin;
  provisional: boolean;
  ddl: string | null;
}

export class SchemaStore {
  readonly table: string;

  constructor(schema: string, readonly syncId: string) {
    this.table = qualified(schema, SCHEMA_TABLE);
  }

  /** Creates the table if needed. */
  async ensure(sql: Queryable): Promise<void> {
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sync_id text NOT NULL,
         schema_name text NOT NULL,
         table_name text NOT NULL,
         bin_name text NOT NULL,
         bin_pos bigint NOT NULL,
         gtid text,
         definition text,
         ddl text,
         origin text NOT NULL,
         provisional boolean NOT NULL DEFAULT false,
         created_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sync_id, schema_name, table_name, bin_name, bin_pos))`,
    );
  }

  /**
   * The newest version of every table at or before `at` (dropped tables included, with a null
   * definition); empty when this sync has no history there (or the table does not exist yet).
   */
  async load(sql: Queryable, at: BinlogPosition): Promise<StoredVersion[]> {
    const newest = new Map<string, StoredVersion>();
    for (const version of await this.#versions(sql)) {
      if (comparePositions(version.position, at) > 0) continue;
      const key = tableKey(version.schema, version.table);
      const known = newest.get(key);
      if (!known || comparePositions(version.position, known.position) > 0) {
        newest.set(key, version);
      }
    }
    return [...newest.values()];
  }

  /** How far the history goes: tables it defines and its newest version. */
  async state(sql: Queryable): Promise<HistoryState> {
    const versions = await this.#versions(sql);
    const newestPerTable = new Map<string, StoredVersion>();
    let newest: StoredVersion | null = null;
    for (const version of versions) {
      const key = tableKey(version.schema, version.table);
      const known = newestPerTable.get(key);
      if (!known || comparePositions(version.position, known.position) > 0) {
        newestPerTable.set(key, version);
      }
      if (!newest || comparePositions(version.position, newest.position) > 0) newest = version;
    }
    const tables = [...newestPerTable.values()].filter((v) => v.definition !== null)
      .map((v) => `${v.schema}.${v.table}`);
    return {
      tables,
      newest: newest && {
        position: newest.position,
        origin: newest.origin,
        table: `${newest.schema}.${newest.table}`,
      },
    };
  }

  /**
   * SQL that stores the versions a DDL statement made, ending at `position`: to send in the
   * transaction that commits `position` (or before it). Writing it again replaces, not doubles.
   */
  writeStatements(
    versions: readonly TableVersion[],
    position: BinlogPosition,
    ddl: string,
    gtid: string | null = null,
  ): string {
    if (versions.length === 0) return "";
    const at = `bin_name = ${quoteLiteral(position.file)} AND bin_pos = ${
      Math.trunc(position.pos)
    }`;
    const names = versions.map((v) => this.#tableMatch(v.schema, v.table)).join(" OR ");
    const rows = versions.map((v) =>
      this.#row(v.schema, v.table, v.definition, position, gtid, ddl, "ddl", v.provisional === true)
    );
    return `DELETE FROM ${this.table} WHERE sync_id = ${quoteLiteral(this.syncId)} AND ${at} ` +
      `AND (${names}); ${this.#insert(rows)}`;
  }

  /**
   * SQL that makes `tables`, read from the catalog, the whole history of those tables from
   * `position` on (earlier and later versions of them are removed).
   */
  seedStatements(
    tables: readonly SourceTable[],
    position: BinlogPosition,
    origin: Exclude<VersionOrigin, "ddl">,
    provisional = false,
  ): string {
    if (tables.length === 0) return "";
    const names = tables.map((t) => this.#tableMatch(t.schema, t.table)).join(" OR ");
    const rows = tables.map((t) =>
      this.#row(t.schema, t.table, t, position, null, null, origin, provisional)
    );
    return `DELETE FROM ${this.table} WHERE sync_id = ${quoteLiteral(this.syncId)} ` +
      `AND (${names}); ${this.#insert(rows)}`;
  }

  async #versions(sql: Queryable): Promise<StoredVersion[]> {
    if (!await tableExists(sql, this.table)) return [];
    const rows = await sql.unsafe<VersionRow[]>(
      `SELECT schema_name, table_name, bin_name, bin_pos::text AS bin_pos, definition, origin,
              provisional, ddl
         FROM ${this.table} WHERE sync_id = $1`,
      [this.syncId],
    );
    return rows.map((row) => ({
      schema: row.schema_name,
      table: row.table_name,
      definition: row.definition === null ? null : JSON.parse(row.definition) as SourceTable,
      position: { file: row.bin_name, pos: Number(row.bin_pos) },
      origin: row.origin,
      provisional: row.provisional,
      ddl: row.ddl,
    }));
  }

  #tableMatch(schema: string, table: string): string {
    return `(schema_name = ${quoteLiteral(schema)} AND table_name = ${quoteLiteral(table)})`;
  }

  #row(
    schema: string,
    table: string,
    definition: SourceTable | null,
    position: BinlogPosition,
    gtid: string | null,
    ddl: string | null,
    origin: VersionOrigin,
    provisional: boolean,
  ): string {
    return `(${
      [
        quoteLiteral(this.syncId),
        quoteLiteral(schema),
        quoteLiteral(table),
        quoteLiteral(position.file),
        String(Math.trunc(position.pos)),
        quoteLiteral(gtid),
        quoteLiteral(definition === null ? null : JSON.stringify(definition)),
        quoteLiteral(ddl),
        quoteLiteral(origin),
        String(provisional),
      ].join(", ")
    })`;
  }

  #insert(rows: readonly string[]): string {
    return `INSERT INTO ${this.table} (sync_id, schema_name, table_name, bin_name, bin_pos, gtid, ` +
      `definition, ddl, origin, provisional) VALUES ${rows.join(", ")}`;
  }
}
