/**
 * Process facts from Linux /proc (CPU time, resident memory) and the sync run as a child process.
 *
 * @module
 */
import { productionV8Flags } from "../testing/sync_process.ts";

let ticksPerSecond = 100;

/** Reads the kernel's clock tick rate once (utime/stime in /proc are counted in it). */
export async function initClockTicks(): Promise<void> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    if (Number.isInteger(n) && n > 0) ticksPerSecond = n;
  } catch {
    // keep 100, the usual value
  }
}

/** Fields of /proc/<pid>/stat after the command name (field 3 of proc(5) is index 0). */
function statFields(pid: number): string[] | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by `pid`, all threads; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
}

/** Live child processes of `ppid`. */
export function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const f = statFields(Number(entry.name));
    if (f && Number(f[1]) === ppid) pids.push(Number(entry.name));
  }
  return pids;
}

/** CPU seconds all CPUs of the machine have been busy since boot (not idle nor waiting for I/O). */
export function machineBusySeconds(): number {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user/nice)
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - f[3] - f[4]) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** A named set of processes whose CPU time is counted together (e.g. a server and its backends). */
export interface ProcessGroup {
  name: string;
  pids(): number[];
}

export type CpuSnapshot = Map<string, Map<number, number>>;

/** CPU time per group and pid; the entry "machine" holds the whole machine's busy time. */
export function cpuSnapshot(groups: ProcessGroup[]): CpuSnapshot {
  const snap: CpuSnapshot = new Map([["machine", new Map([[0, machineBusySeconds()]])]]);
  for (const group of groups) {
    snap.set(group.name, new Map(group.pids().map((pid) => [pid, cpuSeconds(pid)])));
  }
  return snap;
}

/**
 * CPU seconds each group used between two snapshots. Processes that started in between count from
 * zero; ones that ended in between are lost, so take `after` before stopping anything.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
  const used = new Map<string, number>();
  for (const [name, pids] of after) {
    let total = 0;
    for (const [pid, seconds] of pids) total += seconds - (before.get(name)?.get(pid) ?? 0);
    used.set(name, total);
  }
  // Whatever else ran meanwhile (other processes on a shared machine, the kernel).
  let ours = 0;
  for (const [name, seconds] of used) if (name !== "machine") ours += seconds;
  used.set("other", Math.max(0, (used.get("machine") ?? 0) - ours));
  return used;
}

/** The first line of a pid file as a number, or null. */
export function readPidFile(path: string): number | null {
  try {
    const pid = Number(Deno.readTextFileSync(path).split("\n")[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** `deno run -A main.ts run --config FILE` as a child process; its log goes to data_dir/sync.log. */
export class SyncProcess {
  readonly #child: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
  exited: Deno.CommandStatus | null = null;

  /** `killWithParent`: `testing/os.ts` hasPdeathsig(), so the sync dies with the benchmark. */
  constructor(configFile: string, killWithParent: boolean) {
    const root = new URL("..", import.meta.url).pathname;
    const args = [
      "run",
      "-A",
      ...productionV8Flags(),
      `${root}main.ts`,
      "run",
      "--config",
      configFile,
    ];
    // With setpriv the kernel kills the sync if the benchmark dies; setpriv execs, so the pid
    // stays the sync's own.
    const [cmd, cmdArgs] = killWithParent
      ? ["setpriv", ["--pdeathsig", "KILL", "--", Deno.execPath(), ...args]]
      : [Deno.execPath(), args];
    this.#child = new Deno.Command(cmd, {
      args: cmdArgs,
      cwd: root,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.status = this.#child.status.then((status) => this.exited = status);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** SIGTERM (the sync finishes the work in hand), SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<Deno.CommandStatus> {
    if (this.exited) return this.exited;
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), graceMs));
    const status = await Promise.race([this.status, late]);
    clearTimeout(timer);
    if (status) return status;
    this.killNow();
    return await this.status;
  }

  /** Hard kill, for exit hooks. */
  killNow(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
