/**
 * The server process life cycle both throwaway servers share: start in the foreground (dying with
 * us where `setpriv --pdeathsig` allows), wait until a client can log in, stop, restart on the
 * same port and data, dispose; and a first start that moves to another port when the chosen one
 * was taken meanwhile.
 *
 * @module
 */
import { track, type Tracked, untrack } from "./exit_cleanup.ts";
import { freePort, hasPdeathsig, logTail, LOOPBACK_HOST, removeDir, sleep } from "./os.ts";

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

export abstract class ManagedServer implements AsyncDisposable, Tracked {
  readonly host = LOOPBACK_HOST;
  #child: Deno.ChildProcess | undefined;
  #exited: Promise<Deno.CommandStatus> | undefined;
  #disposed = false;

  constructor(
    readonly kind: string,
    readonly dir: string,
    readonly logFile: string,
    public port: number,
  ) {}

  /** Program and arguments to run the server in the foreground. */
  protected abstract command(): Promise<[string, string[]]>;
  /** Resolves once a client can log in; rejects otherwise. */
  protected abstract probe(): Promise<void>;
  /** Signal for a clean shutdown. */
  protected abstract readonly stopSignal: Deno.Signal;

  async start(): Promise<void> {
    if (this.#disposed) throw new Error(`${this.kind} server in ${this.dir} was disposed`);
    if (this.#child) return;
    let [cmd, args] = await this.command();
    if (await hasPdeathsig()) {
      // The kernel kills the server if this process dies, even on SIGKILL. A uid change clears
      // the setting, so it goes into the same setpriv call that drops privileges, if any.
      if (cmd === "setpriv") args = ["--pdeathsig", "KILL", ...args];
      else [cmd, args] = ["setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args]];
    }
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Forgetting dispose() must not keep the process alive; the unload hook cleans up then.
    child.unref();
    this.#child = child;
    this.#exited = child.status;
    track(this);
    await this.#waitReady();
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited: Deno.CommandStatus | undefined;
    this.#exited!.then((s) => exited = s);
    let lastError: unknown;
    while (true) {
      if (exited) {
        this.#child = undefined;
        throw new Error(
          `${this.kind} server exited during start-up (code ${exited.code}${
            exited.signal ? `, signal ${exited.signal}` : ""
          }); log ${this.logFile}:\n${await logTail(this.logFile)}`,
        );
      }
      try {
        await this.probe();
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        await this.#kill("SIGKILL");
        throw new Error(
          `${this.kind} server on port ${this.port} not ready after ${READY_TIMEOUT_MS / 1000} s ` +
            `(last error: ${lastError}); log ${this.logFile}:\n${await logTail(this.logFile)}`,
        );
      }
      await sleep(30);
    }
  }

  async #kill(signal: Deno.Signal, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    const child = this.#child;
    if (!child) return;
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.#exited!.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await this.#exited;
    }
    this.#child = undefined;
  }

  /** Synchronous hard kill for exit hooks. */
  killNow(): void {
    this.#child?.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.#kill(this.stopSignal);
  }

  protected abstract readonly killSignal: Deno.Signal;

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.#kill(this.killSignal, 5_000);
      await removeDir(this.dir);
    } finally {
      untrack(this);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** Starts a fresh server, retrying on a new port if another process grabbed the chosen one. */
export async function startOnFreePort<T extends ManagedServer>(server: T): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      await server.start();
      return server;
    } catch (err) {
      const log = await logTail(server.logFile);
      if (attempt < 4 && /already in use|could not bind|Can't start server: Bind/i.test(log)) {
        server.port = freePort();
        // Truncate (not re-create: the PostgreSQL log belongs to the postgres OS user).
        await Deno.truncate(server.logFile).catch(() => {});
        continue;
      }
      await server.dispose().catch(() => {});
      throw err;
    }
  }
}
