/**
 * What a PostgreSQL column accepts, parsed once from its type name (`describeTarget`): the type
 * family with its length, precision or fractional seconds.
 *
 * @module
 */

/** What a target column accepts, parsed once from its PostgreSQL type. */
export type TargetKind =
  | { kind: "smallint" }
  | { kind: "integer" }
  | { kind: "bigint" }
  /** precision null: unconstrained `numeric`. */
  | { kind: "numeric"; precision: number | null; scale: number }
  | { kind: "real" }
  | { kind: "double" }
  | { kind: "boolean" }
  | { kind: "bit"; width: number }
  | { kind: "varbit"; width: number | null }
  | { kind: "date" }
  | { kind: "timestamp"; fsp: number; tz: boolean }
  | { kind: "time"; fsp: number; tz: boolean }
  /** `fields`: restricted to some fields (`interval day`), which truncates. */
  | { kind: "interval"; fsp: number; fields: boolean }
  | { kind: "text" }
  | { kind: "varchar"; length: number | null }
  | { kind: "char"; length: number }
  | { kind: "bytea" }
  | { kind: "json" }
  | { kind: "jsonb" }
  | { kind: "uuid" }
  | { kind: "inet" }
  | { kind: "geometry" }
  | { kind: "other"; name: string };

const TARGET_TYPE =
  /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?(\s+(?:with|without) time zone)?$/;
const INTERVAL_FIELDS = /^interval\s+(year|month|day|hour|minute|second)/;

/** Parses a PostgreSQL type name (`format_type()` output, or a common alias). */
export function describeTarget(type: string): TargetKind {
  let text = type.trim().toLowerCase().replace(/\s+/g, " ");
  if (text.endsWith("[]")) return { kind: "other", name: type };
  text = text.replace(/^(?:pg_catalog|public)\./, "");
  if (text === "geometry" || text.startsWith("geometry(")) return { kind: "geometry" };
  if (text.startsWith("interval")) {
    const fields = INTERVAL_FIELDS.test(text);
    const p = /\((\d+)\)/.exec(text)?.[1];
    return { kind: "interval", fsp: p === undefined ? 6 : Number(p), fields };
  }
  const m = TARGET_TYPE.exec(text);
  if (!m) return { kind: "other", name: type };
  const [, base, a, b, zone] = m;
  const n = a === undefined ? null : Number(a);
  switch (base) {
    case "smallint":
    case "int2":
      return { kind: "smallint" };
    case "integer":
    case "int":
    case "int4":
      return { kind: "integer" };
    case "bigint":
    case "int8":
      return { kind: "bigint" };
    case "numeric":
    case "decimal":
      return { kind: "numeric", precision: n, scale: b === undefined ? 0 : Number(b) };
    case "real":
    case "float4":
      return { kind: "real" };
    case "double precision":
    case "float8":
      return { kind: "double" };
    case "float":
      return n !== null && n <= 24 ? { kind: "real" } : { kind: "double" };
    case "boolean":
    case "bool":
      return { kind: "boolean" };
    case "bit":
      return { kind: "bit", width: n ?? 1 };
    case "bit varying":
    case "varbit":
      return { kind: "varbit", width: n };
    case "date":
      return { kind: "date" };
    case "timestamp":
      return { kind: "timestamp", fsp: n ?? 6, tz: zone?.includes("with time") === true };
    case "timestamptz":
      return { kind: "timestamp", fsp: n ?? 6, tz: true };
    case "time":
      return { kind: "time", fsp: n ?? 6, tz: zone?.includes("with time") === true };
    case "timetz":
      return { kind: "time", fsp: n ?? 6, tz: true };
    case "text":
      return { kind: "text" };
    case "character varying":
    case "varchar":
      return { kind: "varchar", length: n };
    case "character":
    case "char":
    case "bpchar":
      return { kind: "char", length: n ?? 1 };
    case "bytea":
      return { kind: "bytea" };
    case "json":
      return { kind: "json" };
    case "jsonb":
      return { kind: "jsonb" };
    case "uuid":
      return { kind: "uuid" };
    case "inet":
      return { kind: "inet" };
  }
  return { kind: "other", name: type };
}

/**
 * Whether two values of a column of `type` are told apart by their text rather than by `=`: json
 * has no equality operator, a geometry is best compared as its exact bytes (its text is its EWKB),
 * and a type this module does not know may lack one. Text tells apart at least what `=` does.
 */
export function comparedAsText(type: string): boolean {
  const kind = describeTarget(type).kind;
  return kind === "json" || kind === "geometry" || kind === "other";
}
