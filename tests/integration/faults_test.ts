/**
 * Production weather: every fault of testing/faults.ts injected into a sync running as a real
 * process while a seeded random workload writes to MariaDB (testing/fault_scene.ts). After each
 * fault the sync must apply everything and still stream, every table must be equal on both sides,
 * the committed position must never move back, the sync's peak RSS must stay under 300 MiB, any
 * other run must have ended with a one-line error (or still run), and SIGTERM must stop the sync
 * cleanly. Each test prints its seed; MGS_WORKLOAD_SEED repeats a run's plan.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { FaultScene } from "../../testing/fault_scene.ts";
import { FAULTS } from "../../testing/faults.ts";
import { sleep } from "../../testing/os.ts";

for (const fault of FAULTS) {
  Deno.test(`weather: ${fault.name}`, async () => {
    await using scene = await FaultScene.start();
    await scene.waitApplied();
    await fault.inject(scene).catch(async (err) => {
      throw new Error(`${err.message}\n${await scene.diagnostics()}`, { cause: err });
    });
    // The workload goes on a little after the fault, so the sync resumes under load.
    await sleep(2_000);
    const result = await scene.settle(fault.settle);
    console.log(`${fault.name}: ${result.summary}`);
    assert(result.problems.length === 0, `${fault.name}:\n${result.problems.join("\n")}`);
    const stopped = await scene.sync.stop();
    assertEquals(stopped.code, 0, `SIGTERM after "${fault.name}": ${scene.sync.stderr}`);
  });
}
