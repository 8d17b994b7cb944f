/**
 * Speed of `snapshot` on one big table, beside pgloader on the same table:
 * `deno run -A bench/snapshot_bench.ts [--rows N] [--readers 1,2,4] [--chunk-rows N] [--delay-ms N]`
 * (default 3,000,000 rows of the six-column shape of bench/rows.ts; readers as in concurrent_size).
 * With `--delay-ms N` every reader count is also run with PostgreSQL behind a proxy process
 * delaying each way by N ms (a 2N ms round trip), right after its loopback run, and the ratio of
 * the two load rates is shown. Without pgloader installed its run is left out.
 *
 * On throwaway MariaDB + PostgreSQL servers it fills `bench.t`, then runs the real CLI (with the
 * memory flags of `deno task cli`) once per reader count, `snapshot --truncate --json`, and then
 * `pgloader` (Debian package `pgloader`) from the same table into another database. Each figure is
 * rows per second over the whole process, start-up included, as a user would time it; the
 * snapshot's own figure (from connecting to the position set) and its peak memory are shown too.
 * Every load is checked against the source with the bench's checksum. Not part of the test suite:
 * it takes minutes and its numbers depend on the machine.
 *
 * @module
 */
import { parseArgs } from "node:util";
import postgres from "postgres";
import { startFixture } from "../testing/fixture.ts";
import { spawnProxy } from "./proxy_process.ts";
import { memoryMiB } from "../testing/sync_process.ts";
import { checksumText, insertStatement, mysqlChecksum, mysqlTable, pgChecksum } from "./rows.ts";

const USAGE = "usage: deno run -A bench/snapshot_bench.ts [--rows N] [--readers 1,2,4] " +
  "[--chunk-rows N] [--delay-ms N]";
const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "3000000" },
    readers: { type: "string", default: "1,2,4" },
    "chunk-rows": { type: "string", default: "100000" },
    "delay-ms": { type: "string", default: "0" },
  },
});
const delayMs = Number(flags["delay-ms"]);
const rows = Number(flags.rows);
const readerCounts = flags.readers.split(",").map(Number);
const chunkRows = Number(flags["chunk-rows"]);
if (
  ![rows, chunkRows, ...readerCounts].every((n) => Number.isInteger(n) && n >= 1) ||
  !(delayMs >= 0)
) {
  console.error(USAGE);
  Deno.exit(2);
}
/** Whether pgloader is installed (spawning a missing program throws at once). */
async function hasPgloader(): Promise<boolean> {
  try {
    const command = new Deno.Command("pgloader", { args: ["--version"], stdout: "null" });
    return (await command.output()).success;
  } catch {
    return false;
  }
}
const pgloader = await hasPgloader();

await using fixture = await startFixture({
  // The whole table fits in memory, as it would on a server sized for it
  mariadbArgs: ["--innodb-buffer-pool-size=2G"],
});
console.error(`filling bench.t with ${rows.toLocaleString("en")} rows`);
await fixture.my.query(`CREATE DATABASE bench; ${mysqlTable("t")}`);
// The fill is no change to follow: kept out of the binlog, it costs half the time
await fixture.my.query("SET SESSION sql_log_bin = 0");
const FILL_ROWS = 5_000;
for (let from = 1; from <= rows; from += FILL_ROWS) {
  await fixture.my.query(insertStatement("t", from, Math.min(rows, from + FILL_ROWS - 1)));
}
await fixture.my.query("SET SESSION sql_log_bin = 1");
const [sourceSums] = await fixture.my.query(mysqlChecksum("t"));
const expected = checksumText((sourceSums as Record<string, unknown>[])[0]);

const rate = (seconds: number) => `${Math.round(rows / seconds).toLocaleString("en")} rows/s`;
const lines: string[] = [];
const report = (line: string) => {
  console.error(line);
  lines.push(line);
};

/** Runs `cmd args` to its end; its wall-clock seconds, output and peak resident memory. */
async function timed(cmd: string, args: string[]) {
  const started = performance.now();
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  let peak = 0;
  const watch = setInterval(() => peak = Math.max(peak, memoryMiB(child.pid)?.rss ?? 0), 100);
  const output = await child.output();
  clearInterval(watch);
  const seconds = (performance.now() - started) / 1000;
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  if (!output.success) throw new Error(`${cmd} failed (${output.code}):\n${stderr}\n${stdout}`);
  return { seconds, stdout, stderr, peak };
}

async function checkTarget(pg: postgres.Sql, what: string): Promise<void> {
  const [sums] = await pg.unsafe(pgChecksum("t"));
  const found = checksumText(sums);
  if (found !== expected) throw new Error(`${what}: checksum ${found}, source ${expected}`);
}

const main = new URL("../main.ts", import.meta.url).pathname;
const proxy = delayMs > 0 ? await spawnProxy(fixture.postgres.port, delayMs) : null;
const variants = proxy ? [null, proxy] : [null];
for (const readers of readerCounts) {
  let loopback = 0;
  for (const via of variants) {
    const config = await fixture.writeConfig(
      `concurrent_size = ${readers}\n\n[[source]]\nschema = "bench"\ntables = ["t"]\n`,
      via ? { pg: via } : {},
    );
    const run = await timed(Deno.execPath(), [
      "run",
      "-A",
      "--v8-flags=--max-old-space-size=192,--max-semi-space-size=16",
      main,
      "snapshot",
      "-c",
      config.file,
      "--truncate",
      "--chunk-rows",
      String(chunkRows),
      "--json",
    ]);
    const doc = JSON.parse(run.stdout);
    await checkTarget(fixture.pg, `snapshot with ${readers} readers`);
    const latency = via ? `, PostgreSQL +${delayMs} ms each way` : "";
    const ratio = via ? `; ${(loopback / doc.seconds).toFixed(2)} of loopback's load rate` : "";
    if (!via) loopback = doc.seconds;
    report(
      `snapshot, ${doc.readers} ${doc.readers === 1 ? "reader" : "readers"}${latency}: ` +
        `${rows.toLocaleString("en")} rows in ${run.seconds.toFixed(1)} s, ${rate(run.seconds)} ` +
        `(load alone ${doc.seconds.toFixed(1)} s, ${rate(doc.seconds)}; peak RSS ` +
        `${Math.round(run.peak)} MiB${ratio})`,
    );
  }
}
await proxy?.close();
if (pgloader) await loadWithPgloader();
else report("pgloader is not installed (apt-get install pgloader): left out");
console.log(lines.join("\n"));

/** The same table loaded by pgloader with its defaults, into another database. */
async function loadWithPgloader(): Promise<void> {
  const { host, port, user, password } = fixture.postgres;
  await fixture.pg.unsafe("CREATE DATABASE pgloaded");
  const commands = await Deno.makeTempFile({ suffix: ".load" });
  await Deno.writeTextFile(
    commands,
    `LOAD DATABASE
       FROM mysql://${fixture.mariadb.user}:${fixture.mariadb.password}@${fixture.mariadb.host}:${fixture.mariadb.port}/bench
       INTO postgresql://${user}:${password}@${host}:${port}/pgloaded
     ALTER SCHEMA 'bench' RENAME TO 'public';
  `,
  );
  const loaded = await timed("pgloader", [commands]);
  const pgloaded = postgres({ host, port, user, password, database: "pgloaded", max: 1 });
  try {
    await checkTarget(pgloaded, "pgloader");
  } finally {
    await pgloaded.end();
    await Deno.remove(commands);
  }
  report(
    `pgloader (its defaults): ${rows.toLocaleString("en")} rows in ${
      loaded.seconds.toFixed(1)
    } s, ` +
      `${rate(loaded.seconds)} (peak RSS ${Math.round(loaded.peak)} MiB)`,
  );
}
