/**
 * The statements of each target dialect: staging tables, the merge's planner settings and the
 * tables snapshot creates, for PostgreSQL (the texts it has always received) and Greenplum.
 */
import { assertEquals } from "../support/assert.ts";
import {
  dialectOf,
  GREENPLUM,
  type NewTable,
  POSTGRES,
  type StagingLayout,
} from "../../src/sink/dialect.ts";

const LAYOUT: StagingLayout = {
  target: `"public"."items"`,
  columns: [`"id"`, `"name"`],
  targetColumns: [`"id"`, `"name"`, `"added"`],
};

const TABLE: NewTable = {
  schema: "shop",
  table: "Items",
  columns: [{ name: "id", type: "bigint" }, { name: "k", type: "text" }, {
    name: "note",
    type: "character varying(20)",
  }],
  key: ["id", "k"],
  distributedBy: null,
  options: null,
};

Deno.test("the version string tells Greenplum and Cloudberry from PostgreSQL", () => {
  assertEquals(
    dialectOf("PostgreSQL 16.2 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 13.2.0, 64-bit").name,
    "postgres",
  );
  assertEquals(
    dialectOf(
      "PostgreSQL 9.4.26 (Greenplum Database 6.24.0 build commit:b1e9cd7) on x86_64-unknown-linux-gnu",
    ).name,
    "greenplum",
  );
  assertEquals(
    dialectOf("PostgreSQL 12.12 (Greenplum Database 7.1.0 build commit:e7c2b1f1) on x86_64").name,
    "greenplum",
  );
  assertEquals(
    dialectOf("PostgreSQL 14.4 (Apache Cloudberry 1.6.0 build 1) on x86_64-pc-linux-gnu").name,
    "greenplum",
  );
});

Deno.test("PostgreSQL: staging made by CREATE TABLE AS of the staged columns", () => {
  assertEquals(POSTGRES.tempStaging(`"mysql_gp_sync_stage_1"`, LAYOUT), [
    `DROP TABLE IF EXISTS pg_temp."mysql_gp_sync_stage_1"`,
    `CREATE TEMP TABLE "mysql_gp_sync_stage_1" ON COMMIT DELETE ROWS AS ` +
    `SELECT "id", "name", NULL::boolean AS "__mysql_gp_sync_deleted" FROM "public"."items" WITH NO DATA`,
  ]);
  assertEquals(POSTGRES.sharedStaging(`"sync"."stage_0"`, LAYOUT), [
    `DROP TABLE IF EXISTS "sync"."stage_0"`,
    `CREATE UNLOGGED TABLE "sync"."stage_0" AS ` +
    `SELECT "id", "name", NULL::boolean AS "__mysql_gp_sync_deleted" FROM "public"."items" WITH NO DATA`,
  ]);
  assertEquals(POSTGRES.clearSharedStaging(`"sync"."stage_0"`), `TRUNCATE "sync"."stage_0"`);
});

Deno.test("Greenplum: staging LIKE the target (its distribution), NULLs allowed, no autostats", () => {
  const nullable = `ALTER COLUMN "id" DROP NOT NULL, ALTER COLUMN "name" DROP NOT NULL, ` +
    `ALTER COLUMN "added" DROP NOT NULL`;
  assertEquals(GREENPLUM.tempStaging(`"mysql_gp_sync_stage_1"`, LAYOUT), [
    `SET gp_autostats_mode = none`,
    `DROP TABLE IF EXISTS pg_temp."mysql_gp_sync_stage_1"`,
    `CREATE TEMP TABLE "mysql_gp_sync_stage_1" (LIKE "public"."items", ` +
    `"__mysql_gp_sync_deleted" boolean) ON COMMIT DELETE ROWS`,
    `ALTER TABLE pg_temp."mysql_gp_sync_stage_1" ${nullable}`,
  ]);
  assertEquals(GREENPLUM.sharedStaging(`"sync"."stage_0"`, LAYOUT), [
    `DROP TABLE IF EXISTS "sync"."stage_0"`,
    `CREATE UNLOGGED TABLE "sync"."stage_0" (LIKE "public"."items", "__mysql_gp_sync_deleted" boolean)`,
    `ALTER TABLE "sync"."stage_0" ${nullable}`,
  ]);
  assertEquals(
    GREENPLUM.clearSharedStaging(`"sync"."stage_0"`),
    `SET LOCAL gp_autostats_mode = none; TRUNCATE "sync"."stage_0"`,
  );
});

Deno.test("the merge's planner settings are the same on both", () => {
  for (const dialect of [POSTGRES, GREENPLUM]) {
    assertEquals(
      dialect.mergeSettings(true),
      "SET LOCAL enable_hashjoin TO off; SET LOCAL enable_mergejoin TO off; ",
    );
    assertEquals(
      dialect.mergeSettings(false),
      "SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; ",
    );
  }
});

Deno.test("PostgreSQL: CREATE TABLE with the key as primary key, no NOT NULL beyond it", () => {
  assertEquals(POSTGRES.createTable(TABLE), [
    `CREATE SCHEMA IF NOT EXISTS "shop"`,
    `CREATE TABLE "shop"."Items" (\n  "id" bigint,\n  "k" text,\n  "note" character varying(20),\n` +
    `  PRIMARY KEY ("id", "k")\n)`,
  ]);
  assertEquals(
    POSTGRES.createTable({ ...TABLE, key: [] })[1],
    `CREATE TABLE "shop"."Items" (\n  "id" bigint,\n  "k" text,\n  "note" character varying(20)\n)`,
  );
});

Deno.test("Greenplum: CREATE TABLE distributed by the key, or randomly without one", () => {
  assertEquals(GREENPLUM.createTable(TABLE), [
    `CREATE SCHEMA IF NOT EXISTS "shop"`,
    `CREATE TABLE "shop"."Items" (\n  "id" bigint,\n  "k" text,\n  "note" character varying(20),\n` +
    `  PRIMARY KEY ("id", "k")\n) DISTRIBUTED BY ("id", "k")`,
  ]);
  assertEquals(
    GREENPLUM.createTable({ ...TABLE, key: [] })[1],
    `CREATE TABLE "shop"."Items" (\n  "id" bigint,\n  "k" text,\n  "note" character varying(20)\n)` +
      ` DISTRIBUTED RANDOMLY`,
  );
});
