/**
 * Speed of `snapshot` and `verify`:
 * `deno run -A bench/verify_bench.ts [--rows N] [--delay-ms N] [--only t,s,c]` (default 500,000
 * six-column rows per table, the shape of bench/bench.ts, no added latency, every table).
 *
 * On throwaway MariaDB + PostgreSQL servers it loads three such tables with snapshot (which
 * creates the targets): `t` with an integer key, `s` with a text key (whose order differs between
 * MySQL and PostgreSQL, so verify compares its rows by the chunk's keys instead of by key range)
 * and `c` with a composite key of two integers. Then it verifies `t` once equal, once with a few
 * rows damaged in PostgreSQL, then repairs them, and verifies `s` and `c` equal. With
 * `--delay-ms N` verify reaches both servers through loopback proxies that delay each direction by
 * N ms (a round trip of 2N ms, like servers on another host); the load does not. Each figure is
 * rows per second of the whole table, source reads included. Not part of the test suite: it takes
 * a while and its numbers depend on the machine.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Config } from "../src/config/config.ts";
import { Logger } from "../src/util/log.ts";
import { DEFAULT_SNAPSHOT_OPTIONS, snapshot } from "../src/snapshot/snapshot.ts";
import { DEFAULT_VERIFY_OPTIONS, verify, type VerifyReport } from "../src/verify/verify.ts";
import { startFixture } from "../testing/fixture.ts";
import { spawnProxy } from "./proxy_process.ts";

const USAGE = "usage: deno run -A bench/verify_bench.ts [--rows N] [--delay-ms N] [--only t,s,c]";
const TABLES = ["t", "s", "c"];

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "500000" },
    "delay-ms": { type: "string", default: "0" },
    only: { type: "string", default: TABLES.join(",") },
  },
});
const rows = Number(flags.rows);
const delayMs = Number(flags["delay-ms"]);
const only = flags.only.split(",");
if (
  !Number.isInteger(rows) || rows < 1 || !(delayMs >= 0) ||
  only.some((t) => !TABLES.includes(t))
) {
  console.error(USAGE);
  Deno.exit(2);
}

const log = new Logger("warn");
await using fixture = await startFixture({
  // The whole table fits in memory, as it would on a server sized for it
  mariadbArgs: ["--innodb-buffer-pool-size=512M"],
});
console.error(`filling bench.${only.join(", bench.")} with ${rows} rows each`);
await fixture.my.query(`
  CREATE DATABASE bench;
  CREATE TABLE bench.t (id BIGINT PRIMARY KEY, name VARCHAR(64), balance DECIMAL(12,2),
    note TEXT, born DATE, ts DATETIME(6));
  CREATE TABLE bench.s LIKE bench.t;
  ALTER TABLE bench.s MODIFY id VARCHAR(20);
  CREATE TABLE bench.c (grp INT, id BIGINT, name VARCHAR(64), balance DECIMAL(12,2), note TEXT,
    born DATE, ts DATETIME(6), PRIMARY KEY (grp, id));`);
for (let from = 1; from <= rows; from += 100_000) {
  const to = Math.min(rows, from + 99_999);
  await fixture.my.query(
    `INSERT INTO bench.t SELECT seq, CONCAT('user ', seq), seq / 100, CONCAT('note ', seq, ' text'),
       DATE_ADD('2000-01-01', INTERVAL seq % 9000 DAY), '2020-01-01 10:00:00.123456' + INTERVAL seq SECOND
     FROM bench.seq_${from}_to_${to}`,
  );
}
if (only.includes("s")) {
  await fixture.my.query(
    "INSERT INTO bench.s SELECT CONCAT('k', HEX(id)), name, balance, note, born, ts FROM bench.t",
  );
}
if (only.includes("c")) {
  await fixture.my.query(
    "INSERT INTO bench.c SELECT id % 100, id, name, balance, note, born, ts " +
      "FROM bench.t",
  );
}
const body = `[[source]]\nschema = "bench"\ntables = ${JSON.stringify(only)}\n`;
const config = await fixture.writeConfig(body);

const rate = (n: number, seconds: number) =>
  `${Math.round(n / seconds).toLocaleString("en")} rows/s`;

const loaded = await snapshot(config, DEFAULT_SNAPSHOT_OPTIONS, log);
for (const table of only) await fixture.pg.unsafe(`VACUUM ANALYZE public.${table}`);
const snapshotLine = `snapshot (${only.join(", ")}): ${only.length * rows} rows in ${
  loaded.seconds.toFixed(2)
} s, ${rate(only.length * rows, loaded.seconds)}`;
console.error(snapshotLine);

// In processes of their own, timed to a fraction of a millisecond (testing/precise_timer.ts).
const myProxy = await spawnProxy(fixture.mariadb.port, delayMs);
const pgProxy = await spawnProxy(fixture.postgres.port, delayMs);
const verifyConfig: Config = delayMs === 0 ? config : {
  ...config,
  mysqlHost: myProxy.host,
  mysqlPort: myProxy.port,
  pgHost: pgProxy.host,
  pgPort: pgProxy.port,
};
const latency = delayMs === 0 ? "" : `, +${delayMs} ms each way`;

const verifyOnce = async (label: string, table: string, repair = false): Promise<string> => {
  const report: VerifyReport = await verify(
    verifyConfig,
    { ...DEFAULT_VERIFY_OPTIONS, repair, waitMs: 1_000, tables: [`bench.${table}`] },
    log,
  );
  const t = report.tables[0];
  const line = `verify bench.${table} (${label}${latency}): ${t.rows} rows in ${
    t.seconds.toFixed(2)
  } s, ${
    rate(t.rows, t.seconds)
  }; ${t.missing} missing, ${t.extra} extra, ${t.different} different`;
  console.error(line);
  return line;
};
const lines = [snapshotLine];
if (only.includes("t")) {
  lines.push(await verifyOnce("integer key, equal", "t"));
  await fixture.pg.unsafe(`
    DELETE FROM public.t WHERE id % 50000 = 7;
    UPDATE public.t SET note = NULL WHERE id % 50000 = 9;
    INSERT INTO public.t (id, name) SELECT g, 'extra' FROM generate_series(${rows + 1}, ${
    rows + 5
  }) g;`);
  lines.push(await verifyOnce("integer key, damaged", "t"));
  lines.push(await verifyOnce("integer key, damaged, --repair", "t", true));
  lines.push(await verifyOnce("integer key, after repair", "t"));
}
if (only.includes("s")) lines.push(await verifyOnce("text key, equal", "s"));
if (only.includes("c")) lines.push(await verifyOnce("composite key, equal", "c"));
console.log(lines.join("\n"));
await myProxy.close();
await pgProxy.close();
