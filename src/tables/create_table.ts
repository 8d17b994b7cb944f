/**
 * The target table created when none exists (by `snapshot`, and by `run` for a table created on
 * the source while it streams): the source columns its rule replicates, with the type of the
 * default mapping (`pgTypeFor`), the rule's source tag and soft-delete columns, the key that
 * identifies the source's rows (with the tag; none for a whole-row identity), and the rule's
 * distribution and storage options, in the target's dialect.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import {
  type NewTable,
  type NewTableColumn,
  POSTGRES,
  type TargetDialect,
} from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import { targetColumnFor } from "../sink/target.ts";
import { APPENDED_COLUMNS, appendedColumns, replicatedColumns } from "./column_pairing.ts";
import { sourceName, targetName } from "./followed.ts";
import type { RowIdentity } from "./row_identity.ts";
import type { Route, TableRoute } from "./routes.ts";

/**
 * `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE` for the route's target. Throws UserError for a
 * `distributed_by` Greenplum would refuse, with the fix.
 */
export function createTableStatements(
  route: Route,
  options: { postgis: boolean; dialect?: TargetDialect },
): string[] {
  const table = newTableFor(route, options);
  const dialect = options.dialect ?? POSTGRES;
  const refused = dialect.refusedDistribution(table);
  if (refused !== null) {
    throw new UserError(
      `the [[rule]] for MySQL ${sourceName(route)} sets distributed_by = ` +
        `${JSON.stringify(route.distributedBy)}: ${refused}`,
      1,
    );
  }
  return dialect.createTable(table);
}

/**
 * Runs `create` (which executes {@link createTableStatements}); PostgreSQL's refusal of the rule's
 * `table_options` (an unknown storage parameter, a syntax error) comes back as a UserError naming
 * the rule, with the fix.
 */
export async function namingTableOptions<T>(route: Route, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (route.tableOptions === null || !(code === "22023" || code === "42601")) throw err;
    throw new UserError(
      `cannot create ${targetName(route)} for MySQL ${sourceName(route)} with the [[rule]]'s ` +
        `table_options = ${JSON.stringify(route.tableOptions)}: ${(err as Error).message}; ` +
        `correct table_options (append-optimized storage is Greenplum's), or create the table ` +
        `yourself`,
      1,
    );
  }
}

/** Whether the target database has PostGIS, whose geometry type then holds geometry columns. */
export async function hasPostgis(sql: Sql): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM pg_extension WHERE extname = 'postgis'`;
  return rows.length > 0;
}

/** The table to create for the route's target: its columns, their types, key and storage. */
function newTableFor(route: Route, options: { postgis: boolean }): NewTable {
  const columns: NewTableColumn[] = replicatedColumns(route, route.source.columns).map((column) => {
    try {
      return { name: column.name, type: pgTypeFor(column, options) };
    } catch (err) {
      throw new UserError(
        `cannot create ${targetName(route)} for MySQL ${sourceName(route)}: ${
          (err as Error).message
        }; create the table yourself with a type that holds the values, then try again`,
        1,
      );
    }
  });
  for (const { role, column } of appendedColumns(route)) {
    columns.push({ name: column, type: APPENDED_COLUMNS[role].type });
  }
  return {
    schema: route.pgSchema,
    table: route.pgTable,
    columns,
    key: targetKey(route.identity, route),
    distributedBy: route.distributedBy === null || route.distributedBy === "randomly"
      ? route.distributedBy
      // As MySQL names columns: in any case
      : route.distributedBy.map((name) => targetColumnFor({ columns }, name)?.name ?? name),
    options: route.tableOptions,
  };
}

/**
 * The key of a target whose rows `identity` tells apart: its columns, then the route's source tag
 * (equal keys of different source tables are different rows); none for whole rows.
 */
export function targetKey(identity: RowIdentity, route: Pick<TableRoute, "sourceTag">): string[] {
  // Without a key (identical rows may repeat) Greenplum spreads the table randomly
  if (identity.kind === "whole-row") return [];
  return route.sourceTag ? [...identity.columns, route.sourceTag.column] : identity.columns;
}
