/**
 * The one-line error of rows PostgreSQL refuses: the table, the server's words and detail, and
 * the key of the refused row (from the COPY line the error points at, from the detail, or else
 * the batch's keys of that table).
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { RefusedRows, refusedRows, rowKeyAt, stagedKeyAt } from "../../src/sink/refused_rows.ts";
import { share } from "../support/table_share.ts";

const rows = (n: number) =>
  Array.from({ length: n }, (_, i): [string, string[]] => [`${i + 1}`, [`${i + 1}`, `v${i}`]]);

Deno.test("a COPY line names the refused row's key", () => {
  const table = share(["id", "n"], 1, { states: rows(3) });
  const err = refusedRows(
    {
      code: "22P02",
      message: 'invalid input syntax for type integer: "v1"',
      where: 'COPY mysql_gp_sync_stage_1, line 2, column n: "v1"',
    },
    table,
    stagedKeyAt(table),
  );
  assert(err instanceof RefusedRows);
  assertEquals(
    err.message,
    `PostgreSQL refused rows of MySQL shop.items for "public"."items": invalid input syntax for ` +
      `type integer: "v1" (COPY mysql_gp_sync_stage_1, line 2, column n: "v1"); the refused ` +
      `row's key: (id)=(2)`,
  );
});

Deno.test("a COPY straight into the target names the key of its row, composite keys too", () => {
  const inserted = [["a", "1", "x"], ["b", "2", "y"]];
  const table = share(["shop", "id", "note"], 2, { inserted });
  const err = refusedRows(
    { code: "22001", message: "value too long", where: 'COPY items, line 2, column note: "y"' },
    table,
    rowKeyAt(table, inserted),
  ) as Error;
  assertMatch(err.message, /; the refused row's key: \(shop, id\)=\(b, 2\)$/);
});

Deno.test("a detail that names the key is kept as it is, on one line", () => {
  const table = share(["id", "email"], 1, { states: rows(2) });
  const err = refusedRows(
    {
      code: "23505",
      message: 'duplicate key value violates unique constraint "items_email_key"',
      detail: "Key (email)=(a@b.c) already exists.\n",
    },
    table,
  ) as Error;
  assertEquals(
    err.message,
    `PostgreSQL refused rows of MySQL shop.items for "public"."items": duplicate key value ` +
      `violates unique constraint "items_email_key": Key (email)=(a@b.c) already exists.`,
  );
});

Deno.test("without a line nor a key in the detail, the batch's first keys of the table", () => {
  const table = share(["id", "n"], 1, { states: rows(8) });
  const err = refusedRows(
    {
      code: "23514",
      message: 'new row for relation "items" violates check constraint "n_positive"',
      detail: "Failing row contains (3,\nv2).",
    },
    table,
  ) as Error;
  assertMatch(
    err.message,
    /check constraint "n_positive": Failing row contains \(3, v2\)\.; keys of shop\.items in the batch: \(id\)=\(1\), \(id\)=\(2\), \(id\)=\(3\), \(id\)=\(4\), \(id\)=\(5\) and 3 more$/,
  );
});

Deno.test("errors that are not about the data pass unchanged", () => {
  const table = share(["id", "n"], 1, { states: rows(1) });
  const lost = { code: "57P01", message: "terminating connection due to administrator command" };
  assertEquals(refusedRows(lost, table), lost);
});
