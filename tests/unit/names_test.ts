/** Table and schema names in `[[source]]` and `[[rule]]`: exact names, "*" and anchored patterns. */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { isNamePattern, literalName, matchesName, nameMatcher } from "../../src/config/names.ts";

Deno.test("a name with a regular-expression character is a pattern; letters, _ and $ are not", () => {
  for (const name of ["t_user", "order$log", "Order2024", "ünïcode", "a-b"]) {
    assertEquals(isNamePattern(name), false, name);
  }
  for (
    const text of ["*", "order_\\d+", "order_0.", "a|b", "t[0-9]", "x{2}", "^t", "(a)", "a?", "a+"]
  ) {
    assertEquals(isNamePattern(text), true, text);
  }
});

Deno.test("a plain name matches itself only, case and all", () => {
  assertEquals(matchesName("t_user", "t_user"), true);
  assertEquals(matchesName("t_user", "T_USER"), false);
  assertEquals(matchesName("t_user", "t_user2"), false);
  // "$" is a MySQL identifier character, not an end anchor, in a plain name.
  assertEquals(matchesName("order$log", "order$log"), true);
});

Deno.test('"*" matches every name', () => {
  for (const name of ["a", "order_01", "", "x.y"]) assertEquals(matchesName("*", name), true);
});

Deno.test("a pattern matches whole names only", () => {
  const orders = nameMatcher("order_\\d+");
  assertEquals(orders("order_0001"), true);
  assertEquals(orders("order_7"), true);
  assertEquals(orders("xorder_0001"), false);
  assertEquals(orders("order_0001x"), false);
  assertEquals(orders("order_"), false);
  // Alternatives are anchored as a whole, not only the first and last.
  const either = nameMatcher("a|b");
  assertEquals([either("a"), either("b"), either("ab"), either("xa"), either("bx")], [
    true,
    true,
    false,
    false,
    false,
  ]);
  // Anchors the user wrote are harmless.
  assertEquals(nameMatcher("^t_.*$")("t_x"), true);
  assertEquals(nameMatcher("shop_(eu|us)")("shop_eu"), true);
  assertEquals(nameMatcher("shop_(eu|us)")("shop_asia"), false);
});

Deno.test("a pattern that does not compile throws SyntaxError", () => {
  assertThrows(() => nameMatcher("order_(\\d+"), SyntaxError);
  assertThrows(() => nameMatcher("t[0-"), SyntaxError);
});

Deno.test("matchesName compiles each pattern once and gives the same answers", () => {
  const names = Array.from({ length: 20 }, (_, i) => `order_${String(i).padStart(2, "0")}`);
  const first = names.filter((name) => matchesName("order_0\\d", name));
  const again = names.filter((name) => matchesName("order_0\\d", name));
  assertEquals(first, again);
  assertEquals(first.length, 10);
  assert(!matchesName("order_0\\d", "order_10"));
});

Deno.test("an exact name with a pattern character is written escaped, matching that name only", () => {
  assertEquals(literalName("t_user"), "t_user");
  assertEquals(literalName("order$log"), "order$log");
  for (const name of ["a.b", 'we"ird\\', "x(1)", "*", "t$.1", "[x]{2}|^"]) {
    const written = literalName(name);
    assertEquals(matchesName(written, name), true, `${written} should match ${name}`);
    assertEquals(matchesName(written, `${name}x`), false);
  }
  assertEquals(matchesName(literalName("a.b"), "axb"), false);
});
