/**
 * PostgreSQL COPY text format (the default `FORMAT text`, tab-delimited, `\N` for NULL).
 *
 * Fields are the text input forms that `makeEncoder` produces; here they only get escaped. The
 * stream must be sent with `client_encoding` UTF8 (the postgres driver's default).
 *
 * @module
 */
import { quoteIdent } from "./ident.ts";

/** Characters that must not appear raw in a COPY text field. */
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};
const escapeOne = (c: string) => ESCAPES[c];

/** One field escaped for COPY text format; null becomes `\N`. */
export function copyField(field: string | null): string {
  if (field === null) return "\\N";
  return SPECIAL.test(field) ? field.replace(SPECIAL_ALL, escapeOne) : field;
}

/**
 * One COPY text line, newline-terminated. `extra` is appended as a last field as it is (callers
 * pass constants that need no escaping).
 */
export function copyText(fields: readonly (string | null)[], extra?: string): string {
  let line = "";
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) line += "\t";
    line += copyField(fields[i]);
  }
  return extra === undefined ? line + "\n" : `${line}\t${extra}\n`;
}

/** `COPY "schema"."table" ("a", "b") FROM STDIN` for data made of {@link copyText} lines. */
export function copyStatement(schema: string, table: string, columns: readonly string[]): string {
  return `COPY ${quoteIdent(schema)}.${quoteIdent(table)} (${
    columns.map(quoteIdent).join(", ")
  }) FROM STDIN`;
}
