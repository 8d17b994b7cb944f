/**
 * Reads CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS]: with a column list, with LIKE
 * (`LIKE t` or `(LIKE t)`), and refuses `... SELECT` (its columns come from a query; in ROW
 * format the server logs the resulting CREATE TABLE instead, so the text means statement-based
 * logging). Temporary tables are never followed and change nothing.
 *
 * @module
 */
import type { AlterOperation, ColumnSpec, SchemaChange } from "./changes.ts";
import type { TokenCursor } from "./cursor.ts";
import { parseColumnDefinition } from "./column_definition.ts";
import { atKeyDefinition, parseKeyDefinition, parseTableOption } from "./keys.ts";

const SELECT_REFUSED =
  "CREATE TABLE ... SELECT takes its columns from a query (the binlog is not in ROW format)";

/** Reads the statement after CREATE [OR REPLACE] [TEMPORARY] TABLE. */
export function parseCreateTable(
  cursor: TokenCursor,
  orReplace: boolean,
  temporary: boolean,
): SchemaChange[] {
  const ifNotExists = cursor.acceptIfExists(true);
  const table = cursor.tableName();
  if (temporary) {
    // never a followed table (and not in a ROW-format binlog at all)
    cursor.skipRest();
    return [];
  }
  if (cursor.acceptWord("LIKE")) {
    return [{ kind: "create-table-like", table, like: cursor.tableName(), ifNotExists, orReplace }];
  }
  if (cursor.isSymbol("(") && cursor.wordAt(1) === "LIKE") {
    cursor.expectSymbol("(");
    cursor.expectWord("LIKE");
    const like = cursor.tableName();
    cursor.expectSymbol(")");
    return [{ kind: "create-table-like", table, like, ifNotExists, orReplace }];
  }
  const columns: ColumnSpec[] = [];
  const operations: AlterOperation[] = [];
  if (isQuery(cursor)) cursor.fail(SELECT_REFUSED);
  if (cursor.acceptSymbol("(")) {
    do {
      if (atKeyDefinition(cursor)) operations.push(...parseKeyDefinition(cursor));
      else columns.push(parseColumnDefinition(cursor));
    } while (cursor.acceptSymbol(","));
    cursor.expectSymbol(")");
  }
  while (!cursor.atEnd()) {
    if (cursor.isWord("PARTITION", "BY")) {
      // partitioning keeps the columns; it ends the statement
      cursor.skipRest();
      break;
    }
    if (cursor.isWord("WITH", "SYSTEM", "VERSIONING")) {
      cursor.fail("system-versioned tables are not followed");
    }
    if (isQuery(cursor)) cursor.fail(SELECT_REFUSED);
    const option = parseTableOption(cursor);
    if (option === undefined) cursor.fail("unknown table option");
    operations.push(...option);
    cursor.acceptSymbol(",");
  }
  if (columns.length === 0) cursor.fail("a table without columns");
  return [{ kind: "create-table", table, ifNotExists, orReplace, columns, operations }];
}

/** `[IGNORE|REPLACE] [AS] SELECT ...`, `TABLE t`, `VALUES ...`, `WITH ...` or `(SELECT ...)`. */
function isQuery(cursor: TokenCursor): boolean {
  let ahead = 0;
  if (cursor.wordAt(ahead) === "IGNORE" || cursor.wordAt(ahead) === "REPLACE") ahead++;
  if (cursor.wordAt(ahead) === "AS") ahead++;
  while (cursor.isSymbol("(", ahead)) ahead++;
  return /^(SELECT|TABLE|VALUES|WITH)$/.test(cursor.wordAt(ahead));
}
