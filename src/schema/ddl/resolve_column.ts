/**
 * Turns a column as a statement defines it ({@link ColumnSpec}) into the column a table gets
 * ({@link TableColumn}): the charset it names, implies by its collation, or takes from the table,
 * and the type that charset gives (TEXT(n) sized, `binary` making text types binary).
 *
 * @module
 */
import { dataTypeOf } from "../../convert/types.ts";
import type { TableColumn } from "../table.ts";
import { type ColumnSpec, SchemaChangeError } from "./changes.ts";
import { binaryTypeOf, charsetName, charsetOfCollation, textTypeFor } from "./charsets.ts";

/** A table's default charset and collation, as far as known. */
export interface TableDefaults {
  charset?: string;
  collation?: string;
}

/** The spec with what it determines itself settled: its charset, when it names or implies one. */
export function settleColumnSpec(spec: ColumnSpec): ColumnSpec {
  if (spec.charset === null) return spec;
  const collation = spec.collation === undefined ? undefined : charsetName(spec.collation);
  const charset = spec.charset === undefined
    ? collation === undefined ? undefined : charsetOfCollation(collation)
    : charsetName(spec.charset);
  if (charset === undefined) return spec;
  return inCharset(spec, charset, collation);
}

/**
 * The column `spec` defines in a table with `defaults`; throws {@link SchemaChangeError} for a
 * text column whose charset comes from a table default nobody knows.
 */
export function resolveColumn(spec: ColumnSpec, defaults: TableDefaults): TableColumn {
  let settled = settleColumnSpec(spec);
  if (settled.charset === undefined) {
    if (defaults.charset === undefined) {
      throw new SchemaChangeError(
        `column ${spec.name} takes the table's default character set, which is not known`,
      );
    }
    const collation = settled.collation ??
      (settled.binaryCollation ? undefined : defaults.collation);
    settled = inCharset(settled, charsetName(defaults.charset), collation);
  }
  const { charset, textChars: _chars, binaryCollation: _binary, inlineKey: _key, ...column } =
    settled;
  return { ...column, charset: charset ?? null };
}

/** `spec` in `charset`: its type sized or made binary, its collation settled. */
function inCharset(spec: ColumnSpec, charset: string, collation: string | undefined): ColumnSpec {
  const { textChars, ...result } = spec;
  result.charset = charset;
  if (textChars !== undefined) result.columnType = textTypeFor(textChars, charset);
  if (charset === "binary") {
    const binary = binaryTypeOf(result.columnType);
    if (binary !== undefined) {
      result.columnType = binary;
      result.charset = null;
    }
    delete result.collation;
  } else if (collation !== undefined) {
    result.collation = collation;
  } else if (spec.binaryCollation) {
    result.collation = `${charset}_bin`;
  }
  result.dataType = dataTypeOf(result.columnType);
  return result;
}
