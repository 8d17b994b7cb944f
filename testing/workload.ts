/**
 * The fault workload's runner: plays the seeded plan (`workload_plan.ts`) against MariaDB in the
 * background while a test injects faults, surviving the faults itself. A lost connection (MariaDB
 * restarting) is reopened and the plan goes on; a statement the server refuses rolls its
 * transaction back. Nothing is asserted about what committed: the test compares MariaDB with
 * PostgreSQL afterwards, so a commit whose answer was lost is as good as any other.
 *
 * @module
 */
import type mysql from "mysql2/promise";
import { sleep } from "./os.ts";
import type { TransactionPlan, WorkloadPlanner } from "./workload_plan.ts";

export interface WorkloadOptions {
  /** The plan to play; a later workload given the same planner goes on where this one stopped. */
  planner: WorkloadPlanner;
  /** Opens a connection to MariaDB (called again after a lost one). */
  connect: () => Promise<mysql.Connection>;
  /** Pause between transactions, so the load leaves the two cores some air (default 5 ms). */
  pauseMs?: number;
  /** The workload stops by itself after this long, if nobody stops it (default 10 minutes). */
  maxRunMs?: number;
  /** How long a connection may stay impossible before the workload gives up (default 90 s). */
  reconnectForMs?: number;
}

/** What the workload did. */
export interface WorkloadCounts {
  seed: number;
  committed: number;
  rolledBack: number;
  big: number;
  /** Transactions the server refused (rolled back) or whose connection was lost. */
  failed: number;
  reconnects: number;
}

/** A running workload; `stop()` ends it after the transaction in hand. */
export interface Workload {
  readonly counts: Readonly<WorkloadCounts>;
  /**
   * Runs a big transaction next (between two planned ones) and resolves once it ended, or at once
   * when the workload has ended.
   */
  big(rows?: number): Promise<void>;
  /** Stops after the transaction in hand; rejects if the workload gave up (server gone for good). */
  stop(): Promise<WorkloadCounts>;
}

/** Starts playing `options.planner`'s plan in the background. */
export function startWorkload(options: WorkloadOptions): Workload {
  const { planner } = options;
  const counts: WorkloadCounts = {
    seed: planner.seed,
    committed: 0,
    rolledBack: 0,
    big: 0,
    failed: 0,
    reconnects: 0,
  };
  const pauseMs = options.pauseMs ?? 5;
  const stopAt = Date.now() + (options.maxRunMs ?? 600_000);
  const requested: { plan: TransactionPlan; done: () => void }[] = [];
  let stopping = false;
  let ended = false;
  // An object, not a variable: TypeScript does not see the closures assign it.
  const open: { connection: mysql.Connection | null } = { connection: null };

  /** A connection, retried while the server is away; null when asked to stop meanwhile. */
  const connect = async (): Promise<mysql.Connection | null> => {
    const giveUpAt = Date.now() + (options.reconnectForMs ?? 90_000);
    while (!stopping) {
      try {
        return await options.connect();
      } catch (err) {
        if (Date.now() > giveUpAt) throw err;
        await sleep(200);
      }
    }
    return null;
  };

  const play = async (plan: TransactionPlan): Promise<void> => {
    const connection = open.connection ??= await connect();
    if (connection === null) return;
    try {
      await connection.query("START TRANSACTION");
      for (const statement of plan.statements) await connection.query(statement);
      await connection.query(plan.commit ? "COMMIT" : "ROLLBACK");
      if (!plan.commit) counts.rolledBack++;
      else counts.committed++;
      if (plan.commit && plan.kind === "big") counts.big++;
    } catch (err) {
      counts.failed++;
      if (isConnectionLoss(err)) {
        connection.destroy();
        open.connection = null;
        counts.reconnects++;
      } else {
        await connection.query("ROLLBACK").catch(() => {});
      }
    }
  };

  const running = (async () => {
    try {
      while (!stopping && Date.now() < stopAt) {
        const asked = requested.shift();
        await play(asked?.plan ?? planner.next());
        asked?.done();
        await sleep(pauseMs);
      }
    } finally {
      ended = true;
      for (const asked of requested.splice(0)) asked.done();
      const last = open.connection;
      await last?.end().catch(() => last.destroy());
    }
  })();
  // stop() reports a failure; until then it must not count as unhandled.
  running.catch(() => {});

  return {
    counts,
    big(rows?: number) {
      if (ended) return Promise.resolve();
      return new Promise<void>((done) => requested.push({ plan: planner.big(rows), done }));
    },
    async stop() {
      stopping = true;
      await running;
      return { ...counts };
    },
  };
}

/** Whether a mysql2 error means the connection is gone (as opposed to a refused statement). */
function isConnectionLoss(err: unknown): boolean {
  const { fatal, code } = err as { fatal?: boolean; code?: string };
  return fatal === true ||
    ["PROTOCOL_CONNECTION_LOST", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ER_SERVER_SHUTDOWN"]
      .includes(code ?? "");
}
