/**
 * Reads key and constraint definitions, as CREATE TABLE lists them and ALTER TABLE ... ADD adds
 * them: PRIMARY KEY, UNIQUE, INDEX/KEY, FULLTEXT, SPATIAL (with MariaDB's IF NOT EXISTS), and the
 * FOREIGN KEY and CHECK constraints, which change no layout (a FOREIGN KEY may add a plain index).
 * Also the table options both statements share.
 *
 * @module
 */
import type { AlterOperation } from "./changes.ts";
import type { TokenCursor } from "./cursor.ts";
import { skipReference } from "./column_definition.ts";

/** Words that start a key or constraint definition (after ADD, or in CREATE TABLE's list). */
const KEY_STARTS = new Set([
  "CONSTRAINT",
  "PRIMARY",
  "UNIQUE",
  "INDEX",
  "KEY",
  "FULLTEXT",
  "SPATIAL",
  "FOREIGN",
  "CHECK",
  "PERIOD",
]);

const FULLTEXT_OR_SPATIAL = new Set(["FULLTEXT", "SPATIAL"]);

/** Whether a key or constraint definition comes next. */
export function atKeyDefinition(cursor: TokenCursor): boolean {
  const token = cursor.peek();
  if (token?.kind !== "word") return false;
  const word = token.text.toUpperCase();
  // PERIOD is no reserved word: a column may be called so
  return word === "PERIOD" ? cursor.isWord("PERIOD", "FOR") : KEY_STARTS.has(word);
}

/** Reads a key or constraint definition: its operations (none for a CHECK). */
export function parseKeyDefinition(cursor: TokenCursor): AlterOperation[] {
  let symbol: string | undefined;
  let ifNotExists = false;
  if (cursor.acceptWord("CONSTRAINT")) {
    ifNotExists = cursor.acceptIfExists(true);
    if (!/^(PRIMARY|UNIQUE|FOREIGN|CHECK)$/i.test(cursor.peek()?.text ?? "")) {
      symbol = cursor.name("a constraint name");
    }
  }
  if (cursor.acceptWord("PRIMARY", "KEY")) {
    indexType(cursor);
    const columns = keyParts(cursor).columns;
    indexOptions(cursor);
    return [{ kind: "add-primary-key", columns }];
  }
  if (cursor.acceptWord("FOREIGN", "KEY")) {
    ifNotExists = cursor.acceptIfExists(true) || ifNotExists;
    const indexName = cursor.isSymbol("(") ? undefined : cursor.name("an index name");
    const columns = cursor.nameList("a key column");
    cursor.expectWord("REFERENCES");
    skipReference(cursor);
    // the index the server creates for the constraint when none starts with its columns
    const name = symbol ?? indexName;
    const index = { columns, unique: false, forForeignKey: true as const };
    return [{
      kind: "add-index",
      index: name === undefined ? index : { name, ...index },
      ifNotExists,
    }];
  }
  if (cursor.acceptWord("CHECK")) {
    cursor.group();
    if (!cursor.acceptWord("NOT", "ENFORCED")) cursor.acceptWord("ENFORCED");
    return [];
  }
  if (cursor.isWord("PERIOD")) cursor.fail("application-time periods are not followed");
  const unique = cursor.acceptWord("UNIQUE");
  const special = unique ? undefined : cursor.acceptOneOf(FULLTEXT_OR_SPATIAL);
  if (!cursor.acceptWord("INDEX") && !cursor.acceptWord("KEY") && !unique && !special) {
    cursor.fail("expected a key definition");
  }
  ifNotExists = cursor.acceptIfExists(true) || ifNotExists;
  const name = cursor.isSymbol("(") || cursor.isWord("USING")
    ? symbol
    : cursor.name("an index name");
  indexType(cursor);
  const { columns, functional } = keyParts(cursor);
  indexOptions(cursor);
  const index = { columns, unique, ...(name === undefined ? {} : { name }) };
  return [{
    kind: "add-index",
    index: functional ? { ...index, functional } : index,
    ifNotExists,
  }];
}

/** `USING BTREE|HASH|RTREE`, when present. */
function indexType(cursor: TokenCursor): void {
  if (cursor.acceptWord("USING")) cursor.next();
}

/** `(a, b(10) DESC, (expr))`: the column names, and whether an expression is among the parts. */
export function keyParts(cursor: TokenCursor): { columns: string[]; functional: boolean } {
  cursor.expectSymbol("(");
  const columns: string[] = [];
  let functional = false;
  do {
    if (cursor.isSymbol("(")) {
      cursor.group();
      functional = true;
    } else {
      columns.push(cursor.name("a key column"));
      if (cursor.isSymbol("(")) cursor.group();
    }
    if (!cursor.acceptWord("ASC")) cursor.acceptWord("DESC");
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")");
  return { columns, functional };
}

/** Index options after the key parts, which change no layout. */
export function indexOptions(cursor: TokenCursor): void {
  for (;;) {
    if (cursor.acceptWord("USING") || cursor.acceptWord("COMMENT")) cursor.next();
    else if (cursor.acceptWord("WITH", "PARSER")) cursor.next();
    else if (
      cursor.acceptWord("KEY_BLOCK_SIZE") || cursor.acceptWord("ENGINE_ATTRIBUTE") ||
      cursor.acceptWord("SECONDARY_ENGINE_ATTRIBUTE") || cursor.acceptWord("CLUSTERING")
    ) {
      cursor.acceptSymbol("=");
      cursor.next();
    } else if (
      !cursor.acceptWord("VISIBLE") && !cursor.acceptWord("INVISIBLE") &&
      !cursor.acceptWord("IGNORED") && !cursor.acceptWord("NOT", "IGNORED")
    ) return;
  }
}

/** Table options that change no layout; each takes a value (`ENGINE [=] InnoDB`). */
const TABLE_OPTIONS = new Set([
  "ENGINE",
  "TYPE",
  "AUTO_INCREMENT",
  "AVG_ROW_LENGTH",
  "CHECKSUM",
  "TABLE_CHECKSUM",
  "COMMENT",
  "COMPRESSION",
  "CONNECTION",
  "DELAY_KEY_WRITE",
  "ENCRYPTION",
  "ENCRYPTED",
  "ENCRYPTION_KEY_ID",
  "INSERT_METHOD",
  "KEY_BLOCK_SIZE",
  "MAX_ROWS",
  "MIN_ROWS",
  "PACK_KEYS",
  "PASSWORD",
  "ROW_FORMAT",
  "STATS_AUTO_RECALC",
  "STATS_PERSISTENT",
  "STATS_SAMPLE_PAGES",
  "TABLESPACE",
  "UNION",
  "PAGE_CHECKSUM",
  "PAGE_COMPRESSED",
  "PAGE_COMPRESSION_LEVEL",
  "TRANSACTIONAL",
  "IETF_QUOTES",
  "SEQUENCE",
  "ENGINE_ATTRIBUTE",
  "SECONDARY_ENGINE",
  "SECONDARY_ENGINE_ATTRIBUTE",
  "AUTOEXTEND_SIZE",
  "ALGORITHM",
  "LOCK",
]);

/**
 * Reads one table option: the charset ones as an operation, the others (ENGINE, ALGORITHM, LOCK,
 * COMMENT...) as none; undefined when no table option comes next.
 */
export function parseTableOption(cursor: TokenCursor): AlterOperation[] | undefined {
  const isDefault = cursor.acceptWord("DEFAULT");
  if (cursor.acceptWord("CHARACTER", "SET") || cursor.acceptWord("CHARSET")) {
    cursor.acceptSymbol("=");
    const charset = cursor.name("a character set").toLowerCase();
    if (charset === "default") cursor.fail("the schema's default character set is not known");
    return [{ kind: "table-charset", charset }];
  }
  if (cursor.acceptWord("COLLATE")) {
    cursor.acceptSymbol("=");
    return [{ kind: "table-charset", collation: cursor.name("a collation").toLowerCase() }];
  }
  if (isDefault) cursor.fail("expected CHARACTER SET or COLLATE after DEFAULT");
  if (cursor.acceptWord("DATA", "DIRECTORY") || cursor.acceptWord("INDEX", "DIRECTORY")) {
    cursor.acceptSymbol("=");
    cursor.next();
    return [];
  }
  if (cursor.acceptWord("START", "TRANSACTION")) return [];
  if (cursor.acceptOneOf(TABLE_OPTIONS) === undefined) return undefined;
  cursor.acceptSymbol("=");
  if (cursor.isSymbol("(")) cursor.group();
  else cursor.next();
  // TABLESPACE name STORAGE DISK|MEMORY
  if (cursor.acceptWord("STORAGE")) cursor.next();
  return [];
}
