/**
 * MySQL -> PostgreSQL type mapping (DESIGN section 4): the type of a target column that we create
 * for a source column.
 *
 * @module
 */
import { describeSource } from "./source_kind.ts";
import type { SourceColumn } from "./types.ts";

/** Options of {@link pgTypeFor}. */
export interface MappingOptions {
  /** PostGIS is installed in the target: geometry columns become `geometry`, not `bytea`. */
  postgis?: boolean;
}

/**
 * The PostgreSQL type (as `format_type()` spells it) for a target column created for `source`.
 * Throws for a MySQL type we cannot convert.
 */
export function pgTypeFor(source: SourceColumn, options: MappingOptions = {}): string {
  const s = describeSource(source);
  switch (s.kind) {
    case "int":
      switch (s.bits) {
        case 8:
          return "smallint";
        case 16:
          return s.unsigned ? "integer" : "smallint";
        case 24:
          return "integer";
        case 32:
          return s.unsigned ? "bigint" : "integer";
        case 64:
          return s.unsigned ? "numeric(20,0)" : "bigint";
      }
      break;
    case "decimal":
      return `numeric(${s.precision},${s.scale})`;
    case "float":
      return "real";
    case "double":
      return "double precision";
    case "bit":
      return `bit(${s.width})`;
    case "year":
      return "smallint";
    case "date":
      return "date";
    case "datetime":
      return `timestamp(${s.fsp}) without time zone`;
    case "timestamp":
      return `timestamp(${s.fsp}) with time zone`;
    case "time":
      return "interval";
    case "text":
      if (s.long || s.maxChars === 0) return "text";
      return s.fixed ? `character(${s.maxChars})` : `character varying(${s.maxChars})`;
    case "binary":
    case "vector":
      return "bytea";
    case "enum":
    case "set":
      return "text";
    case "json":
      return "jsonb";
    case "geometry":
      return options.postgis ? "geometry" : "bytea";
    case "uuid":
      return "uuid";
    case "inet4":
    case "inet6":
      return "inet";
    case "unknown":
      throw new Error(`column ${source.name}: ${s.reason}`);
  }
  throw new Error(`column ${source.name}: unmapped type ${source.columnType}`);
}
