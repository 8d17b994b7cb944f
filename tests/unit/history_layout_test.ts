/**
 * The binlog's layout against the schema history's: what counts as a disagreement, and zongji's
 * metadata lookup answered from the history (never from INFORMATION_SCHEMA for a table it holds).
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { SourceTable } from "../../src/schema/table.ts";
import {
  type BinlogColumn,
  builtFromHistory,
  decodeWithHistory,
  layoutProblem,
} from "../../src/source/zongji/history_layout.ts";
import * as T from "../../src/source/zongji/column_types.ts";
import type { ZongJiTableMapEntry } from "../../src/source/zongji/shapes.ts";

/** app.t (id int, b varchar(20) utf8mb4, c decimal(10,2), e enum('x','y')). */
const definition: SourceTable = {
  schema: "app",
  table: "t",
  primaryKey: ["id"],
  columns: [
    {
      name: "id",
      columnType: "int(11)",
      dataType: "int",
      unsigned: false,
      charset: null,
      nullable: false,
    },
    {
      name: "b",
      columnType: "varchar(20)",
      dataType: "varchar",
      unsigned: false,
      charset: "utf8mb4",
      nullable: true,
    },
    {
      name: "c",
      columnType: "decimal(10,2)",
      dataType: "decimal",
      unsigned: false,
      charset: null,
      nullable: true,
    },
    {
      name: "e",
      columnType: "enum('x','y')",
      dataType: "enum",
      unsigned: false,
      charset: "utf8mb4",
      nullable: true,
      labels: ["x", "y"],
    },
  ],
};

/** The binlog's view of `definition`: 20 utf8mb4 characters are 80 bytes. */
function binlog(names = false): BinlogColumn[] {
  const columns: BinlogColumn[] = [
    { type: T.LONG },
    { type: T.VARCHAR, metadata: { max_length: 80 } },
    { type: T.NEWDECIMAL, metadata: { precision: 10, decimals: 2 } },
    { type: T.ENUM, metadata: { size: 1 } },
  ];
  return names ? columns.map((c, i) => ({ ...c, name: definition.columns[i].name })) : columns;
}

Deno.test("a layout that fits: with and without column names", () => {
  assertEquals(layoutProblem(definition, binlog()), null);
  assertEquals(layoutProblem(definition, binlog(true)), null);
  // MySQL compares column names ignoring case
  const upper = binlog(true).map((c) => ({ ...c, name: c.name!.toUpperCase() }));
  assertEquals(layoutProblem(definition, upper), null);
});

Deno.test("what the binlog tells that the history contradicts", () => {
  assertEquals(
    layoutProblem(definition, binlog().slice(1)),
    "3 columns in the binlog, 4 in the history",
  );
  const renamed = binlog(true);
  renamed[1] = { ...renamed[1], name: "a" };
  assertEquals(layoutProblem(definition, renamed), "column 2: a in the binlog, b in the history");
  const swapped = binlog();
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  assertMatch(
    layoutProblem(definition, swapped)!,
    /^column 1: id is varchar\(80 bytes\) in the binlog, int\(11\)/,
  );
  const wider = binlog();
  wider[1] = { type: T.VARCHAR, metadata: { max_length: 120 } };
  assertMatch(
    layoutProblem(definition, wider)!,
    /b holds 120 bytes in the binlog, varchar\(20\) \(utf8mb4\)/,
  );
  const scale = binlog();
  scale[2] = { type: T.NEWDECIMAL, metadata: { precision: 12, decimals: 2 } };
  assertMatch(
    layoutProblem(definition, scale)!,
    /c is decimal\(12,2\) in the binlog, decimal\(10,2\)/,
  );
  const bigint = binlog();
  bigint[0] = { type: T.LONGLONG };
  assertMatch(
    layoutProblem(definition, bigint)!,
    /id is bigint in the binlog, int\(11\) in the history/,
  );
});

/** A stand-in for zongji with its metadata lookup, and a MINIMAL table map event of app.t. */
function fakeZongJi() {
  const fetched: string[] = [];
  const zongji = {
    tableMap: {} as Record<number, ZongJiTableMapEntry>,
    _fetchTableInfo(event: { tableName: string }, next: () => void) {
      fetched.push(event.tableName);
      next();
    },
  };
  return { zongji, fetched };
}

function minimalEvent(tableName: string, columns = binlog()) {
  return {
    tableId: 7,
    schemaName: "app",
    tableName,
    // ENUM arrives as STRING, its real type in the column's metadata
    columnTypes: columns.map((c) => c.type === T.ENUM ? T.STRING : c.type),
    columnsMetadata: columns.map((c) =>
      c.type === T.ENUM ? { ...c.metadata, type: T.ENUM } : c.metadata
    ),
  };
}

Deno.test("zongji's lookup is answered from the history, checked; other tables still ask zongji", () => {
  const { zongji, fetched } = fakeZongJi();
  const failures: Error[] = [];
  decodeWithHistory(
    zongji,
    (schema, table) => schema === "app" && table === "t" ? definition : undefined,
    (error) => failures.push(error),
  );
  const lookup = zongji._fetchTableInfo as (event: unknown, next: () => void) => void;
  let completed = 0;
  lookup.call(zongji, minimalEvent("t"), () => completed++);
  assertEquals([completed, fetched, failures], [1, [], []]);
  const entry = zongji.tableMap[7];
  assert(builtFromHistory(entry));
  assertEquals(entry.columnSchemas.map((c) => c.COLUMN_NAME), ["id", "b", "c", "e"]);
  assertEquals(entry.columnSchemas[3].ENUM_VALUES, ["x", "y"]);

  lookup.call(zongji, minimalEvent("other"), () => completed++);
  assertEquals([completed, fetched], [2, ["other"]]);

  // An event written before the history's definition (one column more): refused, not decoded.
  const older = [...binlog(), { type: T.LONG }];
  lookup.call(zongji, minimalEvent("t", older), () => completed++);
  assertEquals(completed, 2);
  assertEquals(failures.length, 1);
  assertMatch(
    failures[0].message,
    /^the binlog's layout of app\.t \(#1 int, #2 varchar\(80 bytes\), #3 decimal\(10,2\), #4 enum, #5 int\) does not fit the schema history's \(id int\(11\), b varchar\(20\), c decimal\(10,2\), e enum\('x','y'\)\): 5 columns in the binlog, 4 in the history; .*snapshot --tables app\.t"$/,
  );
});

Deno.test("a followed table the history had no definition of at the start fails, not guessed", () => {
  const { zongji, fetched } = fakeZongJi();
  const failures: Error[] = [];
  decodeWithHistory(
    zongji,
    () => undefined,
    (error) => failures.push(error),
    (_, table) => table === "n",
  );
  const lookup = zongji._fetchTableInfo as (event: unknown, next: () => void) => void;
  let completed = 0;
  lookup.call(zongji, minimalEvent("n"), () => completed++);
  assertEquals([completed, fetched], [0, []]);
  assertMatch(
    failures[0].message,
    /^cannot decode rows of app\.n: the schema history had no definition of it .*snapshot --tables app\.n".*schema_history_seed = "catalog"$/,
  );
});
