/**
 * What verify needs to know about each key column and each compared column: how PostgreSQL
 * compares it, whether MySQL and PostgreSQL order it the same way, and how to hand a PostgreSQL
 * key value back to MySQL.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { quoteIdent } from "../convert/ident.ts";
import { describeSource } from "../convert/source_kind.ts";
import { comparedAsText, describeTarget } from "../convert/target_kind.ts";
import type { SourceColumn, TargetColumn } from "../convert/types.ts";
import type { KeyValue } from "../tables/source_rows.ts";

/** A compared column: its quoted target name and how two values of it are told apart. */
export interface ComparedColumn {
  quoted: string;
  /** SQL that is true when `a.col` and `b.col` differ (NULLs included). */
  differs(a: string, b: string): string;
}

/** A key column of the target, as verify uses it. */
export interface KeyColumn extends ComparedColumn {
  name: string;
  /** The target type as `format_type()` prints it (for casts of text parameters). */
  type: string;
  /** SQL turning `alias.col` into a value MySQL compares exactly (see {@link KeyColumn.toMySql}). */
  mysqlText(alias: string): string;
  /** The value for MySQL from what {@link KeyColumn.mysqlText} selected. */
  toMySql(text: string): KeyValue;
}

export function comparedColumn(target: TargetColumn): ComparedColumn {
  const quoted = quoteIdent(target.name);
  return {
    quoted,
    differs: comparedAsText(target.type)
      ? (a, b) => `${a}.${quoted}::text IS DISTINCT FROM ${b}.${quoted}::text`
      : (a, b) => `${a}.${quoted} IS DISTINCT FROM ${b}.${quoted}`,
  };
}

export function keyColumn(target: TargetColumn): KeyColumn {
  const compared = comparedColumn(target);
  const q = compared.quoted;
  const kind = describeTarget(target.type);
  let mysqlText = (alias: string) => `${alias}.${q}::text`;
  let toMySql = (text: string): KeyValue => text;
  switch (kind.kind) {
    case "bytea":
      mysqlText = (alias) => `encode(${alias}.${q}, 'hex')`;
      toMySql = (text) => Buffer.from(text, "hex");
      break;
    case "timestamp":
      // A TIMESTAMP key is read in UTC (the source session's time zone); a DATETIME as written
      mysqlText = kind.tz
        ? (alias) => `to_char(${alias}.${q} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`
        : (alias) => `to_char(${alias}.${q}, 'YYYY-MM-DD HH24:MI:SS.US')`;
      break;
    case "date":
      mysqlText = (alias) => `to_char(${alias}.${q}, 'YYYY-MM-DD')`;
      break;
    case "boolean":
      mysqlText = (alias) => `${alias}.${q}::int::text`;
      break;
    case "bit":
      mysqlText = (alias) => `${alias}.${q}::bigint::text`;
      break;
  }
  return { ...compared, name: target.name, type: target.type, mysqlText, toMySql };
}

/**
 * True when MySQL's order of the source column and PostgreSQL's order of the target column agree,
 * so a key range means the same rows on both sides. Not so for text (collations differ: MySQL's
 * `utf8mb4_general_ci` against PostgreSQL's byte order or ICU), ENUM (MySQL orders by index) and
 * the MariaDB UUID type (ordered by its swapped segments).
 */
export function sameOrder(source: SourceColumn, target: TargetColumn): boolean {
  const s = describeSource(source).kind;
  const t = describeTarget(target.type).kind;
  switch (s) {
    case "int":
    case "decimal":
    case "year":
      return t === "smallint" || t === "integer" || t === "bigint" || t === "numeric";
    case "bit":
      return t === "bit" || t === "varbit" || t === "smallint" || t === "integer" ||
        t === "bigint" || t === "numeric";
    case "float":
    case "double":
      return t === "real" || t === "double";
    case "date":
    case "datetime":
    case "timestamp":
      return t === "date" || t === "timestamp";
    case "time":
      return t === "interval";
    case "binary":
      return t === "bytea";
  }
  return false;
}
