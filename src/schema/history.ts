/**
 * The schema history in memory: every followed table's definition as the binlog has made it so
 * far. The binlog reader applies each DDL statement the moment it reads it, so the row events that
 * follow decode with the layout they were written with. Tables a statement derives from a known
 * one (`CREATE TABLE x LIKE t`, `RENAME TABLE t TO old`) are kept too, so that a later swap onto a
 * followed name (online schema-change tools) is known. A table's definition as today's catalog
 * gives it at a position the binlog has moved past is provisional: its CREATE TABLE, or the
 * binlog's own layout (FULL metadata), replaces it.
 *
 * @module
 */
import { type ApplyContext, applySchemaChanges } from "./ddl/apply_tables.ts";
import {
  type DdlContext,
  type SchemaChange,
  SchemaChangeError,
  type TableName,
} from "./ddl/changes.ts";
import { parseDdl } from "./ddl/parse.ts";
import { scanStatement, scanTouches } from "./ddl/scan.ts";
import { type SourceTable, type TableColumn, tableKey } from "./table.ts";

/** A table's definition after a statement; null: the statement dropped it (or moved it away). */
export interface TableVersion {
  schema: string;
  table: string;
  definition: SourceTable | null;
  /** The statement gave this table the definition another name had before it. */
  renamedFrom?: TableName;
  /**
   * Still today's catalog taken at a position the binlog had already moved past (see
   * {@link SchemaHistory.adoptBinlogLayout}): not yet confirmed by the binlog's own metadata.
   */
  provisional?: true;
}

/** What a statement on a followed (or covered) table did to the history. */
export type DdlApplied =
  | { understood: true; changes: SchemaChange[]; versions: TableVersion[] }
  | { understood: false; reason: string; tables: TableName[] };

/** Which tables the history follows beyond those it already holds. */
export interface HistoryScope {
  /** `[[source]]` names the table (followed now, or once created). */
  covers(table: TableName): boolean;
  /** `[[source]]` names tables of the schema (a DROP DATABASE of it matters). */
  coversSchema(schema: string): boolean;
}

/** The starting point of a history. */
export interface HistorySeed {
  definitions: Iterable<SourceTable>;
  /** `tableKey`s of the definitions that are provisional (see {@link TableVersion}). */
  provisional?: Iterable<string>;
  /** The source's default charset per schema, for a CREATE TABLE that names none. */
  schemaCharset?: ApplyContext["schemaCharset"];
}

export class SchemaHistory {
  /** Replaced, never changed in place: units handed out may still refer to definitions. */
  #definitions: Map<string, SourceTable>;
  #provisional: Set<string>;
  readonly #applyContext: ApplyContext;
  /** Column lookups by definition, built on first use. */
  #columnsByName = new WeakMap<SourceTable, Map<string, TableColumn>>();

  constructor(seed: HistorySeed, private readonly scope: HistoryScope) {
    this.#definitions = new Map(
      [...seed.definitions].map((table) => [tableKey(table.schema, table.table), table]),
    );
    this.#provisional = new Set(seed.provisional ?? []);
    this.#applyContext = seed.schemaCharset ? { schemaCharset: seed.schemaCharset } : {};
  }

  /** The definition of `schema`.`table` as read so far; undefined when the history has none. */
  definition(schema: string, table: string): SourceTable | undefined {
    return this.#definitions.get(tableKey(schema, table));
  }

  /** Every definition the history holds. */
  get tables(): SourceTable[] {
    return [...this.#definitions.values()];
  }

  /** Whether the definition of the table is provisional (see {@link TableVersion}). */
  isProvisional(schema: string, table: string): boolean {
    return this.#provisional.has(tableKey(schema, table));
  }

  /** Column `name` of the table (exact spelling first, then ignoring case, as MySQL does). */
  column(schema: string, table: string, name: string): TableColumn | undefined {
    const definition = this.definition(schema, table);
    if (definition === undefined) return undefined;
    let byName = this.#columnsByName.get(definition);
    if (byName === undefined) {
      byName = new Map();
      for (const column of definition.columns) {
        byName.set(column.name.toLowerCase(), column);
      }
      for (const column of definition.columns) byName.set(column.name, column);
      this.#columnsByName.set(definition, byName);
    }
    return byName.get(name) ?? byName.get(name.toLowerCase());
  }

  /**
   * Applies the DDL statement `sql`. Null when it touches no table the
   * history holds or `[[source]]` covers (decided by `scanStatement`, which reads no column
   * definitions, so unrelated DDL costs next to nothing); otherwise what it did, or why it could
   * not be told (the history then stays as it was).
   */
  applyStatement(sql: string, context: DdlContext): DdlApplied | null {
    const scan = scanStatement(sql, context);
    const relevant = (name: TableName) =>
      this.#definitions.has(tableKey(name.schema, name.table)) || this.scope.covers(name);
    const relevantSchema = (schema: string) =>
      this.scope.coversSchema(schema) || this.tables.some((table) => table.schema === schema);
    if (!scanTouches(scan, relevant, relevantSchema)) return null;
    const outcome = parseDdl(sql, context);
    if (!outcome.understood) {
      const named = outcome.tables.filter(relevant);
      return { ...outcome, tables: named.length > 0 ? named : outcome.tables };
    }
    const before = this.#definitions;
    const start = new Map(before);
    const provisional = new Set(this.#provisional);
    for (const change of outcome.changes) {
      // A provisional definition is a guess at the table's state: its CREATE TABLE is the truth.
      if (change.kind === "create-table" || change.kind === "create-table-like") {
        const key = tableKey(change.table.schema, change.table.table);
        if (provisional.delete(key)) start.delete(key);
      }
    }
    let after: Map<string, SourceTable>;
    try {
      after = applySchemaChanges(start, outcome.changes, this.#applyContext);
    } catch (error) {
      if (!(error instanceof SchemaChangeError)) throw error;
      const tables = scan.tables.filter(relevant);
      const guessed = tables.filter((t) => this.isProvisional(t.schema, t.table));
      const why = guessed.length > 0
        ? ` (the history of ${guessed.map(nameOf).join(", ")} is today's catalog, taken at a ` +
          "position before this statement)"
        : "";
      return {
        understood: false,
        reason: `it does not fit the schema history: ${error.message}${why}`,
        tables,
      };
    }
    const versions = changedVersions(before, after, outcome.changes, provisional);
    if (versions.length > 0) {
      this.#definitions = after;
      for (const version of versions) {
        if (version.definition === null) {
          provisional.delete(tableKey(version.schema, version.table));
        }
      }
      this.#provisional = provisional;
    }
    return { understood: true, changes: outcome.changes, versions };
  }

  /**
   * Takes the binlog's own layout of a provisional table (FULL metadata: names and types as the
   * event was written), keeping what the provisional definition knows of each column that has
   * the same name and `sameColumn` says is the same (given the binlog column's index); keys keep
   * the columns still there. The table is then no longer provisional. False (nothing changed) for
   * a table that is not provisional.
   */
  adoptBinlogLayout(
    schema: string,
    table: string,
    columns: readonly TableColumn[],
    sameColumn: (known: TableColumn, index: number) => boolean,
  ): boolean {
    const key = tableKey(schema, table);
    const known = this.#definitions.get(key);
    if (known === undefined || !this.#provisional.has(key)) return false;
    const adopted = columns.map((column, index) => {
      const same = this.column(schema, table, column.name);
      return same !== undefined && sameColumn(same, index) ? same : column;
    });
    const names = new Set(adopted.map((column) => column.name.toLowerCase()));
    const kept = (list: readonly string[]) => list.every((c) => names.has(c.toLowerCase()));
    const definition: SourceTable = {
      ...known,
      columns: adopted,
      primaryKey: kept(known.primaryKey) ? known.primaryKey : [],
    };
    if (known.indexes) definition.indexes = known.indexes.filter((i) => kept(i.columns));
    this.#replace(key, definition);
    return true;
  }

  /** The binlog confirmed the provisional definition of the table as it is. */
  confirm(schema: string, table: string): void {
    const key = tableKey(schema, table);
    if (!this.#provisional.has(key)) return;
    this.#provisional = new Set(this.#provisional);
    this.#provisional.delete(key);
  }

  #replace(key: string, definition: SourceTable): void {
    this.#definitions = new Map(this.#definitions).set(key, definition);
    this.#provisional = new Set(this.#provisional);
    this.#provisional.delete(key);
  }
}

/** A version of every table whose definition the changes replaced, with where it came from. */
function changedVersions(
  before: ReadonlyMap<string, SourceTable>,
  after: ReadonlyMap<string, SourceTable>,
  changes: readonly SchemaChange[],
  provisional: ReadonlySet<string>,
): TableVersion[] {
  const origins = renameOrigins(changes);
  const versions: TableVersion[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const now = after.get(key);
    if (old === now) continue;
    const name = (now ?? old)!;
    const version: TableVersion = {
      schema: name.schema,
      table: name.table,
      definition: now ?? null,
    };
    const origin = origins.get(key);
    if (origin !== undefined && tableKey(origin.schema, origin.table) !== key) {
      version.renamedFrom = origin;
    }
    if (now !== undefined && provisional.has(key)) version.provisional = true;
    versions.push(version);
  }
  return versions;
}

/** For each table a rename moved a definition to, the name it had before the statement. */
function renameOrigins(changes: readonly SchemaChange[]): Map<string, TableName> {
  const origins = new Map<string, TableName>();
  const move = (from: TableName, to: TableName) => {
    const fromKey = tableKey(from.schema, from.table);
    const origin = origins.get(fromKey) ?? from;
    origins.delete(fromKey);
    origins.set(tableKey(to.schema, to.table), origin);
  };
  for (const change of changes) {
    if (change.kind === "rename-table") move(change.from, change.to);
    else if (change.kind === "alter-table") {
      const rename = change.operations.findLast((o) => o.kind === "rename-table");
      if (rename?.kind === "rename-table") move(change.table, rename.to);
    } else if (change.kind === "create-table" || change.kind === "create-table-like") {
      origins.delete(tableKey(change.table.schema, change.table.table));
    }
  }
  return origins;
}

function nameOf(name: TableName): string {
  return `${name.schema}.${name.table}`;
}
