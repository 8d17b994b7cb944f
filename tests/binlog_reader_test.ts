// The binlog reader hands out committed units in order and holds no more of them than it must.
import { assertEquals } from "./assert.ts";
import { BinlogReader, type SourceTransaction } from "../src/source/binlog.ts";
import { catalogLookup, loadColumns, resolveSourceTables } from "../src/source/catalog.ts";
import { connectSource } from "../src/source/mysql.ts";
import { startFixture, waitFor } from "./support/fixture.ts";

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

    const source = await connectSource(config);
    const { tables } = await resolveSourceTables(source, config.sources);
    await loadColumns(source, tables);
    await source.end();
    const reader = new BinlogReader(config, catalogLookup(tables));
    try {
      await reader.start(from, { app: ["t"] });
      await waitFor("every unit to be queued", () => reader.backlog === units);

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
      const ids = rest.map(({ changes: [change] }) =>
        change.kind === "insert" && change.rows[0].id
      );
      assertEquals(ids, Array.from({ length: units - 1 }, (_, i) => i + 2));
    } finally {
      reader.stop();
    }
  },
});
