/** What `check` says of the schema history (the pure rule; the probe runs in check_test.ts). */
import { assertEquals, assertMatch } from "../support/assert.ts";
import { historyFinding } from "../../src/check/history.ts";

const store = `"public"."mysql_gp_sync_schema"`;
const empty = { tables: [], newest: null };

Deno.test("no history yet: fine for a new sync, worth a warning for one that ran before", () => {
  const fresh = historyFinding(empty, ["app.t"], store, false);
  assertEquals([fresh.level, fresh.check], ["ok", "schema_history"]);
  assertMatch(
    fresh.message,
    /^no schema history yet in "public"\."mysql_gp_sync_schema": run starts it/,
  );
  const upgraded = historyFinding(empty, ["app.t"], store, true);
  assertEquals(upgraded.level, "warn");
  assertMatch(upgraded.message, /schema_history_seed = "catalog"/);
});

Deno.test("a history: the tables it covers, its newest version, and followed tables it lacks", () => {
  const state = {
    tables: ["app.t", "app.u"],
    newest: {
      position: { file: "mysql-bin.000002", pos: 900 },
      origin: "ddl" as const,
      table: "app.t",
    },
  };
  const covered = historyFinding(state, ["app.t", "app.u"], store, true);
  assertEquals(covered.level, "ok");
  assertEquals(
    covered.message,
    `schema history of 2 table(s) in ${store}, newest version at mysql-bin.000002:900 ` +
      "(DDL on app.t)",
  );
  const lacking = historyFinding(state, ["app.t", "app.u", "app.v"], store, true);
  assertEquals(lacking.level, "warn");
  assertMatch(lacking.message, /none yet of 1 followed table\(s\) \(app\.v\): run starts it/);
});
