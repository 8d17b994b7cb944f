/**
 * The target table `snapshot` creates when none exists: every source column with the type of the
 * default mapping (`pgTypeFor`) and the source's primary key, in the target's dialect.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import { type NewTable, POSTGRES, type TargetDialect } from "../sink/dialect.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";

/** `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE` for the route's target. */
export function createTableStatements(
  route: Route,
  options: { postgis: boolean; dialect?: TargetDialect },
): string[] {
  return (options.dialect ?? POSTGRES).createTable(newTableFor(route, options));
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
        }; create the table yourself with a type that holds the values, then run snapshot again`,
        1,
      );
    }
  });
  return {
    schema: route.pgSchema,
    table: route.pgTable,
    columns,
    key: route.identity.columns,
  };
}
