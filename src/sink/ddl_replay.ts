/**
 * The statements that bring a target table to a source table's new definition after an ALTER
 * TABLE (or a rename onto its name): columns renamed, added with the value MySQL gave existing
 * rows, dropped or kept by policy, retyped, and the primary key changed. Worked out against the
 * target's catalog as it is, so that what is already there (changed by hand, or by an earlier try)
 * is recognised rather than done twice, and columns the user added or typed otherwise are left as
 * they are. Pure but for {@link readReplayTarget}.
 *
 * @module
 */
import { qualified, quoteIdent } from "../convert/ident.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import type { TargetColumn } from "../convert/types.ts";
import type { SourceTable, TableColumn } from "../schema/table.ts";
import type { TargetDialect } from "./dialect.ts";
import { existingRowsFill } from "./existing_rows_fill.ts";
import type { Queryable } from "./postgres.ts";
import { describeTarget, targetColumnFor } from "./target.ts";

/** A target table as a replay needs to know it. */
export interface ReplayTarget {
  schema: string;
  table: string;
  columns: TargetColumn[];
  /** The primary key constraint; null when there is none. */
  primaryKey: { constraint: string; columns: string[] } | null;
  /** Greenplum's distribution key columns; empty on PostgreSQL and for random distribution. */
  distributionKey: string[];
}

/** A column renamed by the statement (RENAME COLUMN, CHANGE with a new name). */
export interface ColumnRename {
  from: string;
  to: string;
}

/** How to replay. */
export interface ReplayOptions {
  dropColumn: "drop" | "keep";
  dialect: TargetDialect;
  /** PostGIS is installed: geometry columns are `geometry`. */
  postgis: boolean;
  /** When the statement ran on the source (ms since epoch). */
  executedAt: number;
}

/** What a replay does to one target table. */
export interface TableReplay {
  statements: string[];
  /** What is done or found done, a phrase each, for the log. */
  done: string[];
  /** What the target cannot show as the source does, each with what to do. */
  warnings: string[];
}

/** The target dialect refuses a change; the message says what to do instead. */
export class ReplayRefused extends Error {
  override name = "ReplayRefused";
}

/** The target `schema.table` with its primary key and distribution; null when there is none. */
export async function readReplayTarget(
  sql: Queryable,
  dialect: TargetDialect,
  schema: string,
  table: string,
): Promise<ReplayTarget | null> {
  const described = await describeTarget(sql, schema, table);
  if (!described) return null;
  const name = qualified(schema, table);
  const keys = await sql.unsafe<{ constraint: string; columns: string[] }[]>(
    `SELECT c.conname AS constraint,
            array(SELECT a.attname::text
                    FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_catalog.pg_attribute a
                      ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                   ORDER BY k.n) AS columns
       FROM pg_catalog.pg_constraint c
      WHERE c.conrelid = $1::regclass AND c.contype = 'p'`,
    [name],
  );
  const query = dialect.distributionKeyQuery;
  const spread = query ? await sql.unsafe<{ name: string }[]>(query, [name]) : [];
  return {
    schema,
    table,
    columns: described.columns,
    primaryKey: keys[0] ?? null,
    distributionKey: spread.map((row) => row.name),
  };
}

/** What a target is brought to. */
export interface TargetChange {
  /** The source definition the target was made for; null when unknown (then no column is taken
   * for one of ours to drop or retype). */
  before: SourceTable | null;
  after: SourceTable;
  /** The target's key after the change (source column names); empty: none. */
  key: readonly string[];
  /**
   * The target's key before it; null when unknown. The target's key is changed only when this
   * differs from `key`: a key the user gave the target stays through other changes.
   */
  keyBefore: readonly string[] | null;
  /** The column renames of the statement. */
  renames: readonly ColumnRename[];
}

/** The statements that turn `target` into the target of `change.after`. */
export function alterTargetStatements(
  target: ReplayTarget,
  change: TargetChange,
  options: ReplayOptions,
): TableReplay {
  const { before, after, renames } = change;
  const name = qualified(target.schema, target.table);
  const replay: TableReplay = { statements: [], done: [], warnings: [] };
  const columns = target.columns.map((column) => ({ ...column }));
  renameColumns(name, columns, renames, replay);
  const renamed = new Map(renames.map((r) => [r.to.toLowerCase(), r.from.toLowerCase()]));
  const beforeColumn = (column: string): TableColumn | undefined => {
    const old = renamed.get(column.toLowerCase()) ?? column.toLowerCase();
    return before?.columns.find((c) => c.name.toLowerCase() === old);
  };
  const key = keyChange(target, columns, change);
  if (key) {
    const refusal = options.dialect.refusedPrimaryKey(name, target, key.columns);
    if (refusal) throw new ReplayRefused(refusal);
    if (target.primaryKey) {
      replay.statements.push(
        `ALTER TABLE ${name} DROP CONSTRAINT ${quoteIdent(target.primaryKey.constraint)}`,
      );
    }
  }
  dropColumns(name, columns, after, beforeColumn, options, replay);
  for (const column of after.columns) {
    const mapped = pgTypeFor(column, { postgis: options.postgis });
    const existing = targetColumnFor({ columns }, column.name);
    if (!existing) {
      addColumn(name, column, mapped, options, replay);
      columns.push({ name: column.name, type: mapped });
      continue;
    }
    if (existing.type === mapped) continue;
    const old = beforeColumn(column.name);
    const ours = old !== undefined &&
      pgTypeFor(old, { postgis: options.postgis }) === existing.type;
    if (!ours) {
      // Typed by the user (or added by hand): kept; the plan checks it can take the values.
      replay.done.push(`column ${existing.name} kept as ${existing.type}`);
      continue;
    }
    const refusal = options.dialect.refusedRetype(name, target, existing.name, mapped);
    if (refusal) throw new ReplayRefused(refusal);
    replay.statements.push(
      `ALTER TABLE ${name} ALTER COLUMN ${quoteIdent(existing.name)} TYPE ${mapped} USING ${
        castTo(existing, mapped)
      }`,
    );
    replay.done.push(`column ${existing.name} ${existing.type} -> ${mapped}`);
    existing.type = mapped;
  }
  if (key && key.columns.length > 0) {
    const list = key.columns.map(quoteIdent).join(", ");
    replay.statements.push(`ALTER TABLE ${name} ADD PRIMARY KEY (${list})`);
  }
  if (key) replay.done.push(`primary key (${key.columns.join(", ") || "none"})`);
  return replay;
}

/**
 * Renames on the target, through temporary names when one frees a name another takes (a swap).
 * A rename whose old name is gone while the new one is there is recognised as done.
 */
function renameColumns(
  name: string,
  columns: TargetColumn[],
  renames: readonly ColumnRename[],
  replay: TableReplay,
): void {
  const pending: { column: TargetColumn; from: string; to: string }[] = [];
  for (const rename of renames) {
    const from = targetColumnFor({ columns }, rename.from);
    const to = targetColumnFor({ columns }, rename.to);
    if (!from) {
      if (to) replay.done.push(`column ${to.name} found renamed`);
      continue;
    }
    if (from.name === rename.to) continue;
    // Both there, the new name staying: made by hand; the old one goes as a dropped column.
    if (to && to !== from && !renames.some((r) => eq(r.from, to.name))) continue;
    pending.push({ column: from, from: from.name, to: rename.to });
  }
  const swap = pending.some((p) => pending.some((q) => q !== p && eq(q.from, p.to)));
  const steps = swap
    ? [
      ...pending.map((p, i) => ({ ...p, to: `mysql_gp_sync_rename_${i}` })),
      ...pending.map((p, i) => ({ ...p, from: `mysql_gp_sync_rename_${i}` })),
    ]
    : pending;
  for (const step of steps) {
    replay.statements.push(
      `ALTER TABLE ${name} RENAME COLUMN ${quoteIdent(step.from)} TO ${quoteIdent(step.to)}`,
    );
    step.column.name = step.to;
  }
  for (const p of pending) replay.done.push(`column ${p.from} renamed to ${p.to}`);
}

/** The new primary key, when the source's changed and the target does not have it yet. */
function keyChange(
  target: ReplayTarget,
  columns: readonly TargetColumn[],
  change: TargetChange,
): { columns: string[] } | null {
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((name, i) => eq(name, b[i]));
  if (change.keyBefore === null || same(change.keyBefore, change.key)) return null;
  const wanted = change.key.map((name) => targetColumnFor({ columns }, name)?.name ?? name);
  return same(wanted, target.primaryKey?.columns ?? []) ? null : { columns: wanted };
}

/** Target columns the source dropped: dropped or kept (nullable) by policy; others stay. */
function dropColumns(
  name: string,
  columns: TargetColumn[],
  after: SourceTable,
  beforeColumn: (column: string) => TableColumn | undefined,
  options: ReplayOptions,
  replay: TableReplay,
): void {
  for (const column of [...columns]) {
    if (after.columns.some((c) => eq(c.name, column.name))) continue;
    if (!beforeColumn(column.name)) continue;
    const quoted = quoteIdent(column.name);
    if (options.dropColumn === "drop") {
      replay.statements.push(`ALTER TABLE ${name} DROP COLUMN ${quoted}`);
      columns.splice(columns.indexOf(column), 1);
      replay.done.push(`column ${column.name} dropped`);
    } else {
      // A former key column keeps NOT NULL after its key is gone; new rows leave it empty.
      replay.statements.push(`ALTER TABLE ${name} ALTER COLUMN ${quoted} DROP NOT NULL`);
      replay.done.push(`column ${column.name} kept (ddl_drop_column = "keep")`);
    }
  }
}

/**
 * Adds `column` with the value MySQL gave the existing rows as DEFAULT, dropped again in a
 * statement of its own (in the same ALTER, PostgreSQL would fill the rows after the DROP DEFAULT).
 */
function addColumn(
  name: string,
  column: TableColumn,
  mapped: string,
  options: ReplayOptions,
  replay: TableReplay,
): void {
  const quoted = quoteIdent(column.name);
  const fill = existingRowsFill(column, mapped, options.executedAt);
  const value = "sql" in fill ? fill.sql : null;
  if (value === null) {
    replay.statements.push(`ALTER TABLE ${name} ADD COLUMN ${quoted} ${mapped}`);
  } else {
    replay.statements.push(
      `ALTER TABLE ${name} ADD COLUMN ${quoted} ${mapped} DEFAULT ${value}`,
      `ALTER TABLE ${name} ALTER COLUMN ${quoted} DROP DEFAULT`,
    );
  }
  replay.done.push(`column ${column.name} ${mapped} added`);
  if ("unknown" in fill) {
    replay.warnings.push(
      `the rows already in ${name} get NULL in its new column ${column.name}, which MySQL ` +
        `filled itself (${fill.unknown})`,
    );
  }
}

/** The USING expression that converts `column` to `type`. */
function castTo(column: TargetColumn, type: string): string {
  const quoted = quoteIdent(column.name);
  const text = /^(text|character)/;
  if (type === "bytea" && text.test(column.type)) return `convert_to(${quoted}, 'UTF8')`;
  if (column.type === "bytea" && text.test(type)) {
    return `convert_from(${quoted}, 'UTF8')::${type}`;
  }
  if (type.startsWith("bit(") && column.type === "numeric(20,0)") {
    return `${quoted}::bigint::${type}`;
  }
  return `${quoted}::${type}`;
}

/** Column names compare without case, as MySQL compares them. */
function eq(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A table as schema and name. */
export interface TableRef {
  schema: string;
  table: string;
}

/** The statements that move target table `from` to `to`, into another schema if need be. */
export function renameTargetStatements(from: TableRef, to: TableRef): string[] {
  const statements: string[] = [];
  if (from.table !== to.table) {
    statements.push(
      `ALTER TABLE ${qualified(from.schema, from.table)} RENAME TO ${quoteIdent(to.table)}`,
    );
  }
  if (from.schema !== to.schema) {
    statements.push(
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(to.schema)}`,
      `ALTER TABLE ${qualified(from.schema, to.table)} SET SCHEMA ${quoteIdent(to.schema)}`,
    );
  }
  return statements;
}
