/**
 * The statements the snapshot's consistent reads send (snapshot/consistent_read.ts), to
 * connections that record them: MySQL cannot be installed here, so its path (a brief global read
 * lock while every reader opens its snapshot, SHOW BINARY LOG STATUS on 8.4) is checked this way;
 * the MariaDB path runs against a real server in the integration tests too.
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { UserError } from "../../src/config/errors.ts";
import type { SourceConnection } from "../../src/source/mysql.ts";
import { openChunkReads } from "../../src/snapshot/consistent_read.ts";

/** What the fake server answers: rows per statement, or an error to throw. */
type Answers = Record<string, unknown[] | { errno: number; message: string }>;

/** Connections that record `reader: statement` in one shared list, and answer from `answers`. */
function recordingConnections(count: number, answers: Answers) {
  const sent: string[] = [];
  const connections = Array.from({ length: count }, (_, reader) => ({
    query(sql: string) {
      sent.push(`${reader}: ${sql}`);
      const answer = answers[sql];
      if (answer && !Array.isArray(answer)) {
        return Promise.reject(Object.assign(new Error(answer.message), answer));
      }
      return Promise.resolve([answer ?? [], []]);
    },
  }));
  // Only query() is used; the fake stands in for mysql2's connection there
  return { sent, connections: connections as unknown as SourceConnection[] };
}

const MYSQL_80: Answers = {
  "SELECT VERSION() AS v": [{ v: "8.0.36" }],
  "SHOW MASTER STATUS": [{ File: "binlog.000007", Position: 1234 }],
};

const MYSQL_84: Answers = {
  "SELECT VERSION() AS v": [{ v: "8.4.2" }],
  "SHOW MASTER STATUS": { errno: 1064, message: "You have an error in your SQL syntax" },
  "SHOW BINARY LOG STATUS": [{ File: "binlog.000009", Position: 157 }],
};

const ISOLATION = "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
const START = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY";

Deno.test("MySQL: every reader opens its snapshot under one brief global read lock", async () => {
  const { sent, connections } = recordingConnections(3, MYSQL_80);
  const reads = await openChunkReads(connections);
  assertEquals(sent, [
    `0: ${ISOLATION}`,
    `1: ${ISOLATION}`,
    `2: ${ISOLATION}`,
    "0: SELECT VERSION() AS v",
    "0: FLUSH TABLES WITH READ LOCK",
    `0: ${START}`,
    `1: ${START}`,
    `2: ${START}`,
    "0: SHOW MASTER STATUS",
    // The GTID state of that instant (none here: gtid_mode is not ON).
    "0: SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed",
    "0: UNLOCK TABLES",
  ]);
  assertEquals(reads.perChunk, false);
  // Every chunk of every reader is as of that one instant; nothing more is sent per chunk
  sent.length = 0;
  assertEquals(await reads.begin(2), { file: "binlog.000007", pos: 1234 });
  await reads.end(2);
  assertEquals(await reads.begin(0), { file: "binlog.000007", pos: 1234 });
  assertEquals(sent, []);
  await reads.close();
  assertEquals(sent, ["0: COMMIT", "1: COMMIT", "2: COMMIT"]);
});

Deno.test("MySQL 8.4: the position comes from SHOW BINARY LOG STATUS", async () => {
  const { sent, connections } = recordingConnections(2, MYSQL_84);
  const reads = await openChunkReads(connections);
  assertEquals(await reads.begin(1), { file: "binlog.000009", pos: 157 });
  assertEquals(sent.slice(-4), [
    "0: SHOW MASTER STATUS",
    "0: SHOW BINARY LOG STATUS",
    "0: SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed",
    "0: UNLOCK TABLES",
  ]);
});

Deno.test("MySQL: the lock is released when opening the snapshots fails", async () => {
  const failing = recordingConnections(2, {
    ...MYSQL_80,
    [START]: { errno: 1227, message: "Access denied" },
  });
  await assertRejects(() => openChunkReads(failing.connections), Error);
  assertEquals(failing.sent.slice(-2), [`0: ${START}`, "0: UNLOCK TABLES"]);
  // Binary logging off: a one-line UserError, and the lock released too
  const off = recordingConnections(1, { ...MYSQL_80, "SHOW MASTER STATUS": [] });
  const err = await assertRejects(() => openChunkReads(off.connections), UserError);
  assert(/log_bin is OFF/.test(err.message), err.message);
  assertEquals(off.sent.at(-1), "0: UNLOCK TABLES");
});

Deno.test("MariaDB: a snapshot per chunk with its own position, never a lock", async () => {
  const { sent, connections } = recordingConnections(2, {
    "SELECT VERSION() AS v": [{ v: "10.11.6-MariaDB" }],
    "SHOW STATUS LIKE 'binlog_snapshot_%'": [
      { Variable_name: "Binlog_snapshot_file", Value: "mysql-bin.000003" },
      { Variable_name: "Binlog_snapshot_position", Value: "4567" },
    ],
  });
  const reads = await openChunkReads(connections);
  assertEquals(reads.perChunk, true);
  assertEquals(await reads.begin(1), { file: "mysql-bin.000003", pos: 4567 });
  await reads.end(1);
  await reads.begin(0);
  await reads.close();
  assertEquals(sent, [
    `0: ${ISOLATION}`,
    `1: ${ISOLATION}`,
    "0: SELECT VERSION() AS v",
    `1: ${START}`,
    "1: SHOW STATUS LIKE 'binlog_snapshot_%'",
    "1: COMMIT",
    `0: ${START}`,
    "0: SHOW STATUS LIKE 'binlog_snapshot_%'",
    "0: COMMIT",
  ]);
});
