/**
 * Identifier quoting for PostgreSQL (targets) and MySQL (source queries).
 *
 * Always quoted: reserved words, mixed case and spaces then need no special cases, and a name is
 * never folded to lower case behind the user's back.
 *
 * @module
 */

/** `name` as a PostgreSQL quoted identifier: `"name"`, embedded `"` doubled. */
export function quoteIdent(name: string): string {
  if (name.includes("\u0000")) {
    throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * `text` as a PostgreSQL escape-string literal, `E'...'`, which reads the same whatever
 * standard_conforming_strings says; null is `NULL`.
 */
export function quoteLiteral(text: string | null): string {
  return text === null ? "NULL" : `E'${text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/** `"schema"."table"`. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/** `name` as a MySQL quoted identifier: `` `name` ``, embedded backticks doubled. */
export function quoteMySqlIdent(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** `` `schema`.`table` ``. */
export function qualifiedMySql(schema: string, table: string): string {
  return `${quoteMySqlIdent(schema)}.${quoteMySqlIdent(table)}`;
}
