/**
 * The faults the weather suite (tests/integration/faults_test.ts) and the soak (bench/soak.ts)
 * inject into a running {@link FaultScene}: database restarts, killed server sessions, the links
 * to either database cut, paused, stalled past the sync's silence limit or slowed, the sync
 * SIGKILLed or SIGSTOPped, a second run of the same sync, and transactions big enough to test
 * memory. Each runs while the workload writes and returns once the fault is over; the scene's
 * `settle()` then checks what must hold.
 *
 * @module
 */
import type { FaultScene, SettleOptions } from "./fault_scene.ts";
import { waitFor } from "./fixture.ts";
import { sleep } from "./os.ts";

/** One kind of trouble. */
export interface Fault {
  /** What happens, as the test name and the soak's log say it. */
  name: string;
  /** Injects the fault while the workload runs; throws when the fault could not be made. */
  inject(scene: FaultScene): Promise<void>;
  /** Settle options the fault needs (a longer catch-up after a huge transaction). */
  settle?: SettleOptions;
}

/** The sync's silence limit on the replication connection (src/source/binlog_reader.ts). */
export const SILENCE_LIMIT_MS = 15_000;

/**
 * Restarts `server` (down 2 s) right after a big transaction committed, while the sync reads or
 * applies it, and once more a few seconds later, in the middle of ordinary work.
 */
async function restartTwice(
  scene: FaultScene,
  server: { stop(): Promise<void>; start(): Promise<void> },
): Promise<void> {
  await scene.workload.big(30_000);
  for (let round = 0; round < 2; round++) {
    await server.stop();
    await sleep(2_000);
    await server.start();
    await sleep(3_000);
  }
}

/** Runs `kill` twice, each time once the sync has a session again (it reconnects after a backoff). */
async function killTwice(what: string, kill: () => Promise<number>): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await waitFor(what, async () => await kill() >= 1, 30_000);
    await sleep(2_000);
  }
}

export const FAULTS: readonly Fault[] = [
  {
    name: "MariaDB restarts under load, twice, the first time after a big transaction",
    inject: (scene) => restartTwice(scene, scene.fixture.mariadb),
  },
  {
    name: "MariaDB's binlog dump thread is KILLed, twice",
    inject: (scene) => killTwice("a binlog dump thread", () => scene.killBinlogDump()),
  },
  {
    name: "the MariaDB link is cut during a big transaction and refused for 3 s",
    async inject(scene) {
      // Just committed: its row events are on their way, so the cut likely falls inside one.
      await scene.workload.big(40_000);
      scene.mysqlProxy.cut({ refuseMs: 3_000 });
      await sleep(3_000);
      if (scene.mysqlProxy.counters.cut === 0) throw new Error("the cut closed no connection");
    },
  },
  {
    name: "the MariaDB link pauses 5 s, under the silence limit",
    async inject(scene) {
      scene.mysqlProxy.pause();
      await sleep(5_000);
      scene.mysqlProxy.resume();
    },
  },
  {
    name: "the MariaDB link stalls past the silence limit, a big transaction meanwhile",
    async inject(scene) {
      scene.mysqlProxy.pause();
      await scene.workload.big(40_000);
      await sleep(SILENCE_LIMIT_MS + 3_000);
      // By now the sync must have taken the silence for a lost connection, not wait forever.
      const report = await scene.sync.report();
      scene.mysqlProxy.resume();
      if (!/no data nor heartbeat/.test(report?.last_error ?? "")) {
        throw new Error(`the stall went unnoticed: ${JSON.stringify(report)}`);
      }
    },
  },
  {
    name: "the MariaDB link is slowed by 30 ms each way",
    async inject(scene) {
      scene.mysqlProxy.slow(30);
      await sleep(6_000);
      scene.mysqlProxy.resume();
    },
  },
  {
    name: "PostgreSQL restarts under load, twice, the first time during a big transaction",
    inject: (scene) => restartTwice(scene, scene.fixture.postgres),
  },
  {
    name: "the sync's PostgreSQL sessions are terminated, twice",
    inject: (scene) =>
      killTwice("a PostgreSQL session of the sync", () => scene.terminateSyncSessions()),
  },
  {
    name: "the PostgreSQL link is cut and refused for 3 s, a big transaction meanwhile",
    async inject(scene) {
      const big = scene.workload.big(30_000);
      scene.pgProxy.cut({ refuseMs: 3_000 });
      await big;
      await sleep(3_000);
    },
  },
  {
    name: "the PostgreSQL link pauses 10 s, a big transaction meanwhile",
    async inject(scene) {
      scene.pgProxy.pause();
      await scene.workload.big(40_000);
      await sleep(10_000);
      scene.pgProxy.resume();
    },
  },
  {
    name: "the PostgreSQL link is slowed by 20 ms each way",
    async inject(scene) {
      scene.pgProxy.slow(20);
      await sleep(6_000);
      scene.pgProxy.resume();
    },
  },
  {
    name: "the sync is SIGKILLed while it applies a big transaction, and started again",
    async inject(scene) {
      await scene.workload.big(40_000);
      scene.sync.signal("SIGKILL");
      await scene.sync.status;
      await sleep(1_000);
      await scene.restartSync();
    },
  },
  {
    name: "the sync is stopped (SIGSTOP) past the silence limit, then continued",
    async inject(scene) {
      scene.sync.signal("SIGSTOP");
      await sleep(SILENCE_LIMIT_MS + 5_000);
      scene.sync.signal("SIGCONT");
    },
  },
  {
    name: "a second run of the same config starts while the first one streams",
    async inject(scene) {
      // The same config: the same sync_id, position row, data_dir and status address.
      const second = await scene.spawnSync();
      await sleep(3_000);
      // A run that stalls and wakes up (a long pause, a frozen VM) commits the batch it holds:
      // were the other run applying meanwhile, that would be an older position and older rows.
      for (let round = 0; round < 4; round++) {
        const stalled = round % 2 === 0 ? scene.sync : second;
        stalled.signal("SIGSTOP");
        await sleep(2_000);
        stalled.signal("SIGCONT");
        await sleep(1_000);
      }
    },
  },
  {
    name: "a second run of the same sync_id, on another data_dir and server_id, starts",
    async inject(scene) {
      // As on a second host: nothing local is shared, and MariaDB lets both replicate at once
      // (two runs of one config make it drop the older replica connection), so only what the
      // sync keeps in PostgreSQL can stop the two from both writing.
      await scene.spawnSync({ serverId: 1002 });
      await sleep(8_000);
    },
  },
  {
    name: "a transaction of a million narrow rows while PostgreSQL is slowed",
    async inject(scene) {
      scene.pgProxy.slow(5);
      await scene.workload.big(1_000_000);
      await sleep(3_000);
      scene.pgProxy.resume();
    },
    settle: { catchUpMs: 180_000 },
  },
];
