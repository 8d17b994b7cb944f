/**
 * The quick look at a statement that decides whether it matters: its kind and every table it may
 * touch (named after ALTER/CREATE/DROP/RENAME/TRUNCATE TABLE, ON of an index statement, LIKE,
 * RENAME TO, and WITH/TO TABLE of partition exchanges), found from the tokens without reading
 * column definitions. It may name more tables than the statement changes, never fewer, so DDL on
 * tables nobody follows is dismissed before any full read.
 *
 * @module
 */
import { type DdlContext, DdlNotUnderstood, type TableName } from "./changes.ts";
import { TokenCursor } from "./cursor.ts";

/** What kind of statement it is, as far as table layouts go. */
export type StatementKind =
  | "alter-table"
  | "create-table"
  | "create-index"
  | "drop-table"
  | "drop-index"
  | "rename-table"
  | "truncate-table"
  | "drop-schema"
  /** INSERT, UPDATE, DELETE...: a data change logged as a statement (not ROW format). */
  | "data"
  /** Anything else (transaction control, views, routines, grants...): no table layout. */
  | "other";

/** A statement's opening words, read. */
export interface StatementHead {
  kind: StatementKind;
  temporary: boolean;
  orReplace: boolean;
  /** CREATE UNIQUE INDEX. */
  unique: boolean;
}

/** The scan of one statement. */
export type StatementScan =
  | { kind: StatementKind; tables: TableName[]; schemas: string[] }
  /** The text could not even be split into tokens (or names no schema for a table). */
  | { kind: "unreadable"; reason: string; tables: TableName[]; schemas: string[] };

/** Reads the statement's opening words up to its first name. */
export function readHead(cursor: TokenCursor): StatementHead {
  const head: StatementHead = { kind: "other", temporary: false, orReplace: false, unique: false };
  const word = cursor.next().text.toUpperCase();
  const online = () => cursor.acceptWord("ONLINE") || cursor.acceptWord("OFFLINE");
  if (word === "ALTER") {
    online();
    cursor.acceptWord("IGNORE");
    if (cursor.acceptWord("TABLE")) head.kind = "alter-table";
  } else if (word === "CREATE") {
    head.orReplace = cursor.acceptWord("OR", "REPLACE");
    head.temporary = cursor.acceptWord("TEMPORARY");
    online();
    head.unique = cursor.acceptWord("UNIQUE");
    if (!head.unique && !cursor.acceptWord("FULLTEXT")) cursor.acceptWord("SPATIAL");
    if (cursor.acceptWord("TABLE")) head.kind = "create-table";
    else if (cursor.acceptWord("INDEX")) head.kind = "create-index";
  } else if (word === "DROP") {
    head.temporary = cursor.acceptWord("TEMPORARY");
    online();
    if (cursor.acceptWord("TABLE") || cursor.acceptWord("TABLES")) head.kind = "drop-table";
    else if (cursor.acceptWord("INDEX")) head.kind = "drop-index";
    else if (cursor.acceptWord("DATABASE") || cursor.acceptWord("SCHEMA")) {
      head.kind = "drop-schema";
    }
  } else if (word === "RENAME") {
    if (cursor.acceptWord("TABLE") || cursor.acceptWord("TABLES")) head.kind = "rename-table";
  } else if (word === "TRUNCATE") {
    cursor.acceptWord("TABLE");
    head.kind = "truncate-table";
  } else if (/^(INSERT|UPDATE|DELETE|REPLACE|LOAD)$/.test(word)) {
    head.kind = "data";
  }
  return head;
}

/** The kind of `sql` and the tables (and whole schemas) it may touch. */
export function scanStatement(sql: string, context: DdlContext): StatementScan {
  const tables: TableName[] = [];
  const schemas: string[] = [];
  try {
    const cursor = new TokenCursor(sql, context);
    if (cursor.atEnd()) return { kind: "other", tables, schemas };
    const head = readHead(cursor);
    if (head.temporary) return { kind: "other", tables, schemas };
    collectNames(cursor, head.kind, tables, schemas);
    return { kind: head.kind, tables, schemas };
  } catch (error) {
    if (!(error instanceof DdlNotUnderstood)) throw error;
    return { kind: "unreadable", reason: error.message, tables, schemas };
  }
}

/**
 * Whether the statement may touch a table `follows` accepts (or a schema holding one): an
 * unreadable statement always may.
 */
export function scanTouches(
  scan: StatementScan,
  follows: (table: TableName) => boolean,
  followsSchema: (schema: string) => boolean = () => false,
): boolean {
  return scan.kind === "unreadable" || scan.tables.some(follows) ||
    scan.schemas.some(followsSchema);
}

function collectNames(
  cursor: TokenCursor,
  kind: StatementKind,
  tables: TableName[],
  schemas: string[],
): void {
  switch (kind) {
    case "drop-schema":
      cursor.acceptIfExists();
      schemas.push(cursor.name("a schema name"));
      return;
    case "drop-table":
    case "rename-table":
    case "truncate-table":
      // every name of the list: `a, b` or `a TO b, c TO d`
      cursor.acceptIfExists();
      while (!cursor.atEnd()) {
        if (isNameStart(cursor)) tables.push(cursor.tableName());
        else cursor.next();
        if (cursor.acceptWord("WAIT")) cursor.next();
      }
      return;
    case "create-index":
    case "drop-index":
      while (!cursor.atEnd() && !cursor.acceptWord("ON")) cursor.next();
      if (!cursor.atEnd()) tables.push(cursor.tableName());
      return;
    case "alter-table":
    case "create-table":
      cursor.acceptIfExists(kind === "create-table");
      tables.push(cursor.tableName());
      collectReferencedTables(cursor, tables);
  }
}

/** A name (not a keyword of the list) starts here. */
function isNameStart(cursor: TokenCursor): boolean {
  const token = cursor.peek();
  if (token?.kind === "name") return true;
  return token?.kind === "word" && !/^(TO|AS|WAIT|NOWAIT|RESTRICT|CASCADE)$/i.test(token.text);
}

/** Names after LIKE, RENAME [TO|AS] (not COLUMN/INDEX/KEY) and TABLE, further on. */
function collectReferencedTables(cursor: TokenCursor, tables: TableName[]): void {
  while (!cursor.atEnd()) {
    const word = cursor.next();
    if (word.kind !== "word") continue;
    const upper = word.text.toUpperCase();
    if (upper === "RENAME") {
      if (cursor.acceptWord("COLUMN") || cursor.acceptWord("INDEX") || cursor.acceptWord("KEY")) {
        continue;
      }
      if (!cursor.acceptWord("TO")) cursor.acceptWord("AS");
    } else if (upper !== "LIKE" && upper !== "TABLE") continue;
    if (isNameStart(cursor)) tables.push(cursor.tableName());
  }
}
