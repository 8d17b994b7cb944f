/**
 * `deno task soak`: the weather suite's faults (testing/faults.ts), many rounds in a row against
 * one long-running sync, in an order drawn from a seed, each followed by the same checks as the
 * tests (testing/fault_scene.ts: everything applied, tables equal, the position never moving back,
 * peak RSS under the limit). Stops at the first round that fails, printing what did not hold, and
 * after `--max-minutes` in any case.
 *
 * ```sh
 * deno task soak --rounds 40 --seed 12345
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { FaultScene } from "../testing/fault_scene.ts";
import { FAULTS } from "../testing/faults.ts";
import { sleep } from "../testing/os.ts";
import { seededRandom, workloadSeed } from "../testing/workload_plan.ts";

const USAGE = `usage: deno task soak [--rounds N] [--seed N] [--max-minutes N] [--only TEXT]

Injects faults one after another into one running sync (as the weather tests do, one at a time)
and checks everything after each: ${FAULTS.length} kinds of fault, drawn at random from the seed.

  --rounds N        faults to inject (default 20)
  --seed N          seed of the fault order and the workload (default MGS_WORKLOAD_SEED or random)
  --max-minutes N   stop starting new rounds after this long (default 60)
  --only TEXT       only faults whose name contains TEXT
  -h, --help        this text`;

interface SoakOptions {
  rounds: number;
  seed: number;
  maxMinutes: number;
  only: string;
}

function options(args: string[]): SoakOptions | null {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: "string", default: "20" },
      seed: { type: "string" },
      "max-minutes": { type: "string", default: "60" },
      only: { type: "string", default: "" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${text}: not a positive integer`);
    return n;
  };
  return {
    rounds: positive("rounds", values.rounds),
    seed: workloadSeed(values.seed),
    maxMinutes: positive("max-minutes", values["max-minutes"]),
    only: values.only,
  };
}

async function soak(opts: SoakOptions): Promise<number> {
  const faults = FAULTS.filter((fault) => fault.name.includes(opts.only));
  if (faults.length === 0) throw new Error(`no fault's name contains "${opts.only}"`);
  const random = seededRandom(opts.seed);
  const stopAt = Date.now() + opts.maxMinutes * 60_000;
  await using scene = await FaultScene.start({ seed: opts.seed });
  await scene.waitApplied();
  for (let round = 1; round <= opts.rounds && Date.now() < stopAt; round++) {
    const fault = faults[Math.floor(random() * faults.length)];
    console.log(`round ${round}/${opts.rounds}: ${fault.name}`);
    try {
      await fault.inject(scene);
    } catch (err) {
      console.error(
        `round ${round} failed (seed ${opts.seed}): ${(err as Error).message}\n` +
          await scene.diagnostics(),
      );
      return 1;
    }
    await sleep(2_000);
    const result = await scene.settle(fault.settle);
    console.log(`  ${result.summary}`);
    if (result.problems.length > 0) {
      console.error(`round ${round} failed (seed ${opts.seed}):\n${result.problems.join("\n")}`);
      return 1;
    }
  }
  const stopped = await scene.sync.stop();
  if (stopped.code !== 0) {
    console.error(`SIGTERM ended the sync with ${JSON.stringify(stopped)}: ${scene.sync.stderr}`);
    return 1;
  }
  console.log(`soak passed (seed ${opts.seed})`);
  return 0;
}

if (import.meta.main) {
  let opts: SoakOptions | null;
  try {
    opts = options(Deno.args);
  } catch (err) {
    console.error(`soak: ${(err as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  if (!opts) {
    console.log(USAGE);
    Deno.exit(0);
  }
  Deno.exit(await soak(opts));
}
