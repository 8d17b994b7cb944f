// Replication errors a DBA can act on come out as messages that say what to do.
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { parseConfig } from "../../src/config/config.ts";
import { FatalError, UserError } from "../../src/config/errors.ts";
import { describeBinlogError } from "../../src/source/binlog_errors.ts";

const config = parseConfig(
  `mysql_addr = "db.example:3307"
mysql_user = "repl"
pg_host = "127.0.0.1"
pg_user = "gp"
pg_dbname = "dw"
data_dir = "./var"
server_id = 1001

[[source]]
schema = "app"
tables = ["t"]
`,
  "sync.toml",
);

Deno.test("describeBinlogError: a purged binlog stops the sync and names the way out", () => {
  const byErrno = describeBinlogError(
    { errno: 1236, message: "Could not find first log file name in binary log index file\nmore" },
    config,
  );
  assert(byErrno instanceof FatalError);
  assertMatch(byErrno.message, /cannot serve the saved binlog position \(Could not find .*file\);/);
  assertMatch(byErrno.message, /mysql-gp-sync snapshot.*"pos set"/);
  const byText = describeBinlogError(new Error("binary log was purged"), config);
  assert(byText instanceof FatalError);
});

Deno.test("describeBinlogError: missing replication privileges name the GRANT", () => {
  for (const err of [{ errno: 1227 }, { code: "ER_SPECIFIC_ACCESS_DENIED_ERROR" }]) {
    const described = describeBinlogError({ ...err, message: "Access denied" }, config);
    assert(described instanceof UserError && !(described instanceof FatalError));
    assertEquals(described.exitCode, 1);
    assertMatch(described.message, /"repl" lacks .* TO 'repl'/);
  }
});

Deno.test("describeBinlogError: a lost connection names the server; others pass unchanged", () => {
  const lost = describeBinlogError({ code: "ECONNRESET", message: "read ECONNRESET" }, config);
  assert(!(lost instanceof UserError));
  assertEquals(lost.message, "lost the connection to MySQL at db.example:3307: read ECONNRESET");
  const other = new TypeError("boom");
  assertEquals(describeBinlogError(other, config), other);
  assertEquals(describeBinlogError("text", config).message, "text");
});
