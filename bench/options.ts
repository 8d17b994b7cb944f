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
  };
  if (options.stmtRows > options.rows) options.stmtRows = options.rows;
  return options;
}
