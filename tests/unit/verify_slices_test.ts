/**
 * The slices of merged targets: which rows of a target a route owns (its source tag; the live
 * ones under soft delete), how snapshot groups the routes of one run (a target shared without a
 * tag is emptied once, each tag value once), and the statements verify and snapshot send for a
 * slice, the work tables of both dialects included.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { plainRule } from "../support/rules.ts";
import type { RuleConfig } from "../../src/config/config.ts";
import type { TableColumn } from "../../src/schema/table.ts";
import { GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";
import type { TargetTable } from "../../src/sink/target.ts";
import { makeRowCodec, type RowCodec } from "../../src/tables/row_codec.ts";
import { rowIdentity } from "../../src/tables/row_identity.ts";
import { routeOf } from "../../src/tables/routes.ts";
import {
  emptySlice,
  sliceGroups,
  type TargetSlice,
  targetSlice,
  whereOf,
} from "../../src/tables/target_slice.ts";
import { comparedSlice } from "../../src/verify/comparer.ts";
import { comparedColumn, keyColumn } from "../../src/verify/key_columns.ts";
import { KeylessStatements } from "../../src/verify/keyless_statements.ts";
import { type ChunkScope, VerifyStatements, WORK_TABLES } from "../../src/verify/statements.ts";

function column(name: string, dataType: string): TableColumn {
  return { name, columnType: dataType, dataType, unsigned: false, charset: null, nullable: false };
}

const ITEM_COLUMNS = [column("id", "int"), {
  ...column("name", "varchar"),
  columnType: "varchar(40)",
  charset: "utf8mb4",
}];

/** The codec of shop.item from instance `eu` under `rule`, into a target with `extra` columns. */
function codecOf(rule: RuleConfig, extra: TargetTable["columns"] = []): RowCodec {
  const source = { schema: "shop", table: "item", primaryKey: ["id"], columns: ITEM_COLUMNS };
  const route = { ...routeOf(source, [rule], "eu"), identity: rowIdentity(source) };
  const target: TargetTable = {
    schema: "public",
    table: "items",
    columns: [{ name: "id", type: "integer" }, { name: "name", type: "text" }, ...extra],
    indexLeads: ["id"],
    uniqueKeys: [],
  };
  return makeRowCodec(route, target, () => {});
}

const MERGED: RuleConfig = {
  ...plainRule("shop", "item", "public", "items"),
  sourceColumn: "Shard",
  softDelete: { column: "deleted", timeColumn: "deleted_at" },
};
const TAGGED = codecOf(MERGED, [
  { name: "shard", type: "text" },
  { name: "deleted", type: "boolean" },
  { name: "deleted_at", type: "timestamp with time zone" },
]);
const PLAIN = codecOf(plainRule("shop", "item", "public", "items"));

/** Verify's statements for `codec`, as `Comparer` makes them. */
function statementsOf(codec: RowCodec): VerifyStatements {
  return new VerifyStatements(
    `"public"."items"`,
    codec.targetColumns.map(comparedColumn),
    codec.keyIndexes.map((i) => keyColumn(codec.targetColumns[i])),
    comparedSlice(codec),
  );
}

const flat = (text: string) => text.replace(/\s+/g, " ");

Deno.test("a tagged route owns its tag's rows of the target, the live ones under soft delete", () => {
  const slice = targetSlice(TAGGED.route, TAGGED);
  // The target's own spelling of the tag column, the value of this source table
  assertEquals(slice, {
    target: `"public"."items"`,
    rows: `t."shard" = E'eu.shop.item'`,
    live: `t."deleted" IS NOT TRUE`,
    label: `public.items where shard = 'eu.shop.item'`,
  });
  assertEquals(targetSlice(PLAIN.route, PLAIN), {
    target: `"public"."items"`,
    rows: null,
    live: null,
    label: "public.items",
  });
  assertEquals(whereOf(slice.rows, slice.live), ` WHERE ${slice.rows} AND ${slice.live}`);
  assertEquals(whereOf(null, null), "");
  // The key verify and snapshot compare by stays the source's: the tag is constant in a slice
  assertEquals(TAGGED.keyIndexes.map((i) => TAGGED.targetColumns[i].name), ["id"]);
});

Deno.test("snapshot empties a target shared without a tag once, and each tag value once", () => {
  const slice = (target: string, rows: string | null): TargetSlice => ({
    target,
    rows,
    live: null,
    label: target,
  });
  const members: [string, TargetSlice][] = [
    ["shop.a", slice(`"public"."all"`, null)],
    ["eu.x", slice(`"public"."all"`, `t."src" = E'eu'`)],
    ["shop.b", slice(`"public"."all"`, null)],
    ["us.x", slice(`"public"."all"`, `t."src" = E'us'`)],
    // source_value = "{instance}": the tables of one instance share their tag
    ["eu.y", slice(`"public"."all"`, `t."src" = E'eu'`)],
    ["shop.c", slice(`"public"."c"`, null)],
  ];
  const groups = sliceGroups(members, ([, s]) => s);
  assertEquals(groups.map((g) => g.members.map(([name]) => name)), [
    ["shop.a", "shop.b"],
    ["eu.x", "eu.y"],
    ["us.x"],
    ["shop.c"],
  ]);
  assertEquals(groups.map((g) => emptySlice(g.slice)), [
    `TRUNCATE "public"."all"`,
    `DELETE FROM "public"."all" t WHERE t."src" = E'eu'`,
    `DELETE FROM "public"."all" t WHERE t."src" = E'us'`,
    `TRUNCATE "public"."c"`,
  ]);
});

Deno.test("verify compares a slice: its tag's live rows, in range and key chunks alike", () => {
  const statements = statementsOf(TAGGED);
  const inSlice = `t."shard" = E'eu.shop.item' AND t."deleted" IS NOT TRUE`;
  const params: (string | null)[] = [];
  const range = flat(statements.check({ by: "range", lo: ["10"], hi: ["20"] }, params));
  assert(
    range.includes(`WHERE t."id" > $1::integer AND t."id" <= $2::integer AND ${inSlice}) t`),
    range,
  );
  assertEquals(params, ["10", "20"]);
  // The tag and flag are compared as any column: the source side writes them as the sync does
  assert(range.includes(`s."shard" IS DISTINCT FROM t."shard"`), range);
  assert(range.includes(`s."deleted" IS DISTINCT FROM t."deleted"`), range);
  const keys = flat(statements.check({ by: "keys" }, []));
  assert(keys.includes(`LEFT JOIN "public"."items" t ON s."id" = t."id" AND ${inSlice}`), keys);
  const parts: [string, string][] = [
    [statements.listUnseen(), `s."id" = t."id") AND ${inSlice})`],
    [statements.recheck(), `t ON t."id" = q."id" AND ${inSlice}`],
    [statements.forgetGone(), `t."id" = d."id" AND ${inSlice})`],
  ];
  for (const [text, part] of parts) assert(flat(text).includes(part), flat(text));
});

Deno.test("a repair touches its slice only; soft delete flags the rows the source lacks", () => {
  const statements = statementsOf(TAGGED);
  assertEquals(
    flat(statements.repairDelete()),
    `DELETE FROM "public"."items" t USING pg_temp."mgs_verify_keys" k WHERE t."id" = k."id" ` +
      `AND t."shard" = E'eu.shop.item' AND EXISTS (SELECT 1 FROM pg_temp."mgs_verify_src" s ` +
      `WHERE s."id" = k."id")`,
  );
  assertEquals(
    flat(statements.repairMark()!),
    `UPDATE "public"."items" t SET "deleted" = true, "deleted_at" = now() FROM ` +
      `pg_temp."mgs_verify_keys" k WHERE t."id" = k."id" AND t."shard" = E'eu.shop.item' AND ` +
      `t."deleted" IS NOT TRUE`,
  );
  const plain = statementsOf(PLAIN);
  assertEquals(
    flat(plain.repairDelete()),
    `DELETE FROM "public"."items" t USING pg_temp."mgs_verify_keys" k WHERE t."id" = k."id"`,
  );
  assertEquals(plain.repairMark(), null);
  assertEquals(
    flat(plain.check({ by: "range", lo: null, hi: null }, [])).includes("AND t."),
    false,
  );
});

Deno.test("a keyless slice: the multiset of its live rows; work tables of both dialects", () => {
  const { rows, live } = targetSlice(TAGGED.route, TAGGED);
  const keyless = new KeylessStatements(
    `"public"."items"`,
    [`"id"`],
    GREENPLUM,
    whereOf(rows, live),
  );
  assert(flat(keyless.compare()).includes(`FROM "public"."items" t WHERE ${rows} AND ${live}) u`));
  const layout = {
    target: `"public"."items"`,
    columns: TAGGED.targetColumns.map((c) => `"${c.name}"`),
    targetColumns: TAGGED.target.columns.map((c) => `"${c.name}"`),
  };
  // The staged source rows carry the tag and flag columns, typed (on Greenplum spread) like the
  // target, so equal keys of the slice meet on one segment
  assert(
    POSTGRES.tempStaging(WORK_TABLES.source, layout)[1].startsWith(
      `CREATE TEMP TABLE "mgs_verify_src" ON COMMIT DELETE ROWS AS SELECT "id", "name", ` +
        `"shard", "deleted", "deleted_at"`,
    ),
  );
  assert(
    GREENPLUM.tempStaging(WORK_TABLES.source, layout).some((s) =>
      s.startsWith(`CREATE TEMP TABLE "mgs_verify_src" (LIKE "public"."items"`)
    ),
  );
  const scopes: ChunkScope[] = [{ by: "range", lo: ["1"], hi: ["2"] }, { by: "keys" }];
  const statements = statementsOf(TAGGED);
  for (const scope of scopes) {
    const texts = [
      statements.check(scope, []),
      statements.listDiffs(scope, []),
      statements.listUnseen(),
      statements.recheck(),
      statements.repairDelete(),
      statements.repairMark()!,
      statements.forgetFound(),
      statements.forgetGone(),
      keyless.compare(),
    ];
    for (const text of texts) {
      assert(!/\bLATERAL\b|ON CONFLICT|\bMERGE\b|\bOFFSET\b/i.test(text), text);
    }
  }
});
