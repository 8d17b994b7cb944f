/**
 * A `[[rule]]` as the config reader returns it for a file that sets only the four names.
 *
 * @module
 */
import type { RuleConfig } from "../../src/config/config.ts";
import { DEFAULT_SOURCE_VALUE } from "../../src/config/table_rules.ts";

/** The rule `schema.table -> pgSchema.pgTable` with every optional key left out. */
export function plainRule(
  schema: string,
  table: string,
  pgSchema: string,
  pgTable: string,
): RuleConfig {
  return {
    schema,
    table,
    pgSchema,
    pgTable,
    columns: null,
    sourceColumn: null,
    sourceValue: DEFAULT_SOURCE_VALUE,
    softDelete: null,
    distributedBy: null,
    tableOptions: null,
  };
}
