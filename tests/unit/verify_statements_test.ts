/**
 * The statements verify sends, per kind of key (integer, composite, text): the chunk's key range
 * with its parameters, a fixed set of texts per chunk, nothing Greenplum 6 lacks; and the work
 * tables each dialect makes for them (on Greenplum LIKE the target, so they are spread like it).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { GREENPLUM, POSTGRES, type StagingLayout } from "../../src/sink/dialect.ts";
import { comparedColumn, keyColumn } from "../../src/verify/key_columns.ts";
import {
  type ChunkScope,
  DIFF_COLUMNS,
  VerifyStatements,
  WORK_TABLES,
} from "../../src/verify/statements.ts";

function statementsFor(
  columns: { name: string; type: string }[],
  key: string[],
): VerifyStatements {
  return new VerifyStatements(
    `"shop"."item"`,
    columns.map(comparedColumn),
    key.map((name) => keyColumn(columns.find((c) => c.name === name)!)),
  );
}

const INTEGER = statementsFor(
  [{ name: "id", type: "integer" }, { name: "doc", type: "jsonb" }],
  ["id"],
);
const COMPOSITE = statementsFor([
  { name: "day", type: "date" },
  { name: "seq", type: "smallint" },
  { name: "val", type: "character varying(10)" },
], ["day", "seq"]);
const TEXT = statementsFor(
  [{ name: "code", type: "character varying(20)" }, { name: "label", type: "text" }],
  ["code"],
);

/** Every statement text of a chunk and of the passes after it, for `scope`. */
function allTexts(statements: VerifyStatements, scope: ChunkScope): string[] {
  const params: (string | null)[] = [];
  return [
    statements.copySource,
    statements.copyKeys,
    statements.rememberKeys,
    statements.check(scope, params),
    statements.listDiffs(scope, params),
    statements.listUnseen(),
    statements.diffPage(100),
    statements.recheck(),
    statements.repairDelete(),
    statements.repairInsert(),
  ];
}

/** The WHERE of the target rows in the chunk's range, with its parameters. */
function rangeOf(statements: VerifyStatements, scope: ChunkScope): [string, (string | null)[]] {
  const params: (string | null)[] = [];
  const text = statements.check(scope, params).replace(/\s+/g, " ");
  const where = text.match(/WHERE (.*)\) t ON/)?.[1] ?? "(no range)";
  return [where, params];
}

Deno.test("an integer key: the chunk is the target's rows in the same key range", () => {
  assertEquals(rangeOf(INTEGER, { by: "range", lo: ["10"], hi: ["20"] }), [
    `t."id" > $1::integer AND t."id" <= $2::integer`,
    ["10", "20"],
  ]);
  assertEquals(rangeOf(INTEGER, { by: "range", lo: null, hi: ["20"] }), [
    `t."id" <= $1::integer`,
    ["20"],
  ]);
  assertEquals(rangeOf(INTEGER, { by: "range", lo: ["20"], hi: null }), [
    `t."id" > $1::integer`,
    ["20"],
  ]);
  assertEquals(rangeOf(INTEGER, { by: "range", lo: null, hi: null }), ["true", []]);
  const check = INTEGER.check({ by: "range", lo: null, hi: null }, []);
  assert(/FULL JOIN/.test(check), "rows only the target has are found in their chunk");
  // jsonb is compared as jsonb, not as the text written
  assert(check.includes(`s."doc" IS DISTINCT FROM t."doc"`), check);
});

Deno.test("a composite key: the row comparison plus a range of the first column", () => {
  assertEquals(
    rangeOf(COMPOSITE, { by: "range", lo: ["2024-03-01", "10"], hi: ["2024-03-04", "5"] }),
    [
      `(t."day", t."seq") > ($1::date, $2::smallint) AND t."day" >= $1::date AND ` +
      `(t."day", t."seq") <= ($3::date, $4::smallint) AND t."day" <= $3::date`,
      ["2024-03-01", "10", "2024-03-04", "5"],
    ],
  );
  const list = COMPOSITE.listDiffs({ by: "range", lo: null, hi: null }, []);
  assert(/GROUP BY 1, 2\s/.test(list), list);
});

Deno.test("a text key: the chunk's target rows are those with its keys, extras found at the end", () => {
  const scope: ChunkScope = { by: "keys" };
  const params: (string | null)[] = [];
  const check = TEXT.check(scope, params).replace(/\s+/g, " ");
  assertEquals(params, []);
  assert(
    check.includes(
      `FROM pg_temp."mgs_verify_src" s LEFT JOIN "shop"."item" t ON s."code" = t."code"`,
    ),
    check,
  );
  assert(!/ < | > |<=|>=/.test(check), `no key range: ${check}`);
  assertEquals(
    TEXT.rememberKeys,
    `INSERT INTO pg_temp."mgs_verify_seen" ("code") SELECT "code" FROM pg_temp."mgs_verify_src"`,
  );
  const unseen = TEXT.listUnseen().replace(/\s+/g, " ");
  assert(
    unseen.includes(
      `FROM "shop"."item" t WHERE NOT EXISTS (SELECT 1 FROM pg_temp."mgs_verify_seen" s ` +
        `WHERE s."code" = t."code")`,
    ),
    unseen,
  );
});

Deno.test("no statement uses what Greenplum 6 lacks, nor a per-key subquery", () => {
  const scopes: [VerifyStatements, ChunkScope][] = [
    [INTEGER, { by: "range", lo: ["1"], hi: ["2"] }],
    [COMPOSITE, { by: "range", lo: ["2024-01-01", "1"], hi: ["2024-01-02", "1"] }],
    [TEXT, { by: "keys" }],
  ];
  for (const [statements, scope] of scopes) {
    for (const text of allTexts(statements, scope)) {
      assert(
        !/\bLATERAL\b|ON CONFLICT|\bMERGE\b|\bOFFSET\b/i.test(text),
        `statement needs what Greenplum 6 lacks or looks rows up one key at a time: ${text}`,
      );
    }
  }
});

const LAYOUT: StagingLayout = {
  target: `"shop"."item"`,
  columns: [`"code"`],
  targetColumns: [`"code"`, `"label"`],
};

Deno.test("verify's kept work tables: PostgreSQL copies the key's types, Greenplum its spread", () => {
  assertEquals(POSTGRES.tempKeptTable(WORK_TABLES.diffs, LAYOUT, DIFF_COLUMNS), [
    `DROP TABLE IF EXISTS pg_temp."mgs_verify_diff"`,
    `CREATE TEMP TABLE "mgs_verify_diff" AS SELECT "code", NULL::bigint AS "__mgs_verify_seq", ` +
    `NULL::text AS "__mgs_verify_kind" FROM "shop"."item" WITH NO DATA`,
  ]);
  assertEquals(GREENPLUM.tempKeptTable(WORK_TABLES.seen, LAYOUT, []), [
    `SET gp_autostats_mode = none`,
    `DROP TABLE IF EXISTS pg_temp."mgs_verify_seen"`,
    `CREATE TEMP TABLE "mgs_verify_seen" (LIKE "shop"."item")`,
    `ALTER TABLE pg_temp."mgs_verify_seen" ALTER COLUMN "code" DROP NOT NULL, ` +
    `ALTER COLUMN "label" DROP NOT NULL`,
  ]);
  assertEquals(
    GREENPLUM.tempKeptTable(WORK_TABLES.diffs, LAYOUT, DIFF_COLUMNS)[2],
    `CREATE TEMP TABLE "mgs_verify_diff" (LIKE "shop"."item", "__mgs_verify_seq" bigint, ` +
      `"__mgs_verify_kind" text)`,
  );
});
