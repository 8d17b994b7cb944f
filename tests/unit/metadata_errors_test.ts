/** zongji's errors about table maps it could not complete, explained with the fix. */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { UserError } from "../../src/config/errors.ts";
import { explainMetadataError } from "../../src/source/zongji/metadata_errors.ts";

const after = { file: "mysql-bin.000003", pos: 638 };

Deno.test("a table changed since its event was written: MINIMAL metadata, what to do", () => {
  // zongji 0.9's message (lib/binlog_event.js, updateColumnInfo).
  const err = explainMetadataError(
    new Error(
      "Table app.t schema changed between binlog event and metadata fetch: the event has 4 " +
        "columns, fetched metadata has 3",
    ),
    after,
  );
  assert(err instanceof UserError);
  assertMatch(
    err.message,
    /^cannot decode the rows of app\.t in the transaction after mysql-bin\.000003:638: .*binlog_row_metadata=MINIMAL.*\(4 columns then, 3 now\).*set binlog_row_metadata=FULL .*"mysql-gp-sync snapshot"$/,
  );
});

Deno.test("a table gone from INFORMATION_SCHEMA: dropped, renamed or not readable", () => {
  // zongji 0.9's message (index.js, _fetchTableInfo).
  const err = explainMetadataError(new Error("Insufficient permissions to access: app.t"), after);
  assert(err instanceof UserError);
  assertMatch(err.message, /^cannot decode the rows of app\.t in the transaction after mysql-bin/);
  assertMatch(err.message, /dropped or renamed .* Grant SELECT .* "mysql-gp-sync snapshot"$/);
});

Deno.test("other errors are left to the caller", () => {
  assertEquals(explainMetadataError(new Error("read ECONNRESET"), after), undefined);
  assertEquals(explainMetadataError("not an error", after), undefined);
});
