/**
 * Column types from DDL as INFORMATION_SCHEMA.COLUMNS shows them. The MariaDB expectations were
 * read from MariaDB 10.11 (COLUMN_TYPE, DATA_TYPE, CHARACTER_SET_NAME of the same definitions);
 * the MySQL ones follow MySQL 8.0.19+'s rules (no integer display width but for ZEROFILL and
 * tinyint(1), `year`, a real `json`).
 */
import { assertEquals } from "../support/assert.ts";
import type { AlterOperation, ColumnSpec, DdlContext } from "../../src/schema/ddl/changes.ts";
import { parseDdl } from "../../src/schema/ddl/parse.ts";
import { resolveColumn } from "../../src/schema/ddl/resolve_column.ts";

/** The column `definition` adds, resolved in a utf8mb4 table: `type [unsigned] cs=charset`. */
function typeOf(definition: string, flavor: DdlContext["flavor"] = "mariadb"): string {
  const outcome = parseDdl(`ALTER TABLE t ADD c ${definition}`, {
    defaultSchema: "s",
    flavor,
  });
  if (!outcome.understood) throw new Error(outcome.reason);
  const change = outcome.changes[0];
  if (change.kind !== "alter-table") throw new Error(change.kind);
  const add = change.operations[0] as Extract<AlterOperation, { kind: "add-column" }>;
  const column = resolveColumn(add.column, { charset: "utf8mb4" });
  return `${column.columnType} [${column.dataType}]${
    column.unsigned ? " U" : ""
  } cs=${column.charset}`;
}

Deno.test("integers: MariaDB shows default display widths, MySQL 8 none", () => {
  const cases: [string, string, string][] = [
    ["int", "int(11) [int] cs=null", "int [int] cs=null"],
    ["INT UNSIGNED", "int(10) unsigned [int] U cs=null", "int unsigned [int] U cs=null"],
    ["integer(5)", "int(5) [int] cs=null", "int [int] cs=null"],
    [
      "int zerofill",
      "int(10) unsigned zerofill [int] U cs=null",
      "int(10) unsigned zerofill [int] U cs=null",
    ],
    [
      "int(4) signed zerofill",
      "int(4) unsigned zerofill [int] U cs=null",
      "int(4) unsigned zerofill [int] U cs=null",
    ],
    ["tinyint", "tinyint(4) [tinyint] cs=null", "tinyint [tinyint] cs=null"],
    ["tinyint(1)", "tinyint(1) [tinyint] cs=null", "tinyint(1) [tinyint] cs=null"],
    [
      "tinyint unsigned",
      "tinyint(3) unsigned [tinyint] U cs=null",
      "tinyint unsigned [tinyint] U cs=null",
    ],
    ["bool", "tinyint(1) [tinyint] cs=null", "tinyint(1) [tinyint] cs=null"],
    ["BOOLEAN", "tinyint(1) [tinyint] cs=null", "tinyint(1) [tinyint] cs=null"],
    ["smallint", "smallint(6) [smallint] cs=null", "smallint [smallint] cs=null"],
    [
      "smallint unsigned",
      "smallint(5) unsigned [smallint] U cs=null",
      "smallint unsigned [smallint] U cs=null",
    ],
    ["mediumint", "mediumint(9) [mediumint] cs=null", "mediumint [mediumint] cs=null"],
    [
      "middleint unsigned",
      "mediumint(8) unsigned [mediumint] U cs=null",
      "mediumint unsigned [mediumint] U cs=null",
    ],
    ["bigint", "bigint(20) [bigint] cs=null", "bigint [bigint] cs=null"],
    [
      "bigint(20) unsigned",
      "bigint(20) unsigned [bigint] U cs=null",
      "bigint unsigned [bigint] U cs=null",
    ],
    ["int1", "tinyint(4) [tinyint] cs=null", "tinyint [tinyint] cs=null"],
    ["int8", "bigint(20) [bigint] cs=null", "bigint [bigint] cs=null"],
    ["serial", "bigint(20) unsigned [bigint] U cs=null", "bigint unsigned [bigint] U cs=null"],
  ];
  for (const [definition, mariadb, mysql] of cases) {
    assertEquals(typeOf(definition), mariadb, `MariaDB ${definition}`);
    assertEquals(typeOf(definition, "mysql"), mysql, `MySQL ${definition}`);
  }
});

Deno.test("exact and approximate numbers, bits", () => {
  const cases: [string, string][] = [
    ["decimal", "decimal(10,0) [decimal] cs=null"],
    ["decimal(5)", "decimal(5,0) [decimal] cs=null"],
    ["numeric(7,2) unsigned", "decimal(7,2) unsigned [decimal] U cs=null"],
    ["dec(4,1)", "decimal(4,1) [decimal] cs=null"],
    ["fixed(3)", "decimal(3,0) [decimal] cs=null"],
    ["decimal(65,30) zerofill", "decimal(65,30) unsigned zerofill [decimal] U cs=null"],
    ["float", "float [float] cs=null"],
    ["float(10,2)", "float(10,2) [float] cs=null"],
    ["float(24)", "float [float] cs=null"],
    ["float(30)", "double [double] cs=null"],
    ["float(7,3) unsigned", "float(7,3) unsigned [float] U cs=null"],
    ["float4", "float [float] cs=null"],
    ["float8", "double [double] cs=null"],
    ["double", "double [double] cs=null"],
    ["real", "double [double] cs=null"],
    ["double precision", "double [double] cs=null"],
    ["double(8,3) unsigned zerofill", "double(8,3) unsigned zerofill [double] U cs=null"],
    ["bit", "bit(1) [bit] cs=null"],
    ["bit(12)", "bit(12) [bit] cs=null"],
  ];
  for (const [definition, expected] of cases) {
    assertEquals(typeOf(definition), expected, definition);
  }
});

Deno.test("dates and times: a zero fractional precision is not shown; YEAR per flavour", () => {
  const cases: [string, string][] = [
    ["date", "date [date] cs=null"],
    ["datetime", "datetime [datetime] cs=null"],
    ["datetime(0)", "datetime [datetime] cs=null"],
    ["datetime(6)", "datetime(6) [datetime] cs=null"],
    ["timestamp(3)", "timestamp(3) [timestamp] cs=null"],
    ["time(2)", "time(2) [time] cs=null"],
    ["year", "year(4) [year] cs=null"],
    ["year(4)", "year(4) [year] cs=null"],
  ];
  for (const [definition, expected] of cases) {
    assertEquals(typeOf(definition), expected, definition);
  }
  assertEquals(typeOf("year(4)", "mysql"), "year [year] cs=null");
});

Deno.test("text types: lengths, national and SQL-standard spellings, charset attributes", () => {
  const cases: [string, string][] = [
    ["char", "char(1) [char] cs=utf8mb4"],
    ["character(3)", "char(3) [char] cs=utf8mb4"],
    ["varchar(20)", "varchar(20) [varchar] cs=utf8mb4"],
    ["character varying(3)", "varchar(3) [varchar] cs=utf8mb4"],
    ["char varying(3)", "varchar(3) [varchar] cs=utf8mb4"],
    ["national varchar(4)", "varchar(4) [varchar] cs=utf8mb3"],
    ["national char varying(4)", "varchar(4) [varchar] cs=utf8mb3"],
    ["nvarchar(3)", "varchar(3) [varchar] cs=utf8mb3"],
    ["nchar(2)", "char(2) [char] cs=utf8mb3"],
    ["nchar varchar(3)", "varchar(3) [varchar] cs=utf8mb3"],
    ["char(2) ascii", "char(2) [char] cs=latin1"],
    ["char(2) unicode", "char(2) [char] cs=ucs2"],
    ["varchar(5) character set latin1", "varchar(5) [varchar] cs=latin1"],
    ["varchar(5) charset utf8", "varchar(5) [varchar] cs=utf8mb3"],
    ["varchar(5) collate latin2_bin", "varchar(5) [varchar] cs=latin2"],
    ["text", "text [text] cs=utf8mb4"],
    ["tinytext", "tinytext [tinytext] cs=utf8mb4"],
    ["long", "mediumtext [mediumtext] cs=utf8mb4"],
    ["long varchar", "mediumtext [mediumtext] cs=utf8mb4"],
    ["longtext", "longtext [longtext] cs=utf8mb4"],
  ];
  for (const [definition, expected] of cases) {
    assertEquals(typeOf(definition), expected, definition);
  }
});

Deno.test("TEXT(n) picks the smallest type for n characters of the column's charset", () => {
  assertEquals(typeOf("text(60)"), "tinytext [tinytext] cs=utf8mb4"); // 240 bytes
  assertEquals(typeOf("text(70)"), "text [text] cs=utf8mb4"); // 280 bytes
  assertEquals(typeOf("text(100) character set latin1"), "tinytext [tinytext] cs=latin1");
  assertEquals(typeOf("text(1000) character set latin1"), "text [text] cs=latin1");
  assertEquals(typeOf("text(20000)"), "mediumtext [mediumtext] cs=utf8mb4");
});

Deno.test("the binary charset makes text types binary; byte types and BLOB(n)", () => {
  const cases: [string, string][] = [
    ["varchar(5) character set binary", "varbinary(5) [varbinary] cs=null"],
    ["char(2) byte", "binary(2) [binary] cs=null"],
    ["text character set binary", "blob [blob] cs=null"],
    ["mediumtext charset binary", "mediumblob [mediumblob] cs=null"],
    ["binary", "binary(1) [binary] cs=null"],
    ["varbinary(9)", "varbinary(9) [varbinary] cs=null"],
    ["blob(100)", "tinyblob [tinyblob] cs=null"],
    ["blob(300)", "blob [blob] cs=null"],
    ["long varbinary", "mediumblob [mediumblob] cs=null"],
    ["longblob", "longblob [longblob] cs=null"],
  ];
  for (const [definition, expected] of cases) {
    assertEquals(typeOf(definition), expected, definition);
  }
});

Deno.test("ENUM and SET labels: single quotes, ' and \\ doubled, trailing spaces dropped", () => {
  assertEquals(
    typeOf(`enum('a','b''c', "d\\\\e", 'x  ', 'Mixed')`),
    `enum('a','b''c','d\\\\e','x','Mixed') [enum] cs=utf8mb4`,
  );
  assertEquals(typeOf("SET('x','y') CHARACTER SET latin1"), "set('x','y') [set] cs=latin1");
});

Deno.test("JSON is MariaDB's utf8mb4_bin longtext and MySQL's json", () => {
  const mariadb = parseAdd("j json", "mariadb");
  assertEquals(
    [mariadb.columnType, mariadb.charset, mariadb.collation, mariadb.json],
    ["longtext", "utf8mb4", "utf8mb4_bin", true],
  );
  const mysql = parseAdd("j json", "mysql");
  assertEquals([mysql.columnType, mysql.charset, mysql.json], ["json", null, undefined]);
  // SHOW CREATE TABLE's spelling of MariaDB's alias
  assertEquals(parseAdd("j longtext CHECK (json_valid(`j`))", "mariadb").json, true);
  assertEquals(parseAdd("j longtext CHECK (json_valid(other))", "mariadb").json, undefined);
});

Deno.test("geometry and MariaDB's own types", () => {
  assertEquals(typeOf("point"), "point [point] cs=null");
  assertEquals(typeOf("GEOMETRYCOLLECTION"), "geometrycollection [geometrycollection] cs=null");
  assertEquals(typeOf("geomcollection", "mysql"), "geomcollection [geometrycollection] cs=null");
  assertEquals(typeOf("uuid"), "uuid [uuid] cs=null");
  assertEquals(typeOf("inet6"), "inet6 [inet6] cs=null");
});

Deno.test("an unknown type or a missing length is not understood", () => {
  for (const definition of ["frobnicate", "varchar", "varbinary", "decimal(x)"]) {
    const outcome = parseDdl(`ALTER TABLE t ADD c ${definition}`, {
      defaultSchema: "s",
      flavor: "mariadb",
    });
    assertEquals(outcome.understood, false, definition);
  }
});

/** The column spec `ALTER TABLE t ADD <definition>` carries. */
function parseAdd(definition: string, flavor: DdlContext["flavor"]): ColumnSpec {
  const outcome = parseDdl(`ALTER TABLE t ADD ${definition}`, { defaultSchema: "s", flavor });
  if (!outcome.understood || outcome.changes[0].kind !== "alter-table") throw new Error("parse");
  return (outcome.changes[0].operations[0] as Extract<AlterOperation, { kind: "add-column" }>)
    .column;
}
