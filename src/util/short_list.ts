/**
 * Long lists of names on one line: `check`, `init` and `status` name the tables a pattern covers,
 * which may be hundreds.
 *
 * @module
 */

/**
 * "3 tables: a, b, c", or past `room` names only the first and last: "16 tables: order_00 ...
 * order_15" (names in the order given).
 */
export function countedList(names: readonly string[], noun = "table", room = 4): string {
  const count = `${names.length} ${noun}${names.length === 1 ? "" : "s"}`;
  if (names.length === 0) return count;
  const shown = names.length <= room
    ? names.join(", ")
    : `${names[0]} ... ${names[names.length - 1]}`;
  return `${count}: ${shown}`;
}
