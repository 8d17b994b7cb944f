/**
 * Bounded waits: one that ends early when the sync is asked to stop, for retry and sampling
 * loops, and one for work that may never finish (a server that does not answer).
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

/** Waits for `work` to settle, or `ms` at most; true if it settled. Its failure is ignored. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    work.then(() => true, () => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  return settled;
}
