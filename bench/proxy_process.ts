/**
 * The bench's latency proxy (testing/proxy.ts) as a child process: the sync runs inside the bench
 * process, and a proxy there would take its time from the sync's thread.
 *
 * @module
 */
import type postgres from "postgres";
import { LOOPBACK_HOST } from "../testing/os.ts";

/** A running proxy process. */
export interface ProxyProcess {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a proxy to 127.0.0.1:`targetPort` delaying each way by `delayMs`. */
export async function spawnProxy(targetPort: number, delayMs: number): Promise<ProxyProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../testing/proxy.ts", import.meta.url).pathname,
      String(targetPort),
      String(delayMs),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the proxy process ended before it listened");
    text += value;
  }
  reader.releaseLock();
  // Its port printed, the proxy writes nothing more.
  child.stdout.cancel().catch(() => {});
  return {
    host: LOOPBACK_HOST,
    port: Number(text.trim()),
    async close() {
      // Closing stdin ends it (and would, should the bench die first).
      await child.stdin.close();
      await child.status;
    },
  };
}

/** The median of 50 `SELECT 1` round trips on `sql` (ms): what the proxy really adds. */
export async function roundTripMs(sql: postgres.Sql): Promise<number> {
  const times: number[] = [];
  await sql`SELECT 1`;
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await sql`SELECT 1`;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
