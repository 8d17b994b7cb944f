/**
 * Table and schema names in `[[source]]` and `[[rule]]`: an exact name, `"*"` (every table of the
 * schema) or a regular expression. As in the Go ancestor (go-mysql-elasticsearch), a name holding
 * a regular-expression character is a pattern, and a pattern matches whole names only
 * (`order_\d+` matches `order_0001`, not `xorder_0001x`).
 *
 * @module
 */

/** Characters that make a name a regular expression (`_`, `$` alone and letters do not). */
const PATTERN_CHARACTERS = /[\\.+*?()|[\]{}^]/;

/** Whether `text` is a pattern (or `"*"`) rather than one exact name. */
export function isNamePattern(text: string): boolean {
  return text === "*" || PATTERN_CHARACTERS.test(text);
}

/**
 * A test of names against `text`: equality for a plain name, any name for `"*"`, an anchored
 * regular expression otherwise. Throws SyntaxError for a pattern that does not compile.
 */
export function nameMatcher(text: string): (name: string) => boolean {
  if (text === "*") return () => true;
  if (!isNamePattern(text)) return (name) => name === text;
  const regex = new RegExp(`^(?:${text})$`, "u");
  return (name) => regex.test(name);
}

const matchers = new Map<string, (name: string) => boolean>();

/** Whether `name` matches `text` (see {@link nameMatcher}); patterns are compiled once. */
export function matchesName(text: string, name: string): boolean {
  let matcher = matchers.get(text);
  if (matcher === undefined) {
    matcher = nameMatcher(text);
    matchers.set(text, matcher);
  }
  return matcher(name);
}

/**
 * How to write the exact name `name` in `[[source]]` or `[[rule]]`: as it is, unless it holds a
 * regular-expression character (a table called `a.b` or `x(1)`), which would make it a pattern;
 * then those characters are escaped, so that the pattern matches that one name.
 */
export function literalName(name: string): string {
  return isNamePattern(name) ? name.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&") : name;
}
