/**
 * The sleeping half of precise_timer.ts: blocks in `Atomics.wait` for the milliseconds asked (cut
 * short when the main thread sets the shared flag), then says so.
 *
 * @module
 */
/// <reference lib="deno.worker" />

let flag: Int32Array | null = null;

self.onmessage = (event: MessageEvent<SharedArrayBuffer | number>) => {
  if (typeof event.data !== "number") {
    flag = new Int32Array(event.data);
    return;
  }
  Atomics.wait(flag!, 0, 0, event.data);
  self.postMessage(0);
};
