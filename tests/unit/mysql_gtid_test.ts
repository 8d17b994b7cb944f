/**
 * What the GTID paths send to MySQL, which cannot be installed here: the queries that read a
 * server's GTIDs and role (gtid_mode, gtid_executed, gtid_purged, read_only, super_read_only), a
 * file's Previous_gtids, gtid_executed under the snapshot's read lock, and the dump request of a
 * start by GTID (COM_BINLOG_DUMP_GTID with the executed set), sent by zongji to a connection that
 * records it. The MariaDB paths run against real servers in the integration tests.
 *
 * @module
 */
import ZongJi from "@vlasky/zongji";
import { assertEquals } from "../support/assert.ts";
import { GtidState } from "../../src/offsets/gtid.ts";
import { startOptions } from "../../src/source/binlog_start.ts";
import { gtidStateAtFileStart } from "../../src/source/gtid_files.ts";
import { isReadOnly, MYSQL_GTID_QUERY, serverGtids } from "../../src/source/gtid_status.ts";
import type { SourceConnection } from "../../src/source/mysql.ts";
import { openChunkReads } from "../../src/snapshot/consistent_read.ts";

const UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

/** A connection that records each statement and answers from `answers` (rows; [] otherwise). */
function recording(answers: Record<string, unknown[]>) {
  const sent: string[] = [];
  const connection = {
    query(sql: string) {
      sent.push(sql);
      return Promise.resolve([answers[sql] ?? [], []]);
    },
    escape: (value: string) => `'${value}'`,
  };
  return { sent, connection: connection as unknown as SourceConnection };
}

Deno.test("MySQL: GTIDs and role come from gtid_mode, gtid_executed, gtid_purged, read_only", async () => {
  const { sent, connection } = recording({
    "SELECT VERSION() AS v": [{ v: "8.4.2" }],
    [MYSQL_GTID_QUERY]: [{
      mode: "ON",
      executed: `${UUID}:1-100,\n${UUID.replace("3e", "4e")}:1-7`,
      purged: `${UUID}:1-40`,
      ro: 0,
      super_ro: 1,
    }],
  });
  const gtids = await serverGtids(connection);
  assertEquals(sent, ["SELECT VERSION() AS v", MYSQL_GTID_QUERY]);
  assertEquals(MYSQL_GTID_QUERY.match(/@@GLOBAL\.\w+/g), [
    "@@GLOBAL.gtid_mode",
    "@@GLOBAL.gtid_executed",
    "@@GLOBAL.gtid_purged",
    "@@GLOBAL.read_only",
    "@@GLOBAL.super_read_only",
  ]);
  assertEquals(
    [gtids.flavor, gtids.enabled, gtids.readOnly, gtids.mode],
    ["mysql", true, true, "gtid_mode = ON"],
  );
  assertEquals(gtids.binlog.toString(), `${UUID}:1-100,${UUID.replace("3e", "4e")}:1-7`);
  assertEquals(gtids.purged.toString(), `${UUID}:1-40`);

  const off = recording({
    "SELECT VERSION() AS v": [{ v: "8.0.36" }],
    [MYSQL_GTID_QUERY]: [{ mode: "OFF_PERMISSIVE", executed: "", purged: "", ro: 0, super_ro: 0 }],
  });
  const offGtids = await serverGtids(off.connection);
  assertEquals([offGtids.enabled, offGtids.readOnly], [false, false]);
  assertEquals(offGtids.mode, "gtid_mode = OFF_PERMISSIVE");
});

Deno.test("read-only is asked the same way of MySQL and MariaDB", async () => {
  const query = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')";
  const primary = recording({ [query]: [{ Variable_name: "read_only", Value: "OFF" }] });
  assertEquals(await isReadOnly(primary.connection), false);
  assertEquals(primary.sent, [query]);
  const demoted = recording({
    [query]: [
      { Variable_name: "read_only", Value: "OFF" },
      { Variable_name: "super_read_only", Value: "ON" },
    ],
  });
  assertEquals(await isReadOnly(demoted.connection), true);
});

Deno.test("MySQL: the GTID state at a file's start is its Previous_gtids event", async () => {
  const query = "SHOW BINLOG EVENTS IN 'binlog.000007' LIMIT 3";
  const { sent, connection } = recording({
    [query]: [
      { Event_type: "Format_desc", Info: "Server ver: 8.4.2, Binlog ver: 4" },
      { Event_type: "Previous_gtids", Info: `${UUID}:1-57` },
    ],
  });
  const state = await gtidStateAtFileStart(connection, "binlog.000007", "mysql");
  assertEquals(sent, [query]);
  assertEquals(state?.toString(), `${UUID}:1-57`);
});

Deno.test("MySQL: the snapshot records gtid_executed under its read lock", async () => {
  const { sent, connection } = recording({
    "SELECT VERSION() AS v": [{ v: "8.0.36" }],
    "SHOW MASTER STATUS": [{ File: "binlog.000007", Position: 1234 }],
    "SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed": [
      { mode: "ON", executed: `${UUID}:1-99` },
    ],
  });
  const reads = await openChunkReads([connection]);
  assertEquals(sent.slice(-3), [
    "SHOW MASTER STATUS",
    "SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed",
    "UNLOCK TABLES",
  ]);
  const at = await reads.begin(0);
  assertEquals((await reads.gtidStateAt(at))?.toString(), `${UUID}:1-99`);
  // A position of an earlier load has no known state on MySQL.
  assertEquals(await reads.gtidStateAt({ file: "binlog.000006", pos: 4 }), null);
});

/** A mysql2 connection stand-in for zongji: answers queries, records the command it is given. */
function zongjiConnection(answers: Record<string, unknown[]>) {
  const queries: string[] = [];
  const commands: { start: (packet: unknown, connection: unknown) => void }[] = [];
  return {
    queries,
    commands,
    connection: {
      state: "connected",
      query(sql: string, callback: (err: Error | null, rows?: unknown[]) => void) {
        queries.push(sql);
        queueMicrotask(() => callback(null, answers[sql] ?? []));
      },
      addCommand(command: (typeof commands)[number]) {
        commands.push(command);
      },
    },
  };
}

Deno.test("MySQL: a start by GTID sends COM_BINLOG_DUMP_GTID with the executed set", async () => {
  const ctrl = zongjiConnection({
    "SELECT VERSION() AS version": [{ version: "8.4.2" }],
    "select @@GLOBAL.binlog_checksum as checksum": [{ checksum: "CRC32" }],
  });
  const binlog = zongjiConnection({});
  const zongji = new ZongJi({});
  Object.assign(zongji, { ctrlConnection: ctrl.connection, connection: binlog.connection });
  const applied = GtidState.parse(`${UUID}:1-5:7`, "mysql");
  const options = startOptions({
    position: { file: "binlog.000001", pos: 4 },
    applied,
    byGtid: true,
  });
  assertEquals(options, { gtidSet: `${UUID}:1-5:7` });
  const ready = new Promise((resolve) => zongji.once("ready", resolve));
  zongji.start({ serverId: 1001, ...options, includeEvents: ["xid"] });
  await ready;
  assertEquals(binlog.queries, ["set @master_binlog_checksum=@@global.binlog_checksum"]);
  // No SET @slave_connect_state (MariaDB's way) and no gtid_executed seed query on MySQL.
  assertEquals(ctrl.queries, [
    "SELECT VERSION() AS version",
    "select @@GLOBAL.binlog_checksum as checksum",
  ]);
  let sent: Uint8Array | null = null;
  binlog.commands[0].start(null, { writePacket: (p: { buffer: Uint8Array }) => sent = p.buffer });
  const view = new DataView(sent!.buffer, sent!.byteOffset, sent!.byteLength);
  let at = 4; // after the packet header
  const u8 = () => view.getUint8(at++);
  const u16 = () => (at += 2, view.getUint16(at - 2, true));
  const u32 = () => (at += 4, view.getUint32(at - 4, true));
  const u64 = () => (at += 8, view.getBigUint64(at - 8, true));
  assertEquals(u8(), 0x1e, "COM_BINLOG_DUMP_GTID");
  assertEquals([u16(), u32(), u32(), u64()], [0, 1001, 0, 4n], "flags, server id, no file, pos 4");
  const length = u32();
  assertEquals(length, sent!.byteLength - at);
  assertEquals(u64(), 1n, "one source");
  const uuid = [...sent!.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, "0"));
  at += 16;
  assertEquals(uuid.join(""), UUID.replaceAll("-", ""));
  assertEquals([u64(), u64(), u64(), u64(), u64()], [2n, 1n, 6n, 7n, 8n], "[1,6) and [7,8)");
});

Deno.test("a start by file and offset asks for that file and offset", () => {
  const position = { file: "mysql-bin.000003", pos: 1234 };
  assertEquals(startOptions({ position, applied: null, byGtid: false }), {
    filename: "mysql-bin.000003",
    position: 1234,
  });
  // A known state does not move a start by file (a hand-edited master.info, GTIDs off).
  const applied = GtidState.parse("0-1-5", "mariadb");
  assertEquals(startOptions({ position, applied, byGtid: false }).gtidSet, undefined);
});
