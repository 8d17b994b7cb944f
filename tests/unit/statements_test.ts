/** Which followed tables a standalone statement names (the scan deciding replay and refresh). */
import { assertEquals } from "../support/assert.ts";
import type { TablePlan } from "../../src/pipeline/plan.ts";
import { tablesNamedIn } from "../../src/pipeline/statements.ts";

function plan(schema: string, table: string): TablePlan {
  return { route: { source: { schema, table } } } as unknown as TablePlan;
}
const orders = plan("shop", "orders");
const items = plan("shop", "Items");
const logs = plan("audit", "orders");
const all = [orders, items, logs];

function named(sql: string, defaultSchema = "shop"): TablePlan[] {
  return tablesNamedIn(sql, defaultSchema, all);
}

Deno.test("an unqualified name counts in the statement's default schema only", () => {
  assertEquals(named("TRUNCATE orders"), [orders]);
  assertEquals(named("TRUNCATE orders", "audit"), [logs]);
  assertEquals(named("TRUNCATE orders", "other"), []);
});

Deno.test("a qualified name counts whatever the default schema", () => {
  assertEquals(named("ALTER TABLE audit.orders ADD c INT", "other"), [logs]);
  assertEquals(named("TRUNCATE TABLE `shop`.`orders`", "other"), [orders]);
});

Deno.test("names are matched without case, backticks and within word bounds", () => {
  assertEquals(named("alter table ITEMS add c int"), [items]);
  assertEquals(named("ALTER TABLE `items` ADD c INT"), [items]);
  assertEquals(named("ALTER TABLE orders_old ADD c INT"), []);
  assertEquals(named("ALTER TABLE old_orders ADD c INT"), []);
  assertEquals(named("ALTER TABLE other.orders ADD c INT"), []);
  assertEquals(named("RENAME TABLE items TO items2, orders TO orders2"), [orders, items]);
});
