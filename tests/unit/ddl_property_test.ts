/**
 * Properties of the DDL reader with diffTables: a column definition reads the same whatever its
 * spelling (case, quoting, comments, version comments, attribute order), and an ALTER TABLE
 * written from `diffTables(a, b)` turns `a` into `b` when read and applied.
 */
import fc from "fast-check";
import { assertEquals } from "../support/assert.ts";
import type { AlterOperation } from "../../src/schema/ddl/changes.ts";
import { applyAlterTable } from "../../src/schema/ddl/apply_table.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { diffTables } from "../../src/schema/diff.ts";
import type { SourceTable, TableColumn } from "../../src/schema/table.ts";

const context = { defaultSchema: "app", flavor: "mariadb" } as const;

/** A type as written, what MariaDB shows for it, and whether it holds text. */
const TYPES: readonly [string, string, boolean][] = [
  ["int", "int(11)", false],
  ["int unsigned", "int(10) unsigned", false],
  ["bigint(20) unsigned", "bigint(20) unsigned", false],
  ["tinyint(1)", "tinyint(1)", false],
  ["decimal(12,2)", "decimal(12,2)", false],
  ["double", "double", false],
  ["datetime(3)", "datetime(3)", false],
  ["date", "date", false],
  ["varchar(20)", "varchar(20)", true],
  ["char(3)", "char(3)", true],
  ["text", "text", true],
  ["enum('a','B c')", "enum('a','B c')", true],
  ["varbinary(8)", "varbinary(8)", false],
];

const NAMES = ["a", "Col_1", "ünï", "select", "we`ird", "with space", "1col"];
const SEPARATORS = [" ", "  ", "\n", "\t", " /* note, (x) */ ", " -- c\n", " # c\n"];

function quoted(name: string): string {
  return `\`${name.replaceAll("`", "``")}\``;
}

/** `text` in a random mix of cases, but for quoted labels. */
function cased(text: string, upper: (i: number) => boolean): string {
  return text.split(/('[^']*')/).map((part) =>
    part.startsWith("'")
      ? part
      : [...part].map((c, i) => upper(i) ? c.toUpperCase() : c.toLowerCase()).join("")
  ).join("");
}

Deno.test("property: a column definition reads the same however it is spelled", () => {
  const column = fc.record({
    name: fc.constantFrom(...NAMES),
    quote: fc.boolean(),
    type: fc.constantFrom(...TYPES),
    nullability: fc.constantFrom("", "NULL", "NOT NULL"),
    defaultValue: fc.option(fc.stringMatching(/^[a-z0-9' \\]{0,6}$/), { nil: undefined }),
    doubleQuotes: fc.boolean(),
    charset: fc.constantFrom(undefined, "latin1", "utf8mb4"),
    comment: fc.boolean(),
    position: fc.constantFrom(undefined, "FIRST", "AFTER"),
    versionComment: fc.boolean(),
    separator: fc.func(fc.constantFrom(...SEPARATORS)),
    upper: fc.func(fc.boolean()),
  });
  fc.assert(fc.property(column, (c) => {
    const [typeText, columnType, textual] = c.type;
    const safeName = /^[a-z_][a-z0-9_]*$/i.test(c.name) && c.name !== "select";
    const clauses = [
      c.quote || !safeName ? quoted(c.name) : c.name,
      cased(typeText, c.upper),
      ...(textual && c.charset ? [cased("CHARACTER SET", c.upper), c.charset] : []),
      ...(c.nullability ? [cased(c.nullability, c.upper)] : []),
      ...(c.defaultValue === undefined
        ? []
        : [cased("DEFAULT", c.upper), literal(c.defaultValue, c.doubleQuotes)]),
      ...(c.comment ? ["COMMENT", "'a, b) c'"] : []),
      ...(c.position === "FIRST" ? ["FIRST"] : c.position === "AFTER" ? ["AFTER", "`x`"] : []),
    ];
    const body = ["ADD", "COLUMN", ...clauses].map((part, i) => `${part}${c.separator(i)}`).join(
      "",
    );
    const sql = `ALTER TABLE t ${c.versionComment ? `/*!50100 ${body}*/` : body}`;
    const outcome = parseDdl(sql, context);
    if (!outcome.understood) throw new Error(`${sql}: ${outcome.reason}`);
    const change = outcome.changes[0];
    const operation = change.kind === "alter-table" ? change.operations[0] : undefined;
    if (operation?.kind !== "add-column") throw new Error(sql);
    const spec = operation.column;
    assertEquals(
      [spec.name, spec.columnType, spec.nullable, spec.charset, spec.default, operation.position],
      [
        c.name,
        columnType,
        c.nullability !== "NOT NULL",
        textual ? c.charset : null,
        c.defaultValue === undefined
          ? { kind: "none" }
          : { kind: "literal", value: c.defaultValue, quoted: true },
        c.position === "FIRST"
          ? { first: true }
          : c.position === "AFTER"
          ? { after: "x" }
          : undefined,
      ],
      sql,
    );
  }));
});

/** `value` as a MySQL string literal, quotes and backslashes escaped both ways. */
function literal(value: string, doubleQuotes: boolean): string {
  const quote = doubleQuotes ? '"' : "'";
  return `${quote}${value.replaceAll("\\", "\\\\").replaceAll(quote, quote + quote)}${quote}`;
}

/** A column of a generated definition. */
function tableColumn(
  name: string,
  type: readonly [string, string, boolean],
  nullable: boolean,
  latin1: boolean,
): TableColumn {
  const [, columnType, textual] = type;
  return {
    name,
    columnType,
    dataType: columnType.replace(/[( ].*$/, ""),
    unsigned: columnType.includes("unsigned"),
    charset: textual ? (latin1 ? "latin1" : "utf8mb4") : null,
    nullable,
  };
}

/** Definitions over columns a..f with random types, order, keys. */
const definition: fc.Arbitrary<SourceTable> = fc.record({
  names: fc.shuffledSubarray([..."abcdef"], { minLength: 1 }),
  types: fc.array(fc.constantFrom(...TYPES), { minLength: 6, maxLength: 6 }),
  nullable: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  latin1: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  primaryKey: fc.nat(3),
  uniques: fc.array(fc.shuffledSubarray([..."abcdef"], { minLength: 1, maxLength: 2 }), {
    maxLength: 2,
  }),
}).map(({ names, types, nullable, latin1, primaryKey, uniques }) => {
  const primary = names.slice(0, primaryKey);
  const columns = names.map((name, i) =>
    tableColumn(name, types[i], nullable[i] && !primary.includes(name), latin1[i])
  );
  const indexes = uniques.map((columns) => columns.filter((c) => names.includes(c)))
    .filter((columns) => columns.length > 0)
    .map((columns, i) => ({ name: `u${i}`, columns, unique: true }));
  return {
    schema: "app",
    table: "t",
    primaryKey: primary,
    columns,
    indexes,
    defaultCharset: "utf8mb4",
  };
});

/** An ALTER TABLE that makes `b` of `a`, written from their diff. */
function alterFromDiff(a: SourceTable, b: SourceTable): string {
  const changes = diffTables(a, b);
  const parts: string[] = [];
  const definitionOf = (column: TableColumn) => {
    const type = TYPES.find(([, shown]) => shown === column.columnType)![0];
    const charset = column.charset === null ? "" : ` CHARACTER SET ${column.charset}`;
    return `\`${column.name}\` ${type}${charset} ${column.nullable ? "NULL" : "NOT NULL"}`;
  };
  for (const change of changes) {
    if (change.kind === "column-dropped") parts.push(`DROP COLUMN \`${change.column}\``);
  }
  b.columns.forEach((column, i) => {
    const mine = changes.filter((c) => "column" in c && c.column === column.name);
    const position = i === 0 ? " FIRST" : ` AFTER \`${b.columns[i - 1].name}\``;
    if (mine.some((c) => c.kind === "column-added")) {
      parts.push(`ADD COLUMN ${definitionOf(column)}${position}`);
    } else if (mine.some((c) => c.kind === "column-moved")) {
      parts.push(`MODIFY COLUMN ${definitionOf(column)}${position}`);
    } else if (mine.length > 0) parts.push(`MODIFY ${definitionOf(column)}`);
  });
  for (const change of changes) {
    if (change.kind === "primary-key-changed") {
      if (change.from.length > 0) parts.push("DROP PRIMARY KEY");
      if (change.to.length > 0) parts.push(`ADD PRIMARY KEY (${change.to.join(", ")})`);
    } else if (change.kind === "unique-key-dropped") {
      const index = a.indexes!.find((i) =>
        i.columns.join() === change.columns.join() && !parts.includes(`DROP INDEX ${i.name}`)
      )!;
      parts.push(`DROP INDEX ${index.name}`);
    } else if (change.kind === "unique-key-added") {
      parts.push(`ADD UNIQUE (${change.columns.join(", ")})`);
    }
  }
  return `ALTER TABLE t ${parts.join(", ")}`;
}

Deno.test("property: the ALTER TABLE written from diff(a, b), read and applied to a, gives b", () => {
  fc.assert(fc.property(definition, definition, (a, b) => {
    const sql = alterFromDiff(a, b);
    if (sql.endsWith("t ")) return; // no change to write
    const outcome = parseDdl(sql, context);
    if (!outcome.understood) throw new Error(`${sql}: ${outcome.reason}`);
    const change = outcome.changes[0];
    const operations: AlterOperation[] = change.kind === "alter-table" ? change.operations : [];
    const result = applyAlterTable(a, operations);
    assertEquals(diffTables(result, b), [], sql);
    assertEquals(result.columns.map((c) => c.name), b.columns.map((c) => c.name), sql);
  }));
});
