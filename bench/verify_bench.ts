/**
 * Speed of `snapshot` and `verify`: `deno run -A bench/verify_bench.ts [ROWS]` (default 500,000
 * six-column rows, the shape of bench/bench.ts).
 *
 * On throwaway MariaDB + PostgreSQL servers it loads two such tables with snapshot (which creates
 * the targets): `t` with an integer key and `s` with a text key (whose order differs between MySQL
 * and PostgreSQL, so verify looks its rows up by key instead of by range). Then it verifies `t`
 * once equal, once with a few rows damaged in PostgreSQL, then repairs them, and verifies `s`.
 * Each figure is rows per second of the whole table, source reads included. Not part of the test
 * suite: it takes a while and its numbers depend on the machine.
 *
 * @module
 */
import { Logger } from "../src/util/log.ts";
import { DEFAULT_SNAPSHOT_OPTIONS, snapshot } from "../src/snapshot/snapshot.ts";
import { DEFAULT_VERIFY_OPTIONS, verify, type VerifyReport } from "../src/verify/verify.ts";
import { startFixture } from "../testing/fixture.ts";

const rows = Number(Deno.args[0] ?? 500_000);
if (!Number.isInteger(rows) || rows < 1) {
  console.error("usage: deno run -A bench/verify_bench.ts [ROWS]");
  Deno.exit(2);
}

const log = new Logger("warn");
await using fixture = await startFixture({
  // The whole table fits in memory, as it would on a server sized for it
  mariadbArgs: ["--innodb-buffer-pool-size=512M"],
});
console.error(`filling bench.t with ${rows} rows`);
await fixture.my.query(`
  CREATE DATABASE bench;
  CREATE TABLE bench.t (id BIGINT PRIMARY KEY, name VARCHAR(64), balance DECIMAL(12,2),
    note TEXT, born DATE, ts DATETIME(6));
  CREATE TABLE bench.s LIKE bench.t;
  ALTER TABLE bench.s MODIFY id VARCHAR(20);`);
for (let from = 1; from <= rows; from += 100_000) {
  const to = Math.min(rows, from + 99_999);
  await fixture.my.query(
    `INSERT INTO bench.t SELECT seq, CONCAT('user ', seq), seq / 100, CONCAT('note ', seq, ' text'),
       DATE_ADD('2000-01-01', INTERVAL seq % 9000 DAY), '2020-01-01 10:00:00.123456' + INTERVAL seq SECOND
     FROM bench.seq_${from}_to_${to}`,
  );
}
await fixture.my.query(
  "INSERT INTO bench.s SELECT CONCAT('k', HEX(id)), name, balance, note, born, ts FROM bench.t",
);
const config = await fixture.writeConfig(`[[source]]\nschema = "bench"\ntables = ["t", "s"]\n`);

const rate = (n: number, seconds: number) =>
  `${Math.round(n / seconds).toLocaleString("en")} rows/s`;

const loaded = await snapshot(config, DEFAULT_SNAPSHOT_OPTIONS, log);
await fixture.pg.unsafe("VACUUM ANALYZE public.t");
await fixture.pg.unsafe("VACUUM ANALYZE public.s");
const snapshotLine = `snapshot (t and s): ${2 * rows} rows in ${loaded.seconds.toFixed(2)} s, ${
  rate(2 * rows, loaded.seconds)
}`;
console.error(snapshotLine);

const verifyOnce = async (label: string, repair = false, table = "bench.t"): Promise<string> => {
  const report: VerifyReport = await verify(
    config,
    { ...DEFAULT_VERIFY_OPTIONS, repair, waitMs: 1_000, tables: [table] },
    log,
  );
  const t = report.tables[0];
  const line = `verify ${table} (${label}): ${t.rows} rows in ${t.seconds.toFixed(2)} s, ${
    rate(t.rows, t.seconds)
  }; ${t.missing} missing, ${t.extra} extra, ${t.different} different`;
  console.error(line);
  return line;
};
const lines = [snapshotLine, await verifyOnce("equal")];
await fixture.pg.unsafe(`
  DELETE FROM public.t WHERE id % 50000 = 7;
  UPDATE public.t SET note = NULL WHERE id % 50000 = 9;
  INSERT INTO public.t (id, name) SELECT g, 'extra' FROM generate_series(${rows + 1}, ${
  rows + 5
}) g;`);
lines.push(await verifyOnce("damaged"));
lines.push(await verifyOnce("damaged, --repair", true));
lines.push(await verifyOnce("after repair"));
lines.push(await verifyOnce("text key, equal", false, "bench.s"));
console.log(lines.join("\n"));
