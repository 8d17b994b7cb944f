/**
 * The sync as users run it, as a child process of a test: `deno run -A --v8-flags=<the shipped
 * heap limits> main.ts run --quiet -c FILE`, so a test can send it real signals (SIGKILL, SIGSTOP,
 * SIGCONT), watch its memory in /proc (VmRSS, and VmHWM, the peak), ask its status endpoint, and
 * read what it printed when it exited. Where `setpriv --pdeathsig` exists the kernel kills it if
 * the test process dies; `dispose()` kills it otherwise.
 *
 * @module
 */
import type { StatusReport } from "../src/observe/metrics.ts";
import { hasPdeathsig } from "./os.ts";

/** Resident memory of a process in MiB. */
export interface MemoryMiB {
  /** VmRSS: now. */
  rss: number;
  /** VmHWM: the peak so far. */
  hwm: number;
}

/** VmRSS and VmHWM of `pid` in MiB, from /proc; null when it is gone. */
export function memoryMiB(pid: number): MemoryMiB | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** The V8 flags of deno.json's `cli` task: the heap limits a deployed sync runs with. */
export function productionV8Flags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const match = /--v8-flags=(\S+)/.exec(config.tasks.cli);
  if (!match) throw new Error("deno.json's cli task has no --v8-flags");
  return [`--v8-flags=${match[1]}`];
}

/** How often memory is sampled: the peak of a process SIGKILLed meanwhile is kept from here. */
const SAMPLE_MS = 200;
/** Most bytes of stderr kept (the end); a sync that logs on stderr despite --quiet is cut. */
const STDERR_KEEP_BYTES = 64 << 10;

export interface SyncProcessOptions {
  configFile: string;
  /** `host:port` of the config's status_addr, to ask GET /status. */
  statusAddr?: string;
  /** Extra environment (MGS_* knobs); the rest is inherited. */
  env?: Record<string, string>;
}

/** A running `main.ts run` child process. */
export class SyncProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #statusAddr: string | undefined;
  readonly #collecting: Promise<void>;
  readonly #sampler: ReturnType<typeof setInterval>;
  #stderr = "";
  #peakMiB = 0;
  #stopped = false;
  #killed = false;
  /** Settles with the exit status once the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  /** The exit status once it exited, null while it runs (or is stopped by SIGSTOP). */
  exited: Deno.CommandStatus | null = null;

  private constructor(child: Deno.ChildProcess, options: SyncProcessOptions) {
    this.#child = child;
    this.#statusAddr = options.statusAddr;
    this.#collecting = this.#collectStderr(child.stderr);
    this.#sample();
    this.#sampler = setInterval(() => this.#sample(), SAMPLE_MS);
    this.status = child.status.then(async (status) => {
      clearInterval(this.#sampler);
      this.exited = status;
      await this.#collecting;
      return status;
    });
  }

  /** Starts `main.ts run --quiet -c FILE` with the shipped heap limits. */
  static async start(options: SyncProcessOptions): Promise<SyncProcess> {
    const root = new URL("..", import.meta.url).pathname;
    const args = [
      "run",
      "-A",
      ...productionV8Flags(),
      `${root}main.ts`,
      "run",
      "--quiet",
      "-c",
      options.configFile,
    ];
    // setpriv execs, so the pid stays the sync's own.
    const [cmd, cmdArgs] = await hasPdeathsig()
      ? ["setpriv", ["--pdeathsig", "KILL", "--", Deno.execPath(), ...args]]
      : [Deno.execPath(), args];
    const child = new Deno.Command(cmd, {
      args: cmdArgs,
      cwd: root,
      env: options.env,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return new SyncProcess(child, options);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The highest VmHWM seen in MiB (sampled every 200 ms while it ran). */
  get peakMiB(): number {
    return this.#peakMiB;
  }

  /** The end of what it wrote to stderr (with --quiet: only a final error, or a crash). */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * The error it exited with when that was one line of its own (`mysql-gp-sync: ...`) and nothing
   * else (no stack, no uncaught exception); null otherwise.
   */
  oneLineError(): string | null {
    const lines = this.#stderr.trim().split("\n");
    return lines.length === 1 && lines[0].startsWith("mysql-gp-sync: ") ? lines[0] : null;
  }

  /** Whether the test ended it (SIGKILL, or `stop()`), as opposed to an exit of its own. */
  get endedByTest(): boolean {
    return this.#killed || this.#stopped;
  }

  /** Sends `signal` (SIGKILL, SIGSTOP, SIGCONT, ...); a no-op once it exited. */
  signal(signal: Deno.Signal): void {
    if (this.exited) return;
    if (signal === "SIGKILL") this.#killed = true;
    try {
      this.#child.kill(signal);
    } catch {
      // exited meanwhile
    }
  }

  /**
   * GET /status of the running sync, or null when it does not answer within `timeoutMs` (more
   * than the 3 s the sync waits for MariaDB's binlog position, which a stalled link withholds).
   */
  async report(timeoutMs = 5_000): Promise<StatusReport | null> {
    if (!this.#statusAddr || this.exited) return null;
    try {
      const response = await fetch(`http://${this.#statusAddr}/status`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return null;
      }
      return await response.json() as StatusReport;
    } catch {
      return null;
    }
  }

  /**
   * SIGTERM (finish the work in hand and exit), SIGKILL after `graceMs`; a stopped (SIGSTOP)
   * process is continued first so it can obey.
   */
  async stop(graceMs = 20_000): Promise<Deno.CommandStatus> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.signal("SIGCONT");
      this.signal("SIGTERM");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), graceMs));
    const status = await Promise.race([this.status, late]);
    clearTimeout(timer);
    if (status) return status;
    this.signal("SIGKILL");
    return await this.status;
  }

  /** Kills it (SIGKILL) and waits for the exit; safe to call more than once. */
  async dispose(): Promise<void> {
    this.signal("SIGKILL");
    await this.status;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #sample(): void {
    const memory = memoryMiB(this.pid);
    if (memory) this.#peakMiB = Math.max(this.#peakMiB, memory.hwm);
  }

  async #collectStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#stderr += decoder.decode(chunk, { stream: true });
      if (this.#stderr.length > STDERR_KEEP_BYTES) {
        this.#stderr = this.#stderr.slice(-STDERR_KEEP_BYTES);
      }
    }
    this.#stderr += decoder.decode();
  }
}
