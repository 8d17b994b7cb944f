/**
 * The target table `snapshot` creates when none exists: every source column with the type of the
 * default mapping (`pgTypeFor`) and the source's primary key.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { qualified, quoteIdent } from "../convert/ident.ts";
import { pgTypeFor } from "../convert/mapping.ts";
import { sourceName, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";

/**
 * `CREATE SCHEMA IF NOT EXISTS` and `CREATE TABLE` for the route's target. No NOT NULL beyond the
 * key: a NOT NULL DATETIME can still hold MySQL's zero date, which arrives as NULL.
 */
export function createTableStatements(route: Route, options: { postgis: boolean }): string[] {
  const columns = route.source.columns.map((column) => {
    let type: string;
    try {
      type = pgTypeFor(column, options);
    } catch (err) {
      throw new UserError(
        `cannot create ${targetName(route)} for MySQL ${sourceName(route)}: ${
          (err as Error).message
        }; create the table yourself with a type that holds the values, then run snapshot again`,
        1,
      );
    }
    return `${quoteIdent(column.name)} ${type}`;
  });
  const key = route.source.primaryKey.map(quoteIdent).join(", ");
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(route.pgSchema)}`,
    `CREATE TABLE ${qualified(route.pgSchema, route.pgTable)} (\n  ${
      [...columns, `PRIMARY KEY (${key})`].join(",\n  ")
    }\n)`,
  ];
}
