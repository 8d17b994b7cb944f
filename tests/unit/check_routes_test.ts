/**
 * What `check` says of patterns and rule keys (route_rules.ts) and of the columns a rule adds to
 * a target (target_rules.ts): the pure rules over plain inputs; the probes run in check_test.ts
 * and patterns_test.ts.
 */
import { assertEquals, assertMatch } from "../support/assert.ts";
import {
  ruleCoverageFindings,
  ruleKeyFindings,
  sourcePatternFindings,
} from "../../src/check/route_rules.ts";
import {
  columnFindings,
  createTableHint,
  sourceTagKeyFindings,
  targetKeyColumns,
} from "../../src/check/target_rules.ts";
import type { Finding } from "../../src/check/finding.ts";
import type { Config, RuleConfig } from "../../src/config/config.ts";
import type { SourceColumn, TargetColumn } from "../../src/convert/types.ts";
import type { SourceTable } from "../../src/schema/table.ts";
import { GREENPLUM, POSTGRES } from "../../src/sink/dialect.ts";
import type { TargetTable } from "../../src/sink/target.ts";
import { rowIdentity } from "../../src/tables/row_identity.ts";
import { buildRoutes, type Route } from "../../src/tables/routes.ts";
import { countedList } from "../../src/util/short_list.ts";
import { plainRule } from "../support/rules.ts";

function column(name: string, columnType = "int", nullable = false): SourceColumn {
  return { name, columnType, dataType: columnType, unsigned: false, charset: null, nullable };
}

function table(schema: string, name: string, key = ["id"], extra: string[] = []): SourceTable {
  return {
    schema,
    table: name,
    primaryKey: key,
    columns: [column("id"), ...extra.map((c) => column(c, "int", true))],
  };
}

const shards = Array.from(
  { length: 16 },
  (_, i) => table("shop", `order_${String(i).padStart(2, "0")}`, ["id"], ["total"]),
);

function config(sources: Config["sources"], rules: RuleConfig[]): Config {
  return { sources, rules, instanceName: "eu" } as Config;
}

function routesOf(c: Config, tables: SourceTable[]): Route[] {
  return [...buildRoutes(tables, c.rules, c.instanceName).values()]
    .map((route) => ({ ...route, identity: rowIdentity(route.source) }));
}

const lines = (findings: Finding[]) => findings.map((f) => `${f.level} ${f.check}: ${f.message}`);

Deno.test("a long list of names shows the first and the last with the count", () => {
  assertEquals(countedList([]), "0 tables");
  assertEquals(countedList(["a"]), "1 table: a");
  assertEquals(countedList(["a", "b", "c"]), "3 tables: a, b, c");
  assertEquals(countedList(shards.map((t) => t.table)), "16 tables: order_00 ... order_15");
});

Deno.test("each [[source]] pattern: the tables it covers, or a warning that it waits", () => {
  const findings = sourcePatternFindings([
    { schema: "shop", tables: ["order_\\d+", "audit", "nothing_\\d+"] },
    { schema: "shop_(eu|us)", tables: ["*"] },
  ], [...shards, table("shop", "audit"), table("shop_eu", "t")]);
  assertEquals(lines(findings), [
    "ok patterns: [[source]] #1 shop.order_\\d+ covers 16 tables: order_00 ... order_15",
    "warn patterns: [[source]] #1 shop.nothing_\\d+ matches no table yet: tables created later " +
    "that match are followed once created (check the pattern if some should match now)",
    "ok patterns: [[source]] #2 shop_(eu|us).* covers 1 table: shop_eu.t",
  ]);
});

Deno.test("each [[rule]]: a pattern's tables, one shadowed by an earlier rule, one for no table", () => {
  const c = config([{ schema: "shop", tables: ["order_\\d+", "line"] }], [
    { ...plainRule("shop", "order_\\d+", "public", "orders"), sourceColumn: "src" },
    plainRule("shop", "order_0\\d", "public", "early"),
    { ...plainRule("shop", "x_.*", "public", "x"), pgTable: null },
    plainRule("shop", "line", "sales", "line"),
    plainRule("other", "t", "public", "t"),
  ]);
  assertEquals(lines(ruleCoverageFindings(c, shards)), [
    "ok rules: [[rule]] #1 shop.order_\\d+ -> public.orders: 16 tables: order_00 ... order_15",
    "warn rules: [[rule]] #2 shop.order_0\\d takes no table: [[rule]] #1 comes first and takes " +
    "10 tables: order_00 ... order_09; move this rule before it, or remove it",
    "warn rules: [[rule]] #3 shop.x_.* matches no followed table yet: tables created later that " +
    "match go to public.<each table's own name> once created",
    "warn rules: [[rule]] for other.t matches no table named in [[source]]; add the table there " +
    "or remove the rule",
  ]);
});

Deno.test("rule keys: a selected column some tables lack, soft delete without a key", () => {
  const keyless = { ...table("shop", "log", [], ["total"]) };
  const c = config([{ schema: "shop", tables: ["*"] }], [
    {
      ...plainRule("shop", "order_0[0-2]", "public", "o"),
      sourceColumn: "src",
      columns: ["total", "note"],
    },
    {
      ...plainRule("shop", "log", "public", "log"),
      softDelete: { column: "gone", timeColumn: null },
    },
  ]);
  const findings = ruleKeyFindings(c, routesOf(c, [...shards.slice(0, 3), keyless]));
  assertEquals(findings.map((f) => `${f.level} ${f.check}`), ["fail rules", "fail rules"]);
  assertEquals(
    findings[0].message,
    '[[rule]] #1 columns names "note", missing from 3 tables: shop.order_00, shop.order_01, ' +
      "shop.order_02; remove it from columns, or add the column in MySQL",
  );
  assertMatch(
    findings[1].message,
    /^\[\[rule\]\] #2 soft_delete_column needs a key .*whole value\): 1 table: shop\.log; add a primary/,
  );
});

Deno.test("several tables into one target need source tags, and distinct ones", () => {
  const merge = (keys: Partial<RuleConfig>) => {
    const c = config([{ schema: "shop", tables: ["*"] }], [
      { ...plainRule("shop", "order_\\d+", "public", "orders"), ...keys },
    ]);
    return ruleKeyFindings(c, routesOf(c, shards));
  };
  const untagged = merge({});
  assertEquals(untagged.map((f) => f.level), ["warn"]);
  assertEquals(
    untagged[0].message,
    "public.orders is fed by 16 tables: shop.order_00 ... shop.order_15 without source_column, " +
      "so rows with equal keys from different tables overwrite each other; set source_column in " +
      "[[rule]] #1 (the column then joins the target's key)",
  );
  assertEquals(merge({ sourceColumn: "src" }), []);
  const same = merge({ sourceColumn: "src", sourceValue: "{instance}" });
  assertMatch(
    same[0].message,
    /shop\.order_00 and shop\.order_01 get the same source_value "eu".*put \{table\}/,
  );
  // One table per target: nothing to tell apart.
  const c = config([{ schema: "shop", tables: ["*"] }], []);
  assertEquals(ruleKeyFindings(c, routesOf(c, shards)), []);
});

function target(columns: [string, string][], uniqueKeys: string[][] = []): TargetTable {
  return {
    schema: "public",
    table: "orders",
    columns: columns.map(([name, type]): TargetColumn => ({ name, type })),
    indexLeads: uniqueKeys.map((k) => k[0]),
    uniqueKeys,
  };
}

Deno.test("the columns a rule adds: missing ones with the ALTER TABLE, wrong types, the key", () => {
  const rule: RuleConfig = {
    ...plainRule("shop", "order_\\d+", "public", "orders"),
    sourceColumn: "src",
    softDelete: { column: "gone", timeColumn: "gone_at" },
    columns: ["id"],
  };
  const [route] = routesOf(config([], [rule]), [shards[0]]);
  // "total" is not selected: the target need not have it.
  const bare = columnFindings(route, target([["id", "integer"]]), []);
  assertEquals(lines(bare), [
    'fail columns: public.orders has no column "src", which [[rule]] source_column names: ALTER ' +
    'TABLE "public"."orders" ADD COLUMN "src" text NOT NULL; put it in the primary key too, ' +
    "beside the source key",
    'fail columns: public.orders has no column "gone", which [[rule]] soft_delete_column names: ' +
    'ALTER TABLE "public"."orders" ADD COLUMN "gone" boolean NOT NULL DEFAULT false',
    'fail columns: public.orders has no column "gone_at", which [[rule]] soft_delete_time_column ' +
    'names: ALTER TABLE "public"."orders" ADD COLUMN "gone_at" timestamptz',
  ]);
  const typed = target([["id", "integer"], ["src", "integer"], ["gone", "boolean"], [
    "gone_at",
    "timestamp without time zone",
  ]]);
  assertEquals(
    lines(columnFindings(route, typed, [{ name: "src", notNull: true, hasDefault: false }])),
    [
      "fail columns: public.orders.src (source_column) is integer, which cannot hold its values: " +
      'ALTER TABLE "public"."orders" ALTER COLUMN "src" TYPE text',
    ],
  );
  assertEquals(targetKeyColumns(route, typed), ["id", "src"]);
});

Deno.test("with a source tag, a unique key on the source key alone refuses other sources' rows", () => {
  const rule = { ...plainRule("shop", "order_\\d+", "public", "orders"), sourceColumn: "src" };
  const [route] = routesOf(config([], [rule]), [shards[0]]);
  const t = target([["id", "integer"], ["src", "text"]]);
  const pkey = { index: "orders_pkey", constraint: "orders_pkey", primary: true, columns: ["id"] };
  assertEquals(lines(sourceTagKeyFindings(route, t, [pkey])), [
    "fail target_key: public.orders: the primary key (id) leaves out src (source_column), so a " +
    "row of another source with an equal key is refused; make src part of it: ALTER TABLE " +
    '"public"."orders" DROP CONSTRAINT "orders_pkey", ADD PRIMARY KEY ("id", "src")',
  ]);
  const index = { index: "by_id", constraint: null, primary: false, columns: ["id"] };
  assertMatch(
    sourceTagKeyFindings(route, t, [index])[0].message,
    /unique index by_id \(id\) .*DROP INDEX "public"\."by_id"; CREATE UNIQUE INDEX ON "public"\."orders" \("id", "src"\)$/,
  );
  assertEquals(sourceTagKeyFindings(route, t, [{ ...pkey, columns: ["id", "src"] }]), []);
  assertEquals(sourceTagKeyFindings(route, t, [{ ...index, columns: ["total"] }]), []);
});

Deno.test("a missing target: the CREATE TABLE snapshot would run, on one line; else why not", () => {
  const rule = { ...plainRule("shop", "order_\\d+", "public", "orders"), sourceColumn: "src" };
  const [route] = routesOf(config([], [rule]), [shards[0]]);
  const postgres = createTableHint(route, { dialect: POSTGRES, postgis: false });
  assertMatch(
    postgres,
    /^create it \(snapshot and run do so\): CREATE SCHEMA IF NOT EXISTS "public"; CREATE TABLE "public"\."orders" \("id" integer, "total" integer, "src" text NOT NULL, PRIMARY KEY \("id", "src"\)\)$/,
  );
  const greenplum = createTableHint(route, { dialect: GREENPLUM, postgis: false });
  assertMatch(greenplum, /\) DISTRIBUTED BY \("id"(, "src")?\)/);
  assertEquals(greenplum.includes("\n"), false);
  const odd = {
    ...route,
    source: { ...route.source, columns: [column("id"), column("v", "mystery(3)")] },
  };
  assertMatch(
    createTableHint(odd, { dialect: POSTGRES, postgis: false }),
    /^cannot create public\.orders for MySQL shop\.order_00: column v: unsupported MySQL type mystery\(3\); create the table yourself/,
  );
});
