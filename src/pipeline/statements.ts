/**
 * What a standalone statement from the binlog (DDL, TRUNCATE) does to the targets, in the
 * transaction that commits the position after it: nothing when the schema history found no
 * followed or covered table in it; the replay of what it understood (`ddl_targets.ts`); a stop
 * naming the statement and the way on when it could not understand one on a followed table. A
 * statement marked handled (`mysql-gp-sync ddl skip`) is passed: the tables it names are read
 * again from the source catalog and planned against their targets as the user left them.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import type { Logger } from "../util/log.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import type { SchemaChange, TableName } from "../schema/ddl/changes.ts";
import type { DdlApplied } from "../schema/history.ts";
import { type SourceTable, tableKey } from "../schema/table.ts";
import type { SourceTransaction } from "../source/transaction.ts";
import { type AppliedDdl, DdlStore } from "../sink/ddl_store.ts";
import { detectDialect } from "../sink/dialect.ts";
import type { Queryable, Sql } from "../sink/postgres.ts";
import { SchemaStore } from "../sink/schema_store.ts";
import { describeTarget } from "../sink/target.ts";
import type { BatchWriter } from "../sink/writer.ts";
import { createTableStatements, hasPostgis, namingTableOptions } from "../tables/create_table.ts";
import { newTableRoute, targetName } from "../tables/followed.ts";
import type { Route } from "../tables/routes.ts";
import { Batch } from "./batch.ts";
import { replayChanges, type ReplayOutcome } from "./ddl_targets.ts";
import type { TablePlan } from "./plan.ts";
import type { TablePlans } from "./table_plans.ts";

/** A standalone statement applied. */
export interface AppliedStatement {
  /** The (row-less) batch applied, for the caller to record. */
  batch: Batch;
  /**
   * The followed tables, or how their rows are told apart, changed: rows after the statement
   * must be read again, decoded with the plans as they are now.
   */
  followedChanged: boolean;
  /** What the statement did to each followed table, for `status`. */
  ddl: AppliedDdl[];
}

/** Applies the statement of `tx` and commits its position. */
export async function applyStatement(
  tx: SourceTransaction,
  writer: BatchWriter,
  plans: TablePlans,
  sql: Sql,
  log: Logger,
): Promise<AppliedStatement> {
  const statement = tx.statement!;
  const batch = new Batch();
  batch.add({ ...tx, changes: [], rowCount: 0 }, plans.planFor);
  const ddl = statement.ddl;
  const applied: AppliedStatement = { batch, followedChanged: false, ddl: [] };
  const { config } = plans;
  const store = new DdlStore(config.positionSchema, config.syncId);
  const pass = { tx, applied, writer, plans, sql, store, log };
  if (ddl && await store.skipped(sql, tx.position)) return await passStatement(pass, ddl, true);
  if (!ddl) {
    await writer.apply(batch);
    return applied;
  }
  if (!ddl.understood) {
    const followed = ddl.tables.filter((name) => plans.planOf(name));
    if (followed.length > 0 || ddl.tables.length === 0) {
      throw notUnderstood(tx, ddl.reason, followed, plans);
    }
    log.warn(
      `the DDL ending at ${formatPosition(tx.position)} is not understood (${ddl.reason}); the ` +
        "tables it names are taken as the source catalog has them now",
    );
    return await passStatement(pass, ddl, false);
  }
  const versions = new Map(ddl.versions.map((v) => [tableKey(v.schema, v.table), v]));
  const before = await definitionsBefore(sql, plans, tx.position);
  const target = { dialect: await detectDialect(sql), postgis: await hasPostgis(sql) };
  let outcome: ReplayOutcome | null = null;
  await writer.applyStatements(batch, async (t) => {
    outcome = await replayChanges(ddl.changes, {
      tx: t,
      plans,
      config,
      log,
      ...target,
      statement: statement.sql,
      at: formatPosition(tx.position),
      executedAt: tx.timestamp,
      versions,
      before: (name) => before.get(tableKey(name.schema, name.table)),
      catalog: (name) => plans.catalogDefinition(name),
    });
    applied.ddl = outcome.records.map(({ table, outcome }) => ({
      table: `${table.schema}.${table.table}`,
      position: tx.position,
      statement: statement.sql,
      outcome,
      appliedAt: new Date(),
    }));
    // The schema history takes what it lacked from the catalog (read again when the reader is).
    const read = outcome.fromCatalog.map((d) => ({
      schema: d.schema,
      table: d.table,
      definition: d,
    }));
    await storeDefinitions(t, plans, tx, read);
    await record(t, store, applied.ddl);
  });
  const done = outcome as ReplayOutcome | null;
  if (done) applied.followedChanged = settle(done, plans, tx, log) || done.fromCatalog.length > 0;
  return applied;
}

/** Takes the replay's outcome into the plans and logs it; whether the reader must restart. */
function settle(
  outcome: ReplayOutcome,
  plans: TablePlans,
  tx: SourceTransaction,
  log: Logger,
): boolean {
  let changed = false;
  for (const { name, plan } of outcome.follows.values()) {
    const old = plans.planOf(name)?.route;
    const identity = (route: typeof old) => JSON.stringify(route?.identity ?? null);
    if (!old || !plan || identity(old) !== identity(plan.route)) changed = true;
    plans.follow(name, plan);
  }
  plans.noteVacated(outcome.vacated);
  const at = formatPosition(tx.position);
  for (const { table, outcome: what } of outcome.records) {
    log.info(`DDL ending at ${at} on ${table.schema}.${table.table}: ${what}`);
  }
  for (const warning of outcome.warnings) log.warn(warning);
  return changed;
}

/**
 * The definitions of the followed tables before the statement ending at `position`, as the schema
 * history stored them; a table it has none of falls back on its plan's.
 */
async function definitionsBefore(
  sql: Sql,
  plans: TablePlans,
  position: BinlogPosition,
): Promise<Map<string, SourceTable>> {
  const { config } = plans;
  const history = new SchemaStore(config.positionSchema, config.syncId);
  const stored = await history.load(sql, { file: position.file, pos: position.pos - 1 });
  const definitions = new Map<string, SourceTable>();
  for (const version of stored) {
    if (version.definition) {
      definitions.set(tableKey(version.schema, version.table), version.definition);
    }
  }
  return definitions;
}

/**
 * Stores definitions read from the catalog (null: the table is gone) as the schema history's
 * from the statement on, in the transaction of its position.
 */
async function storeDefinitions(
  tx: Queryable,
  plans: TablePlans,
  unit: SourceTransaction,
  versions: readonly { schema: string; table: string; definition: SourceTable | null }[],
): Promise<void> {
  if (versions.length === 0) return;
  const history = new SchemaStore(plans.config.positionSchema, plans.config.syncId);
  await tx.unsafe(history.writeStatements(versions, unit.position, unit.statement!.sql));
}

async function record(tx: Queryable, store: DdlStore, ddl: readonly AppliedDdl[]): Promise<void> {
  if (ddl.length === 0) return;
  for (const statement of store.ensureStatements()) await tx.unsafe(statement);
  for (const entry of ddl) await tx.unsafe(store.recordStatement(entry));
}

/** The stop at a statement on followed tables that could not be understood, with the way on. */
function notUnderstood(
  tx: SourceTransaction,
  reason: string,
  followed: readonly TableName[],
  plans: TablePlans,
): UserError {
  const at = formatPosition(tx.position);
  const tables = followed.length > 0
    ? `followed table(s) ${followed.map((t) => `${t.schema}.${t.table}`).join(", ")}`
    : "tables it does not name clearly";
  const targets = followed.flatMap((name) => {
    const plan = plans.planOf(name);
    return plan ? [targetName(plan.route)] : [];
  });
  const fix = targets.length > 0 ? `change ${targets.join(", ")}` : "change the targets";
  return new UserError(
    `cannot follow the DDL ending at ${at} on ${tables} (${reason}): ` +
      `${tx.statement!.sql.slice(0, 300)}; ${fix} by hand to match the source, then run ` +
      `"mysql-gp-sync ddl skip ${at}": the sync then reads the tables' definitions again from ` +
      "the MySQL catalog and goes on",
    1,
  );
}

/** What passing a statement needs. */
interface Pass {
  tx: SourceTransaction;
  applied: AppliedStatement;
  writer: BatchWriter;
  plans: TablePlans;
  sql: Sql;
  store: DdlStore;
  log: Logger;
}

/**
 * Passes a statement without replaying it: every followed or covered table it names is read
 * again from the source catalog and followed into its target as it is (created when missing).
 * `marked`: by `ddl skip`, whose mark goes with the position.
 */
async function passStatement(
  pass: Pass,
  ddl: DdlApplied,
  marked: boolean,
): Promise<AppliedStatement> {
  const { tx, applied, plans, sql, store, log } = pass;
  const { config } = plans;
  const names = namesIn(ddl, plans).filter((name) => plans.planOf(name) || plans.covers(name));
  const found: { name: TableName; definition: SourceTable | null; route: Route | null }[] = [];
  for (const name of names) {
    const definition = await plans.catalogDefinition(name);
    if (!definition) log.warn(`${name.schema}.${name.table} does not exist on the source now`);
    found.push({ name, definition, route: definition && newTableRoute(definition, config, log) });
  }
  const outcome = marked ? `marked handled (ddl skip)` : "not understood";
  const target = { dialect: await detectDialect(sql), postgis: await hasPostgis(sql) };
  const made = new Map<string, TablePlan | null>();
  await pass.writer.applyStatements(applied.batch, async (t) => {
    for (const { name, route } of found) {
      const key = tableKey(name.schema, name.table);
      const old = plans.planOf(name)?.route;
      made.set(key, null);
      let result = old ? `no longer followed; ${targetName(old)} kept` : "not followed";
      if (route) {
        if (!await describeTarget(t, route.pgSchema, route.pgTable)) {
          const statements = createTableStatements(route, target);
          await namingTableOptions(route, async () => {
            for (const statement of statements) await t.unsafe(statement);
          });
        }
        // Planned in the transaction: a target that cannot take the rows keeps the statement.
        const now = await describeTarget(t, route.pgSchema, route.pgTable);
        made.set(key, plans.plan(route, now!));
        result = `definition read from the MySQL catalog, into ${targetName(route)}`;
      }
      applied.ddl.push({
        table: `${name.schema}.${name.table}`,
        position: tx.position,
        statement: tx.statement!.sql,
        outcome: `${outcome}; ${result}`,
        appliedAt: new Date(),
      });
    }
    await storeDefinitions(
      t,
      plans,
      tx,
      found.map(({ name, definition }) => ({
        ...name,
        definition,
      })),
    );
    if (marked) await t.unsafe(store.forgetStatement(tx.position));
    await record(t, store, applied.ddl);
  });
  const at = formatPosition(tx.position);
  for (const { name } of found) {
    plans.follow(name, made.get(tableKey(name.schema, name.table)) ?? null);
    log.info(
      `DDL ending at ${at} on ${name.schema}.${name.table}: ${outcome}; read again from the ` +
        "MySQL catalog",
    );
  }
  applied.followedChanged = found.length > 0;
  return applied;
}

/** The tables a statement names (its changes', or the reader's list when not understood). */
function namesIn(ddl: DdlApplied, plans: TablePlans): TableName[] {
  if (!ddl.understood) return ddl.tables;
  return ddl.changes.flatMap((change: SchemaChange): TableName[] => {
    switch (change.kind) {
      case "create-table":
      case "create-table-like":
      case "drop-table":
      case "truncate-table":
        return [change.table];
      case "rename-table":
        return [change.from, change.to];
      case "alter-table": {
        const rename = change.operations.findLast((o) => o.kind === "rename-table");
        return rename?.kind === "rename-table" ? [change.table, rename.to] : [change.table];
      }
      case "drop-schema":
        return [...plans.all].map((plan) => plan.route.source as TableName)
          .filter((name) => name.schema === change.schema);
    }
  });
}
