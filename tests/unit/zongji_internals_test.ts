// A zongji internal that is not where zongji 0.9 has it is logged once with what it costs; the
// ones rows cannot be decoded right without stop the reader.
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import type ZongJi from "@vlasky/zongji";
import { FatalError } from "../../src/config/errors.ts";
import {
  checkZongJiFields,
  logMissingInternal,
  type MissingInternal,
} from "../../src/source/zongji/internals.ts";
import {
  decodeFrequentEvents,
  type PacketEventSink,
} from "../../src/source/zongji/packet_events.ts";

function recorder() {
  const reports: string[] = [];
  const report: MissingInternal = (internal, cost) => reports.push(`${internal}: ${cost}`);
  return { reports, report };
}

Deno.test("logMissingInternal: one warning per internal, also across readers", () => {
  const warnings: string[] = [];
  const log = { warn: (message: string) => warnings.push(message) };
  logMissingInternal(undefined)("Test.first", "nothing logged without a log");
  const report = logMissingInternal(log);
  report("Test.first", "slower");
  report("Test.first", "slower");
  logMissingInternal(log)("Test.first", "slower");
  report("Test.second", "also slower");
  assertEquals(warnings, [
    "zongji 0.9 internal Test.first not found: slower",
    "zongji 0.9 internal Test.second not found: also slower",
  ]);
});

Deno.test("checkZongJiFields: tableMap and isMariaDb required, options.filename reported", () => {
  const { reports, report } = recorder();
  const complete = { tableMap: {}, isMariaDb: false, options: { filename: undefined } };
  checkZongJiFields(complete, report);
  assertEquals(reports, []);

  const noTableMap = assertThrows(() => checkZongJiFields({ isMariaDb: true }, report), FatalError);
  assertMatch(noTableMap.message, /^zongji 0\.9 internal ZongJi\.tableMap not found: no table/);
  const noFlavour = assertThrows(() => checkZongJiFields({ tableMap: {} }, report), FatalError);
  assertMatch(noFlavour.message, /ZongJi\.isMariaDb not found: .* wrong charset; .*zongji 0\.9/);

  checkZongJiFields({ tableMap: {}, isMariaDb: false }, report);
  assertEquals(reports.length, 1);
  assertMatch(reports[0], /^ZongJi\.options\.filename: .*rotate events/);
});

const ignoreEvents: PacketEventSink = { gtid() {}, rows() {}, commit() {} };

Deno.test("decodeFrequentEvents: without zongji's command class, zongji decodes all", () => {
  const { reports, report } = recorder();
  const zongji = { tableMap: {}, useChecksum: false, stopped: false };
  decodeFrequentEvents(zongji as unknown as ZongJi, ignoreEvents, report);
  assertEquals(reports.length, 1);
  assertMatch(reports[0], /^ZongJi\.BinlogClass\.prototype\.binlogData: every event is decoded/);
});

Deno.test("decodeFrequentEvents: an XID packet is decoded here, other packets go to zongji", () => {
  const { reports, report } = recorder();
  const connection = {};
  const zongjiHandler = () => "zongji";
  const proto = { binlogData: zongjiHandler as unknown };
  const zongji = {
    tableMap: {},
    useChecksum: false,
    stopped: false,
    connection,
    BinlogClass: { prototype: proto },
  };
  const commits: [number, number][] = [];
  const sink = { ...ignoreEvents, commit: (at: number, ms: number) => commits.push([at, ms]) };
  decodeFrequentEvents(zongji as unknown as ZongJi, sink, report);
  assertEquals(reports, []);
  const handler = proto.binlogData as (packet: unknown, connection: unknown) => unknown;
  // OK marker, then the event header: time, type 16 (XID), server id, size, next position, flags.
  const xid = Uint8Array.from([
    0,
    ...[100, 0, 0, 0],
    16,
    ...[1, 0, 0, 0],
    ...[31, 0, 0, 0],
    ...[0x10, 0x27, 0, 0],
    ...[0, 0],
    ...[9, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assertEquals(handler({ buffer: xid, offset: 0, end: xid.length }, connection), handler);
  assertEquals(commits, [[10_000, 100_000]]);
  const rotate = Uint8Array.from(xid).fill(4, 5, 6);
  assertEquals(handler({ buffer: rotate, offset: 0, end: rotate.length }, connection), "zongji");
  // A replaced connection's packets are left to zongji.
  assert(handler({ buffer: xid, offset: 0, end: xid.length }, {}) === "zongji");
});
