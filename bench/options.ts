/**
 * Flags of `deno task bench`. Every flag can also come from the environment as
 * `BENCH_<NAME>` (e.g. `BENCH_ROWS=50000`, `BENCH_QUICK=1`); a flag wins over the environment.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The phases, in the order they run. */
export const PHASES = ["copy", "batch", "single", "keyless", "lag", "memory"] as const;
export type Phase = typeof PHASES[number];

export interface BenchOptions {
  /** Rows per throughput workload (and for the COPY ceiling). */
  rows: number;
  /** Rows per statement in the "batched statements" workloads. */
  stmtRows: number;
  /** COPY ceiling runs; the best one counts. */
  copyRuns: number;
  /** Source write rate (rows/s) during the lag and memory phases. */
  rate: number;
  /** Rows per statement during the lag and memory phases. */
  liveStmtRows: number;
  /** Length of the lag phase (s). */
  lagSeconds: number;
  /** How long PostgreSQL is blocked in the memory phase (s). */
  blockSeconds: number;
  /** Give up waiting for one catch-up after this many seconds. */
  timeoutSeconds: number;
  /** Extra lines for the sync's config file (e.g. `concurrent_size = 4`). */
  configExtra: string[];
  /** Phases to run. */
  only: Set<Phase>;
  /** Show the sync's log lines (in-process runs) on stderr. */
  verbose: boolean;
  /**
   * Each throughput workload runs once per variant, one after the other (so that the figures
   * compared share the machine's state): every delay (ms each way between the sync and
   * PostgreSQL, 0 = loopback) with every writer count (`concurrent_size`; null = the config's).
   */
  variants: Variant[];
  /** Runs of every variant of a workload, taken in turns; the report compares their medians. */
  repeat: number;
}

/** How one run of a throughput workload reaches PostgreSQL. */
export interface Variant {
  /** Added each way by a loopback proxy (testing/proxy.ts); 0: straight to PostgreSQL. */
  delayMs: number;
  /** `concurrent_size` for the run; null: as the config says. */
  writers: number | null;
}

export const USAGE = `usage: deno task bench [flags]

Measures mysql-gp-sync on throwaway MariaDB + PostgreSQL servers (testing/servers.ts) and prints a
table (text, then markdown). Phases: ${PHASES.join(", ")}.

  --rows N              rows per throughput workload and for the COPY ceiling (default 200000)
  --stmt-rows N         rows per statement in the batched workloads (default 1000)
  --copy-runs N         COPY ceiling runs, best counts (default 3)
  --rate N              source rows/s during the lag and memory phases (default 10000)
  --live-stmt-rows N    rows per statement during those phases (default 100, i.e. every 10 ms)
  --lag-seconds N       length of the lag phase (default 20)
  --block-seconds N     PostgreSQL blocked this long in the memory phase (default 30)
  --timeout-seconds N   give up waiting for one catch-up after this long (default 600)
  --config-extra LINE   extra line for the sync's config file, repeatable ("concurrent_size = 4")
  --only LIST           comma-separated phases to run (default: all)
  --delay-ms N          also run every throughput workload through a loopback proxy delaying each
                        way by N ms (fractions allowed), right after its loopback run, and report
                        the two side by side with their ratio (target >= 0.85 at a 2 ms round
                        trip); the round trip measured through the proxy is reported (its own
                        forwarding adds about 0.3-0.5 ms: 0.75 gives about 2 ms)
  --writers LIST        run every throughput workload once per concurrent_size in LIST (e.g. 1,6),
                        one after the other, and report each against the first
  --repeat N            run the variants of each workload N times, in turns, and compare the
                        medians (default 1; on a shared machine 3 or more)
  --quick               small smoke run: --rows 20000 --lag-seconds 5 --block-seconds 5
  --verbose             show the in-process sync's log on stderr
  -h, --help            this text

Every flag may also be given as an environment variable BENCH_<NAME>, e.g. BENCH_ROWS=50000,
BENCH_QUICK=1, BENCH_ONLY=copy,batch.`;

function envName(flag: string): string {
  return `BENCH_${flag.toUpperCase().replaceAll("-", "_")}`;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer`);
  return n;
}

/** Every delay with every writer count, loopback first. */
function variants(delayText: string | undefined, writersText: string | undefined): Variant[] {
  const delays = [0];
  if (delayText !== undefined && delayText !== "0") {
    const delay = Number(delayText);
    if (!(delay > 0)) throw new Error("--delay-ms: expected a positive number");
    delays.push(delay);
  }
  const writers = writersText === undefined
    ? [null]
    : writersText.split(",").map((text) => positiveInt("writers", text.trim()));
  return delays.flatMap((delayMs) => writers.map((n) => ({ delayMs, writers: n })));
}

/** Parses flags (falling back to BENCH_* variables); null means --help was asked for. */
export function parseOptions(
  args: string[],
  env: Record<string, string> = Deno.env.toObject(),
): BenchOptions | null {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      rows: { type: "string" },
      "stmt-rows": { type: "string" },
      "copy-runs": { type: "string" },
      rate: { type: "string" },
      "live-stmt-rows": { type: "string" },
      "lag-seconds": { type: "string" },
      "block-seconds": { type: "string" },
      "timeout-seconds": { type: "string" },
      "config-extra": { type: "string", multiple: true },
      only: { type: "string" },
      "delay-ms": { type: "string" },
      writers: { type: "string" },
      repeat: { type: "string" },
      quick: { type: "boolean" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  const flag = (name: keyof typeof values): string | undefined => {
    const value = values[name];
    if (typeof value === "string") return value;
    return env[envName(name)];
  };
  const bool = (name: "quick" | "verbose"): boolean => {
    if (values[name] !== undefined) return values[name] as boolean;
    const text = env[envName(name)];
    return text !== undefined && !/^(0|false|no|)$/i.test(text);
  };
  const quick = bool("quick");
  const int = (name: keyof typeof values, normal: number, small = normal): number => {
    const text = flag(name);
    return text === undefined ? (quick ? small : normal) : positiveInt(name, text);
  };
  const onlyText = flag("only");
  const only = new Set<Phase>();
  for (const name of (onlyText ?? PHASES.join(",")).split(",").map((s) => s.trim())) {
    if (name === "") continue;
    if (!(PHASES as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown phase "${name}" (phases: ${PHASES.join(", ")})`);
    }
    only.add(name as Phase);
  }
  const extra = values["config-extra"] ??
    (env[envName("config-extra")] ? env[envName("config-extra")].split(";") : []);
  const options: BenchOptions = {
    rows: int("rows", 200_000, 20_000),
    stmtRows: int("stmt-rows", 1000),
    copyRuns: int("copy-runs", 3),
    rate: int("rate", 10_000),
    liveStmtRows: int("live-stmt-rows", 100),
    lagSeconds: int("lag-seconds", 20, 5),
    blockSeconds: int("block-seconds", 30, 5),
    timeoutSeconds: int("timeout-seconds", 600, 120),
    configExtra: extra.map((line) => line.trim()).filter((line) => line !== ""),
    only,
    verbose: bool("verbose"),
    variants: variants(flag("delay-ms"), flag("writers")),
    repeat: int("repeat", 1),
  };
  if (options.stmtRows > options.rows) options.stmtRows = options.rows;
  return options;
}
