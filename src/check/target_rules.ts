/**
 * The target-table rules of `check`, pure over what the target's catalog reported: every
 * replicated source column lands in a compatible column, the columns a rule adds (source tag,
 * soft-delete flag and time) exist with a type that takes their values, and no unique key refuses
 * a row of a second source whose key equals one already there; a missing target's CREATE TABLE.
 *
 * @module
 */
import { qualified, quoteIdent } from "../convert/ident.ts";
import { charsetSupport } from "../convert/charset.ts";
import { incompatibility } from "../convert/compatibility.ts";
import { pgTypeFor } from "../convert/pg_type.ts";
import type { SourceColumn } from "../convert/types.ts";
import type { TargetDialect } from "../sink/dialect.ts";
import { targetColumnFor, type TargetTable } from "../sink/target.ts";
import {
  APPENDED_COLUMNS,
  appendedColumns,
  type AppendedFields,
  replicatedColumns,
} from "../tables/column_pairing.ts";
import { createTableStatements } from "../tables/create_table.ts";
import type { Route } from "../tables/routes.ts";
import { fail, type Finding, warn } from "./finding.ts";

/** A target column's constraints that decide whether a row can be inserted. */
export interface ColumnRules {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
}

/** Every replicated source column lands in a target column of a compatible type; so do the added. */
export function columnFindings(
  route: Route,
  target: TargetTable,
  rules: readonly ColumnRules[],
): Finding[] {
  const { source } = route;
  const findings: Finding[] = [];
  const table = qualified(route.pgSchema, route.pgTable);
  const filled = new Set<string>();
  for (const column of replicatedColumns(route, source.columns)) {
    const where = `${source.schema}.${source.table}.${column.name}`;
    const match = targetColumnFor(target, column.name);
    if (!match) {
      findings.push(fail(
        "columns",
        `${where} has no column in ${route.pgSchema}.${route.pgTable}: ALTER TABLE ${table} ` +
          `ADD COLUMN ${quoteIdent(column.name)} ${typeFor(column)}`,
      ));
      continue;
    }
    filled.add(match.name);
    // An undecodable charset is reported once by the charset check.
    if (column.charset && charsetSupport(column.charset) === "unsupported") continue;
    const reason = incompatibility(column, match);
    if (reason) {
      findings.push(fail(
        "columns",
        `${where} -> ${match.name}: ${reason}; change the column: ALTER TABLE ${table} ALTER ` +
          `COLUMN ${quoteIdent(match.name)} TYPE ${typeFor(column)}`,
      ));
    } else if (column.nullable && rules.find((r) => r.name === match.name)?.notNull) {
      findings.push(warn(
        "columns",
        `${where} may be NULL but ${match.name} is NOT NULL, so such rows would stop the sync: ` +
          `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(match.name)} DROP NOT NULL`,
      ));
    }
  }
  findings.push(...addedColumnFindings(route, target, filled));
  for (const rule of rules) {
    if (!filled.has(rule.name) && rule.notNull && !rule.hasDefault) {
      findings.push(fail(
        "columns",
        `${route.pgSchema}.${route.pgTable}.${rule.name} is NOT NULL without a default and has no ` +
          `MySQL column, so every insert would fail: ALTER TABLE ${table} ALTER COLUMN ${
            quoteIdent(rule.name)
          } DROP NOT NULL (or SET DEFAULT ...)`,
      ));
    }
  }
  return findings;
}

function typeFor(column: SourceColumn): string {
  try {
    return pgTypeFor(column);
  } catch {
    return "<a type for " + column.columnType + ">";
  }
}

/**
 * The fix for a missing target: the statements `snapshot` and `run` would create it with, on one
 * line; what stops them when a type cannot be mapped.
 */
export function createTableHint(
  route: Route,
  creation: { dialect: TargetDialect; postgis: boolean },
): string {
  try {
    const statements = createTableStatements(route, creation);
    return `create it (snapshot and run do so): ${
      statements.join("; ").replace(/\(\n\s*/g, "(").replace(/\n\s*\)/g, ")")
        .replace(/\n\s*/g, " ")
    }`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The target types (format_type) that take each added column's values. */
const ADDED_TYPES: Record<keyof AppendedFields, RegExp> = {
  tag: /^(text|character varying|character|citext)\b/,
  deleted: /^boolean$/,
  deletedAt: /^timestamp\b/,
};

/**
 * The source tag and soft-delete columns exist with a fitting type; `filled` takes them. Named by
 * the target alone: tables merged into one target share these findings.
 */
function addedColumnFindings(route: Route, target: TargetTable, filled: Set<string>): Finding[] {
  const table = qualified(route.pgSchema, route.pgTable);
  const findings: Finding[] = [];
  for (const { role, column: name } of appendedColumns(route)) {
    const { key, type, why } = APPENDED_COLUMNS[role];
    const match = targetColumnFor(target, name);
    if (!match) {
      findings.push(fail(
        "columns",
        `${route.pgSchema}.${route.pgTable} has no column "${name}", which [[rule]] ${key} ` +
          `names: ALTER TABLE ${table} ADD COLUMN ${quoteIdent(name)} ${type}${why}`,
      ));
      continue;
    }
    filled.add(match.name);
    if (!ADDED_TYPES[role].test(match.type)) {
      findings.push(fail(
        "columns",
        `${route.pgSchema}.${route.pgTable}.${match.name} (${key}) is ${match.type}, which ` +
          `cannot hold its values: ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(match.name)} ` +
          `TYPE ${type.split(" ")[0]}`,
      ));
    }
  }
  return findings;
}

/**
 * The target's key, as the sync deletes and matches rows by: the identity's columns (as the target
 * names them), then the source tag's; none for a whole-row identity.
 */
export function targetKeyColumns(route: Route, target: TargetTable): string[] {
  if (route.identity.kind === "whole-row") return [];
  const key = route.identity.columns.map((k) => targetColumnFor(target, k)?.name ?? k);
  if (route.sourceTag) {
    key.push(targetColumnFor(target, route.sourceTag.column)?.name ?? route.sourceTag.column);
  }
  return key;
}

/** A unique index of the target: its name, the constraint it backs if any, and its columns. */
export interface UniqueIndex {
  index: string;
  /** The PRIMARY KEY or UNIQUE constraint it backs; null for a CREATE UNIQUE INDEX. */
  constraint: string | null;
  primary: boolean;
  columns: readonly string[];
}

/**
 * With a source tag, a unique key on the source key alone refuses the row of a second source
 * whose key equals one already there: the tag must be part of it.
 */
export function sourceTagKeyFindings(
  route: Route,
  target: TargetTable,
  indexes: readonly UniqueIndex[],
): Finding[] {
  if (!route.sourceTag) return [];
  const tag = targetColumnFor(target, route.sourceTag.column)?.name;
  if (tag === undefined) return []; // reported as a missing column
  const own = targetKeyColumns(route, target).filter((name) => name !== tag);
  const table = qualified(route.pgSchema, route.pgTable);
  return indexes
    .filter((i) => !i.columns.includes(tag) && i.columns.every((name) => own.includes(name)))
    .map((i) => {
      const columns = [...i.columns, tag].map(quoteIdent).join(", ");
      const fix = i.constraint === null
        ? `DROP INDEX ${qualified(route.pgSchema, i.index)}; CREATE UNIQUE INDEX ON ${table} ` +
          `(${columns})`
        : `ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(i.constraint)}, ADD ${
          i.primary ? "PRIMARY KEY" : "UNIQUE"
        } (${columns})`;
      const what = i.primary ? "the primary key" : `unique index ${i.index}`;
      return fail(
        "target_key",
        `${route.pgSchema}.${route.pgTable}: ${what} (${i.columns.join(", ")}) leaves out ` +
          `${tag} (source_column), so a row of another source with an equal key is refused; ` +
          `make ${tag} part of it: ${fix}`,
      );
    });
}
