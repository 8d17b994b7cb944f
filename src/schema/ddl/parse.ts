/**
 * Reads one DDL statement, as a binlog Query event holds it, into the schema changes it makes
 * (`changes.ts`). A statement that changes no table layout gives none; one that cannot be read
 * gives "not understood" with the reason and the tables it names, never a guess.
 *
 * node-sql-parser 5.4 was tried and is not used (tests/unit/ddl_node_sql_parser_test.ts pins
 * why): it returns nothing for a statement that is all version comment (a silent skip), keeps
 * doubled back quotes in names and backslash escapes in strings, and cannot parse version comments
 * inside a statement, MariaDB's IF [NOT] EXISTS on columns and indexes, ALTER COLUMN ... SET/DROP
 * DEFAULT, ADD (a list), ADD PRIMARY KEY or UNIQUE (MariaDB dialect), CONVERT TO CHARACTER SET,
 * `char(3) binary`, DROP/REORGANIZE PARTITION, RENAME INDEX, CREATE OR REPLACE TABLE.
 *
 * @module
 */
import {
  type DdlContext,
  DdlNotUnderstood,
  type DdlOutcome,
  type SchemaChange,
  type TableName,
} from "./changes.ts";
import { TokenCursor } from "./cursor.ts";
import { parseAlterOperations } from "./alter.ts";
import { parseCreateTable } from "./create_table.ts";
import { indexOptions, keyParts, parseTableOption } from "./keys.ts";
import { readHead, scanStatement, type StatementHead } from "./scan.ts";

/** What `sql` (run with `context`) does to table definitions. */
export function parseDdl(sql: string, context: DdlContext): DdlOutcome {
  try {
    const cursor = new TokenCursor(sql, context);
    if (cursor.atEnd()) return { understood: true, changes: [] };
    const changes = parseStatement(cursor, readHead(cursor));
    if (!cursor.atEnd()) cursor.fail("unexpected text after the statement");
    return { understood: true, changes };
  } catch (error) {
    if (!(error instanceof DdlNotUnderstood)) throw error;
    return { understood: false, reason: error.message, tables: scanStatement(sql, context).tables };
  }
}

function parseStatement(cursor: TokenCursor, head: StatementHead): SchemaChange[] {
  switch (head.kind) {
    case "alter-table": {
      const ifExists = cursor.acceptIfExists();
      const table = cursor.tableName();
      skipWait(cursor);
      return [{ kind: "alter-table", table, ifExists, operations: parseAlterOperations(cursor) }];
    }
    case "create-table":
      return parseCreateTable(cursor, head.orReplace, head.temporary);
    case "create-index":
      return parseCreateIndex(cursor, head.unique);
    case "drop-index": {
      const ifExists = cursor.acceptIfExists();
      const name = cursor.name("an index name");
      cursor.expectWord("ON");
      const table = cursor.tableName();
      skipWait(cursor);
      skipTableOptions(cursor);
      return [{
        kind: "alter-table",
        table,
        ifExists: false,
        operations: [{ kind: "drop-index", name, ifExists }],
      }];
    }
    case "drop-table": {
      const ifExists = cursor.acceptIfExists();
      const tables = tableList(cursor);
      if (!cursor.acceptWord("RESTRICT")) cursor.acceptWord("CASCADE");
      return head.temporary ? [] : tables.map((table) => ({ kind: "drop-table", table, ifExists }));
    }
    case "rename-table":
      return parseRenameTable(cursor);
    case "truncate-table": {
      const table = cursor.tableName();
      skipWait(cursor);
      return [{ kind: "truncate-table", table }];
    }
    case "drop-schema":
      cursor.acceptIfExists();
      return [{ kind: "drop-schema", schema: cursor.name("a schema name") }];
    case "data":
      cursor.fail("a data change logged as a statement (the binlog is not in ROW format)");
      break;
    case "other":
      // no table layout: the rest of the statement is not read
      cursor.skipRest();
      return [];
  }
}

/** CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX [IF NOT EXISTS] name [USING x] ON t (parts) options. */
function parseCreateIndex(cursor: TokenCursor, unique: boolean): SchemaChange[] {
  const ifNotExists = cursor.acceptIfExists(true);
  const name = cursor.name("an index name");
  if (cursor.acceptWord("USING")) cursor.next();
  cursor.expectWord("ON");
  const table = cursor.tableName();
  const { columns, functional } = keyParts(cursor);
  indexOptions(cursor);
  skipWait(cursor);
  skipTableOptions(cursor);
  const index = { name, columns, unique, ...(functional ? { functional } : {}) };
  return [{
    kind: "alter-table",
    table,
    ifExists: false,
    operations: [{ kind: "add-index", index, ifNotExists }],
  }];
}

/** RENAME TABLE [IF EXISTS] a TO b [, c TO d]...: one change per pair, in order. */
function parseRenameTable(cursor: TokenCursor): SchemaChange[] {
  const changes: SchemaChange[] = [];
  do {
    cursor.acceptIfExists();
    const from = cursor.tableName();
    skipWait(cursor);
    cursor.expectWord("TO");
    changes.push({ kind: "rename-table", from, to: cursor.tableName() });
  } while (cursor.acceptSymbol(","));
  return changes;
}

function tableList(cursor: TokenCursor): TableName[] {
  const tables = [cursor.tableName()];
  while (cursor.acceptSymbol(",")) tables.push(cursor.tableName());
  skipWait(cursor);
  return tables;
}

/** MariaDB's `WAIT n` or `NOWAIT` after a table name. */
function skipWait(cursor: TokenCursor): void {
  if (cursor.acceptWord("WAIT")) cursor.next();
  else cursor.acceptWord("NOWAIT");
}

/** ALGORITHM= and LOCK= after CREATE/DROP INDEX. */
function skipTableOptions(cursor: TokenCursor): void {
  while (!cursor.atEnd()) {
    const option = parseTableOption(cursor);
    if (option === undefined || option.length > 0) cursor.fail("unexpected index statement option");
  }
}
