/**
 * The `[[source]]` and `[[rule]]` sections of the config file: which MySQL tables are followed and
 * where each lands, with the rule keys for shard merge (a source-identity column), column
 * selection, soft delete and the storage of a created target.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import { isNamePattern, nameMatcher } from "./names.ts";
import { type Table, TomlReader } from "./toml_reader.ts";

/** One `[[source]]` entry: a MySQL schema and the tables to follow in it. */
export interface SourceConfig {
  /** A schema name or pattern (see `config/names.ts`). */
  schema: string;
  /** Names, patterns, or `*` for every table of the schema. */
  tables: string[];
}

/** What a rule keeps of a deleted source row instead of deleting its target row. */
export interface SoftDelete {
  /** Boolean target column set to true when the source row is deleted (false otherwise). */
  column: string;
  /** Timestamp target column set to the deleting transaction's commit time; null: none. */
  timeColumn: string | null;
}

/** One `[[rule]]` entry: where the MySQL tables it matches land in PostgreSQL, and how. */
export interface RuleConfig {
  /** A schema name or pattern. */
  schema: string;
  /** A table name or pattern; every match lands in the same target. */
  table: string;
  pgSchema: string;
  /** Target table; null (a `table` pattern without `pg_table`): each source table's own name. */
  pgTable: string | null;
  /**
   * Source columns to replicate (`columns`, or the ancestor's `filter`), as written; null: all.
   * The columns that identify rows are replicated whether listed or not.
   */
  columns: string[] | null;
  /**
   * Target column naming the source of each row (`source_column`), part of the target's key, so
   * that equal keys from different shards stay different rows; null: none.
   */
  sourceColumn: string | null;
  /** Its value (`source_value`): `{instance}`, `{schema}` and `{table}` replaced. */
  sourceValue: string;
  /** Keep deleted rows flagged instead of deleting them; null: delete. */
  softDelete: SoftDelete | null;
  /** How a target created for this rule is distributed on Greenplum; null: by its key. */
  distributedBy: string[] | "randomly" | null;
  /** Storage options of a created target (`WITH (...)`), e.g. "appendoptimized=true"; null: none. */
  tableOptions: string | null;
}

/** The source value when a rule names a `source_column` but no `source_value`. */
export const DEFAULT_SOURCE_VALUE = "{instance}.{schema}.{table}";

const SOURCE_KEYS = new Set(["schema", "tables"]);
const RULE_KEYS = new Set([
  "schema",
  "table",
  "pg_schema",
  "pg_table",
  "columns",
  "filter",
  "source_column",
  "source_value",
  "soft_delete_column",
  "soft_delete_time_column",
  "distributed_by",
  "table_options",
]);
/** Elasticsearch-specific rule keys of the ancestor; tolerated so old files still load. */
const ANCESTOR_RULE_KEYS = new Set(["index", "type", "parent", "id", "field"]);

/** Reads `[[source]]` and `[[rule]]` entries. */
export class TableRulesReader extends TomlReader {
  /** A name or pattern; ConfigError naming the key when the pattern does not compile. */
  pattern(table: Table, key: string, where: string, value?: string): string {
    const text = value ?? this.nonEmpty(table, key, where);
    try {
      nameMatcher(text);
    } catch (err) {
      this.fail(
        where + key,
        `a name or an anchored regular expression (${(err as Error).message})`,
        text,
      );
    }
    return text;
  }

  /** An array of non-empty strings, or null when the key is absent. */
  names(table: Table, key: string, where: string, example: string): string[] | null {
    const value = table[key];
    if (value === undefined) return null;
    if (
      !Array.isArray(value) || value.length === 0 ||
      value.some((v) => typeof v !== "string" || v.trim() === "")
    ) {
      this.fail(where + key, `a non-empty array of names, e.g. ${example}`, value);
    }
    return value as string[];
  }

  optional(table: Table, key: string, where: string): string | null {
    return table[key] === undefined ? null : this.nonEmpty(table, key, where);
  }

  source(table: Table, index: number): SourceConfig {
    const where = `[[source]] #${index + 1} `;
    this.checkKeys(table, SOURCE_KEYS, new Set(), where);
    const schema = this.pattern(table, "schema", where);
    const tables = this.names(table, "tables", where, '["t_user"] or ["order_\\\\d+"]');
    if (tables === null) {
      this.fail(where + "tables", 'a non-empty array of table names, e.g. ["t_user"]');
    }
    for (const name of tables) this.pattern(table, "tables", where, name);
    return { schema, tables };
  }

  rule(table: Table, index: number): RuleConfig {
    const where = `[[rule]] #${index + 1} `;
    this.checkKeys(table, RULE_KEYS, ANCESTOR_RULE_KEYS, where);
    if (table.columns !== undefined && table.filter !== undefined) {
      throw new ConfigError(
        `${this.file}: ${where}both columns and filter are set; they are two spellings of one ` +
          `key, keep one`,
      );
    }
    const columnsKey = table.filter !== undefined ? "filter" : "columns";
    const sourceColumn = this.optional(table, "source_column", where);
    const sourceValue = this.nonEmpty(table, "source_value", where, DEFAULT_SOURCE_VALUE);
    const unknown = /\{(?!instance\}|schema\}|table\})[^}]*\}/.exec(sourceValue);
    if (unknown) {
      this.fail(where + "source_value", "text with {instance}, {schema} or {table}", sourceValue);
    }
    if (table.source_value !== undefined && sourceColumn === null) {
      this.fail(where + "source_column", "a column name (source_value needs it)");
    }
    const flag = this.optional(table, "soft_delete_column", where);
    const time = this.optional(table, "soft_delete_time_column", where);
    if (time !== null && flag === null) {
      this.fail(where + "soft_delete_column", "a column name (soft_delete_time_column needs it)");
    }
    // Each is a target column of its own: one column cannot hold two of these values.
    if (flag !== null && flag === sourceColumn) {
      this.fail(where + "soft_delete_column", "a column other than source_column", flag);
    }
    if (time !== null && (time === sourceColumn || time === flag)) {
      const other = time === flag ? "soft_delete_column" : "source_column";
      this.fail(where + "soft_delete_time_column", `a column other than ${other}`, time);
    }
    const tableName = this.pattern(table, "table", where);
    return {
      schema: this.pattern(table, "schema", where),
      table: tableName,
      pgSchema: this.nonEmpty(table, "pg_schema", where, "public"),
      pgTable: this.optional(table, "pg_table", where) ??
        (isNamePattern(tableName) ? null : tableName),
      columns: this.names(table, columnsKey, where, '["id", "name"]'),
      sourceColumn,
      sourceValue,
      softDelete: flag === null ? null : { column: flag, timeColumn: time },
      distributedBy: this.distribution(table, where),
      tableOptions: this.optional(table, "table_options", where),
    };
  }

  distribution(table: Table, where: string): string[] | "randomly" | null {
    const value = table.distributed_by;
    if (typeof value === "string" && value.toLowerCase() === "randomly") return "randomly";
    return this.names(table, "distributed_by", where, '["customer_id"] or "randomly"');
  }
}

/** The value of a rule's source column for `schema.table` read from `instance`. */
export function sourceValueOf(
  rule: Pick<RuleConfig, "sourceValue">,
  instance: string,
  schema: string,
  table: string,
): string {
  return rule.sourceValue.replace(
    /\{(instance|schema|table)\}/g,
    (_, part: string) => part === "instance" ? instance : part === "schema" ? schema : table,
  );
}
