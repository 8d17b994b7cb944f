/**
 * The SQL of each apply strategy, from hand-built table shares: plain DELETE and INSERT, COPY
 * straight into the target, and COPY into staging followed by the merge (one staging table, or
 * one per copier), in PostgreSQL's texts and Greenplum's.
 */
import { assertEquals } from "../support/assert.ts";
import { directCopy, directRows } from "../../src/sink/apply_direct.ts";
import { plainStatements } from "../../src/sink/apply_plain.ts";
import { mergeStatements } from "../../src/sink/apply_staged.ts";
import { GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";
import { stagedLines, stagingCopy } from "../../src/sink/staging.ts";
import { PRIMARY_KEY, share } from "../support/table_share.ts";

Deno.test("plain: one DELETE of every key, then one INSERT of the surviving rows as literals", () => {
  const table = share(["id", "name"], 1, {
    states: [["1", ["1", "it's"]], ["2", null], ["3", ["3", null]]],
  });
  assertEquals(
    plainStatements(table),
    `DELETE FROM "public"."items" WHERE ("id") IN ((E'1'), (E'2'), (E'3')); ` +
      `INSERT INTO "public"."items" ("id", "name") VALUES (E'1', E'it''s'), (E'3', NULL)`,
  );
});

Deno.test("plain: only deleted keys send no INSERT; a composite key is matched as a tuple", () => {
  const table = share(["shop", "id", "note"], 2, {
    states: [["a\u00001", null], ["b\\\u00002", null]],
  });
  assertEquals(
    plainStatements(table),
    `DELETE FROM "public"."items" WHERE ("shop", "id") IN ((E'a', E'1'), (E'b\\\\', E'2'))`,
  );
});

Deno.test("direct: COPY into the target, only for inserts a unique key index refuses twice", () => {
  const inserted = [["1", "a"], ["2", null]];
  const table = share(["id", "name"], 1, { inserted }, PRIMARY_KEY);
  assertEquals(directCopy(table), `COPY "public"."items" ("id", "name") FROM STDIN`);
  assertEquals(directRows(table, new Set()), inserted);
  assertEquals(directRows(table, new Set([`"public"."items"`])), null);
  const updated = share(["id", "name"], 1, { states: [["1", ["1", "a"]]] }, PRIMARY_KEY);
  assertEquals(directRows(updated, new Set()), null);
  const wider = share(["id", "name"], 1, { inserted }, { uniqueKeys: [["id", "name"]] });
  assertEquals(directRows(wider, new Set()), null);
  const deferred = share(["id", "name"], 1, { inserted }, { uniqueKeys: [] });
  assertEquals(directRows(deferred, new Set()), null);
});

Deno.test("staging: COPY with the deleted flag; deleted keys carry only their key fields", () => {
  const table = share(["id", "k", "name"], 2, {
    states: [["1\u00002", ["1", "2", "a\tb"]], ["3\u00004", null]],
  });
  assertEquals(
    stagingCopy(`pg_temp."mysql_gp_sync_stage_1"`, table),
    `COPY pg_temp."mysql_gp_sync_stage_1" ("id", "k", "name", "__mysql_gp_sync_deleted") FROM STDIN`,
  );
  assertEquals([...stagedLines(table, table.states)], ["1\t2\ta\\tb\tf\n", "3\t4\t\\N\tt\n"]);
});

Deno.test("merge: lookups by key when an index leads with a key column, planner defaults else", () => {
  const staging = [`pg_temp."mysql_gp_sync_stage_1"`];
  const indexed = share(["id", "name"], 1, { states: [["1", null]] }, PRIMARY_KEY);
  const expected = [
    `SET LOCAL enable_hashjoin TO off; SET LOCAL enable_mergejoin TO off; ` +
    `DELETE FROM "public"."items" t USING pg_temp."mysql_gp_sync_stage_1" s WHERE t."id" = s."id"`,
    `INSERT INTO "public"."items" ("id", "name") SELECT "id", "name" ` +
    `FROM pg_temp."mysql_gp_sync_stage_1" WHERE NOT "__mysql_gp_sync_deleted"`,
  ];
  assertEquals(mergeStatements(indexed, staging, POSTGRES), expected);
  assertEquals(mergeStatements(indexed, staging, GREENPLUM), expected);
  const unindexed = share(["id", "k", "name"], 2, { states: [["1\u00002", null]] });
  assertEquals(mergeStatements(unindexed, staging, POSTGRES), [
    `SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; ` +
    `DELETE FROM "public"."items" t USING pg_temp."mysql_gp_sync_stage_1" s ` +
    `WHERE t."id" = s."id" AND t."k" = s."k"`,
    `INSERT INTO "public"."items" ("id", "k", "name") SELECT "id", "k", "name" ` +
    `FROM pg_temp."mysql_gp_sync_stage_1" WHERE NOT "__mysql_gp_sync_deleted"`,
  ]);
});

Deno.test("merge of copiers' staging: every DELETE, settings on the first only, then every INSERT", () => {
  const table = share(["id"], 1, { states: [["1", ["1"]]] }, PRIMARY_KEY);
  const staging = [`"sync"."stage_0"`, `"sync"."stage_1"`];
  assertEquals(mergeStatements(table, staging, POSTGRES), [
    `SET LOCAL enable_hashjoin TO off; SET LOCAL enable_mergejoin TO off; ` +
    `DELETE FROM "public"."items" t USING "sync"."stage_0" s WHERE t."id" = s."id"`,
    `DELETE FROM "public"."items" t USING "sync"."stage_1" s WHERE t."id" = s."id"`,
    `INSERT INTO "public"."items" ("id") SELECT "id" FROM "sync"."stage_0" ` +
    `WHERE NOT "__mysql_gp_sync_deleted"`,
    `INSERT INTO "public"."items" ("id") SELECT "id" FROM "sync"."stage_1" ` +
    `WHERE NOT "__mysql_gp_sync_deleted"`,
  ]);
});
