/**
 * The target table created when none exists (by `snapshot`, and by `run` for a table created on
 * the source while it streams): every source column with the type of the default mapping
 * (`pgTypeFor`) and the key that identifies the source's rows (none for a whole-row identity), in
 * the target's dialect.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import { type NewTable, POSTGRES, type TargetDialect } from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import { sourceName, targetName } from "./followed.ts";
import type { RowIdentity } from "./row_identity.ts";
import type { Route } from "./routes.ts";

/** `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE` for the route's target. */
export function createTableStatements(
  route: Route,
  options: { postgis: boolean; dialect?: TargetDialect },
): string[] {
  return (options.dialect ?? POSTGRES).createTable(newTableFor(route, options));
}

/** Whether the target database has PostGIS, whose geometry type then holds geometry columns. */
export async function hasPostgis(sql: Sql): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM pg_extension WHERE extname = 'postgis'`;
  return rows.length > 0;
}

/** The table to create for the route's target: its columns, their types and the key. */
function newTableFor(route: Route, options: { postgis: boolean }): NewTable {
  const columns = route.source.columns.map((column) => {
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
  return {
    schema: route.pgSchema,
    table: route.pgTable,
    columns,
    key: targetKey(route.identity),
  };
}

/** The key of a target whose rows `identity` tells apart: its columns; none for whole rows. */
export function targetKey(identity: RowIdentity): string[] {
  // Without a key (identical rows may repeat) Greenplum spreads the table randomly
  return identity.kind === "whole-row" ? [] : identity.columns;
}
