/**
 * A wait that ends early when the sync is asked to stop, for retry and sampling loops.
 *
 * @module
 */
/** Waits `ms` milliseconds, or less if `signal` aborts first (it never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
