/**
 * The schema history as the decoder uses it: zongji completes table maps without column metadata
 * from it (`decodeWithHistory`), the repairs that need a table's declared columns read them from
 * it (not from today's catalog), an entry zongji built from the binlog's own FULL metadata is
 * checked against it once, when prepared (`verify`), and a DDL statement is applied to it as soon
 * as it is read, dropping the entries of the tables it changed (`applyStatement`).
 *
 * @module
 */
import { sourceColumnsFromSchema } from "../../convert/types.ts";
import type { DdlContext } from "../../schema/ddl/changes.ts";
import type { DdlApplied, SchemaHistory } from "../../schema/history.ts";
import { tableKey } from "../../schema/table.ts";
import type { Logger } from "../../util/log.ts";
import {
  type BinlogColumn,
  builtFromHistory,
  columnProblem,
  decodeWithHistory,
  layoutError,
  layoutProblem,
} from "./history_layout.ts";
import type { CatalogLookup, ZongJiLike, ZongJiTableMapEntry } from "./shapes.ts";
import { forgetPreparedTable } from "./table_map_reuse.ts";

/** What the layouts need besides the history. */
export interface LayoutOptions {
  /** Where a provisional definition replaced by the binlog's layout is noted. */
  log?: Partial<Pick<Logger, "info">>;
  /** The source's `explicit_defaults_for_timestamp`, for reading DDL; unknown when absent. */
  explicitDefaultsForTimestamp?: boolean;
  /**
   * `tableKey`s of followed tables the history had no definition of at the start: rows of one
   * without column metadata and before its CREATE TABLE cannot be decoded.
   */
  unseeded?: ReadonlySet<string>;
}

export class BinlogLayouts {
  /** The declared columns of a table at the event being decoded. */
  readonly catalog: CatalogLookup;

  /** Makes `zongji` decode with `history`; a layout the binlog contradicts goes to `fail`. */
  constructor(
    private readonly zongji: ZongJiLike,
    private readonly history: SchemaHistory,
    fail: (error: Error) => void,
    private readonly options: LayoutOptions = {},
  ) {
    const unseeded = options.unseeded ?? new Set();
    decodeWithHistory(
      zongji,
      (schema, table) => history.definition(schema, table),
      fail,
      (schema, table) => unseeded.has(tableKey(schema, table)),
    );
    this.catalog = (schema, table, column) => history.column(schema, table, column);
  }

  /**
   * Applies DDL statement `sql` (run in schema `defaultSchema`) to the history; the entries of
   * the tables it changed are built anew from their next table map.
   */
  applyStatement(sql: string, defaultSchema: string): DdlApplied | null {
    const context: DdlContext = {
      defaultSchema,
      flavor: this.zongji.isMariaDb ? "mariadb" : "mysql",
    };
    const explicit = this.options.explicitDefaultsForTimestamp;
    if (explicit !== undefined) context.explicitDefaultsForTimestamp = explicit;
    const ddl = this.history.applyStatement(sql, context);
    if (ddl?.understood) {
      for (const version of ddl.versions) {
        forgetPreparedTable(this.zongji, version.schema, version.table);
        const from = version.renamedFrom;
        if (from) forgetPreparedTable(this.zongji, from.schema, from.table);
      }
    }
    return ddl;
  }

  /**
   * Checks an entry zongji built from the binlog's FULL metadata against the history: a
   * provisional definition takes the binlog's layout, any other disagreement throws, naming
   * both layouts.
   */
  verify = (entry: ZongJiTableMapEntry): void => {
    if (builtFromHistory(entry) || !entry.columns) return;
    const { parentSchema: schema, tableName: table } = entry;
    const definition = this.history.definition(schema, table);
    if (definition === undefined) return;
    const columns: BinlogColumn[] = entry.columns.map((column) => ({
      name: column.name,
      type: column.type,
      metadata: column.metadata,
    }));
    const problem = layoutProblem(definition, columns);
    if (problem === null) {
      this.history.confirm(schema, table);
      return;
    }
    const adopted = this.history.adoptBinlogLayout(
      schema,
      table,
      sourceColumnsFromSchema(entry.columnSchemas),
      (known, index) => columnProblem(known, columns[index]) === null,
    );
    if (!adopted) throw layoutError(definition, columns, problem);
    this.options.log?.info?.(
      `${schema}.${table}: its definition was today's catalog, taken at a position the binlog ` +
        `had moved past (${problem}); the binlog's own layout replaces it`,
    );
  };
}
