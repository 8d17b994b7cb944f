/**
 * Which columns identify a followed table's rows: updates and deletes find their target row by
 * them, snapshot and verify read the source in their order, and the binlog decoder decodes only
 * them in before images. Decided here alone: the primary key; without one, the first NOT NULL
 * unique key (fewest columns first); without either, the whole row, where identical rows are
 * told apart only by how many there are (they are matched as a multiset).
 *
 * @module
 */
import type { SourceTable } from "../schema/table.ts";
import type { KeyLookup, UsedColumns } from "../source/zongji/shapes.ts";
import type { Route } from "./routes.ts";

/** The columns that tell a table's rows apart, and what kind of key they are. */
export interface RowIdentity {
  kind: "primary-key" | "unique-key" | "whole-row";
  /**
   * Source column names, in key order; for "whole-row", every column of the table as the catalog
   * described it (a binlog layout's own columns count: see `pairColumns`).
   */
  columns: string[];
}

/**
 * How the rows of `table` are identified. Needs its columns loaded (`loadColumns`): a unique key
 * identifies rows only when none of its columns accepts NULL (MySQL lets NULLs repeat in one).
 */
export function rowIdentity(table: SourceTable): RowIdentity {
  if (table.primaryKey.length > 0) return { kind: "primary-key", columns: table.primaryKey };
  const unique = notNullUniqueKey(table);
  if (unique) return { kind: "unique-key", columns: unique };
  return { kind: "whole-row", columns: table.columns.map((column) => column.name) };
}

/** What identifies the rows, for messages: "primary key (id)", "whole row". */
export function describeIdentity(identity: RowIdentity): string {
  switch (identity.kind) {
    case "primary-key":
      return `primary key (${identity.columns.join(", ")})`;
    case "unique-key":
      return `NOT NULL unique key (${identity.columns.join(", ")})`;
    case "whole-row":
      return "whole row";
  }
}

/** What a key column of `identity` is called in messages: "primary key", "unique key". */
export function keyNoun(identity: RowIdentity): string {
  return identity.kind === "unique-key" ? "unique key" : "primary key";
}

/**
 * What the binlog decoder decodes of each route's rows (see `prepareRowReaders`): the identity
 * columns in before images, and only the replicated columns anywhere when the rule selects some.
 */
export function keyLookup(routes: Iterable<Route>): KeyLookup {
  const byTable = new Map<string, ReadonlySet<string> | UsedColumns>();
  for (const route of routes) {
    const { source, identity, softDelete, columns } = route;
    const lower = (names: Iterable<string>) => new Set([...names].map((n) => n.toLowerCase()));
    // A whole-row identity needs every column of the before image, and so does a soft delete,
    // which keeps the deleted row: no key decodes all of it.
    const key = identity.kind === "whole-row" || softDelete !== null
      ? undefined
      : lower(identity.columns);
    // By name, not by today's columns: a selected column added later is decoded too
    const values = columns && lower(
      identity.kind === "whole-row" ? columns : [...columns, ...identity.columns],
    );
    const used = values ? { key, values } : key;
    if (used) byTable.set(`${source.schema}\u0000${source.table}`, used);
  }
  return (schema, table) => byTable.get(`${schema}\u0000${table}`);
}

/** The columns of the narrowest unique key without a nullable or an expression part, if any. */
function notNullUniqueKey(table: SourceTable): string[] | null {
  const nullable = new Map(
    table.columns.map((column) => [column.name.toLowerCase(), column.nullable]),
  );
  let best: string[] | null = null;
  for (const index of table.indexes ?? []) {
    if (!index.unique || index.functional || index.columns.length === 0) continue;
    // An unknown column counts as nullable: it cannot be shown to hold a value in every row.
    if (index.columns.some((name) => nullable.get(name.toLowerCase()) !== false)) continue;
    if (best === null || index.columns.length < best.length) best = index.columns;
  }
  return best;
}
