/** diffTables: the plain changes between two definitions of a table. */
import fc from "fast-check";
import { assert, assertEquals } from "../support/assert.ts";
import { type ComparedDefinition, diffTables, type TableChange } from "../../src/schema/diff.ts";
import type { SourceTable } from "../../src/schema/table.ts";

/** A definition from `name type` column texts (a `?` after the type: nullable). */
function table(columns: string[], primaryKey: string[] = ["id"]): ComparedDefinition {
  return {
    columns: columns.map((text) => {
      const [name, type] = text.split(" ");
      return type.endsWith("?")
        ? { name, columnType: type.slice(0, -1), nullable: true }
        : { name, columnType: type, nullable: false };
    }),
    primaryKey,
  };
}

Deno.test("identical definitions have no changes", () => {
  const t = table(["id int", "v varchar(5)?"]);
  assertEquals(diffTables(t, t), []);
  const catalog: SourceTable = { schema: "s", table: "t", primaryKey: [], columns: [] };
  assertEquals(diffTables(catalog, catalog), []);
  assertEquals(diffTables(t, table(["ID int", "V varchar(5)?"], ["Id"])), []);
});

Deno.test("added and dropped columns carry their index; a rename is a drop and an add", () => {
  assertEquals(diffTables(table(["id int", "a int"]), table(["id int", "b text?", "a int"])), [
    { kind: "column-added", column: "b", index: 1, columnType: "text" },
  ]);
  assertEquals(diffTables(table(["id int", "a int", "b int"]), table(["id int", "b int"])), [
    { kind: "column-dropped", column: "a", index: 1 },
  ]);
  assertEquals(diffTables(table(["id int", "a int"]), table(["id int", "z int"])), [
    { kind: "column-dropped", column: "a", index: 1 },
    { kind: "column-added", column: "z", index: 1, columnType: "int" },
  ]);
});

Deno.test("a column moved with AFTER or FIRST is the only one reported moved", () => {
  const before = table(["id int", "a int", "b int", "c int"]);
  assertEquals(diffTables(before, table(["id int", "c int", "a int", "b int"])), [
    { kind: "column-moved", column: "c", from: 3, to: 1 },
  ]);
  assertEquals(diffTables(before, table(["c int", "id int", "a int", "b int"])), [
    { kind: "column-moved", column: "c", from: 3, to: 0 },
  ]);
  assertEquals(diffTables(before, table(["id int", "b int", "c int", "a int"])), [
    { kind: "column-moved", column: "a", from: 1, to: 3 },
  ]);
  // Positions shifted by a drop or an add are not moves.
  assertEquals(diffTables(before, table(["x int", "id int", "b int", "c int"])), [
    { kind: "column-dropped", column: "a", index: 1 },
    { kind: "column-added", column: "x", index: 0, columnType: "int" },
  ]);
});

Deno.test("type and nullability changes; nullability only when both sides know it", () => {
  assertEquals(diffTables(table(["id int", "a int?"]), table(["id bigint", "a int"])), [
    { kind: "column-type-changed", column: "id", from: "int", to: "bigint" },
    { kind: "column-nullability-changed", column: "a", nullable: false },
  ]);
  const unknown: ComparedDefinition = {
    columns: [{ name: "id", columnType: "int" }, { name: "a", columnType: "int" }],
    primaryKey: ["id"],
  };
  assertEquals(diffTables(table(["id int", "a int?"]), unknown), []);
});

Deno.test("primary key and unique key changes", () => {
  assertEquals(diffTables(table(["id int", "a int"]), table(["id int", "a int"], ["id", "a"])), [
    { kind: "primary-key-changed", from: ["id"], to: ["id", "a"] },
  ]);
  assertEquals(diffTables(table(["id int"]), table(["id int"], [])), [
    { kind: "primary-key-changed", from: ["id"], to: [] },
  ]);
  const keyed = (uniqueKeys: string[][]) => ({
    ...table(["id int", "a int", "b int"]),
    uniqueKeys,
  });
  assertEquals(diffTables(keyed([["a"], ["a", "b"]]), keyed([["A", "B"], ["b", "a"]])), [
    { kind: "unique-key-dropped", columns: ["a"] },
    { kind: "unique-key-added", columns: ["b", "a"] },
  ]);
  // Unknown on one side: not compared.
  assertEquals(diffTables(keyed([["a"]]), table(["id int", "a int", "b int"])), []);
});

/** Length of a longest increasing subsequence, the slow obvious way. */
function longestIncreasing(values: number[]): number {
  const best = values.map(() => 1);
  for (let i = 0; i < values.length; i++) {
    for (let j = 0; j < i; j++) {
      if (values[j] < values[i]) best[i] = Math.max(best[i], best[j] + 1);
    }
  }
  return Math.max(0, ...best);
}

Deno.test("property: drops, adds and the fewest moves explain any new column order", () => {
  const names = fc.uniqueArray(fc.constantFrom(..."abcdefghijkl"), { maxLength: 12 });
  fc.assert(
    fc.property(names, names, fc.func(fc.integer()), (oldNames, pool, rank) => {
      const before = table(oldNames.map((name) => `${name} int`), []);
      const newNames = [...new Set([...oldNames.filter((_, i) => rank(i) % 3 !== 0), ...pool])]
        .sort((x, y) => rank(x.charCodeAt(0)) - rank(y.charCodeAt(0)));
      const after = table(newNames.map((name) => `${name} int`), []);
      const changes = diffTables(before, after);
      const of = <K extends TableChange["kind"]>(kind: K) =>
        changes.filter((c): c is Extract<TableChange, { kind: K }> => c.kind === kind);

      assertEquals(
        of("column-dropped").map((c) => c.column),
        oldNames.filter((name) => !newNames.includes(name)),
      );
      assertEquals(
        of("column-added").map((c) => [c.column, c.index]),
        newNames.flatMap((name, i) => oldNames.includes(name) ? [] : [[name, i]]),
      );
      const moved = new Set(of("column-moved").map((c) => c.column));
      const kept = newNames.filter((name) => oldNames.includes(name));
      const stayed = kept.filter((name) => !moved.has(name));
      assertEquals(stayed, oldNames.filter((name) => stayed.includes(name)));
      assertEquals(
        moved.size,
        kept.length - longestIncreasing(kept.map((name) => oldNames.indexOf(name))),
      );
      for (const move of of("column-moved")) {
        assert(oldNames[move.from] === move.column && newNames[move.to] === move.column);
      }
    }),
  );
});
