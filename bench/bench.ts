/**
 * The benchmark of issue #4: `deno task bench [--quick] [--rows N] ...` (see bench/options.ts).
 *
 * On throwaway MariaDB + PostgreSQL servers (testing/, never the system services) it
 * measures, in one run:
 * 1. the COPY ceiling: six-column rows COPYed straight into a PostgreSQL table;
 * 2. end-to-end throughput: the source writes a whole workload first (inserts, updates, deletes;
 *    multi-row statements and single-row autocommit statements; multi-row ones again into a table
 *    without a key, whose rows the sync matches by their whole value) with the sync stopped, then
 *    the sync (in-process `replicate`) starts at the position before it and is timed until it has
 *    applied up to the source's `SHOW MASTER STATUS`;
 * 3. lag: the source writes a steady rate paced by the wall clock while the sync (a child process,
 *    `main.ts run`) follows; each transaction's delay from its commit to its rows being visible in
 *    PostgreSQL (found by polling) gives p50/p99/max;
 * 4. memory: the child's VmRSS while PostgreSQL is blocked (an ACCESS EXCLUSIVE lock on the target
 *    table held by another session) and the source keeps writing; then the lock goes, the sync must
 *    catch up and both tables must hold the same rows.
 * Progress goes to stderr; the results go to stdout as a text table and as markdown.
 *
 * @module
 */
import mysql from "mysql2/promise";
import type postgres from "postgres";
import type { Config } from "../src/config/config.ts";
import { qualified } from "../src/convert/ident.ts";
import { Logger } from "../src/util/log.ts";
import { writeMasterInfo } from "../src/offsets/master_info.ts";
import { newStats } from "../src/observe/stats.ts";
import { replicate } from "../src/pipeline/replicate.ts";
import { POSITION_TABLE } from "../src/sink/position_store.ts";
import { pgClient } from "../src/sink/postgres.ts";
import { type Fixture, startFixture } from "../testing/fixture.ts";
import { hasPdeathsig } from "../testing/os.ts";
import { memoryMiB } from "../testing/sync_process.ts";
import { zongjiSeconds } from "./decoder.ts";
import { type ProxyProcess, roundTripMs, spawnProxy } from "./proxy_process.ts";
import { type BenchOptions, parseOptions, USAGE, type Variant } from "./options.ts";
import {
  childrenOf,
  cpuBetween,
  cpuSnapshot,
  initClockTicks,
  type ProcessGroup,
  readPidFile,
  SyncProcess,
} from "./procs.ts";
import {
  type CopyResult,
  type LagResult,
  type MemoryResult,
  renderMarkdown,
  renderText,
  type Report,
  type ThroughputResult,
  variantLabel,
} from "./report.ts";
import {
  changeStatement,
  checksumText,
  COLUMNS,
  copyChunks,
  insertStatement,
  type Kind,
  mysqlChecksum,
  mysqlTable,
  pgChecksum,
  pgTable,
} from "./rows.ts";

type Position = { file: string; pos: number };

const NO_VARIANT: Variant = { delayMs: 0, writers: null };

const t0 = performance.now();

function say(message: string): void {
  const at = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  console.error(`[bench +${at}s] ${message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function reached(applied: Position | null, target: Position): boolean {
  return applied !== null &&
    (applied.file > target.file || (applied.file === target.file && applied.pos >= target.pos));
}

/** Polls `check` every `everyMs` until true; false once `timeoutMs` passed. */
async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 5,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0] : String(err);
}

/** A PostgreSQL client of the benchmark itself, with the sync's socket settings (TCP_NODELAY). */
function benchClient(fixture: Fixture, max: number): postgres.Sql {
  const { host, port, user, password, database } = fixture.postgres;
  return pgClient({ host, port, user, password, database, max });
}

/** A quiet logger that also notes when streaming started, apply times and problems. */
class BenchLogger extends Logger {
  streamingAt = 0;
  applyMs = 0;
  applyLines = 0;
  errors: string[] = [];
  warnings: string[] = [];

  override info(message: string): void {
    if (this.streamingAt === 0 && message.startsWith("streaming from")) {
      this.streamingAt = performance.now();
    }
    super.info(message);
  }

  override debug(message: string): void {
    const match = /^applied .* in (\d+(?:\.\d+)?) ms$/.exec(message);
    if (match) {
      this.applyMs += Number(match[1]);
      this.applyLines++;
    }
    super.debug(message);
  }

  override warn(message: string): void {
    this.warnings.push(message);
    super.warn(message);
  }

  override error(message: string): void {
    this.errors.push(message);
    super.error(message);
  }
}

/** Source writes at a steady rate, paced by the wall clock; statement k holds ids k*R+1..(k+1)*R. */
class PacedWriter {
  statements = 0;
  /** performance.now() when statement k was acknowledged (committed). */
  acks: number[] = [];
  behindMs = 0;

  constructor(
    private readonly my: mysql.Connection,
    private readonly table: string,
    private readonly rate: number,
    readonly stmtRows: number,
  ) {}

  get rows(): number {
    return this.statements * this.stmtRows;
  }

  /** Writes for `seconds`; returns the statements written and the time taken. */
  async run(seconds: number): Promise<{ statements: number; seconds: number }> {
    const interval = (this.stmtRows / this.rate) * 1000;
    const count = Math.max(1, Math.round((seconds * 1000) / interval));
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      else this.behindMs = Math.max(this.behindMs, -wait);
      const k = this.statements;
      const R = this.stmtRows;
      await this.my.query(insertStatement(this.table, k * R + 1, (k + 1) * R));
      this.acks[k] = performance.now();
      this.statements++;
    }
    return { statements: count, seconds: (performance.now() - start) / 1000 };
  }
}

/** Polls `max(id)` of the target; statement k has arrived once max(id) >= (k+1)*R. */
class ArrivalPoller {
  arrivals: number[] = [];
  seen = 0;
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly pg: postgres.Sql,
    private readonly table: string,
    private readonly stmtRows: number,
  ) {}

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const [row] = await this.pg.unsafe(
          `SELECT COALESCE(max(id), 0) AS m FROM public.${this.table}`,
        );
        const now = performance.now();
        const upto = Math.floor(Number(row.m) / this.stmtRows);
        for (let k = this.seen; k < upto; k++) this.arrivals[k] = now;
        this.seen = Math.max(this.seen, upto);
        await sleep(10);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

/** Samples a process's VmRSS every 100 ms and keeps the peak per named stretch. */
class RssSampler {
  stretch = "start";
  peaks = new Map<string, number>();
  last = 0;
  #timer: ReturnType<typeof setInterval>;

  constructor(private readonly pid: number) {
    this.#timer = setInterval(() => this.sample(), 100);
  }

  sample(): void {
    const mem = memoryMiB(this.pid);
    if (!mem) return;
    this.last = mem.rss;
    this.peaks.set(this.stretch, Math.max(this.peaks.get(this.stretch) ?? 0, mem.rss));
  }

  peak(stretch: string): number {
    return this.peaks.get(stretch) ?? 0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

class Bench {
  readonly report: Report;
  #syncPids: () => number[] = () => [Deno.pid];
  #logOffset = 0;
  child: SyncProcess | null = null;
  /** The benchmark's own PostgreSQL connections (DDL, COPY, checks). */
  readonly pg: postgres.Sql;
  /** Latency proxies to PostgreSQL by delay each way (ms), started when first needed. */
  readonly #proxies = new Map<number, ProxyProcess>();
  /** Configs written so far. */
  #configs = 0;

  constructor(private readonly fixture: Fixture, private readonly options: BenchOptions) {
    this.pg = benchClient(fixture, 2);
    this.report = {
      title: "mysql-gp-sync benchmark",
      environment: [],
      copy: null,
      throughput: [],
      lag: null,
      memory: null,
      notes: [],
    };
  }

  #groups(): ProcessGroup[] {
    const { fixture } = this;
    return [
      { name: "sync", pids: () => this.#syncPids() },
      {
        name: "postgres",
        pids: () => {
          const pid = readPidFile(`${fixture.postgres.dir}/data/postmaster.pid`);
          return pid ? [pid, ...childrenOf(pid)] : [];
        },
      },
      {
        name: "mariadb",
        pids: () => {
          const pid = readPidFile(`${fixture.mariadb.dir}/mariadbd.pid`);
          return pid ? [pid] : [];
        },
      },
    ];
  }

  async run(): Promise<Report> {
    const { options, fixture } = this;
    await this.#describeEnvironment();
    await this.#startProxies();
    await fixture.my.query("CREATE DATABASE bench");
    if (options.only.has("copy")) {
      await this.#phase("COPY ceiling", async () => this.report.copy = await this.copyCeiling());
    }
    const workloads = [
      ...(options.only.has("batch") ? [{ single: false, keyless: false }] : []),
      ...(options.only.has("single") ? [{ single: true, keyless: false }] : []),
      ...(options.only.has("keyless") ? [{ single: false, keyless: true }] : []),
    ];
    for (const { single, keyless } of workloads) {
      for (const kind of ["insert", "update", "delete"] as const) {
        // The variants of one workload in turns: their ratios compare like with like.
        for (let run = 0; run < options.repeat; run++) {
          for (const variant of options.variants) {
            this.report.throughput.push(await this.throughput(kind, single, keyless, variant));
          }
        }
      }
    }
    if (options.only.has("lag") || options.only.has("memory")) {
      await this.#phase("live", () => this.live());
    }
    return this.report;
  }

  async #phase(name: string, body: () => Promise<unknown>): Promise<void> {
    try {
      await body();
    } catch (err) {
      say(`${name} failed: ${errorText(err)}`);
      this.report.notes.push(`${name} failed: ${errorText(err)}`);
    }
  }

  async #describeEnvironment(): Promise<void> {
    const { fixture, options } = this;
    const env = this.report.environment;
    let cpu = "";
    try {
      cpu = /^model name\s*:\s*(.+)$/m.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ?? "";
    } catch {
      // not Linux
    }
    const memGiB = Deno.systemMemoryInfo().total / 2 ** 30;
    env.push(
      `machine: ${navigator.hardwareConcurrency} CPUs${cpu ? ` (${cpu})` : ""}, ` +
        `${memGiB.toFixed(0)} GB RAM; Deno ${Deno.version.deno}`,
    );
    const [[version]] = await fixture.my.query("SELECT VERSION() AS v") as unknown as [
      { v: string }[],
    ];
    const [pgVersion] = await this.pg`SHOW server_version`;
    const [buffers] = await this.pg`SHOW shared_buffers`;
    env.push(
      `servers (testing/servers.ts, loopback): MariaDB ${version.v} (row binlog, sync_binlog=0), ` +
        `PostgreSQL ${pgVersion.server_version} (shared_buffers=${buffers.shared_buffers}, ` +
        `fsync=off, synchronous_commit=off)`,
    );
    try {
      const git = (args: string[]) =>
        new TextDecoder().decode(
          new Deno.Command("git", { args, cwd: new URL("..", import.meta.url).pathname })
            .outputSync()
            .stdout,
        ).trim();
      const dirty = git(["status", "--porcelain", "--", "src", "main.ts"]) !== "";
      env.push(
        `code: commit ${git(["rev-parse", "--short", "HEAD"])}${
          dirty ? " plus uncommitted changes in src/" : ""
        }; ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
      );
    } catch {
      // no git
    }
    env.push(
      `workloads: ${fmt(options.rows)} rows each, 6 columns (int key, bigint, varchar(64), ` +
        `decimal(12,2), datetime(6), text ~90 chars); sync config defaults` +
        (options.configExtra.length ? ` plus ${options.configExtra.join("; ")}` : ""),
    );
  }

  async #config(table: string, variant: Variant = NO_VARIANT): Promise<Config> {
    const extra = this.options.configExtra.filter((line) =>
      variant.writers === null || !/^concurrent_size\s*=/.test(line)
    );
    // A sync of its own per run: the next must not resume where the last one stopped (it would
    // apply every later run's workload again).
    const lines = [`sync_id = "bench-${table}-${++this.#configs}"`];
    if (!extra.some((line) => /^status_addr\s*=/.test(line))) lines.push(`status_addr = "off"`);
    if (variant.writers !== null) lines.push(`concurrent_size = ${variant.writers}`);
    lines.push(...extra, "", "[[source]]", `schema = "bench"`, `tables = ["${table}"]`);
    return await this.fixture.writeConfig(lines.join("\n"), { pg: this.#proxy(variant.delayMs) });
  }

  /**
   * Starts the proxies the variants need (one per delay, each way between the sync and
   * PostgreSQL) and notes the round trip measured through each.
   */
  async #startProxies(): Promise<void> {
    const { port, user, password, database } = this.fixture.postgres;
    for (const { delayMs } of this.options.variants) {
      if (delayMs === 0 || this.#proxies.has(delayMs)) continue;
      const proxy = await spawnProxy(port, delayMs);
      this.#proxies.set(delayMs, proxy);
      const at = { host: proxy.host, port: proxy.port };
      const through = pgClient({ ...at, user, password, database, max: 1 });
      const [direct, proxied] = [await roundTripMs(this.pg), await roundTripMs(through)];
      await through.end({ timeout: 1 });
      this.report.environment.push(
        `latency: a proxy process delaying each way by ${delayMs} ms between the sync and ` +
          `PostgreSQL; SELECT 1 round trip (median of 50) ${proxied.toFixed(2)} ms through it, ` +
          `${direct.toFixed(2)} ms direct`,
      );
    }
  }

  /** The address the sync reaches PostgreSQL at: through the proxy delaying each way `delayMs`. */
  #proxy(delayMs: number): ProxyProcess | undefined {
    return delayMs === 0 ? undefined : this.#proxies.get(delayMs);
  }

  /** Stops the latency proxies. */
  async close(): Promise<void> {
    for (const proxy of this.#proxies.values()) await proxy.close();
    await this.pg.end({ timeout: 1 });
  }

  async #createTables(table: string, keyless = false): Promise<void> {
    await this.fixture.my.query(mysqlTable(table, keyless));
    await this.pg.unsafe(pgTable(table, keyless));
  }

  async #dropTables(table: string): Promise<void> {
    await this.fixture.my.query(`DROP TABLE IF EXISTS bench.${table}`);
    await this.pg.unsafe(`DROP TABLE IF EXISTS public.${table}`);
  }

  async #equal(table: string): Promise<boolean> {
    const [rows] = await this.fixture.my.query(mysqlChecksum(table));
    const [mine] = rows as Record<string, unknown>[];
    const [theirs] = await this.pg.unsafe(pgChecksum(table));
    const a = checksumText(mine), b = checksumText(theirs);
    if (a !== b) say(`tables differ: MariaDB ${a} vs PostgreSQL ${b} (count sum(n) sum(d) xor)`);
    return a === b;
  }

  /** COPYs rows `from`..`to` into `public.<table>` over one connection; seconds taken. */
  async #copy(table: string, chunks: string[]): Promise<number> {
    const conn = await this.pg.reserve();
    try {
      const start = performance.now();
      const stream = await conn.unsafe(`COPY public.${table} (${COLUMNS.join(", ")}) FROM STDIN`)
        .writable();
      const done = new Promise<void>((resolve, reject) => {
        stream.on("finish", resolve);
        stream.on("error", reject);
      });
      for (const chunk of chunks) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
      }
      stream.end();
      await done;
      // Queries on one connection run in order: this returns after the COPY has completed.
      await conn`SELECT 1`;
      return (performance.now() - start) / 1000;
    } finally {
      conn.release();
    }
  }

  async copyCeiling(): Promise<CopyResult> {
    const { rows, copyRuns } = this.options;
    const table = "copy_ceiling";
    await this.pg.unsafe(pgTable(table));
    const chunks = copyChunks(1, rows);
    const runs: number[] = [];
    try {
      for (let run = 0; run < copyRuns; run++) {
        await this.pg.unsafe(`TRUNCATE public.${table}`);
        const seconds = await this.#copy(table, chunks);
        const [{ n }] = await this.pg.unsafe(
          `SELECT count(*)::int AS n FROM public.${table}`,
        );
        if (n !== rows) throw new Error(`COPY left ${n} rows instead of ${rows}`);
        runs.push(rows / seconds);
        say(
          `COPY run ${run + 1}: ${fmt(rows)} rows in ${seconds.toFixed(2)} s = ${
            fmt(rows / seconds)
          } rows/s`,
        );
      }
    } finally {
      await this.pg.unsafe(`DROP TABLE public.${table}`);
    }
    return { rows, runs, best: Math.max(...runs) };
  }

  /** Source statements for a whole workload (single-row ones sent many per round trip). */
  async #writeWorkload(kind: Kind, table: string, single: boolean): Promise<void> {
    const { rows, stmtRows } = this.options;
    const { my } = this.fixture;
    if (!single) {
      for (let from = 1; from <= rows; from += stmtRows) {
        await my.query(changeStatement(kind, table, from, Math.min(rows, from + stmtRows - 1)));
      }
      return;
    }
    // Each statement still commits on its own (autocommit); only the round trips are shared.
    const perQuery = 500;
    for (let from = 1; from <= rows; from += perQuery) {
      const statements: string[] = [];
      for (let id = from; id <= Math.min(rows, from + perQuery - 1); id++) {
        statements.push(changeStatement(kind, table, id, id));
      }
      await my.query(statements.join(";\n"));
    }
  }

  /**
   * One workload of `kind`; `keyless`: into a table without a key, whose rows the sync matches by
   * their whole value.
   */
  async throughput(
    kind: Kind,
    single: boolean,
    keyless: boolean,
    variant: Variant,
  ): Promise<ThroughputResult> {
    const { options, fixture } = this;
    const table = `t_${kind}_${keyless ? "keyless" : single ? "single" : "batch"}`;
    const name = `${keyless ? "keyless " : ""}${kind}s, ${
      single ? "single-row autocommit" : `${options.stmtRows}-row statements`
    }${variantLabel(variant)}`;
    const result: ThroughputResult = {
      kind,
      single,
      keyless,
      variant,
      stmtRows: options.stmtRows,
      rows: options.rows,
      seconds: null,
      readSeconds: null,
      rssGrowth: 0,
      startupMs: 0,
      zongjiSeconds: null,
      sourceSeconds: 0,
      cpu: new Map(),
      batches: 0,
      applyMs: null,
      equal: null,
      error: null,
    };
    try {
      await this.#createTables(table, keyless);
      if (kind !== "insert") {
        // The rows to change exist on both sides before the measured workload starts.
        for (let from = 1; from <= options.rows; from += 5000) {
          await fixture.my.query(
            insertStatement(table, from, Math.min(options.rows, from + 4999)),
          );
        }
        await this.#copy(table, copyChunks(1, options.rows));
        await this.pg.unsafe(`VACUUM ANALYZE public.${table}`);
      }
      const start = await fixture.masterStatus();
      const written = performance.now();
      await this.#writeWorkload(kind, table, single);
      result.sourceSeconds = (performance.now() - written) / 1000;
      const end = await fixture.masterStatus();
      say(
        `${name}: source wrote ${fmt(options.rows)} row changes in ${
          result.sourceSeconds.toFixed(1)
        } s (binlog ${start.file}:${start.pos} -> ${end.file}:${end.pos}); syncing`,
      );
      await this.#runInProcess(table, start, end, result, variant);
      if (result.seconds !== null) {
        result.equal = await this.#equal(table);
        say(
          `${name}: applied in ${result.seconds.toFixed(2)} s = ${
            fmt(options.rows / result.seconds)
          } rows/s (startup ${fmt(result.startupMs)} ms, ${result.batches} batches); tables ${
            result.equal ? "equal" : "DIFFER"
          }`,
        );
        if (!result.equal) result.error = "tables differ";
        // The source side is the same for every variant: read it alone once.
        const first = variant === options.variants[0] &&
          !this.report.throughput.some((r) =>
            r.kind === kind && r.single === single &&
            r.keyless === keyless
          );
        result.zongjiSeconds = !first ? null : await zongjiSeconds(
          await this.#config(table),
          "bench",
          table,
          start,
          end,
          options.timeoutSeconds * 1000,
        );
      }
    } catch (err) {
      result.error = errorText(err);
      say(`${name} failed: ${result.error}`);
    } finally {
      await this.#dropTables(table).catch(() => {});
    }
    if (result.error) this.report.notes.push(`${name}: ${result.error}`);
    return result;
  }

  async #runInProcess(
    table: string,
    start: Position,
    end: Position,
    result: ThroughputResult,
    variant: Variant,
  ): Promise<void> {
    const config = await this.#config(table, variant);
    await writeMasterInfo(config.dataDir, start);
    const log = new BenchLogger(config.logLevel, { quiet: !this.options.verbose });
    await log.openFile(`${config.dataDir}/sync.log`);
    const controller = new AbortController();
    const stats = newStats();
    this.#syncPids = () => [Deno.pid];
    const groups = this.#groups();
    // A clean heap first (with --v8-flags=--expose-gc, as the bench task runs it), so the RSS
    // growth below is the sync's rather than garbage left by writing the workload.
    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = memoryMiB(Deno.pid)?.rss ?? 0;
    const rss = new RssSampler(Deno.pid);
    const before = cpuSnapshot(groups);
    const started = performance.now();
    let readAt = 0;
    let failure: unknown = null;
    const done = replicate(config, log, controller.signal, stats).catch((err) => {
      failure = err;
    });
    try {
      const ok = await pollUntil(
        () => {
          if (readAt === 0 && reached(stats.readPosition, end)) readAt = performance.now();
          return reached(stats.appliedPosition, end) || failure !== null || log.errors.length > 0;
        },
        this.options.timeoutSeconds * 1000,
      );
      const finished = performance.now();
      rss.sample();
      result.cpu = cpuBetween(before, cpuSnapshot(groups));
      if (failure !== null) throw failure;
      if (log.errors.length > 0) throw new Error(`the sync logged: ${log.errors[0]}`);
      if (!ok) {
        throw new Error(
          `timed out after ${this.options.timeoutSeconds} s (${
            fmt(stats.rowsApplied)
          } rows applied)`,
        );
      }
      const from = log.streamingAt || started;
      result.startupMs = from - started;
      result.seconds = (finished - from) / 1000;
      result.readSeconds = readAt ? (readAt - from) / 1000 : null;
      result.batches = stats.batchesApplied;
      result.applyMs = log.applyLines > 0 ? log.applyMs : null;
      if (stats.rowsApplied !== this.options.rows) {
        this.report.notes.push(
          `${table}: the sync counted ${fmt(stats.rowsApplied)} row changes for ${
            fmt(this.options.rows)
          } written`,
        );
      }
    } finally {
      rss.stop();
      result.rssGrowth = Math.max(0, rss.peak("start") - rssBefore);
      controller.abort();
      const stopped = await Promise.race([done.then(() => true), sleep(30_000).then(() => false)]);
      if (!stopped) {
        this.report.notes.push(`${table}: the in-process sync did not stop within 30 s`);
      }
      log.close();
      for (const w of new Set(log.warnings)) this.report.notes.push(`${table}: sync warned: ${w}`);
    }
  }

  /** Lag and memory phases against one sync child process. */
  async live(): Promise<void> {
    const { options, fixture } = this;
    const table = "t_live";
    await this.#createTables(table);
    const config = await this.#config(table);
    await writeMasterInfo(config.dataDir, await fixture.masterStatus());
    const logFile = `${config.dataDir}/sync.log`;
    this.#logOffset = await Deno.stat(logFile).then((s) => s.size).catch(() => 0);
    const writerConn = await mysql.createConnection({
      host: fixture.mariadb.host,
      port: fixture.mariadb.port,
      user: fixture.mariadb.user,
      password: fixture.mariadb.password,
    });
    const pollSql = benchClient(fixture, 1);
    const lockSql = benchClient(fixture, 1);
    const child = this.child = new SyncProcess(config.file, await hasPdeathsig());
    this.#syncPids = () => (child.exited ? [] : [child.pid]);
    const rss = new RssSampler(child.pid);
    const writer = new PacedWriter(writerConn, table, options.rate, options.liveStmtRows);
    const positionTable = qualified(config.positionSchema, POSITION_TABLE);
    const appliedPosition = async (): Promise<Position | null> => {
      const rows = await pollSql.unsafe(
        `SELECT bin_name, bin_pos::text AS bin_pos FROM ${positionTable} WHERE sync_id = $1`,
        [config.syncId],
      ).catch(() => []);
      return rows.length ? { file: rows[0].bin_name, pos: Number(rows[0].bin_pos) } : null;
    };
    const catchUp = async (what: string): Promise<number> => {
      const end = await fixture.masterStatus();
      const start = performance.now();
      const ok = await pollUntil(
        async () => child.exited !== null || reached(await appliedPosition(), end),
        options.timeoutSeconds * 1000,
        20,
      );
      if (child.exited) throw new Error(`the sync exited (code ${child.exited.code}) ${what}`);
      if (!ok) {
        throw new Error(`the sync did not catch up within ${options.timeoutSeconds} s ${what}`);
      }
      return (performance.now() - start) / 1000;
    };
    try {
      const streaming = await pollUntil(
        async () => {
          if (child.exited) return true;
          const text = await Deno.readTextFile(logFile).catch(() => "");
          return text.slice(this.#logOffset).includes("streaming from");
        },
        60_000,
        50,
      );
      if (child.exited || !streaming) {
        throw new Error(
          `the sync did not start (exit ${child.exited?.code ?? "-"}): ${await this.#logTail(
            logFile,
          )}`,
        );
      }
      say(
        `sync child process ${child.pid} streaming; RSS ${fmt(memoryMiB(child.pid)?.rss ?? 0)} MB`,
      );
      if (options.only.has("lag")) {
        await this.#phase("lag", () => this.#lag(writer, pollSql, rss, table, catchUp));
      }
      if (options.only.has("memory")) {
        await this.#phase(
          "memory",
          () => this.#memory(writer, lockSql, rss, table, child, catchUp),
        );
      }
    } finally {
      rss.stop();
      const status = await child.stop();
      this.child = null;
      if (status.code !== 0) {
        this.report.notes.push(
          `the sync child process exited with code ${status.code}${
            status.signal ? ` (${status.signal})` : ""
          }`,
        );
      }
      await this.#noteLogProblems(logFile);
      await writerConn.end().catch(() => {});
      await pollSql.end({ timeout: 1 }).catch(() => {});
      await lockSql.end({ timeout: 1 }).catch(() => {});
      await this.#dropTables(table).catch(() => {});
    }
  }

  async #lag(
    writer: PacedWriter,
    pollSql: postgres.Sql,
    rss: RssSampler,
    table: string,
    catchUp: (what: string) => Promise<number>,
  ): Promise<void> {
    const { options } = this;
    const poller = new ArrivalPoller(pollSql, table, writer.stmtRows);
    rss.stretch = "lag";
    const groups = this.#groups();
    const before = cpuSnapshot(groups);
    poller.start();
    const first = writer.statements;
    say(
      `lag: writing ${
        fmt(options.rate)
      } rows/s (${writer.stmtRows}-row statements) for ${options.lagSeconds} s`,
    );
    const wrote = await writer.run(options.lagSeconds);
    const cpu = cpuBetween(before, cpuSnapshot(groups));
    const arrived = await pollUntil(() => poller.seen >= writer.statements, 60_000, 20);
    await poller.stop();
    const lags: number[] = [];
    for (let k = first; k < writer.statements; k++) {
      if (poller.arrivals[k] !== undefined) {
        lags.push(Math.max(0, poller.arrivals[k] - writer.acks[k]));
      }
    }
    lags.sort((a, b) => a - b);
    const result: LagResult = {
      seconds: wrote.seconds,
      statements: wrote.statements,
      rows: wrote.statements * writer.stmtRows,
      achievedRate: (wrote.statements * writer.stmtRows) / wrote.seconds,
      writerBehindMs: writer.behindMs,
      lags,
      cpu,
      rssPeak: rss.peak("lag"),
      error: arrived ? null : "not every transaction arrived within 60 s",
    };
    this.report.lag = result;
    if (writer.behindMs > 100) {
      this.report.notes.push(
        `lag: the source writer fell up to ${fmt(writer.behindMs)} ms behind its schedule`,
      );
    }
    const q = (p: number) =>
      fmt(lags[Math.min(lags.length - 1, Math.ceil(p * lags.length) - 1)] ?? NaN);
    say(
      `lag: ${fmt(result.achievedRate)} rows/s written; p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${
        fmt(lags[lags.length - 1] ?? NaN)
      } ms; RSS peak ${fmt(result.rssPeak)} MB`,
    );
    if (!arrived) throw new Error(result.error!);
    await catchUp("after the lag phase");
  }

  async #memory(
    writer: PacedWriter,
    lockSql: postgres.Sql,
    rss: RssSampler,
    table: string,
    child: SyncProcess,
    catchUp: (what: string) => Promise<number>,
  ): Promise<void> {
    const { options } = this;
    rss.sample();
    const result: MemoryResult = {
      blockSeconds: options.blockSeconds,
      rowsWritten: 0,
      baseline: rss.last,
      peakBlocked: 0,
      peakCatchUp: 0,
      hwm: 0,
      catchUpSeconds: null,
      equal: null,
      error: null,
    };
    this.report.memory = result;
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    let acquired!: () => void;
    const locked = new Promise<void>((resolve) => acquired = resolve);
    const lockTx = lockSql.begin(async (tx) => {
      await tx.unsafe(`LOCK TABLE public.${table} IN ACCESS EXCLUSIVE MODE`);
      acquired();
      await held;
    });
    try {
      const got = await Promise.race([
        locked.then(() => true),
        lockTx.then(() => false),
        sleep(30_000).then(() => false),
      ]);
      if (!got) throw new Error("could not lock the target table within 30 s");
      rss.stretch = "blocked";
      say(
        `memory: PostgreSQL table locked; writing ${
          fmt(options.rate)
        } rows/s for ${options.blockSeconds} s`,
      );
      const rowsBefore = writer.rows;
      await writer.run(options.blockSeconds);
      result.rowsWritten = writer.rows - rowsBefore;
      rss.sample();
      result.peakBlocked = rss.peak("blocked");
    } catch (err) {
      result.error = errorText(err);
      throw err;
    } finally {
      release();
      await lockTx.catch(() => {});
    }
    rss.stretch = "catch-up";
    say(
      `memory: lock released (peak RSS while blocked ${fmt(result.peakBlocked)} MB); catching up`,
    );
    try {
      result.catchUpSeconds = await catchUp("after PostgreSQL was unblocked");
      rss.sample();
      result.peakCatchUp = rss.peak("catch-up");
      result.hwm = memoryMiB(child.pid)?.hwm ?? 0;
      result.equal = await this.#equal(table);
      say(
        `memory: caught up in ${result.catchUpSeconds.toFixed(1)} s (peak RSS ${
          fmt(result.peakCatchUp)
        } MB, VmHWM ${fmt(result.hwm)} MB); tables ${result.equal ? "equal" : "DIFFER"}`,
      );
    } catch (err) {
      result.error = errorText(err);
      throw err;
    }
  }

  async #logTail(file: string): Promise<string> {
    const text = await Deno.readTextFile(file).catch(() => "");
    return text.slice(this.#logOffset).trimEnd().split("\n").slice(-10).join("\n");
  }

  async #noteLogProblems(file: string): Promise<void> {
    const text = (await Deno.readTextFile(file).catch(() => "")).slice(this.#logOffset);
    const problems = text.split("\n").filter((line) => /\[(WARN|ERROR)\]/.test(line));
    for (const line of new Set(problems.map((l) => l.replace(/^\S+ \S+ /, "")))) {
      this.report.notes.push(`sync child process logged: ${line.slice(0, 300)}`);
    }
  }
}

export async function main(args: string[]): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseOptions(args);
  } catch (err) {
    console.error(`bench: ${errorText(err)}\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  await initClockTicks();
  say("starting throwaway MariaDB and PostgreSQL");
  const fixture = await startFixture({
    // Room for the workloads in the source's buffer pool (it only speeds up writing them).
    mariadbArgs: ["--innodb-buffer-pool-size=256M", "--max-allowed-packet=64M"],
  });
  let bench: Bench | null = null;
  // On SIGINT/SIGTERM testing/exit_cleanup.ts kills the servers and exits; this removes the rest.
  const onUnload = () => {
    bench?.child?.killNow();
    try {
      Deno.removeSync(fixture.dir, { recursive: true });
    } catch {
      // already gone
    }
  };
  globalThis.addEventListener("unload", onUnload);
  try {
    bench = new Bench(fixture, options);
    const report = await bench.run().finally(() => bench!.close());
    say("done");
    console.log(renderText(report));
    console.log(renderMarkdown(report));
  } finally {
    await fixture.dispose();
    globalThis.removeEventListener("unload", onUnload);
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
