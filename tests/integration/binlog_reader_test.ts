// The binlog reader hands out committed units in order and holds no more of them than it must.
import { assertEquals } from "../support/assert.ts";
import { Buffer } from "node:buffer";
import type { Config } from "../../src/config/config.ts";
import type { BinlogPosition } from "../../src/offsets/position.ts";
import { BinlogReader, type ReaderOptions } from "../../src/source/binlog_reader.ts";
import type { SourceTransaction } from "../../src/source/transaction.ts";
import { SchemaHistory } from "../../src/schema/history.ts";
import { tableKey } from "../../src/schema/table.ts";
import { connectSource } from "../../src/source/mysql.ts";
import { followedRoutes } from "../../src/tables/followed.ts";
import { keyLookup } from "../../src/tables/row_identity.ts";
import { Logger } from "../../src/util/log.ts";
import { startFixture, waitFor } from "../../testing/fixture.ts";

/** A reader of the tables of `app` in `config` from `from`, once it has queued `units` units. */
async function readAll(
  config: Config,
  from: BinlogPosition,
  units: number,
  options: ReaderOptions = {},
) {
  const source = await connectSource(config);
  const routes = await followedRoutes(config, source, new Logger("error", { quiet: true }));
  await source.end();
  const tables = routes.map((route) => route.source);
  // Today's catalog at a position the binlog has moved past, as a first start takes it.
  const provisional = tables.map((t) => tableKey(t.schema, t.table));
  const history = new SchemaHistory({ definitions: tables, provisional }, {
    covers: () => false,
    coversSchema: () => false,
  });
  const reader = new BinlogReader(config, history, keyLookup(routes), options);
  try {
    await reader.start(from, { app: tables.map((t) => t.table) });
    await waitFor("every unit to be queued", () => reader.backlog === units);
  } catch (err) {
    reader.stop();
    throw err;
  }
  return reader;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

Deno.test({
  name: "a unit handed out is not kept alive while later ones are still queued",
  // Needs a collection on demand (scripts/test.sh runs deno test with --expose-gc).
  ignore: collectGarbage === undefined,
  async fn() {
    await using fixture = await startFixture();
    await fixture.my.query("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v TEXT)");
    const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t"]`);
    const from = await fixture.masterStatus();
    const units = 40;
    for (let id = 1; id <= units; id++) {
      await fixture.my.query(`INSERT INTO app.t VALUES (${id}, REPEAT('x', 1000))`);
    }

    using reader = await readAll(config, from, units);
    // The queue keeps its array between refills, so a handed-out slot must be emptied.
    const first = new WeakRef((await reader.next(1000))!);
    assertEquals(first.deref()?.changes[0].rows.length, 1);
    assertEquals(reader.backlog, units - 1);
    // WeakRef targets live to the end of the current job; collect after it.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage!();
    assertEquals(first.deref(), undefined, "the reader still holds a unit it handed out");

    const rest: SourceTransaction[] = [];
    while (reader.backlog > 0) rest.push((await reader.next(1000))!);
    assertEquals(rest.length, units - 1);
    const ids = rest.map(({ changes: [change] }) => change.kind === "insert" && change.rows[0].id);
    assertEquals(ids, Array.from({ length: units - 1 }, (_, i) => i + 2));
  },
});

Deno.test("before images of updates and deletes are decoded only as far as their key", async () => {
  await using fixture = await startFixture();
  // Types zongji still decodes in after images (others arrive raw anyway, see patchTableMap).
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (" +
      "id INT PRIMARY KEY, day DATE, t TIME(3), j JSON, e ENUM('a','b'), n INT)",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t"]`);
  await fixture.my.query(
    `INSERT INTO app.t VALUES (1, '2024-02-29', '-838:59:58.999', '{"a": [1]}', 'b', 7),
       (2, '2000-01-01', '00:00:00', 'null', 'a', 0)`,
  );
  const from = await fixture.masterStatus();
  // zongji's row event classes are only reachable through a first event, decoded whole.
  for (const n of [8, 9]) await fixture.my.query(`UPDATE app.t SET n = ${n} WHERE id = 1`);
  for (const id of [2, 1]) await fixture.my.query(`DELETE FROM app.t WHERE id = ${id}`);

  using reader = await readAll(config, from, 4);
  const rows = [];
  for (let i = 0; i < 4; i++) rows.push((await reader.next(1000))!.changes[0]);
  const [, second, , deletion] = rows;
  if (second.kind !== "update" || deletion.kind !== "delete") throw new Error("wrong events");
  const { before, after } = second.rows[0];
  assertEquals(before.id, 1);
  // Non-key columns of the before image stay raw bytes: no date, time, JSON or label decoding.
  for (const column of ["day", "t", "j", "e", "n"]) {
    assertEquals(before[column] instanceof Uint8Array, true, `before.${column}`);
  }
  assertEquals(
    [after.id, after.day, after.t, after.e, after.n],
    [1, "2024-02-29", "-838:59:58.999", "b", 9],
  );
  assertEquals(deletion.rows[0].id, 1);
  assertEquals(deletion.rows[0].day instanceof Uint8Array, true);
});

Deno.test("integers, years and raw bytes are read exactly by the direct row reader", async () => {
  await using fixture = await startFixture();
  // Only types the direct reader handles (see prepareRowReaders), so it reads the whole table.
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, " +
      "si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED, " +
      "iu INT UNSIGNED, y YEAR, b BIT(10), v VARBINARY(300))",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t"]`);
  const from = await fixture.masterStatus();
  // The first insert event shows zongji's row event class; the reader is installed after it.
  await fixture.my.query("INSERT INTO app.t (id) VALUES (0)");
  await fixture.my.query(
    `INSERT INTO app.t VALUES
       (1, -128, 0, -32768, 0, -8388608, 0, 0, 1901, b'0', ''),
       (2, 127, 255, 32767, 65535, 8388607, 16777215, 4294967295, 2155, b'1111111111', REPEAT('x', 300)),
       (-2147483648, -1, NULL, -1, NULL, -1, NULL, NULL, 0, NULL, NULL)`,
  );
  using reader = await readAll(config, from, 2);
  await reader.next(1000);
  const [change] = (await reader.next(1000))!.changes;
  if (change.kind !== "insert") throw new Error("wrong event");
  const hex = (v: unknown) => v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v;
  assertEquals(change.rows.map((row) => Object.values(row).map(hex)), [
    [1, -128, 0, -32768, 0, -8388608, 0, 0, 1901, "0000", ""],
    [2, 127, 255, 32767, 65535, 8388607, 16777215, 4294967295, 2155, "03ff", "78".repeat(300)],
    [-2147483648, -1, null, -1, null, -1, null, null, 1900, null, null],
  ]);
});

Deno.test("a table map is prepared once while its table id's event stays the same", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY, v INT); " +
      "CREATE TABLE app.u (id INT PRIMARY KEY, s VARCHAR(5))",
  );
  const config = await fixture.writeConfig(`[[source]]\nschema = "app"\ntables = ["t", "u"]`);
  const from = await fixture.masterStatus();
  for (let id = 1; id <= 3; id++) await fixture.my.query(`INSERT INTO app.t VALUES (${id}, ${id})`);
  // Table ids start again with the server: the first table opened after a restart takes the id
  // that app.t had before it, with a different definition.
  await fixture.mariadb.stop();
  await fixture.mariadb.start();
  await fixture.reconnect();
  for (const id of [4, 5]) await fixture.my.query(`INSERT INTO app.u VALUES (${id}, 'u${id}')`);
  const tableIds = async (file: string) => {
    const [events] = await fixture.my.query(`SHOW BINLOG EVENTS IN '${file}'`);
    return (events as { Event_type: string; Info: string }[])
      .filter((e) => e.Event_type === "Table_map").map((e) => e.Info.replace(/ \(.*/, ""));
  };
  const [earlier] = await tableIds("mysql-bin.000001");
  assertEquals(
    await tableIds("mysql-bin.000002"),
    [earlier, earlier],
    "app.u should have taken app.t's table id",
  );

  using reader = await readAll(config, from, 5);
  const changes = [];
  for (let i = 0; i < 5; i++) changes.push((await reader.next(1000))!.changes[0]);
  // The first table map is parsed before the reuse is installed, the second is remembered.
  assertEquals(changes[2].table.columns === changes[1].table.columns, true, "not prepared once");
  const decoded = changes.map((change) => {
    if (change.kind !== "insert") throw new Error("wrong event");
    const row = change.rows[0];
    const s = row.s instanceof Uint8Array ? new TextDecoder().decode(row.s) : row.s;
    return [change.table.table, change.table.columns.map((c) => c.COLUMN_NAME), row.id, s];
  });
  assertEquals(decoded, [
    ["t", ["id", "v"], 1, undefined],
    ["t", ["id", "v"], 2, undefined],
    ["t", ["id", "v"], 3, undefined],
    ["u", ["id", "s"], 4, "u4"],
    ["u", ["id", "s"], 5, "u5"],
  ]);
});

Deno.test("events read straight from the packets equal zongji's reading of them", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE app; " +
      // Read by our row readers: integers and raw bytes once patchTableMap is done.
      "CREATE TABLE app.t (id INT PRIMARY KEY, n BIGINT, d DECIMAL(12,2), ts DATETIME(6), " +
      "  s VARCHAR(300), txt TEXT); " +
      // A composite key, no other columns.
      "CREATE TABLE app.k (a INT, b VARCHAR(10), PRIMARY KEY (a, b)); " +
      // FLOAT and DATE are zongji's to decode: its row events must go to zongji.
      "CREATE TABLE app.z (id INT PRIMARY KEY, f FLOAT, day DATE); " +
      "CREATE TABLE app.ignored (id INT PRIMARY KEY)",
  );
  const config = await fixture.writeConfig(
    `[[source]]\nschema = "app"\ntables = ["t", "k", "z"]`,
  );
  const from = await fixture.masterStatus();
  const statements = [
    "INSERT INTO app.t VALUES (1, -9223372036854775808, -1.25, '2024-02-29 23:59:59.000001', " +
    "  REPEAT('é', 300), 'x'), (2, NULL, NULL, NULL, NULL, NULL)",
    "INSERT INTO app.k VALUES (1, 'a'), (1, 'b')",
    "INSERT INTO app.z VALUES (1, 1.5, '2024-01-02')",
    "INSERT INTO app.ignored VALUES (1)",
    "BEGIN; UPDATE app.t SET n = 7, s = 'short' WHERE id = 1; UPDATE app.k SET a = 2 WHERE b = 'b'; " +
    "  INSERT INTO app.ignored VALUES (2); UPDATE app.z SET f = 2.5; COMMIT",
    "UPDATE app.t SET id = id + 10",
    "ALTER TABLE app.t ADD COLUMN extra INT",
    "INSERT INTO app.t (id, extra) VALUES (3, 3)",
    "DELETE FROM app.t WHERE id = 11",
    "DELETE FROM app.k",
    "DELETE FROM app.z",
    ...Array.from({ length: 5 }, (_, i) => `INSERT INTO app.k VALUES (${10 + i}, 'x')`),
  ];
  for (const statement of statements) await fixture.my.query(statement);
  // Every statement is a unit, but app.ignored's insert, which has no changes for these tables.
  const units = statements.length;

  const warnings: string[] = [];
  const log = { warn: (message: string) => warnings.push(message) };
  const readWith = async (decodePackets: boolean) => {
    using reader = await readAll(config, from, units, { decodePackets, log });
    const read: SourceTransaction[] = [];
    while (reader.backlog > 0) read.push((await reader.next(1000))!);
    return { read, packetDecoded: reader.packetDecodedEvents };
  };
  // zongji decodes the first row event of each kind whole, before its class can be given our
  // readers (installRowReader): a reading first, so that this test does not depend on others.
  await readWith(false);
  const direct = await readWith(true);
  const byZongji = await readWith(false);
  assertEquals(byZongji.packetDecoded, 0);
  // GTID, row and XID events of every transaction but the first of each table and the DDL.
  assertEquals(direct.packetDecoded > 3 * 10, true, `${direct.packetDecoded} events read directly`);
  // Raw bytes come as a Buffer from zongji's readers and as a Uint8Array from ours; both are read
  // as Uint8Array. JSON.stringify has a Buffer in its toJSON form by the time the replacer sees it.
  const hex = (bytes: ArrayLike<number>) => `hex:${Buffer.from(Array.from(bytes)).toString("hex")}`;
  const comparable = (units: SourceTransaction[]) =>
    JSON.parse(
      JSON.stringify(units, (_, value) =>
        value instanceof Uint8Array
          ? hex(value)
          : value?.type === "Buffer" && Array.isArray(value.data)
          ? hex(value.data)
          : value),
    );
  assertEquals(comparable(direct.read), comparable(byZongji.read));
  assertEquals(warnings, [], "zongji 0.9 lacks an internal the decoding relies on");
  const ids = direct.read.flatMap((unit) =>
    unit.changes.map((change) => `${change.kind} ${change.table.table} ${change.rows.length}`)
  );
  assertEquals(ids, [
    "insert t 2",
    "insert k 2",
    "insert z 1",
    "update t 1",
    "update k 1",
    "update z 1",
    "update t 2",
    "insert t 1",
    "delete t 1",
    "delete k 2",
    "delete z 1",
    ...Array.from({ length: 5 }, () => "insert k 1"),
  ]);
});
