// A table map identical to the last one of its table id takes the entry prepared then, through a
// stand-in for zongji's TableMap class that parses the way zongji 0.9's does.
import { assert, assertEquals } from "../support/assert.ts";
import type { ZongJiColumnSchema } from "../../src/convert/types.ts";
import { LONG } from "../../src/source/zongji/column_types.ts";
import type { MissingInternal } from "../../src/source/zongji/internals.ts";
import type { ZongJiLike, ZongJiTableMapEntry } from "../../src/source/zongji/shapes.ts";
import { prepareTableMap, reusePreparedTableMap } from "../../src/source/zongji/table_map_reuse.ts";

interface Parser {
  _buffer: Uint8Array;
  _offset: number;
  _packetEnd: number;
}

/** What the stand-in's parsing did, per class. */
interface Counts {
  parsed: number;
}

/**
 * A TableMap class as zongji 0.9 builds one: the constructor parses (`_readTableId`, then the
 * column and optional metadata), then zongji builds the entry from it; a new class per test, since
 * the reuse wraps each class once. The body: table id (1 byte here), then the column name.
 */
function tableMapClass(counts: Counts) {
  return class TableMap {
    tableMap: Record<number, ZongJiTableMapEntry>;
    tableId = 0;
    columnNames: string[] | undefined;

    constructor(zongji: ZongJiLike, body: Uint8Array) {
      this.tableMap = zongji.tableMap;
      const parser: Parser = { _buffer: body, _offset: 0, _packetEnd: body.length };
      this._readTableId(parser);
      this._readColumnMetadata(parser);
      this._readOptionalMetadata(parser, zongji);
      zongji.tableMap[this.tableId] = {
        columnSchemas: this.buildColumnSchemas(),
        parentSchema: "app",
        tableName: "t",
      };
      this.updateColumnInfo();
    }

    _readTableId(parser: Parser) {
      this.tableId = parser._buffer[parser._offset++];
    }

    _readColumnMetadata(parser: Parser) {
      counts.parsed++;
      const name = new TextDecoder().decode(parser._buffer.subarray(parser._offset));
      this.columnNames = [name];
      parser._offset = parser._packetEnd;
    }

    _readOptionalMetadata(_parser: Parser, _zongji: unknown) {}

    hasSelfDescribingMetadata() {
      return this.columnNames !== undefined;
    }

    buildColumnSchemas(): ZongJiColumnSchema[] {
      return this.columnNames!.map((name) => ({
        COLUMN_NAME: name,
        COLUMN_TYPE: "int",
        CHARACTER_SET_NAME: null,
      }));
    }

    updateColumnInfo() {
      this.tableMap[this.tableId].columns = this.columnNames!.map((name) => ({
        name,
        type: LONG,
        charset: null,
        metadata: {},
      }));
    }
  };
}

const body = (tableId: number, column: string) =>
  Uint8Array.from([tableId, ...new TextEncoder().encode(column)]);

const noReports: MissingInternal = (internal) => {
  throw new Error(`unexpected report of ${internal}`);
};

/** Has `zongji` read one table map event of `body` and prepares it as the reader does. */
function readTableMap(
  TableMap: ReturnType<typeof tableMapClass>,
  zongji: ZongJiLike,
  bytes: Uint8Array,
  report = noReports,
): ZongJiTableMapEntry {
  const event = new TableMap(zongji, bytes);
  prepareTableMap(zongji, event, () => undefined, () => new Set(["id"]), report);
  return zongji.tableMap[event.tableId];
}

Deno.test("prepareTableMap: an identical table map takes the entry prepared before", () => {
  const counts = { parsed: 0 };
  const TableMap = tableMapClass(counts);
  const zongji: ZongJiLike = { isMariaDb: false, useChecksum: false, tableMap: {} };
  // The first event shows the class, so it is parsed before the reuse is in place.
  readTableMap(TableMap, zongji, body(3, "id"));
  const prepared = readTableMap(TableMap, zongji, body(3, "id"));
  assert(prepared.readImage !== undefined, "the entry was prepared");
  assertEquals(counts.parsed, 2);
  assertEquals(readTableMap(TableMap, zongji, body(3, "id")), prepared);
  assertEquals(counts.parsed, 2);

  // Other bytes for the id (an ALTER TABLE) are parsed and prepared afresh.
  const altered = readTableMap(TableMap, zongji, body(3, "pk"));
  assertEquals(counts.parsed, 3);
  assertEquals(altered.columnSchemas[0].COLUMN_NAME, "pk");
});

Deno.test("reusePreparedTableMap: the packet decoder finds the prepared entry by its bytes", () => {
  const TableMap = tableMapClass({ parsed: 0 });
  const zongji: ZongJiLike = { isMariaDb: false, useChecksum: false, tableMap: {} };
  readTableMap(TableMap, zongji, body(4, "id"));
  const prepared = readTableMap(TableMap, zongji, body(4, "id"));
  delete zongji.tableMap[4];
  assertEquals(reusePreparedTableMap(zongji, 4, body(4, "id")), prepared);
  assertEquals(zongji.tableMap[4], prepared);
  assertEquals(reusePreparedTableMap(zongji, 4, body(4, "ix")), undefined);
  assertEquals(reusePreparedTableMap(zongji, 5, body(5, "id")), undefined);
});

Deno.test("prepareTableMap: the event checksum is left out of the comparison", () => {
  const TableMap = tableMapClass({ parsed: 0 });
  const zongji: ZongJiLike = { isMariaDb: false, useChecksum: true, tableMap: {} };
  const withChecksum = (checksum: number) =>
    Uint8Array.from([...body(6, "id"), checksum, checksum, checksum, checksum]);
  readTableMap(TableMap, zongji, withChecksum(1));
  const prepared = readTableMap(TableMap, zongji, withChecksum(2));
  assertEquals(reusePreparedTableMap(zongji, 6, withChecksum(3)), prepared);
});

Deno.test("prepareTableMap: a TableMap class without the methods to wrap is reported once", () => {
  const reports: [string, string][] = [];
  const report: MissingInternal = (internal, cost) => reports.push([internal, cost]);
  const TableMap = tableMapClass({ parsed: 0 });
  class Older extends TableMap {}
  const proto = Older.prototype as unknown as Record<string, unknown>;
  proto.buildColumnSchemas = undefined;
  proto.updateColumnInfo = undefined;
  const zongji: ZongJiLike = { isMariaDb: false, useChecksum: false, tableMap: {} };
  const event = Object.assign(Object.create(Older.prototype) as InstanceType<typeof Older>, {
    tableId: 1,
  });
  zongji.tableMap[1] = {
    columnSchemas: [{ COLUMN_NAME: "id", COLUMN_TYPE: "int", CHARACTER_SET_NAME: null }],
    parentSchema: "app",
    tableName: "t",
    columns: [{ name: "id", type: LONG, charset: null, metadata: {} }],
  };
  prepareTableMap(zongji, event, () => undefined, () => new Set(["id"]), report);
  prepareTableMap(zongji, event, () => undefined, () => new Set(["id"]), report);
  assertEquals(reports.length, 1);
  assertEquals(reports[0][0], "TableMap.prototype.buildColumnSchemas, updateColumnInfo");
  // Still prepared the slow way.
  assert(zongji.tableMap[1].readImage !== undefined);
});
