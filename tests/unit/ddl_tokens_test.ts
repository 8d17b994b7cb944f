/** tokenize: statements split as the server reads them (comments, version comments, quoting). */
import { assertEquals, assertThrows } from "../support/assert.ts";
import { DdlNotUnderstood } from "../../src/schema/ddl/changes.ts";
import { type Token, tokenize } from "../../src/schema/ddl/tokens.ts";

const MARIADB = { flavor: "mariadb" } as const;

/** `kind:text` of each token, for short expectations. */
function tokens(sql: string, options: Parameters<typeof tokenize>[1] = MARIADB): string[] {
  return tokenize(sql, options).map((t: Token) => `${t.kind}:${t.text}`);
}

Deno.test("words, names, symbols and offsets", () => {
  assertEquals(tokens("ALTER TABLE `db`.t1 ADD x int;"), [
    "word:ALTER",
    "word:TABLE",
    "name:db",
    "symbol:.",
    "word:t1",
    "word:ADD",
    "word:x",
    "word:int",
    "symbol:;",
  ]);
  const [first, second] = tokenize("  ab `c`", MARIADB);
  assertEquals([first.start, first.end, second.start, second.end], [2, 4, 5, 8]);
});

Deno.test("back-quoted names undo doubled back quotes and keep everything else", () => {
  assertEquals(tokens("`we``ird`, `My DB`, `a'b\\n`"), [
    "name:we`ird",
    "symbol:,",
    "name:My DB",
    "symbol:,",
    "name:a'b\\n",
  ]);
});

Deno.test("strings: doubled quotes, backslash escapes (\\% and \\_ keep theirs), both quotes", () => {
  assertEquals(tokens(`'it''s' "say ""hi""" 'a\\'b\\\\c\\nd\\%\\_\\q'`), [
    "string:it's",
    'string:say "hi"',
    "string:a'b\\c\nd\\%\\_q",
  ]);
  assertEquals(tokens(`'a\\nb'`, { ...MARIADB, noBackslashEscapes: true }), ["string:a\\nb"]);
});

Deno.test("numbers, names starting with digits, hex and bit literals", () => {
  assertEquals(tokens("5 -1.50 .5 1e3 1.5E-3 1col 0x41 X'4a' x'' 0b101 B'01' 12.t"), [
    "number:5",
    "symbol:-",
    "number:1.50",
    "number:.5",
    "number:1e3",
    "number:1.5E-3",
    "word:1col",
    "hex:41",
    "hex:4a",
    "hex:",
    "bits:101",
    "bits:01",
    // digits glued to a name are a name: `12.t` is table t of schema 12
    "word:12",
    "symbol:.",
    "word:t",
  ]);
  // a dot right after a name qualifies it
  assertEquals(tokens("db.5t"), ["word:db", "symbol:.", "word:5t"]);
});

Deno.test("comments are dropped: #, -- (with a space), /* */, optimizer hints", () => {
  assertEquals(tokens("a # x\nb -- y\nc /* z */ d /*+ hint */ e --f"), [
    "word:a",
    "word:b",
    "word:c",
    "word:d",
    "word:e",
    "symbol:-",
    "symbol:-",
    "word:f",
  ]);
});

Deno.test("version comments are read as statement text, whatever their number", () => {
  assertEquals(tokens("/*!40000 ALTER TABLE t DISABLE KEYS */"), [
    "word:ALTER",
    "word:TABLE",
    "word:t",
    "word:DISABLE",
    "word:KEYS",
  ]);
  assertEquals(tokens("a /*!50100 b */ c /*!99999 d*/ /*!e */ /*!100101 f */"), [
    "word:a",
    "word:b",
    "word:c",
    "word:d",
    "word:e",
    "word:f",
  ]);
  // a plain comment inside a version comment ends at its own */
  assertEquals(tokens("/*!50100 a /* x */ b */ c"), ["word:a", "word:b", "word:c"]);
});

Deno.test("MariaDB's /*M! comments run on MariaDB only", () => {
  assertEquals(tokens("a /*M!100301 b */ c"), ["word:a", "word:b", "word:c"]);
  assertEquals(tokens("a /*M!100301 b */ c", { flavor: "mysql" }), ["word:a", "word:c"]);
});

Deno.test("unterminated strings, names and comments are not understood", () => {
  for (const sql of ["'abc", "`abc", "/* abc", "/*!50100 abc", "x'41"]) {
    assertThrows(() => tokenize(sql, MARIADB), DdlNotUnderstood);
  }
});
