/** The compatibility rules for target columns of a user's own choosing, and the source-type parse. */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { incompatibility } from "../../src/convert/compatibility.ts";
import { describeSource } from "../../src/convert/source_kind.ts";
import type { SourceColumn } from "../../src/convert/types.ts";

const col = (name: string, columnType: string, charset: string | null = null): SourceColumn => ({
  name,
  columnType,
  dataType: columnType.replace(/[ (].*$/, ""),
  unsigned: columnType.includes("unsigned"),
  charset,
  nullable: true,
});

Deno.test("incompatibility names impossible targets and accepts the compatible ones", () => {
  const bad: [SourceColumn, string, RegExp][] = [
    [col("a", "varchar(10)", "utf8mb4"), "integer", /cannot hold/],
    [col("a", "int unsigned"), "integer", /4294967295/],
    [col("a", "bigint unsigned"), "bigint", /18446744073709551615/],
    [col("a", "decimal(10,2)"), "integer", /fraction/],
    [col("a", "decimal(10,2)"), "numeric(10,1)", /round/],
    [col("a", "decimal(12,2)"), "numeric(10,2)", /integer digits/],
    [col("a", "double"), "real", /rounded/],
    [col("a", "bigint"), "double precision", /53 bits/],
    [col("a", "datetime(6)"), "timestamp(3) without time zone", /rounded to 3/],
    [col("a", "datetime"), "date", /time of day/],
    [col("a", "time"), "time without time zone", /interval/],
    [col("a", "time(6)"), "interval second(0)", /restricted/],
    [col("a", "varchar(255)", "utf8mb4"), "character varying(10)", /255 characters/],
    [col("a", "varchar(10)", "utf8mb4"), "character(10)", /trailing spaces/],
    [col("a", "json"), "integer", /JSON needs/],
    [col("a", "blob"), "text", /bytea/],
    [col("a", "enum('a','bbbbbbbbbbbb')"), "character varying(5)", /12 characters/],
    [col("a", "int"), "boolean", /tinyint/],
    [col("a", "bit(8)"), "boolean", /bit\(1\)/],
    [col("a", "bit(8)"), "bit(9)", /width 8/],
    [col("a", "geometry"), "text", /geometry needs/],
    [col("a", "text", "utf8mb4"), "jsonb", /jsonb cannot/],
    [col("a", "varchar(10)", "utf8mb4"), "text[]", /unsupported target/],
    [col("a", "int"), "mood", /unsupported target/],
    [col("a", "binary(8)"), "uuid", /binary\(16\)/],
    [col("a", "year"), "numeric(3,0)", /integer digits/],
  ];
  for (const [source, target, reason] of bad) {
    const why = incompatibility(source, { type: target });
    assert(why !== null, `${source.columnType} into ${target} should be refused`);
    assertMatch(why, reason);
  }
  const good: [SourceColumn, string][] = [
    [col("a", "tinyint(1)"), "boolean"],
    [col("a", "tinyint"), "boolean"],
    [col("a", "tinyint unsigned"), "smallint"],
    [col("a", "int"), "numeric"],
    [col("a", "bigint unsigned"), "numeric(20,0)"],
    [col("a", "mediumint unsigned"), "real"],
    [col("a", "int unsigned"), "double precision"],
    [col("a", "enum('a','b')"), "text"],
    [col("a", "enum('a','bb')"), "character varying(2)"],
    [col("a", "set('a','b')"), "character varying(3)"],
    [col("a", "json"), "json"],
    [col("a", "json"), "text"],
    [col("a", "json"), "character varying"],
    [col("a", "longtext", "utf8mb4"), "jsonb"],
    [col("a", "decimal(10,2)"), "numeric"],
    [col("a", "decimal(10,2)"), "numeric(12,4)"],
    [col("a", "float"), "double precision"],
    [col("a", "date"), "timestamp with time zone"],
    [col("a", "datetime(3)"), "timestamp(6) with time zone"],
    [col("a", "timestamp(6)"), "timestamp without time zone"],
    [col("a", "time(3)"), "interval(3)"],
    [col("a", "bit(1)"), "boolean"],
    [col("a", "bit(10)"), "bit varying"],
    [col("a", "binary(16)"), "uuid"],
    [col("a", "geometry"), "geometry(Point,4326)"],
    [col("a", "varchar(10)", "latin1"), "text"],
    [col("a", "char(10)", "latin1"), "character(10)"],
    [col("a", "year"), "integer"],
    [col("a", "int"), "int4"],
    [col("a", "varchar(10)", "swe7"), "text"],
  ];
  for (const [source, target] of good) {
    assertEquals(
      incompatibility(source, { type: target }),
      null,
      `${source.columnType} into ${target}`,
    );
  }
});

Deno.test("describeSource: what the type text alone cannot say comes from the column", () => {
  assertEquals(describeSource(col("a", "varchar(10)", "latin1")), {
    kind: "text",
    charset: "latin1",
    maxChars: 10,
    fixed: false,
    long: false,
  });
  assertEquals(describeSource(col("a", "char(4)")), { kind: "binary", maxBytes: 4, fixed: true });
  assertEquals(describeSource(col("a", "longtext", "binary")), {
    kind: "binary",
    maxBytes: 4294967295,
    fixed: false,
  });
  assertEquals(describeSource({ ...col("a", "longtext", "utf8mb4"), json: true }), {
    kind: "json",
  });
  assertEquals(describeSource({ ...col("a", "enum('x','y')"), labels: ["x", "y,z"] }), {
    kind: "enum",
    labels: ["x", "y,z"],
  });
  assertEquals(describeSource(col("a", "set('p','it''s')")), {
    kind: "set",
    labels: ["p", "it's"],
  });
  assertEquals(describeSource(col("a", "int unsigned")), {
    kind: "int",
    bits: 32,
    unsigned: true,
  });
  assertEquals(describeSource(col("a", "decimal")), { kind: "decimal", precision: 10, scale: 0 });
  assertEquals(describeSource(col("a", "multipolygon")), {
    kind: "geometry",
    subtype: "multipolygon",
  });
  assertMatch(
    (describeSource(col("a", "mood")) as { reason: string }).reason,
    /unsupported MySQL type mood/,
  );
});
