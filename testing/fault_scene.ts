/**
 * The stage of the fault tests and the soak: throwaway MariaDB and PostgreSQL, a proxy in front
 * of each (the sync's config points at the proxies), the sync as a real child process with its
 * own status port, the seeded workload writing in the background, and a log of every position
 * it commits. A test injects its fault, then `settle()` stops the workload and checks what must
 * hold after every fault: the sync applies everything the source wrote and still hears from it,
 * every table is equal on both sides, no commit moved the position back, the sync's peak memory
 * stayed under the limit, and any other run of the same sync still runs or exited with a one-line
 * error.
 *
 * @module
 */
import { comparePositions, formatPosition } from "../src/offsets/position.ts";
import { writeMasterInfo } from "../src/offsets/master_info.ts";
import { POSITION_TABLE } from "../src/sink/position_store.ts";
import { connectMysql, type Fixture, startFixture, waitFor } from "./fixture.ts";
import { freePort, LOOPBACK_HOST, sleep, tail } from "./os.ts";
import { PositionLog } from "./position_log.ts";
import { startProxy, type TcpProxy } from "./proxy.ts";
import { SyncProcess } from "./sync_process.ts";
import { tableDifferences } from "./table_compare.ts";
import { startWorkload, type Workload, type WorkloadCounts } from "./workload.ts";
import { WorkloadPlanner, workloadSeed } from "./workload_plan.ts";
import {
  mysqlWorkloadDdl,
  pgWorkloadDdl,
  WORKLOAD_SCHEMA,
  WORKLOAD_TABLES,
  workloadSourceConfig,
} from "./workload_tables.ts";

/** The `sync_id` of the scene's sync (its server_id, the default). */
const SYNC_ID = "1001";
/** Peak RSS the sync may reach after any fault: what a deployment with the shipped flags plans for. */
const MEMORY_LIMIT_MIB = 300;

export interface SceneOptions {
  /** Workload seed; `MGS_WORKLOAD_SEED` or a random one when absent. */
  seed?: number;
}

export interface SettleOptions {
  /** How long the sync may take to apply what the source wrote (default 90 s). */
  catchUpMs?: number;
}

export interface SettleResult {
  /** Everything that does not hold; empty when the sync came through. */
  problems: string[];
  /** One line of facts for the test's output. */
  summary: string;
  workload: WorkloadCounts;
}

/** A running stage; dispose it (`await using`). */
export class FaultScene implements AsyncDisposable {
  /** The sync process the scene is following now (`restartSync` replaces it). */
  sync!: SyncProcess;
  readonly #processes: SyncProcess[] = [];
  #workload: Workload;
  #markers = 0;

  private constructor(
    readonly fixture: Fixture,
    readonly mysqlProxy: TcpProxy,
    readonly pgProxy: TcpProxy,
    readonly statusAddr: string,
    readonly positions: PositionLog,
    private readonly planner: WorkloadPlanner,
  ) {
    this.#workload = this.#startWorkload();
  }

  /** Servers, proxies, tables, config, the sync streaming, the workload writing. */
  static async start(options: SceneOptions = {}): Promise<FaultScene> {
    const seed = options.seed ?? workloadSeed();
    console.log(`workload seed ${seed} (MGS_WORKLOAD_SEED=${seed} repeats the same plan)`);
    const fixture = await startFixture();
    const target = (server: { host: string; port: number }) => ({
      target: { host: server.host, port: server.port },
    });
    const mysqlProxy = startProxy(target(fixture.mariadb));
    const pgProxy = startProxy(target(fixture.postgres));
    let scene: FaultScene | undefined;
    try {
      await fixture.my.query(mysqlWorkloadDdl());
      await fixture.pg.unsafe(pgWorkloadDdl());
      const statusAddr = `${LOOPBACK_HOST}:${freePort()}`;
      await fixture.writeConfig(
        `status_addr = "${statusAddr}"\n${workloadSourceConfig()}`,
        { mysql: mysqlProxy, pg: pgProxy },
      );
      await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
      const positions = new PositionLog(SYNC_ID);
      scene = new FaultScene(
        fixture,
        mysqlProxy,
        pgProxy,
        statusAddr,
        positions,
        new WorkloadPlanner(seed),
      );
      scene.sync = await scene.startSync();
      await waitFor("the sync's position table", async () => {
        const [row] = await fixture.pg`SELECT to_regclass(${POSITION_TABLE}) IS NOT NULL AS found`;
        return row.found;
      });
      await positions.install(fixture.pg);
      return scene;
    } catch (err) {
      if (scene) {
        await scene.dispose();
      } else {
        await Promise.all([mysqlProxy.dispose(), pgProxy.dispose()]);
        await fixture.dispose();
      }
      throw err;
    }
  }

  get workload(): Workload {
    return this.#workload;
  }

  /**
   * Starts another `run` of the same config (killed on dispose) without waiting for it. With
   * `serverId` it runs a copy of the config in a folder of its own (so another data_dir, as on
   * another host) that replicates as another replica yet keeps the sync_id: the same sync to
   * PostgreSQL, which MariaDB does not stop as a duplicate replica.
   */
  async spawnSync(options: { serverId?: number } = {}): Promise<SyncProcess> {
    let configFile = this.fixture.configFile;
    if (options.serverId !== undefined) {
      const text = await Deno.readTextFile(configFile);
      const dir = `${this.fixture.dir}/server-${options.serverId}`;
      await Deno.mkdir(dir);
      configFile = `${dir}/mysql-gp-sync.toml`;
      await Deno.writeTextFile(
        configFile,
        `sync_id = "${SYNC_ID}"\n${
          text.replace(/^server_id = .*$/m, `server_id = ${options.serverId}`)
        }`,
      );
    }
    const sync = await SyncProcess.start({ configFile, statusAddr: this.statusAddr });
    this.#processes.push(sync);
    return sync;
  }

  /** Starts another `run` of the same config and waits until its status endpoint answers. */
  async startSync(): Promise<SyncProcess> {
    const sync = await this.spawnSync();
    await waitFor("the sync's status endpoint", async () => {
      if (sync.exited) throw new Error(`the sync exited at start: ${sync.stderr.trim()}`);
      return (await sync.report(1_000))?.running === true;
    }, 30_000);
    return sync;
  }

  /** Replaces the followed sync with a new process (after a SIGKILL, say). */
  async restartSync(): Promise<SyncProcess> {
    this.sync = await this.startSync();
    return this.sync;
  }

  /** Waits until the sync has committed a position beyond the one it had (`rows` of workload). */
  async waitApplied(minRows = 1_000, timeoutMs = 60_000): Promise<void> {
    await waitFor(`the sync to apply ${minRows} row changes`, async () => {
      const report = await this.sync.report();
      return (report?.rows_applied ?? 0) >= minRows;
    }, timeoutMs);
  }

  /** KILLs MariaDB's binlog dump threads (the sync's replication connection); returns how many. */
  async killBinlogDump(): Promise<number> {
    const [rows] = await this.fixture.my.query(
      "SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%'",
    );
    const ids = (rows as { id: number | string }[]).map((row) => Number(row.id));
    for (const id of ids) await this.fixture.my.query(`KILL ${id}`).catch(() => {});
    return ids.length;
  }

  /** pg_terminate_backend of every session the sync opened; returns how many. */
  async terminateSyncSessions(): Promise<number> {
    const rows = await this.fixture.pg<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE application_name = 'mysql-gp-sync'`;
    for (const { pid } of rows) await this.fixture.pg`SELECT pg_terminate_backend(${pid})`;
    return rows.length;
  }

  /**
   * Stops the workload, writes a marker row, waits until the sync has applied everything the
   * source wrote, and checks every guarantee; then starts the workload again for the next round.
   */
  async settle(options: SettleOptions = {}): Promise<SettleResult> {
    const started = Date.now();
    const workload = await this.#workload.stop();
    // Servers may have restarted under the test's own connections.
    await this.fixture.reconnect();
    await this.fixture.my.query(
      `INSERT INTO ${WORKLOAD_SCHEMA}.marker VALUES (${++this.#markers}, 'settle')`,
    );
    const target = await this.fixture.masterStatus();
    const problems: string[] = [];
    const deadline = started + (options.catchUpMs ?? 90_000);
    let caughtUp = false;
    while (!caughtUp) {
      if (this.sync.exited) {
        problems.push(
          `the sync exited (${exitText(this.sync)}); stderr:\n${tail(this.sync.stderr)}`,
        );
        break;
      }
      const applied = await this.positions.read(this.fixture.pg);
      caughtUp = applied !== null && comparePositions(applied, target) >= 0;
      if (caughtUp) break;
      if (Date.now() > deadline) {
        problems.push(
          `not caught up ${Math.round((Date.now() - started) / 1000)} s after the workload ` +
            `stopped: source at ${formatPosition(target)}, committed ` +
            `${applied ? formatPosition(applied) : "nothing"}\n${await this.diagnostics()}`,
        );
        break;
      }
      await sleep(250);
    }
    const settledMs = Date.now() - started;
    if (caughtUp) {
      problems.push(...await this.#streamingProblems());
      for (const table of WORKLOAD_TABLES) {
        problems.push(
          ...await tableDifferences(this.fixture.my, this.fixture.pg, {
            mysqlTable: `${WORKLOAD_SCHEMA}.${table.name}`,
            pgTable: `public.${table.name}`,
            columns: table.columns,
            rangeColumn: table.rangeColumn,
          }),
        );
      }
    }
    problems.push(...this.#otherRunProblems());
    const peakMiB = Math.max(...this.#processes.map((p) => p.peakMiB));
    if (peakMiB > MEMORY_LIMIT_MIB) {
      problems.push(`peak RSS ${peakMiB.toFixed(0)} MiB, over the ${MEMORY_LIMIT_MIB} MiB limit`);
    }
    problems.push(...await this.positions.problems(this.fixture.pg));
    const summary = `seed ${this.planner.seed}: ${workload.committed} transactions committed ` +
      `(${workload.big} big), ${workload.rolledBack} rolled back, ${workload.failed} failed; ` +
      `settled in ${(settledMs / 1000).toFixed(1)} s; peak RSS ${peakMiB.toFixed(0)} MiB` +
      this.#otherRunsText();
    this.#workload = this.#startWorkload();
    return { problems, summary, workload };
  }

  async dispose(): Promise<void> {
    await this.#workload.stop().catch(() => {});
    await Promise.all(this.#processes.map((p) => p.dispose()));
    await Promise.all([this.mysqlProxy.dispose(), this.pgProxy.dispose()]);
    await this.fixture.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #startWorkload(): Workload {
    // One planner for the scene's life: each round goes on with the plan (and its key counters).
    return startWorkload({
      planner: this.planner,
      connect: () => connectMysql(this.fixture.mariadb),
    });
  }

  /** Other runs started by `spawnSync`: each may go on or exit with a one-line error. */
  #otherRunProblems(): string[] {
    return this.#processes
      .filter((p) => p !== this.sync && p.exited && !p.endedByTest && p.oneLineError() === null)
      .map((p) =>
        `another run exited (${exitText(p)}) without a one-line error: ${tail(p.stderr)}`
      );
  }

  /** What became of the other runs, for the summary. */
  #otherRunsText(): string {
    return this.#processes
      .filter((p) => p !== this.sync && !p.endedByTest)
      .map((p) => `; another run ${p.exited ? `exited: ${p.oneLineError() ?? "(crash)"}` : "runs"}`)
      .join("");
  }

  /** The sync answers on its status endpoint and has heard from the source in the last 5 s. */
  async #streamingProblems(): Promise<string[]> {
    const report = await this.sync.report(5_000);
    if (!report) return [`the sync is alive but its status endpoint does not answer`];
    const seen = report.source_seen_at ? Date.parse(report.source_seen_at) : 0;
    if (Date.now() - seen > 5_000) {
      return [`the sync has heard nothing from MariaDB since ${report.source_seen_at}`];
    }
    return [];
  }

  /** What the sync is doing, for a failure message: status, process state, log, proxies. */
  async diagnostics(): Promise<string> {
    if (this.sync.exited) {
      return `the sync exited (${exitText(this.sync)}); stderr:\n${tail(this.sync.stderr)}`;
    }
    const report = await this.sync.report(3_000);
    const facts = report
      ? `status: applied ${JSON.stringify(report.applied_position)}, read ` +
        `${JSON.stringify(report.read_position)}, source seen ${report.source_seen_at}, ` +
        `reconnects ${report.reconnects}, last error ${JSON.stringify(report.last_error)}`
      : "status: no answer";
    const proxies = `proxies: mysql ${this.mysqlProxy.connections} open ` +
      `${JSON.stringify(this.mysqlProxy.counters)}, pg ${this.pgProxy.connections} open ` +
      `${JSON.stringify(this.pgProxy.counters)}`;
    const log = await Deno.readTextFile(`${this.fixture.dataDir}/sync.log`).catch(() => "");
    return `${facts}\nprocess state: ${processState(this.sync.pid)}\n${proxies}\n` +
      `sync.log (end):\n${tail(log, 15)}`;
  }
}

function exitText(sync: SyncProcess): string {
  const status = sync.exited!;
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

/** The kernel's state letter of `pid` (R running, S sleeping, T stopped, Z zombie). */
function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return "gone";
  }
}
