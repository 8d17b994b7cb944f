// Sixteen shards behind one table pattern, merged into one target: `check` lists what the pattern
// covers, `snapshot` loads them while a writer writes to all of them, `run` follows them and a
// shard created while it streams, never a table the pattern does not match; afterwards each shard
// equals its slice of the target (its source_column value), and `verify` agrees.
import type mysql from "mysql2/promise";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import type { Finding } from "../../src/check/finding.ts";
import {
  connectMysql,
  type Fixture,
  mysqlRows,
  pgRows,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

const SHARDS = Array.from({ length: 16 }, (_, i) => `order_${String(i).padStart(2, "0")}`);
const LATE = "order_16";
const INSTANCE = "eu";
const LAYOUT = "(id INT PRIMARY KEY, amount INT NOT NULL, note VARCHAR(20))";
const COLUMNS = "id, amount, note";

const CONFIG = `instance_name = "${INSTANCE}"

[[source]]
schema = "shop"
tables = ["order_\\\\d+"]

[[rule]]
schema = "shop"
table = "order_\\\\d+"
pg_table = "orders"
source_column = "src"
`;

/**
 * Writes to `tables()` until stopped: inserts, updates and deletes of ids 1..120, so equal ids
 * live in every shard, a few per transaction and some transactions over several shards.
 */
function startWriter(my: mysql.Connection, tables: () => string[]) {
  let stopped = false;
  let statements = 0;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
  const id = () => 1 + Math.floor(Math.random() * 120);
  const done = (async () => {
    while (!stopped) {
      await my.query("BEGIN");
      for (let n = 1 + Math.floor(Math.random() * 3); n > 0; n--) {
        const table = `shop.${pick(tables())}`;
        const op = Math.random();
        if (op < 0.5) {
          await my.query(
            `INSERT INTO ${table} VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE amount = amount + 1`,
            [id(), Math.floor(Math.random() * 1000), `n${statements}`],
          );
        } else if (op < 0.8) {
          await my.query(`UPDATE ${table} SET amount = amount - 1, note = ? WHERE id = ?`, [
            `u${statements}`,
            id(),
          ]);
        } else {
          await my.query(`DELETE FROM ${table} WHERE id = ?`, [id()]);
        }
        statements++;
      }
      await my.query("COMMIT");
    }
  })();
  return {
    get statements() {
      return statements;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function checkFindings(fixture: Fixture): Promise<Finding[]> {
  const result = await runCli(["check", "-c", fixture.configFile, "--json"]);
  return (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
}

function finding(findings: Finding[], check: string, pattern: RegExp): Finding {
  const found = findings.find((f) => f.check === check && pattern.test(f.message));
  assert(
    found,
    `no ${check} finding ${pattern}:\n${
      findings.map((f) => `${f.check}: ${f.message}`).join("\n")
    }`,
  );
  return found;
}

/** Each shard's rows against its slice of public.orders, and nothing else in the target. */
async function assertSlices(fixture: Fixture, shards: readonly string[]): Promise<number> {
  let total = 0;
  for (const shard of shards) {
    const source = await mysqlRows(fixture.my, `SELECT ${COLUMNS} FROM shop.${shard}`);
    const slice = await pgRows(
      fixture.pg,
      `SELECT ${COLUMNS} FROM public.orders WHERE src = '${INSTANCE}.shop.${shard}'`,
    );
    assertEquals(slice, source, `the slice of ${shard} differs`);
    total += source.length;
  }
  const [{ count }] = await fixture.pg<{ count: string }[]>`SELECT count(*) FROM public.orders`;
  assertEquals(Number(count), total, "public.orders holds rows of no shard");
  return total;
}

Deno.test("patterns: 16 shards into one target, a 17th created while run streams", async () => {
  await using fixture = await startFixture();
  const shardDdl = SHARDS.map((t) => `CREATE TABLE shop.${t} ${LAYOUT};`).join("\n");
  await fixture.my.query(`CREATE DATABASE shop; ${shardDdl}
    CREATE TABLE shop.audit ${LAYOUT};`);
  // Equal ids in every shard: only the source column tells their rows apart in the target.
  for (const shard of SHARDS) {
    const rows = Array.from({ length: 40 }, (_, i) => `(${i + 1}, ${i * 10}, '${shard}')`);
    await fixture.my.query(`INSERT INTO shop.${shard} VALUES ${rows.join(", ")}`);
  }
  const config = await fixture.writeConfig(CONFIG);

  let findings = await checkFindings(fixture);
  finding(
    findings,
    "patterns",
    /^\[\[source\]\] #1 shop\.order_\\d\+ covers 16 tables: order_00 \.\.\. order_15$/,
  );
  finding(findings, "rules", /^\[\[rule\]\] #1 shop\.order_\\d\+ -> public\.orders: 16 tables/);
  assert(!findings.some((f) => f.message.includes("audit")), "shop.audit is not followed");

  const writerConnection = await connectMysql(fixture.mariadb);
  const tables = [...SHARDS, "audit"];
  const writer = startWriter(writerConnection, () => tables);
  try {
    await waitFor("the writer to start", () => writer.statements > 20);
    const snapshot = await runCli(["snapshot", "-c", fixture.configFile]);
    assertEquals(snapshot.code, 0, snapshot.stderr);
    const sync = await startSync(config);
    try {
      const before = writer.statements;
      await waitFor("more writes while run streams", () => writer.statements > before + 50);
      // A new shard: followed into the same target from its CREATE TABLE, and written to.
      await fixture.my.query(`CREATE TABLE shop.${LATE} ${LAYOUT}`);
      await fixture.my.query(`INSERT INTO shop.${LATE} VALUES (1, 1, 'late'), (2, 2, 'late')`);
      tables.push(LATE);
      const after = writer.statements;
      await waitFor("writes to the new shard too", () => writer.statements > after + 80);
      await writer.stop();
      await waitForCatchUp(fixture, sync);
      assertEquals(sync.stats.followed.toSorted(), [...SHARDS, LATE].map((t) => `shop.${t}`));
    } finally {
      await sync.stop();
    }
  } finally {
    await writer.stop();
    await writerConnection.end();
  }

  // The target snapshot created: the source column is part of its key.
  const key = await fixture.pg<{ name: string }[]>`
    SELECT a.attname AS name
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = 'public.orders'::regclass AND i.indisprimary ORDER BY k.n`;
  assertEquals(key.map((k) => k.name).toSorted(), ["id", "src"]);
  const total = await assertSlices(fixture, [...SHARDS, LATE]);
  assert(total > 17 * 20, `few rows: ${total}`);
  const [audit] = await fixture.pg`SELECT to_regclass('public.audit') AS found`;
  assertEquals(audit.found, null, "shop.audit matches no pattern and is not followed");

  const verify = await runCli(["verify", "-c", fixture.configFile]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  assertMatch(verify.stdout, /target equals source/);

  findings = await checkFindings(fixture);
  finding(
    findings,
    "patterns",
    /^\[\[source\]\] #1 shop\.order_\\d\+ covers 17 tables: order_00 \.\.\. order_16$/,
  );
  assert(!findings.some((f) => f.level === "fail"), JSON.stringify(findings));
});
