/**
 * Source rows read by SELECT -> PostgreSQL text fields, with the very column pairing and encoders
 * the sync uses for row events (`pairColumns`), so a row loaded or compared here is byte for byte
 * what the sync would have written.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { copyText } from "../convert/copy.ts";
import { quoteMySqlIdent } from "../convert/ident.ts";
import { selectList } from "../convert/source.ts";
import type { LossHandler } from "../convert/types.ts";
import type { TargetTable } from "../sink/target.ts";
import { type ColumnPairing, pairColumns } from "./column_pairing.ts";
import { sourceName } from "./followed.ts";
import type { Route } from "./routes.ts";
import { keyNoun } from "./row_identity.ts";

/**
 * How the rows of one followed table are read from MySQL and written to PostgreSQL. Its source
 * columns are the replicated ones in SELECT order (the table's order); its fields are theirs, then
 * the route's appended fields with their live-row values (the tag, soft-delete flag false).
 */
export interface RowCodec extends ColumnPairing {
  route: Route;
  target: TargetTable;
  /** The SELECT list reading the source columns exactly (`selectList`). */
  selectList: string;
  /** `ORDER BY` list of the row identity on the source, quoted. */
  sourceKeyList: string;
  /** Encodes one row (values in SELECT order) into PostgreSQL text fields, appended ones too. */
  encode(values: readonly unknown[]): (string | null)[];
  /** Encodes rows into COPY text lines. */
  copyLines(rows: readonly (readonly unknown[])[]): string;
}

/**
 * The codec of the route's table as the catalog describes it. Throws UserError when a column has
 * no home or cannot be converted, with the fix.
 */
export function makeRowCodec(route: Route, target: TargetTable, onLoss: LossHandler): RowCodec {
  const pairing = pairColumns(
    route,
    target,
    route.source.columns,
    onLoss,
    (column) =>
      new UserError(
        `MySQL table ${sourceName(route)} no longer has its ${
          keyNoun(route.identity)
        } column "${column}"; run again`,
        1,
      ),
  );
  const { encoders, constants } = pairing;
  const count = encoders.length;
  const width = count + constants.length;
  const encode = (values: readonly unknown[]): (string | null)[] => {
    const fields = new Array<string | null>(width);
    for (let i = 0; i < count; i++) fields[i] = encoders[i](values[i]);
    for (let i = count; i < width; i++) fields[i] = constants[i - count];
    return fields;
  };
  return {
    ...pairing,
    route,
    target,
    selectList: selectList(pairing.sourceColumns),
    sourceKeyList: route.identity.columns.map(quoteMySqlIdent).join(", "),
    encode,
    copyLines(rows) {
      let text = "";
      for (const row of rows) text += copyText(encode(row));
      return text;
    },
  };
}
