/**
 * What `check` says of a Greenplum or Cloudberry target: distribution keys against the key rows
 * are matched by, append-optimized tables, and the global deadlock detector. No Greenplum server
 * is available here: the rules run over plain inputs shaped like the catalog's answers (as measured
 * on Greenplum 6.24, DESIGN.md section 9), and the probe over a stand-in connection that answers
 * those queries; against PostgreSQL it must ask nothing beyond version() and find nothing.
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  deadlockDetectorFinding,
  distributionFinding,
  distributionOf,
  storageFinding,
  storageOf,
  type StorageRow,
} from "../../src/check/greenplum_rules.ts";
import { greenplumFindings } from "../../src/check/greenplum.ts";
import type { Config } from "../../src/config/config.ts";
import { GREENPLUM_CATALOG } from "../../src/sink/dialect.ts";
import type { Sql } from "../../src/sink/postgres.ts";
import type { SourceTable } from "../../src/schema/table.ts";
import { rowIdentity } from "../../src/tables/row_identity.ts";
import { type Route, routeOf } from "../../src/tables/routes.ts";
import { plainRule } from "../support/rules.ts";

const table = {
  label: "app.orders -> public.orders",
  pgSchema: "public",
  pgTable: "orders",
};

Deno.test("a distribution key inside the row key keeps each batch's join on its segment", () => {
  const same = distributionFinding({
    ...table,
    key: ["id"],
    distribution: { kind: "hash", columns: ["id"] },
  });
  assertEquals([same.level, same.check], ["ok", "distribution"]);
  assertMatch(same.message, /distributed by \(id\), part of the key \(id\)/);
  const part = distributionFinding({
    ...table,
    key: ["shop", "id"],
    distribution: { kind: "hash", columns: ["shop"] },
  });
  assertEquals(part.level, "ok");
});

Deno.test("a distribution key outside the row key: every batch redistributes, with the fix", () => {
  const other = distributionFinding({
    ...table,
    key: ["id"],
    distribution: { kind: "hash", columns: ["customer", "id"] },
  });
  assertEquals([other.level, other.check], ["warn", "distribution"]);
  assertEquals(
    other.message,
    "app.orders -> public.orders: distributed by (customer, id), but customer is not in the key " +
      "(id) rows are matched by, so every batch's DELETE ... USING moves rows between segments; " +
      `distribute it by the key: ALTER TABLE "public"."orders" SET DISTRIBUTED BY ("id")`,
  );
  const random = distributionFinding({
    ...table,
    key: ["a", "b"],
    distribution: { kind: "random" },
  });
  assertEquals(random.level, "warn");
  assertMatch(random.message, /distributed randomly, so every batch's DELETE \.\.\. USING/);
  assertMatch(random.message, /SET DISTRIBUTED BY \("a", "b"\)$/);
});

Deno.test("keyless tables and replicated tables are fine however they are spread", () => {
  for (
    const distribution of [
      { kind: "random" as const },
      { kind: "hash" as const, columns: ["x"] },
      { kind: "replicated" as const },
    ]
  ) {
    assertEquals(distributionFinding({ ...table, key: [], distribution }).level, "ok");
  }
  assertEquals(
    distributionFinding({ ...table, key: ["id"], distribution: { kind: "replicated" } }).level,
    "ok",
  );
});

Deno.test("the policy row: hashed, random (empty key, no row, GP5's NULL type) or replicated", () => {
  assertEquals(distributionOf({ policy: "p", columns: ["id"] }), { kind: "hash", columns: ["id"] });
  assertEquals(distributionOf({ policy: "p", columns: [] }), { kind: "random" });
  assertEquals(distributionOf({ policy: null, columns: ["id"] }), {
    kind: "hash",
    columns: ["id"],
  });
  assertEquals(distributionOf({ policy: null, columns: [] }), { kind: "random" });
  assertEquals(distributionOf(undefined), { kind: "random" });
  assertEquals(distributionOf({ policy: "r", columns: [] }), { kind: "replicated" });
});

const heap: StorageRow = { appendOnly: false, options: [], accessMethod: null, storage: null };

Deno.test("append-optimized tables are told apart by any of the catalog's answers", () => {
  assertEquals(storageOf(heap), "heap");
  assertEquals(storageOf({ ...heap, accessMethod: "heap", storage: "h" }), "heap");
  assertEquals(storageOf({ ...heap, options: ["fillfactor=70"] }), "heap");
  assertEquals(storageOf({ ...heap, appendOnly: true }), "ao_row");
  assertEquals(storageOf({ ...heap, options: ["appendonly=true"] }), "ao_row");
  assertEquals(
    storageOf({ ...heap, options: ["appendoptimized=true", "orientation=column"] }),
    "ao_column",
  );
  assertEquals(storageOf({ ...heap, options: ["appendonly=false"] }), "heap");
  assertEquals(storageOf({ ...heap, storage: "c" }), "ao_column"); // GP6 relstorage
  assertEquals(storageOf({ ...heap, storage: "a" }), "ao_row");
  assertEquals(storageOf({ ...heap, appendOnly: true, accessMethod: "ao_column" }), "ao_column");
  assertEquals(storageOf({ ...heap, appendOnly: true, accessMethod: "ao_row" }), "ao_row");
});

Deno.test("an append-optimized target is OK with a note on its table-level locks; heap says nothing", () => {
  assertEquals(storageFinding(table.label, "heap"), null);
  const column = storageFinding(table.label, "ao_column");
  assertEquals([column?.level, column?.check], ["ok", "append_optimized"]);
  assertMatch(column?.message ?? "", /^app\.orders -> public\.orders: append-optimized, column-/);
  assertMatch(column?.message ?? "", /lock the whole table .* fine with one writer per table/);
  assertMatch(storageFinding(table.label, "ao_row")?.message ?? "", /append-optimized \(row-/);
});

Deno.test("the deadlock detector warns only when off (or absent) with parallel writers", () => {
  const on = deadlockDetectorFinding("on", 8);
  assertEquals([on.level, on.check], ["ok", "deadlock_detector"]);
  const offOne = deadlockDetectorFinding("off", 1);
  assertEquals(offOne.level, "ok");
  assertMatch(offOne.message, /table-level EXCLUSIVE lock.*fine with concurrent_size = 1/);
  const offMany = deadlockDetectorFinding("off", 4);
  assertEquals(offMany.level, "warn");
  assertEquals(
    offMany.message,
    "gp_enable_global_deadlock_detector = off: UPDATE and DELETE take a table-level EXCLUSIVE " +
      "lock, so writers to one table take turns, so concurrent_size = 4 gives no parallel UPDATE " +
      "or DELETE on one table (only the COPY into staging runs in parallel); turn it on (gpconfig " +
      "-c gp_enable_global_deadlock_detector -v on, then gpstop -ar) or set concurrent_size = 1 " +
      "and save the extra connections",
  );
  const absent = deadlockDetectorFinding(null, 4);
  assertEquals(absent.level, "warn");
  assert(!absent.message.includes("gpconfig"), "a setting that does not exist cannot be turned on");
  assertEquals(deadlockDetectorFinding(null, 1).level, "ok");
});

Deno.test("the policy query reads GP6+'s distkey with its type, GP5's attrnums without", () => {
  const gp6 = GREENPLUM_CATALOG.distributionPolicy("distkey", true);
  assertMatch(gp6, /p\.policytype::text AS policy/);
  assertMatch(gp6, /p\.distkey::int2\[\]/);
  const gp5 = GREENPLUM_CATALOG.distributionPolicy("attrnums", false);
  assertMatch(gp5, /NULL::text AS policy/);
  assertMatch(gp5, /p\.attrnums::int2\[\]/);
  assert(!/WITH ORDINALITY|unnest/.test(gp5), "GP5 (PostgreSQL 8.3) has neither");
  assertMatch(GREENPLUM_CATALOG.tableStorage(false), /NULL::text AS storage/);
  assertMatch(GREENPLUM_CATALOG.tableStorage(true), /c\.relstorage::text AS storage/);
});

/**
 * A connection that answers version() with `version` and the Greenplum queries with a target of
 * columns id, customer and src distributed by `distributedBy`.
 */
function standIn(version: string, asked: string[], distributedBy = ["customer"]): Sql {
  const answer = (text: string, params: readonly unknown[] = []): unknown[] => {
    asked.push(text.trim().split(/\s+/).slice(0, 4).join(" "));
    if (text.includes("version()")) return [{ version }];
    if (text.startsWith("SHOW")) return [{ gp_enable_global_deadlock_detector: "off" }];
    if (text === GREENPLUM_CATALOG.catalogColumns) {
      return params[0] === "pg_catalog.pg_class"
        ? [{ name: "relname" }, { name: "relstorage" }]
        : [{ name: "localoid" }, { name: "policytype" }, { name: "distkey" }];
    }
    if (text.includes("gp_distribution_policy")) return [{ policy: "p", columns: distributedBy }];
    if (text.includes("pg_appendonly")) {
      return [{ appendOnly: true, options: [], accessMethod: null, storage: "c" }];
    }
    if (text.includes("pg_index")) return [];
    if (text.includes("pg_attribute")) {
      return [
        { name: "id", type: "bigint" },
        { name: "customer", type: "bigint" },
        { name: "src", type: "text" },
      ];
    }
    throw new Error(`unexpected query: ${text}`);
  };
  const sql = (strings: TemplateStringsArray) => Promise.resolve(answer(strings.join("$")));
  sql.unsafe = (text: string, params?: unknown[]) => Promise.resolve(answer(text, params));
  return sql as unknown as Sql;
}

const source: SourceTable = { schema: "app", table: "orders", columns: [], primaryKey: ["id"] };
const route: Route = { ...routeOf(source, [], "test"), identity: rowIdentity(source) };
const config = { concurrentSize: 4 } as Config;

Deno.test("the probe: nothing on PostgreSQL, every Greenplum finding otherwise", async () => {
  const asked: string[] = [];
  const postgres = standIn("PostgreSQL 16.2 on x86_64-pc-linux-gnu", asked);
  assertEquals(await greenplumFindings(config, postgres, [route]), []);
  assertEquals(asked.length, 1, "PostgreSQL is asked only its version");

  const greenplum = standIn("PostgreSQL 9.4.26 (Greenplum Database 6.24.3 build)", []);
  const findings = await greenplumFindings(config, greenplum, [route]);
  assertEquals(findings.map((f) => `${f.level} ${f.check}`), [
    "warn deadlock_detector",
    "warn distribution",
    "ok append_optimized",
  ]);
  assertMatch(findings[1].message, /SET DISTRIBUTED BY \("id"\)$/);
});

Deno.test("the source tag is part of the key a merged target may be distributed by", async () => {
  const rule = { ...plainRule("app", "orders", "public", "orders"), sourceColumn: "src" };
  const tagged: Route = { ...routeOf(source, [rule], "eu"), identity: rowIdentity(source) };
  const distribution = async (columns: string[]) =>
    (await greenplumFindings(config, standIn("Greenplum Database 6.24.3", [], columns), [tagged]))
      .find((f) => f.check === "distribution")!;
  for (const columns of [["id"], ["id", "src"], ["src"]]) {
    const finding = await distribution(columns);
    assertEquals(finding.level, "ok", finding.message);
    assertMatch(finding.message, /part of the key \(id, src\)/);
  }
  const outside = await distribution(["customer"]);
  assertEquals(outside.level, "warn");
  assertMatch(outside.message, /SET DISTRIBUTED BY \("id", "src"\)$/);
});
