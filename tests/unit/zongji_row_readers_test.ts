// zongji's table map entries repaired and given our row readers, on hand-made entries and bytes.
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { FatalError } from "../../src/config/errors.ts";
import type { SourceColumn } from "../../src/convert/types.ts";
import {
  BIT,
  BLOB,
  DOUBLE,
  fixedWidth,
  GEOMETRY,
  LONG,
  LONGLONG,
  NEWDECIMAL,
  SHORT,
  TIME2,
  VARCHAR,
  YEAR,
} from "../../src/source/zongji/column_types.ts";
import type { MissingInternal } from "../../src/source/zongji/internals.ts";
import { installRowReader } from "../../src/source/zongji/row_event_patch.ts";
import { imageReaders, prepareRowReaders } from "../../src/source/zongji/row_readers.ts";
import type {
  ParserLike,
  ZongJiColumn,
  ZongJiLike,
  ZongJiTableMapEntry,
} from "../../src/source/zongji/shapes.ts";
import { patchTableMap } from "../../src/source/zongji/table_map_repair.ts";

const TABLE_ID = 7;

/** A zongji holding one entry of `columns` (name, binlog type, metadata, COLUMN_TYPE, charset). */
function zongjiWith(
  columns: [string, number, Record<string, unknown>, string, (string | null)?][],
  isMariaDb = false,
): ZongJiLike & { tableMap: Record<number, ZongJiTableMapEntry> } {
  const entry: ZongJiTableMapEntry = {
    parentSchema: "app",
    tableName: "t",
    columnSchemas: columns.map(([name, , , columnType, charset]) => ({
      COLUMN_NAME: name,
      COLUMN_TYPE: columnType,
      CHARACTER_SET_NAME: charset ?? null,
    })),
    columns: columns.map(([name, type, metadata, , charset]): ZongJiColumn => ({
      name,
      type,
      metadata,
      charset: charset ?? null,
    })),
  };
  return { isMariaDb, tableMap: { [TABLE_ID]: entry } };
}

/** id INT key, n SMALLINT UNSIGNED, v VARCHAR(10) utf8mb4, y YEAR: all read by our readers. */
function readableTable() {
  const zongji = zongjiWith([
    ["id", LONG, {}, "int"],
    ["n", SHORT, {}, "smallint unsigned"],
    ["v", VARCHAR, { max_length: 40 }, "varchar(10)", "utf8mb4"],
    ["y", YEAR, {}, "year"],
  ]);
  const event = { tableId: TABLE_ID };
  patchTableMap(zongji, event);
  prepareRowReaders(zongji, event, () => new Set(["id"]));
  return zongji.tableMap[TABLE_ID];
}

const ALL_FOUR = Uint8Array.of(0b1111);
const parserOver = (bytes: number[]): ParserLike => ({
  _buffer: Uint8Array.from(bytes),
  _offset: 0,
});

Deno.test("fixedWidth: bytes of fixed-width binlog values; null for length-prefixed ones", () => {
  assertEquals(fixedWidth(LONG, {}), 4);
  assertEquals(fixedWidth(LONGLONG, {}), 8);
  assertEquals(fixedWidth(TIME2, { decimals: 3 }), 5);
  assertEquals(fixedWidth(NEWDECIMAL, { precision: 12, decimals: 2 }), 6);
  assertEquals(fixedWidth(BLOB, {}), null);
});

Deno.test("patchTableMap: text, geometry and slow types arrive as raw bytes", () => {
  const zongji = zongjiWith([
    ["v", VARCHAR, { max_length: 1020 }, "varchar(255)", "utf8mb4"],
    ["g", GEOMETRY, {}, "geometry"],
    ["b", LONGLONG, {}, "bigint"],
  ]);
  patchTableMap(zongji, { tableId: TABLE_ID });
  const [v, g, b] = zongji.tableMap[TABLE_ID].columns!;
  assertEquals(v, {
    name: "v",
    type: BLOB,
    charset: null,
    metadata: { max_length: 1020, length_size: 2 },
  });
  assertEquals([g.type, g.charset], [BLOB, null]);
  assertEquals([b.type, b.metadata], [BIT, { bits: 64 }]);
});

Deno.test("patchTableMap: MariaDB text after a geometry column, charset from the catalog", () => {
  const selfDescribing = { tableId: TABLE_ID, hasSelfDescribingMetadata: () => true };
  const columns = (): Parameters<typeof zongjiWith>[0] => [
    ["g", GEOMETRY, {}, "geometry"],
    // zongji dealt the geometry column's entry (binary) to a, a's to b, and dropped b's.
    ["a", VARCHAR, { max_length: 10 }, "varbinary(10)", null],
    ["b", VARCHAR, { max_length: 40 }, "varchar(40)", "latin1"],
  ];
  const catalog = (_s: string, _t: string, column: string) =>
    column === "b" ? { charset: "utf8mb4" } as SourceColumn : undefined;
  const zongji = zongjiWith(columns(), true);
  patchTableMap(zongji, selfDescribing, catalog);
  const schemas = zongji.tableMap[TABLE_ID].columnSchemas;
  assertEquals(schemas.map((s) => [s.CHARACTER_SET_NAME, s.COLUMN_TYPE]), [
    [null, "geometry"],
    ["latin1", "varchar(10)"],
    ["utf8mb4", "varchar(10)"],
  ]);
  const withoutCatalog = zongjiWith(columns(), true);
  const error = assertThrows(() => patchTableMap(withoutCatalog, selfDescribing), Error);
  assertMatch(error.message, /app\.t column\(s\) b from MariaDB's binlog metadata/);
});

Deno.test("our image reader reads integers, YEAR and raw bytes as zongji would", () => {
  const entry = readableTable();
  const [read] = imageReaders(entry, "insert")!;
  const parser = parserOver([
    ...[0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x68, 0x69, 124], // -2, 65535, "hi", 2024
    ...[0b0100, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], // 5, 1, NULL, 1900
  ]);
  assertEquals(read(parser, ALL_FOUR), { id: -2, n: 65535, v: Uint8Array.of(0x68, 0x69), y: 2024 });
  assertEquals(read(parser, ALL_FOUR), { id: 5, n: 1, v: null, y: 1900 });
  assertEquals(parser._offset, 19);
  // An absent column has no bit in the null bitmap and reads as null.
  const absent = parserOver([0x00, 0x09, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
  assertEquals(read(absent, Uint8Array.of(0b1011)), { id: 9, n: 2, v: null, y: 1901 });
});

Deno.test("before images decode their key columns only", () => {
  const entry = readableTable();
  const [before, after] = imageReaders(entry, "update")!;
  assert(before !== after);
  assertEquals(imageReaders(entry, "delete")![0], before);
  const row = [0x00, 0x03, 0x00, 0x00, 0x00, 0x34, 0x12, 0x01, 0x41, 100];
  assertEquals(before(parserOver(row), ALL_FOUR), {
    id: 3,
    n: Uint8Array.of(0x34, 0x12),
    v: Uint8Array.of(0x41),
    y: Uint8Array.of(100),
  });
  // Without all its key columns an image could not identify a row: no key-only entry then.
  const zongji = zongjiWith([["id", LONG, {}, "int"]]);
  prepareRowReaders(zongji, { tableId: TABLE_ID }, () => new Set(["id", "other"]));
  const [first, second] = imageReaders(zongji.tableMap[TABLE_ID], "delete")!;
  assertEquals(first, second);
});

Deno.test("a table with a column our readers do not read is left to zongji", () => {
  const zongji = zongjiWith([["id", LONG, {}, "int"], ["d", DOUBLE, {}, "double"]]);
  prepareRowReaders(zongji, { tableId: TABLE_ID }, () => new Set(["id"]));
  const entry = zongji.tableMap[TABLE_ID];
  assertEquals(imageReaders(entry, "insert"), undefined);
  assertEquals(imageReaders(entry, "update"), undefined);
  // The DOUBLE of a before image is only skipped, as raw bytes.
  assert(imageReaders(entry, "delete") !== undefined);
});

/** A stand-in for zongji's RowsEvent: its own reader returns what it was asked to read. */
class FakeRowsEvent {
  _zongji = {};
  constructor(
    public tableMap: Record<number, ZongJiTableMapEntry>,
    public columns_present_bitmap = ALL_FOUR,
    public tableId = TABLE_ID,
  ) {}
  _fetchOneRow(this: FakeRowsEvent, parser: ParserLike) {
    parser._offset = parser._buffer.length;
    return { zongjiRead: this.tableMap[this.tableId].columns!.map((c) => c.name) };
  }
}

Deno.test("installRowReader: row events read with our readers, the rest with zongji's", () => {
  const reports: string[] = [];
  const report: MissingInternal = (internal) => reports.push(internal);
  class DeleteRows extends FakeRowsEvent {}
  const readable = { [TABLE_ID]: readableTable() };
  installRowReader(new DeleteRows(readable), "delete", report);
  const row = [0x00, 0x03, 0x00, 0x00, 0x00, 0x34, 0x12, 0x01, 0x41, 100];
  const read = new DeleteRows(readable)._fetchOneRow(parserOver(row));
  assertEquals((read as Record<string, unknown>).id, 3);

  class WriteRows extends FakeRowsEvent {}
  const zongji = zongjiWith([["id", LONG, {}, "int"], ["d", DOUBLE, {}, "double"]]);
  installRowReader(new WriteRows(zongji.tableMap), "insert", report);
  assertEquals(
    new WriteRows(zongji.tableMap)._fetchOneRow(parserOver([0])),
    { zongjiRead: ["id", "d"] },
  );
  assertEquals(reports, []);
});

Deno.test("installRowReader: missing internals reported, or fatal where rows would be lost", () => {
  const reports: string[] = [];
  const report: MissingInternal = (internal) => reports.push(internal);
  class Orphan {
    tableId = TABLE_ID;
    tableMap = {};
    _fetchOneRow() {}
  }
  installRowReader(new Orphan(), "insert", report);
  assertEquals(reports, [
    "RowsEvent.prototype._fetchOneRow, RowsEvent.columns_present_bitmap, RowsEvent._zongji",
  ]);

  class NoTableId extends FakeRowsEvent {}
  const event = new NoTableId({}) as Partial<FakeRowsEvent>;
  delete event.tableId;
  const error = assertThrows(() => installRowReader(event, "update", report), FatalError);
  assertMatch(error.message, /RowsEvent\.tableId or tableMap not found: rows cannot be matched/);
  // Not settled: the next event of the class is checked again.
  assertThrows(() => installRowReader(event, "update", report), FatalError);
});
