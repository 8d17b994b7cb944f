/**
 * Reads the operations of an ALTER TABLE, in statement order: ADD/DROP/MODIFY/CHANGE/RENAME
 * COLUMN (with MariaDB's IF [NOT] EXISTS, FIRST/AFTER, a parenthesised list of columns), ALTER
 * COLUMN ... SET/DROP DEFAULT, keys, charset changes, RENAME TO, partition maintenance, and
 * options that change no layout (ALGORITHM=, LOCK=, ENGINE=...). Whatever else it meets is not
 * understood.
 *
 * @module
 */
import type { AlterOperation, ColumnPosition, ColumnSpec } from "./changes.ts";
import type { TokenCursor } from "./cursor.ts";
import { parseColumnDefinition, parseDefault } from "./column_definition.ts";
import { atKeyDefinition, indexOptions, parseKeyDefinition, parseTableOption } from "./keys.ts";

/** Reads every operation up to the end of the statement. */
export function parseAlterOperations(cursor: TokenCursor): AlterOperation[] {
  const operations: AlterOperation[] = [];
  while (!cursor.atEnd()) {
    if (cursor.isWord("PARTITION", "BY")) {
      // repartitioning keeps the columns; it ends the statement
      cursor.skipRest();
      break;
    }
    operations.push(...parseOperation(cursor));
    // MySQL separates operations with commas, table options also with spaces
    cursor.acceptSymbol(",");
  }
  return operations;
}

const PARTITION_ACTIONS = new Set([
  "ADD",
  "DROP",
  "TRUNCATE",
  "COALESCE",
  "REORGANIZE",
  "ANALYZE",
  "CHECK",
  "OPTIMIZE",
  "REBUILD",
  "REPAIR",
  "DISCARD",
  "IMPORT",
  "EXCHANGE",
  "CONVERT",
]);

function parseOperation(cursor: TokenCursor): AlterOperation[] {
  const partition = partitionOperation(cursor);
  if (partition !== undefined) return partition;
  if (cursor.acceptWord("ADD")) return parseAdd(cursor);
  if (cursor.acceptWord("DROP")) return parseDrop(cursor);
  if (cursor.acceptWord("MODIFY")) {
    cursor.acceptWord("COLUMN");
    const ifExists = cursor.acceptIfExists();
    const column = parseColumnDefinition(cursor);
    return [{ kind: "change-column", name: column.name, column, ifExists, ...position(cursor) }];
  }
  if (cursor.acceptWord("CHANGE")) {
    cursor.acceptWord("COLUMN");
    const ifExists = cursor.acceptIfExists();
    const name = cursor.name("a column name");
    const column = parseColumnDefinition(cursor);
    return [{ kind: "change-column", name, column, ifExists, ...position(cursor) }];
  }
  if (cursor.acceptWord("ALTER")) return parseAlterItem(cursor);
  if (cursor.acceptWord("RENAME")) return parseRename(cursor);
  if (
    cursor.acceptWord("CONVERT", "TO", "CHARACTER", "SET") ||
    cursor.acceptWord("CONVERT", "TO", "CHARSET")
  ) {
    const charset = cursor.name("a character set").toLowerCase();
    if (charset === "binary" || charset === "default") {
      cursor.fail(`CONVERT TO CHARACTER SET ${charset} is not followed`);
    }
    const collation = cursor.acceptWord("COLLATE")
      ? cursor.name("a collation").toLowerCase()
      : undefined;
    return [{
      kind: "convert-charset",
      charset,
      ...(collation === undefined ? {} : { collation }),
    }];
  }
  if (
    cursor.acceptWord("FORCE") || cursor.acceptWord("ENABLE", "KEYS") ||
    cursor.acceptWord("DISABLE", "KEYS") || cursor.acceptWord("WITH", "VALIDATION") ||
    cursor.acceptWord("WITHOUT", "VALIDATION") || cursor.acceptWord("REMOVE", "PARTITIONING")
  ) return [];
  if (cursor.acceptWord("ORDER", "BY")) {
    skipOrderList(cursor);
    return [];
  }
  if (cursor.isWord("DISCARD") || cursor.isWord("IMPORT")) {
    cursor.fail("a tablespace swapped under a table changes its rows without row events");
  }
  const option = parseTableOption(cursor);
  if (option !== undefined) return option;
  cursor.fail("unknown ALTER TABLE operation");
}

/**
 * `a [ASC|DESC], b ...`: a comma continues the list when a lone name follows it (the next
 * operation would have more words).
 */
function skipOrderList(cursor: TokenCursor): void {
  for (;;) {
    cursor.name("a column name");
    if (!cursor.acceptWord("ASC")) cursor.acceptWord("DESC");
    const afterName = cursor.peek(2);
    const lone = afterName === undefined || afterName.text === "," ||
      /^(ASC|DESC)$/.test(cursor.wordAt(2));
    if (!cursor.isSymbol(",") || !lone) return;
    cursor.expectSymbol(",");
  }
}

/** ADD PARTITION, DROP PARTITION...: none of them changes the columns. */
function partitionOperation(cursor: TokenCursor): AlterOperation[] | undefined {
  const word = cursor.peek()?.text.toUpperCase() ?? "";
  if (!PARTITION_ACTIONS.has(word) || !cursor.isWord(word, "PARTITION")) return undefined;
  if (word === "EXCHANGE" || word === "CONVERT" || word === "DISCARD" || word === "IMPORT") {
    cursor.fail(`${word} PARTITION moves rows without row events`);
  }
  cursor.next();
  cursor.next();
  // a partition operation ends the statement: its names, ALL, a number or a partition list
  cursor.skipRest();
  const removesRows = word === "DROP" || word === "TRUNCATE";
  return [{ kind: "partition", action: word.toLowerCase(), removesRows }];
}

function parseAdd(cursor: TokenCursor): AlterOperation[] {
  if (atKeyDefinition(cursor)) return parseKeyDefinition(cursor);
  if (cursor.isWord("SYSTEM", "VERSIONING")) cursor.fail("system versioning is not followed");
  cursor.acceptWord("COLUMN");
  const ifNotExists = cursor.acceptIfExists(true);
  if (cursor.acceptSymbol("(")) {
    // ADD (a int, b int, INDEX (a)): no positions, added in order
    const operations: AlterOperation[] = [];
    do {
      if (atKeyDefinition(cursor)) operations.push(...parseKeyDefinition(cursor));
      else operations.push(addColumn(parseColumnDefinition(cursor), ifNotExists));
    } while (cursor.acceptSymbol(","));
    cursor.expectSymbol(")");
    return operations;
  }
  const column = parseColumnDefinition(cursor);
  return [{ ...addColumn(column, ifNotExists), ...position(cursor) }];
}

function addColumn(column: ColumnSpec, ifNotExists: boolean): AlterOperation {
  return { kind: "add-column", column, ifNotExists };
}

/** FIRST or AFTER name, as a spreadable part of an operation. */
function position(cursor: TokenCursor): { position?: ColumnPosition } {
  if (cursor.acceptWord("FIRST")) return { position: { first: true } };
  if (cursor.acceptWord("AFTER")) return { position: { after: cursor.name("a column name") } };
  return {};
}

function parseDrop(cursor: TokenCursor): AlterOperation[] {
  if (cursor.acceptWord("PRIMARY", "KEY")) return [{ kind: "drop-primary-key" }];
  if (cursor.acceptWord("INDEX") || cursor.acceptWord("KEY")) {
    const ifExists = cursor.acceptIfExists();
    return [{ kind: "drop-index", name: cursor.name("an index name"), ifExists }];
  }
  if (cursor.acceptWord("FOREIGN", "KEY") || cursor.acceptWord("CHECK")) {
    cursor.acceptIfExists();
    cursor.name("a constraint name");
    return [];
  }
  if (cursor.acceptWord("CONSTRAINT")) {
    const ifExists = cursor.acceptIfExists();
    return [{ kind: "drop-constraint", name: cursor.name("a constraint name"), ifExists }];
  }
  if (cursor.isWord("SYSTEM", "VERSIONING") || cursor.isWord("PERIOD", "FOR")) {
    cursor.fail("system versioning and periods are not followed");
  }
  cursor.acceptWord("COLUMN");
  const ifExists = cursor.acceptIfExists();
  const name = cursor.name("a column name");
  if (!cursor.acceptWord("RESTRICT")) cursor.acceptWord("CASCADE");
  return [{ kind: "drop-column", name, ifExists }];
}

/** After ALTER: [COLUMN] c SET/DROP DEFAULT, SET [IN]VISIBLE; INDEX/CHECK/CONSTRAINT changes. */
function parseAlterItem(cursor: TokenCursor): AlterOperation[] {
  if (cursor.acceptWord("INDEX") || cursor.acceptWord("KEY")) {
    cursor.name("an index name");
    indexOptions(cursor);
    return [];
  }
  if (cursor.acceptWord("CHECK") || cursor.acceptWord("CONSTRAINT")) {
    cursor.name("a constraint name");
    if (!cursor.acceptWord("NOT", "ENFORCED")) cursor.expectWord("ENFORCED");
    return [];
  }
  cursor.acceptWord("COLUMN");
  const ifExists = cursor.acceptIfExists();
  const name = cursor.name("a column name");
  if (cursor.acceptWord("DROP", "DEFAULT")) {
    return [{ kind: "set-default", name, default: { kind: "none" }, ifExists }];
  }
  cursor.expectWord("SET");
  if (cursor.acceptWord("DEFAULT")) {
    return [{ kind: "set-default", name, default: parseDefault(cursor), ifExists }];
  }
  if (!cursor.acceptWord("VISIBLE")) cursor.expectWord("INVISIBLE");
  return [];
}

/** After RENAME: COLUMN a TO b, INDEX/KEY a TO b, or [TO|AS] the table's new name. */
function parseRename(cursor: TokenCursor): AlterOperation[] {
  if (cursor.acceptWord("COLUMN")) {
    const name = cursor.name("a column name");
    cursor.expectWord("TO");
    return [{ kind: "rename-column", name, to: cursor.name("a column name") }];
  }
  if (cursor.acceptWord("INDEX") || cursor.acceptWord("KEY")) {
    const name = cursor.name("an index name");
    cursor.expectWord("TO");
    return [{ kind: "rename-index", name, to: cursor.name("an index name") }];
  }
  if (!cursor.acceptWord("TO")) cursor.acceptWord("AS");
  return [{ kind: "rename-table", to: cursor.tableName() }];
}
