/**
 * The plan of one followed table for the sync: the row encoders of each binlog column layout,
 * built from the one column pairing (`pairColumns`), with the hot per-row closures over arrays.
 *
 * @module
 */
import {
  type LossKind,
  type SourceColumn,
  sourceColumnsFromSchema,
  type ZongJiColumnSchema,
} from "../convert/types.ts";
import { UserError } from "../config/errors.ts";
import { quoteIdent } from "../convert/ident.ts";
import type { BinlogPosition } from "../offsets/position.ts";
import type { Row } from "../source/transaction.ts";
import type { TargetTable } from "../sink/target.ts";
import { pairColumns } from "../tables/column_pairing.ts";
import type { Route } from "../tables/routes.ts";
import { keyNoun } from "../tables/row_identity.ts";

/** Called when a value had to be changed to fit PostgreSQL (a zero date, a NUL byte). */
export type LossReporter = (what: LossKind, table: string, column: string) => void;

/** Turns rows of one column layout into PostgreSQL text fields, in `columns` order. */
export interface RowEncoder {
  /** Identifies the source column layout the encoder was built for. */
  layout: string;
  /** Target columns filled, in field order: the source columns', then the route's appended ones. */
  columns: string[];
  /** Positions of the key columns within `columns`: the identity's, then the source tag. */
  keyIndexes: number[];
  /** The target columns of the key, in key order. */
  keyColumns: string[];
  encode(row: Row): (string | null)[];
  /** Only the key fields, for before-images whose other columns do not matter. */
  encodeKey(row: Row): (string | null)[];
  /** True when both images certainly have the same key (identical primitive values). */
  sameKey(a: Row, b: Row): boolean;
  /**
   * The row a soft-delete route keeps for the deleted `row` (a whole before image): flagged, with
   * the time column set to `at` (timestamptz text); null when the route deletes rows.
   */
  softDeleted: ((row: Row, at: string) => (string | null)[]) | null;
}

/** Everything needed to move one source table's rows into its target table. */
export class TablePlan {
  /** Rows are identified by their whole value (the table has no key): batches count them. */
  readonly wholeRow: boolean;
  /** The target already holds every change up to here (see `Route.rowsAsOf`); null: none. */
  readonly rowsAsOf: BinlogPosition | null;
  #encoders = new Map<string, RowEncoder>();
  #last: { columns: readonly ZongJiColumnSchema[]; encoder: RowEncoder } | null = null;

  constructor(
    readonly route: Route,
    readonly target: TargetTable,
    private readonly onLoss: LossReporter,
  ) {
    this.wholeRow = route.identity.kind === "whole-row";
    this.rowsAsOf = route.rowsAsOf ?? null;
    // Check every column pair now, so an impossible one stops the sync at start (not retried)
    this.#build(route.source.columns, "");
  }

  /** `schema.table` of the source, for messages. */
  get sourceName(): string {
    return `${this.route.source.schema}.${this.route.source.table}`;
  }

  /** `"schema"."table"` of the target. */
  get targetName(): string {
    return `${quoteIdent(this.target.schema)}.${quoteIdent(this.target.table)}`;
  }

  /** The encoder for rows written with this column layout (built once per layout). */
  encoderFor(columns: readonly ZongJiColumnSchema[]): RowEncoder {
    if (this.#last?.columns === columns) return this.#last.encoder;
    const layout = columns.map((c) => `${c.COLUMN_NAME}\u0000${c.COLUMN_TYPE}`).join("\u0001");
    let encoder = this.#encoders.get(layout);
    if (!encoder) {
      encoder = this.#build(sourceColumnsFromSchema(columns), layout);
      this.#encoders.set(layout, encoder);
    }
    this.#last = { columns, encoder };
    return encoder;
  }

  #build(sources: SourceColumn[], layout: string): RowEncoder {
    const pairing = pairColumns(
      this.route,
      this.target,
      sources,
      (what, column) => this.onLoss(what, this.sourceName, column),
      (column) =>
        new UserError(
          `the binlog rows of ${this.sourceName} lack ${
            keyNoun(this.route.identity)
          } column "${column}"; ` +
            `set binlog_row_image=FULL on the source`,
          1,
        ),
    );
    const { keyIndexes: sourceKey, constants, appended } = pairing;
    const names = pairing.sourceColumns.map((source) => source.name);
    const targetNames = pairing.targetColumns.map((target) => target.name);
    // A whole row may hold NULLs: they compare as equal there
    const keyed = !this.wholeRow;
    const encoders = pairing.encoders.map((encode, i) =>
      keyed && sourceKey.includes(i) ? this.#keyEncoder(encode, names[i]) : encode
    );
    const count = names.length;
    const width = targetNames.length;
    // The tag is constant for the table, so it never tells two of its images apart
    const tag = appended.tag === null ? null : constants[appended.tag - count];
    const keyIndexes = appended.tag === null ? sourceKey : [...sourceKey, appended.tag];
    const encode = (row: Row): (string | null)[] => {
      const fields = new Array<string | null>(width);
      for (let i = 0; i < count; i++) fields[i] = encoders[i](row[names[i]]);
      for (let i = count; i < width; i++) fields[i] = constants[i - count];
      return fields;
    };
    const { deleted, deletedAt } = appended;
    return {
      layout,
      columns: targetNames,
      keyIndexes,
      keyColumns: keyIndexes.map((i) => targetNames[i]),
      encode,
      encodeKey(row: Row): (string | null)[] {
        const key = sourceKey.map((i) => encoders[i](row[names[i]]));
        if (tag !== null) key.push(tag);
        return key;
      },
      softDeleted: deleted === null ? null : (row, at) => {
        const fields = encode(row);
        fields[deleted] = "t";
        if (deletedAt !== null) fields[deletedAt] = at;
        return fields;
      },
      sameKey(a: Row, b: Row): boolean {
        for (const i of sourceKey) {
          const value = a[names[i]];
          if (value !== b[names[i]] || typeof value === "object") return false;
        }
        return true;
      },
    };
  }

  /**
   * A key value PostgreSQL cannot store (a zero date becomes NULL) would make rows impossible to
   * match, so updates would duplicate them: stop with the column named rather than corrupt.
   */
  #keyEncoder(encode: (value: unknown) => string | null, column: string) {
    return (value: unknown): string | null => {
      const text = encode(value);
      if (text === null) {
        // Binlog DATETIME values arrive as raw bytes; only zero or invalid dates end here.
        const shown = typeof value === "string" ? JSON.stringify(value) : "a zero or invalid date";
        throw new UserError(
          `${keyNoun(this.route.identity)} column ${this.sourceName}.${column} holds ${shown}, ` +
            `which PostgreSQL cannot store (it would become NULL); correct that row on the source`,
          1,
        );
      }
      return text;
    };
  }
}
