/**
 * Reads a column definition (`name type [NOT NULL] [DEFAULT ...] [AS (...) STORED] ...`) into a
 * {@link ColumnSpec}, and a DEFAULT value into a {@link ColumnDefault}. Attributes that change no
 * layout (COMMENT, AUTO_INCREMENT, ON UPDATE, INVISIBLE, REFERENCES...) are read and dropped.
 *
 * @module
 */
import type { ColumnDefault } from "../table.ts";
import type { ColumnSpec } from "./changes.ts";
import type { TokenCursor } from "./cursor.ts";
import { parseColumnType } from "./column_type.ts";
import { settleColumnSpec } from "./resolve_column.ts";

/** Reads `name type attributes...` up to a `,`, `)`, FIRST/AFTER or the end. */
export function parseColumnDefinition(cursor: TokenCursor): ColumnSpec {
  const name = cursor.name("a column name");
  const { serial, ...type } = parseColumnType(cursor);
  const spec: ColumnSpec = { name, ...type, nullable: true, default: { kind: "none" } };
  let nullability: boolean | undefined;
  if (serial) {
    nullability = false;
    spec.inlineKey = "unique";
  }
  for (;;) {
    if (cursor.acceptWord("NOT", "NULL")) nullability = false;
    else if (cursor.acceptWord("NULL")) nullability = true;
    else if (cursor.acceptWord("DEFAULT")) spec.default = parseDefault(cursor);
    else if (cursor.acceptWord("ON", "UPDATE")) parseDefault(cursor);
    else if (cursor.acceptWord("UNIQUE")) {
      cursor.acceptWord("KEY");
      spec.inlineKey ??= "unique";
    } else if (cursor.acceptWord("PRIMARY") || cursor.isWord("KEY")) {
      cursor.expectWord("KEY");
      spec.inlineKey = "primary";
    } else if (cursor.acceptWord("CHARACTER", "SET") || cursor.acceptWord("CHARSET")) {
      spec.charset = cursor.name("a character set").toLowerCase();
    } else if (cursor.acceptWord("COLLATE")) {
      cursor.acceptSymbol("=");
      spec.collation = cursor.name("a collation").toLowerCase();
    } else if (cursor.acceptWord("GENERATED", "ALWAYS", "AS") || cursor.acceptWord("AS")) {
      spec.generation = { expression: cursor.group(), stored: false };
      spec.generated = true;
    } else if (cursor.acceptWord("STORED") || cursor.acceptWord("PERSISTENT")) {
      if (spec.generation) spec.generation.stored = true;
    } else if (cursor.acceptWord("CONSTRAINT") || cursor.isWord("CHECK")) {
      if (!cursor.isWord("CHECK")) cursor.name("a constraint name");
      cursor.expectWord("CHECK");
      if (isJsonValidCheck(cursor.group(), name)) spec.json = true;
      if (!cursor.acceptWord("NOT", "ENFORCED")) cursor.acceptWord("ENFORCED");
    } else if (cursor.acceptWord("REFERENCES")) skipReference(cursor);
    else if (cursor.acceptWord("WITH", "SYSTEM", "VERSIONING")) {
      cursor.fail("system-versioned columns are not followed");
    } else if (cursor.acceptWord("SERIAL", "DEFAULT", "VALUE")) {
      nullability = false;
      spec.inlineKey ??= "unique";
    } else if (!skipNeutralAttribute(cursor)) break;
  }
  if (spec.dataType === "timestamp" && cursor.context.explicitDefaultsForTimestamp === false) {
    // the old rules: NOT NULL unless said otherwise, and a default that depends on the table
    nullability ??= false;
    if (!nullability && spec.default.kind === "none" && !spec.generated) {
      cursor.fail(
        `TIMESTAMP column ${name} gets a server-chosen default when ` +
          "explicit_defaults_for_timestamp is off",
      );
    }
  }
  if (nullability !== undefined) spec.nullable = nullability;
  if (spec.inlineKey === "primary") spec.nullable = false;
  return settleColumnSpec(spec);
}

/** Attributes that change no layout, with their values; false when none comes next. */
function skipNeutralAttribute(cursor: TokenCursor): boolean {
  if (cursor.acceptWord("COMMENT")) cursor.next();
  else if (cursor.acceptWord("COLUMN_FORMAT") || cursor.acceptWord("STORAGE")) cursor.next();
  else if (cursor.acceptWord("SRID")) cursor.next();
  else if (cursor.acceptWord("COMPRESSED")) {
    if (cursor.acceptSymbol("=")) cursor.next();
  } else if (
    cursor.acceptWord("ENGINE_ATTRIBUTE") || cursor.acceptWord("SECONDARY_ENGINE_ATTRIBUTE")
  ) {
    cursor.acceptSymbol("=");
    cursor.next();
  } else {
    return cursor.acceptWord("AUTO_INCREMENT") || cursor.acceptWord("VIRTUAL") ||
      cursor.acceptWord("INVISIBLE") || cursor.acceptWord("VISIBLE") ||
      cursor.acceptWord("WITHOUT", "SYSTEM", "VERSIONING");
  }
  return true;
}

/** `REFERENCES t (a) [MATCH x] [ON DELETE|UPDATE action]...`, after REFERENCES. */
export function skipReference(cursor: TokenCursor): void {
  cursor.tableName();
  if (cursor.isSymbol("(")) cursor.group();
  for (;;) {
    if (cursor.acceptWord("MATCH")) cursor.next();
    else if (cursor.acceptWord("ON")) {
      cursor.next();
      if (!cursor.acceptWord("SET") && !cursor.acceptWord("NO")) {
        cursor.next();
        continue;
      }
      cursor.next();
    } else return;
  }
}

/** MariaDB's JSON alias: a longtext with `CHECK (json_valid(col))`. */
function isJsonValidCheck(expression: string, column: string): boolean {
  const match = /^json_valid\s*\(\s*(`(?:[^`]|``)+`|[\w$]+)\s*\)$/i.exec(expression);
  if (!match) return false;
  const name = match[1].startsWith("`") ? match[1].slice(1, -1).replaceAll("``", "`") : match[1];
  return name.toLowerCase() === column.toLowerCase();
}

const NOW_WORDS = new Set(["CURRENT_TIMESTAMP", "NOW", "LOCALTIME", "LOCALTIMESTAMP"]);

/** A DEFAULT value (after DEFAULT), or the ON UPDATE one. */
export function parseDefault(cursor: TokenCursor): ColumnDefault {
  const start = cursor.position;
  if (cursor.isSymbol("(")) {
    const text = cursor.group();
    const inner = cursor.position - start - 2;
    if (inner === 1) {
      const token = cursor.tokens[start + 1];
      if (token.kind === "number" || token.kind === "string") {
        return { kind: "literal", value: token.text, quoted: token.kind === "string" };
      }
    }
    return { kind: "expression", text };
  }
  if (cursor.acceptWord("NULL")) return { kind: "null" };
  if (cursor.acceptWord("TRUE")) return { kind: "literal", value: "1", quoted: false };
  if (cursor.acceptWord("FALSE")) return { kind: "literal", value: "0", quoted: false };
  const now = cursor.acceptOneOf(NOW_WORDS);
  if (now !== undefined) {
    let fsp = 0;
    if (cursor.acceptSymbol("(")) {
      if (!cursor.isSymbol(")")) fsp = Number(cursor.next().text);
      cursor.expectSymbol(")");
    } else if (now === "NOW") cursor.fail("expected ( after NOW");
    return { kind: "current-timestamp", fsp };
  }
  const sign = cursor.isSymbol("-") || cursor.isSymbol("+") ? cursor.next().text : "";
  const token = cursor.peek();
  if (token?.kind === "number") {
    cursor.next();
    return { kind: "literal", value: `${sign === "-" ? "-" : ""}${token.text}`, quoted: false };
  }
  if (sign !== "") cursor.fail("expected a number after the sign");
  const string = stringLiteral(cursor);
  if (string !== undefined) return { kind: "literal", value: string, quoted: true };
  if (token?.kind === "hex" || token?.kind === "bits") {
    cursor.next();
    return { kind: "bytes", hex: literalHex(token.kind, token.text) };
  }
  if (token?.kind === "word" && cursor.isSymbol("(", 1)) {
    cursor.next();
    cursor.group();
    return { kind: "expression", text: cursor.slice(start) };
  }
  cursor.fail("expected a DEFAULT value");
}

/**
 * A string literal: an optional introducer (`_utf8mb4`, `N`) and one or more adjacent strings,
 * which MySQL concatenates. Undefined when no string comes next.
 */
function stringLiteral(cursor: TokenCursor): string | undefined {
  const first = cursor.peek();
  const introduced = first?.kind === "word" && /^(_\w+|n)$/i.test(first.text) &&
    cursor.peek(1)?.kind === "string";
  if (introduced) cursor.next();
  if (cursor.peek()?.kind !== "string") return undefined;
  let value = "";
  while (cursor.peek()?.kind === "string") value += cursor.next().text;
  return value;
}

/** The bytes of X'..', 0x.., B'..' or 0b.. as even hex digits (MySQL pads on the left). */
export function literalHex(kind: "hex" | "bits", digits: string): string {
  if (kind === "hex") return (digits.length % 2 === 1 ? `0${digits}` : digits).toLowerCase();
  if (digits === "") return "";
  const bytes = Math.ceil(digits.length / 8);
  return BigInt(`0b${digits}`).toString(16).padStart(bytes * 2, "0");
}
