/**
 * existingRowsValue: what existing rows hold in an added column (measured on MariaDB 10.11 by
 * adding each column to a one-row table and reading the row back).
 */
import { assertEquals } from "../support/assert.ts";
import type { AlterOperation } from "../../src/schema/ddl/changes.ts";
import { type ExistingRowsValue, existingRowsValue } from "../../src/schema/ddl/existing_rows.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { resolveColumn } from "../../src/schema/ddl/resolve_column.ts";
import type { TableColumn } from "../../src/schema/table.ts";

/** The column `ALTER TABLE t ADD <definition>` adds, in a utf8mb4 table. */
function added(definition: string): TableColumn {
  const outcome = parseDdl(`ALTER TABLE t ADD ${definition}`, {
    defaultSchema: "s",
    flavor: "mariadb",
  });
  if (!outcome.understood || outcome.changes[0].kind !== "alter-table") throw new Error("parse");
  const operation = outcome.changes[0].operations[0] as Extract<
    AlterOperation,
    { kind: "add-column" }
  >;
  return resolveColumn(operation.column, { charset: "utf8mb4" });
}

const value = (definition: string) => existingRowsValue(added(definition));
const literal = (text: string, quoted = true): ExistingRowsValue => ({
  kind: "literal",
  value: text,
  quoted,
});

Deno.test("the DEFAULT, whatever the nullability", () => {
  assertEquals(value("c int NOT NULL DEFAULT 5"), literal("5", false));
  assertEquals(value("c varchar(3) DEFAULT 'x'"), literal("x"));
  assertEquals(value("c int DEFAULT NULL"), { kind: "null" });
  assertEquals(value("c bit(3) NOT NULL DEFAULT b'101'"), { kind: "bytes", hex: "05" });
  assertEquals(value("c timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"), {
    kind: "current-timestamp",
    fsp: 3,
  });
});

Deno.test("no DEFAULT: NULL when nullable", () => {
  assertEquals(value("c int"), { kind: "null" });
  assertEquals(value("c date NULL"), { kind: "null" });
});

Deno.test("no DEFAULT and NOT NULL: the type's implicit value", () => {
  const cases: [string, ExistingRowsValue][] = [
    ["c int NOT NULL", literal("0", false)],
    ["c decimal(4,2) NOT NULL", literal("0", false)],
    ["c double NOT NULL", literal("0", false)],
    ["c bit(2) NOT NULL", literal("0", false)],
    ["c year NOT NULL", literal("0", false)],
    ["c varchar(3) NOT NULL", literal("")],
    ["c blob NOT NULL", literal("")],
    ["c enum('p','q') NOT NULL", literal("p")],
    ["c set('x','y') NOT NULL", literal("")],
    ["c date NOT NULL", literal("0000-00-00")],
    ["c datetime(2) NOT NULL", literal("0000-00-00 00:00:00")],
    ["c timestamp NOT NULL", literal("0000-00-00 00:00:00")],
    ["c time NOT NULL", literal("00:00:00")],
    ["c uuid NOT NULL", literal("00000000-0000-0000-0000-000000000000")],
  ];
  for (const [definition, expected] of cases) assertEquals(value(definition), expected, definition);
});

Deno.test("what cannot be told without the server is unknown, with the reason", () => {
  assertEquals(value("c json NOT NULL").kind, "unknown");
  assertEquals(value("c point NOT NULL").kind, "unknown");
  assertEquals(value("c varchar(36) DEFAULT (uuid())"), {
    kind: "unknown",
    reason: "column c defaults to an expression (uuid())",
  });
  const catalogColumn: TableColumn = {
    name: "c",
    columnType: "int(11)",
    dataType: "int",
    unsigned: false,
    charset: null,
    nullable: false,
  };
  assertEquals(existingRowsValue(catalogColumn).kind, "unknown");
});

Deno.test("a generated column is its expression", () => {
  assertEquals(value("c int AS (a + 1) STORED"), { kind: "generated", expression: "a + 1" });
});
