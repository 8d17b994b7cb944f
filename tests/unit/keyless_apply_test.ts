/**
 * The SQL of keyless tables (rows identified by their whole value), per dialect: the staged
 * copies, the DELETE of exactly that many matching rows by location (ctid; on Greenplum with the
 * segment), NULLs equal, json compared as text, hash joins allowed; the INSERT of the copies; the
 * created table without a key; verify's multiset comparison and repair.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { keylessStatements } from "../../src/sink/apply_keyless.ts";
import { COPIES, GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";
import type { CountedRow, TableChanges } from "../../src/sink/input.ts";
import { countedLines, stagingCopy, stagingLayout } from "../../src/sink/staging.ts";
import { createTableStatements } from "../../src/tables/create_table.ts";
import { rowIdentity } from "../../src/tables/row_identity.ts";
import type { Route } from "../../src/tables/routes.ts";
import { KeylessStatements } from "../../src/verify/keyless_statements.ts";
import { routeOf } from "../../src/tables/routes.ts";

const COLUMNS = [{ name: "a", type: "integer" }, { name: "doc", type: "json" }, {
  name: "b",
  type: "text",
}];

/** A keyless table's share with the counted rows `rows`. */
function keyless(rows: CountedRow[]): TableChanges {
  const counts = new Map(rows.map((row) => [JSON.stringify(row.fields), row]));
  const columns = COLUMNS.map((c) => c.name);
  return {
    plan: {
      targetName: `"public"."log"`,
      sourceName: "shop.log",
      target: { schema: "public", table: "log", columns: COLUMNS, indexLeads: [], uniqueKeys: [] },
      wholeRow: true,
    },
    encoder: { columns, keyIndexes: [0, 1, 2], keyColumns: columns },
    size: counts.size,
    insertedRows: null,
    states: new Map(),
    keyFields: (key) => counts.get(key)!.fields,
    rowCounts: counts,
  };
}

const TABLE = keyless([
  { fields: ["1", '{"k":1}', null], count: -2 },
  { fields: ["2", null, "a\tb"], count: 3 },
]);

Deno.test("staged: every counted row with its copies, in a count column", () => {
  assertEquals([...countedLines(TABLE.rowCounts!)], [
    '1\t{"k":1}\t\\N\t-2\n',
    "2\t\\N\ta\\tb\t3\n",
  ]);
  assertEquals(
    stagingCopy(`pg_temp."s"`, TABLE),
    `COPY pg_temp."s" ("a", "doc", "b", ${COPIES}) FROM STDIN`,
  );
  const [, create] = POSTGRES.tempStaging(`"s"`, stagingLayout(TABLE));
  assertMatch(create, /NULL::bigint AS "__mysql_gp_sync_copies" FROM "public"\."log" WITH NO DATA/);
  const gp = GREENPLUM.tempStaging(`"s"`, stagingLayout(TABLE)).join("; ");
  assertMatch(
    gp,
    /\(LIKE "public"\."log", "__mysql_gp_sync_copies" bigint\) ON COMMIT DELETE ROWS/,
  );
});

Deno.test("PostgreSQL: as many matching rows as were removed go, by ctid; NULLs match NULLs", () => {
  const [remove, add] = keylessStatements(TABLE, `pg_temp."s"`, POSTGRES);
  // A keyed table's merge may have turned hash joins off for the transaction
  assert(remove.startsWith("SET LOCAL enable_hashjoin TO DEFAULT; "), remove);
  assertMatch(remove, /DELETE FROM "public"\."log" WHERE ctid = ANY \(ARRAY\(SELECT m\.ctid FROM/);
  // Hashable: a value stands in for NULL, and IS NOT DISTINCT FROM decides
  assertMatch(
    remove,
    /ON coalesce\(t\."a", 0\) = coalesce\(s\."a", 0\) AND coalesce\(t\."b", ''\) = coalesce\(s\."b", ''\) AND t\."a" IS NOT DISTINCT FROM s\."a"/,
  );
  assertMatch(remove, /SET LOCAL enable_mergejoin TO off; DELETE/);
  assert(remove.endsWith("; SET LOCAL enable_mergejoin TO DEFAULT"), remove);
  // json has no equality operator: its text is compared
  assertMatch(remove, /t\."doc"::text IS NOT DISTINCT FROM s\."doc"::text/);
  assertMatch(remove, /row_number\(\) OVER \(PARTITION BY s\.ctid\) AS nth/);
  assertMatch(remove, /WHERE s\."__mysql_gp_sync_copies" < 0\) m\s+WHERE m\.nth <= -m\.copies/);
  assertMatch(
    add,
    /^INSERT INTO "public"\."log" \("a", "doc", "b"\) SELECT "a", "doc", "b" FROM \(\s+SELECT "a", "doc", "b", generate_series\(1, "__mysql_gp_sync_copies"\) FROM pg_temp\."s" WHERE "__mysql_gp_sync_copies" > 0\) s$/,
  );
});

Deno.test("without a column a NULL can stand in for, the whole row's text is hashed", () => {
  const json = keyless([{ fields: ['{"k":1}'], count: -1 }]);
  const only = { ...json, encoder: { columns: ["doc"], keyIndexes: [0], keyColumns: ["doc"] } };
  const [remove] = keylessStatements(only, `pg_temp."s"`, POSTGRES);
  assertMatch(
    remove,
    /ON ROW\(t\."doc"\)::text = ROW\(s\."doc"\)::text AND t\."doc"::text IS NOT DISTINCT FROM s\."doc"::text/,
  );
});

Deno.test("Greenplum: rows are located by segment and ctid together", () => {
  const [remove] = keylessStatements(TABLE, `pg_temp."s"`, GREENPLUM);
  assertMatch(remove, /SELECT t\.gp_segment_id AS gp_segment_id, t\.ctid AS ctid, s\./);
  assertMatch(remove, /PARTITION BY s\.gp_segment_id, s\.ctid/);
  assertMatch(
    remove,
    /DELETE FROM "public"\."log" t USING \(SELECT m\.gp_segment_id, m\.ctid FROM [\s\S]*\) d WHERE t\.gp_segment_id = d\.gp_segment_id AND t\.ctid = d\.ctid;/,
  );
});

Deno.test("a keyless table is created without a key; on Greenplum spread randomly", () => {
  const source = {
    schema: "shop",
    table: "log",
    primaryKey: [],
    columns: [{
      name: "a",
      columnType: "int",
      dataType: "int",
      unsigned: false,
      charset: null,
      nullable: true,
    }],
    indexes: [],
  };
  const route: Route = { ...routeOf(source, [], "test"), identity: rowIdentity(source) };
  const [, postgres] = createTableStatements(route, { postgis: false });
  assertEquals(postgres, `CREATE TABLE "public"."log" (\n  "a" integer\n)`);
  const [, greenplum] = createTableStatements(route, { postgis: false, dialect: GREENPLUM });
  assertEquals(greenplum, `CREATE TABLE "public"."log" (\n  "a" integer\n) DISTRIBUTED RANDOMLY`);
});

Deno.test("verify counts copies per distinct row; repair deletes the surplus, inserts the lack", () => {
  const statements = new KeylessStatements(`"public"."log"`, [`"a"`, `"b"`], POSTGRES);
  assertMatch(
    statements.compare(),
    /SELECT ROW\(w\."a", w\."b"\)::text AS r, 1 AS s, 0 AS t FROM pg_temp\."mgs_verify_rows" w\s+UNION ALL\s+SELECT ROW\(t\."a", t\."b"\)::text, 0, 1 FROM "public"\."log" t\) u\s+GROUP BY r HAVING sum\(s\) <> sum\(t\)/,
  );
  const remove = statements.repairDelete();
  assertMatch(remove, /^DELETE FROM "public"\."log" WHERE ctid = ANY \(ARRAY\(/);
  assertMatch(remove, /c\.target_copies - c\.source_copies AS surplus/);
  assertMatch(remove, /WHERE m\.nth <= m\.surplus\)\)$/);
  assertMatch(statements.repairInsert(), /c\.source_copies - c\.target_copies AS lacking/);
  assertMatch(statements.repairInsert(), /FROM pg_temp\."mgs_verify_rows" w JOIN/);
  const gp = new KeylessStatements(`"public"."log"`, [`"a"`], GREENPLUM).repairDelete();
  assertMatch(gp, /t\.gp_segment_id = d\.gp_segment_id AND t\.ctid = d\.ctid$/);
});
