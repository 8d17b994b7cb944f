/**
 * Reads the data type of a column definition and writes it as the server's INFORMATION_SCHEMA
 * COLUMN_TYPE shows it: synonyms resolved (`integer` -> `int`, `bool` -> `tinyint(1)`,
 * `numeric` -> `decimal(10,0)`, `nvarchar(4)` -> `varchar(4)` in utf8mb3...), default lengths
 * filled in, and the flavours' differences kept: MariaDB shows integer display widths
 * (`int(10) unsigned`, `year(4)`) and JSON as `longtext`; MySQL 8 drops the widths (`int
 * unsigned`) except for ZEROFILL and `tinyint(1)`, and has a real `json`.
 *
 * @module
 */
import { dataTypeOf } from "../../convert/types.ts";
import { blobTypeFor } from "./charsets.ts";
import type { TokenCursor } from "./cursor.ts";

/** A data type as read, with what the type itself says about the column's text. */
export interface ParsedType {
  columnType: string;
  dataType: string;
  unsigned: boolean;
  /** null: holds no text; absent: text in the table's (or a later clause's) charset. */
  charset?: string | null;
  collation?: string;
  binaryCollation?: boolean;
  /** TEXT(n), sized once the charset is known. */
  textChars?: number;
  json?: boolean;
  /** SERIAL: also NOT NULL AUTO_INCREMENT UNIQUE. */
  serial?: boolean;
}

/** Integer types with the display widths MariaDB shows for them: signed, unsigned. */
const INTEGERS: Readonly<Record<string, readonly [string, number, number]>> = {
  TINYINT: ["tinyint", 4, 3],
  INT1: ["tinyint", 4, 3],
  SMALLINT: ["smallint", 6, 5],
  INT2: ["smallint", 6, 5],
  MEDIUMINT: ["mediumint", 9, 8],
  MIDDLEINT: ["mediumint", 9, 8],
  INT3: ["mediumint", 9, 8],
  INT: ["int", 11, 10],
  INTEGER: ["int", 11, 10],
  INT4: ["int", 11, 10],
  BIGINT: ["bigint", 20, 20],
  INT8: ["bigint", 20, 20],
};

/** Types that take no arguments and are shown as their own name. */
const PLAIN = new Set([
  "DATE",
  "TINYBLOB",
  "MEDIUMBLOB",
  "LONGBLOB",
  "GEOMETRY",
  "POINT",
  "LINESTRING",
  "POLYGON",
  "MULTIPOINT",
  "MULTILINESTRING",
  "MULTIPOLYGON",
  "GEOMETRYCOLLECTION",
  "GEOMCOLLECTION",
  "UUID",
  "INET4",
  "INET6",
]);

/** Reads a data type at the cursor (the column definition's attributes are not read). */
export function parseColumnType(cursor: TokenCursor): ParsedType {
  const mysql = cursor.context.flavor === "mysql";
  const word = cursor.name("a data type").toUpperCase();
  const integer = INTEGERS[word];
  if (integer) return integerType(cursor, integer, mysql);
  switch (word) {
    case "BOOL":
    case "BOOLEAN":
      return plain("tinyint(1)");
    case "SERIAL":
      return {
        ...plain(mysql ? "bigint unsigned" : "bigint(20) unsigned"),
        unsigned: true,
        serial: true,
      };
    case "BIT":
      return plain(`bit(${optionalArgs(cursor)?.[0] ?? 1})`);
    case "DECIMAL":
    case "DEC":
    case "NUMERIC":
    case "FIXED": {
      const [precision = "10", scale = "0"] = optionalArgs(cursor) ?? [];
      return numericTail(cursor, `decimal(${precision},${scale})`);
    }
    case "FLOAT":
      return floatType(cursor);
    case "FLOAT4":
      return numericTail(cursor, "float");
    case "FLOAT8":
      return numericTail(cursor, "double");
    case "DOUBLE":
    case "REAL": {
      if (word === "DOUBLE") cursor.acceptWord("PRECISION");
      const args = optionalArgs(cursor);
      return numericTail(cursor, args ? `double(${args.join(",")})` : "double");
    }
    case "TIME":
    case "DATETIME":
    case "TIMESTAMP": {
      const fsp = Number(optionalArgs(cursor)?.[0] ?? 0);
      return plain(fsp > 0 ? `${word.toLowerCase()}(${fsp})` : word.toLowerCase());
    }
    case "YEAR":
      optionalArgs(cursor);
      return plain(mysql ? "year" : "year(4)");
    case "JSON":
      return mysql ? plain("json") : {
        ...plain("longtext"),
        charset: "utf8mb4",
        collation: "utf8mb4_bin",
        json: true,
      };
    case "BINARY":
    case "VARBINARY":
      return byteString(cursor, word.toLowerCase());
    case "BLOB": {
      const bytes = optionalArgs(cursor)?.[0];
      return plain(bytes === undefined ? "blob" : blobTypeFor(Number(bytes)));
    }
    case "TEXT": {
      const chars = optionalArgs(cursor)?.[0];
      const type = textType(cursor, "text");
      if (chars !== undefined) type.textChars = Number(chars);
      return type;
    }
    case "TINYTEXT":
    case "MEDIUMTEXT":
    case "LONGTEXT":
      return textType(cursor, word.toLowerCase());
    case "ENUM":
    case "SET":
      return textType(cursor, `${word.toLowerCase()}(${labelList(cursor)})`);
    case "LONG":
      if (cursor.acceptWord("VARBINARY")) return plain("mediumblob");
      if (!cursor.acceptWord("VARCHAR")) cursor.acceptWord("CHAR", "VARYING");
      return textType(cursor, "mediumtext");
    case "NATIONAL":
    case "NCHAR":
    case "NVARCHAR":
    case "CHAR":
    case "CHARACTER":
    case "VARCHAR":
    case "VARCHARACTER":
      return characterType(cursor, word);
  }
  if (PLAIN.has(word)) {
    const collection = word === "GEOMCOLLECTION" || word === "GEOMETRYCOLLECTION";
    if (!collection) return plain(word.toLowerCase());
    return plain(mysql ? "geomcollection" : "geometrycollection");
  }
  if (word === "VECTOR") return plain(`vector(${optionalArgs(cursor)?.[0] ?? ""})`);
  cursor.fail(`unknown data type ${word}`);
}

/** A type holding no text. */
function plain(columnType: string): ParsedType {
  return { columnType, dataType: dataTypeOf(columnType), unsigned: false, charset: null };
}

/** `(a, b)` after a type: the numbers in it, or undefined when there is no parenthesis. */
function optionalArgs(cursor: TokenCursor): string[] | undefined {
  if (!cursor.isSymbol("(")) return undefined;
  cursor.expectSymbol("(");
  const args: string[] = [];
  do {
    const token = cursor.next();
    if (token.kind !== "number") cursor.fail("expected a number in a type's parentheses");
    args.push(String(Number(token.text)));
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")");
  return args;
}

function integerType(
  cursor: TokenCursor,
  [name, signedWidth, unsignedWidth]: readonly [string, number, number],
  mysql: boolean,
): ParsedType {
  const width = optionalArgs(cursor)?.[0];
  const { unsigned, zerofill } = signAttributes(cursor);
  const shownWidth = width ?? String(unsigned ? unsignedWidth : signedWidth);
  // MySQL 8.0.19+ keeps a display width only for ZEROFILL and for tinyint(1) (a boolean)
  const keepWidth = !mysql || zerofill || (name === "tinyint" && width === "1");
  const columnType = `${name}${keepWidth ? `(${shownWidth})` : ""}${
    unsignedSuffix(unsigned, zerofill)
  }`;
  return { ...plain(columnType), unsigned };
}

/** UNSIGNED, SIGNED and ZEROFILL in any order (ZEROFILL implies UNSIGNED). */
function signAttributes(cursor: TokenCursor): { unsigned: boolean; zerofill: boolean } {
  let unsigned = false;
  let zerofill = false;
  for (;;) {
    if (cursor.acceptWord("UNSIGNED")) unsigned = true;
    else if (cursor.acceptWord("ZEROFILL")) zerofill = unsigned = true;
    else if (!cursor.acceptWord("SIGNED")) return { unsigned, zerofill };
  }
}

function unsignedSuffix(unsigned: boolean, zerofill: boolean): string {
  return `${unsigned ? " unsigned" : ""}${zerofill ? " zerofill" : ""}`;
}

function numericTail(cursor: TokenCursor, base: string): ParsedType {
  const { unsigned, zerofill } = signAttributes(cursor);
  return { ...plain(`${base}${unsignedSuffix(unsigned, zerofill)}`), unsigned };
}

/** FLOAT, FLOAT(M,D), and FLOAT(p): single precision up to 24 bits, double above. */
function floatType(cursor: TokenCursor): ParsedType {
  const args = optionalArgs(cursor);
  if (args?.length === 2) return numericTail(cursor, `float(${args.join(",")})`);
  return numericTail(cursor, args && Number(args[0]) > 24 ? "double" : "float");
}

function byteString(cursor: TokenCursor, name: string): ParsedType {
  const length = optionalArgs(cursor)?.[0];
  if (length === undefined && name === "varbinary") cursor.fail("VARBINARY needs a length");
  return plain(`${name}(${length ?? 1})`);
}

/** CHAR, VARCHAR and their national and SQL-standard spellings. */
function characterType(cursor: TokenCursor, word: string): ParsedType {
  const national = word !== "CHAR" && word !== "CHARACTER" && word !== "VARCHAR" &&
    word !== "VARCHARACTER";
  if (word === "NATIONAL") word = cursor.name("CHAR or VARCHAR").toUpperCase();
  if (word === "NCHAR") word = cursor.acceptWord("VARCHAR") ? "VARCHAR" : "CHAR";
  if (word === "NVARCHAR") word = "VARCHAR";
  const varying = word === "VARCHAR" || word === "VARCHARACTER" || cursor.acceptWord("VARYING");
  if (!varying && word !== "CHAR" && word !== "CHARACTER") cursor.fail(`unknown type ${word}`);
  const length = optionalArgs(cursor)?.[0];
  if (length === undefined && varying) cursor.fail("VARCHAR needs a length");
  return textType(cursor, `${varying ? "varchar" : "char"}(${length ?? 1})`, national);
}

/**
 * A text type and its attributes right after it: BINARY, ASCII, UNICODE, BYTE. NATIONAL types
 * are utf8mb3.
 */
function textType(cursor: TokenCursor, columnType: string, national = false): ParsedType {
  const type: ParsedType = { columnType, dataType: dataTypeOf(columnType), unsigned: false };
  if (national) type.charset = "utf8mb3";
  for (;;) {
    if (cursor.acceptWord("BINARY")) type.binaryCollation = true;
    else if (cursor.acceptWord("ASCII")) type.charset = "latin1";
    else if (cursor.acceptWord("UNICODE")) type.charset = "ucs2";
    else if (cursor.acceptWord("BYTE")) type.charset = "binary";
    else return type;
  }
}

/** ENUM/SET labels as COLUMN_TYPE shows them: single quotes, `'` and `\` doubled. */
function labelList(cursor: TokenCursor): string {
  cursor.expectSymbol("(");
  const labels: string[] = [];
  do {
    const token = cursor.next();
    if (token.kind !== "string") cursor.fail("expected a quoted ENUM/SET label");
    // the server drops trailing spaces of labels
    const label = token.text.replace(/ +$/, "");
    labels.push(`'${label.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`);
  } while (cursor.acceptSymbol(","));
  cursor.expectSymbol(")");
  return labels.join(",");
}
