/**
 * A read position in a statement's tokens, with the small steps every DDL reader takes: match
 * keywords (case-insensitive), read names and schema-qualified table names, skip parenthesised
 * groups, and fail with the place where reading stopped.
 *
 * @module
 */
import { type DdlContext, DdlNotUnderstood, type TableName } from "./changes.ts";
import { type Token, tokenize } from "./tokens.ts";

/** Tokens of one statement and the reader's place in them. */
export class TokenCursor {
  readonly tokens: readonly Token[];
  #at = 0;

  constructor(readonly sql: string, readonly context: DdlContext) {
    this.tokens = tokenize(sql, context);
    // a statement may end in one `;`
    if (this.tokens.at(-1)?.text === ";" && this.tokens.at(-1)?.kind === "symbol") {
      this.tokens = this.tokens.slice(0, -1);
    }
  }

  /** The index of the next token (for {@link slice}). */
  get position(): number {
    return this.#at;
  }

  peek(ahead = 0): Token | undefined {
    return this.tokens[this.#at + ahead];
  }

  atEnd(): boolean {
    return this.#at >= this.tokens.length;
  }

  /** The next token, consumed; fails at the end. */
  next(): Token {
    const token = this.tokens[this.#at];
    if (token === undefined) this.fail("unexpected end of statement");
    this.#at++;
    return token;
  }

  /** The word `ahead` tokens on, in upper case; empty when that token is no word. */
  wordAt(ahead: number): string {
    const token = this.peek(ahead);
    return token?.kind === "word" ? token.text.toUpperCase() : "";
  }

  /** Whether the tokens ahead are the words `words` (upper case), in order. */
  isWord(...words: string[]): boolean {
    return words.every((word, i) => {
      const token = this.peek(i);
      return token?.kind === "word" && token.text.toUpperCase() === word;
    });
  }

  /** Consumes the words `words` if they come next, all of them. */
  acceptWord(...words: string[]): boolean {
    if (!this.isWord(...words)) return false;
    this.#at += words.length;
    return true;
  }

  expectWord(...words: string[]): void {
    if (!this.acceptWord(...words)) this.fail(`expected ${words.join(" ")}`);
  }

  /** Consumes and returns (upper case) the next word if it is one of `words`. */
  acceptOneOf(words: ReadonlySet<string>): string | undefined {
    const token = this.peek();
    if (token?.kind !== "word") return undefined;
    const word = token.text.toUpperCase();
    if (!words.has(word)) return undefined;
    this.#at++;
    return word;
  }

  isSymbol(symbol: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token?.kind === "symbol" && token.text === symbol;
  }

  acceptSymbol(symbol: string): boolean {
    if (!this.isSymbol(symbol)) return false;
    this.#at++;
    return true;
  }

  expectSymbol(symbol: string): void {
    if (!this.acceptSymbol(symbol)) this.fail(`expected "${symbol}"`);
  }

  /** `IF EXISTS` (or `IF NOT EXISTS` with `not`), consumed when present. */
  acceptIfExists(not = false): boolean {
    return not ? this.acceptWord("IF", "NOT", "EXISTS") : this.acceptWord("IF", "EXISTS");
  }

  /** A name: an unquoted word or a back-quoted name. */
  name(what: string): string {
    const token = this.peek();
    if (token?.kind !== "word" && token?.kind !== "name") this.fail(`expected ${what}`);
    this.#at++;
    return token.text;
  }

  /** A table name, schema-qualified or in the session's default schema. */
  tableName(): TableName {
    const first = this.name("a table name");
    if (this.acceptSymbol(".")) return { schema: first, table: this.name("a table name") };
    if (this.context.defaultSchema === "") {
      this.fail(`table ${first} is not qualified and the session has no default schema`);
    }
    return { schema: this.context.defaultSchema, table: first };
  }

  /** Names in parentheses, separated by commas: `(a, b)`. */
  nameList(what: string): string[] {
    this.expectSymbol("(");
    const names = [this.name(what)];
    while (this.acceptSymbol(",")) names.push(this.name(what));
    this.expectSymbol(")");
    return names;
  }

  /**
   * Consumes a parenthesised group (nested ones included) and returns the statement text inside
   * it, trimmed.
   */
  group(): string {
    const open = this.peek();
    this.expectSymbol("(");
    let depth = 1;
    while (depth > 0) {
      const token = this.next();
      if (token.kind !== "symbol") continue;
      if (token.text === "(") depth++;
      else if (token.text === ")") depth--;
    }
    const close = this.tokens[this.#at - 1];
    return this.sql.slice(open!.end, close.start).trim();
  }

  /** Skips the rest of the statement. */
  skipRest(): void {
    this.#at = this.tokens.length;
  }

  /** The statement text of tokens `from` (an earlier {@link position}) up to here. */
  slice(from: number): string {
    const last = this.tokens[this.#at - 1];
    if (from >= this.#at || last === undefined) return "";
    return this.sql.slice(this.tokens[from].start, last.end);
  }

  /** Fails at the next token, quoting the text from there. */
  fail(message: string): never {
    const token = this.peek();
    const where = token === undefined
      ? "at the end"
      : `at "${this.sql.slice(token.start, token.start + 40)}"`;
    throw new DdlNotUnderstood(`${message} ${where}`);
  }
}
