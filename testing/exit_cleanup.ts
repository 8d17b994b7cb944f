/**
 * Makes sure throwaway servers do not outlive this process: while any runs, process exit, SIGINT
 * and SIGTERM kill them all and remove their temp dirs.
 *
 * @module
 */

/** A running server as the exit hooks see it. */
export interface Tracked {
  killNow(): void;
  dir: string;
}

const live = new Set<Tracked>();
let hooksInstalled = false;
let signalHandlersEnabled = true;

function cleanupSync(): void {
  for (const t of live) {
    try {
      t.killNow();
    } catch {
      // already gone
    }
  }
  for (const t of live) {
    for (let i = 0; i < 5; i++) {
      try {
        Deno.removeSync(t.dir, { recursive: true });
        break;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) break;
      }
    }
  }
  live.clear();
}

function onSignal(signal: "SIGINT" | "SIGTERM"): () => void {
  return () => {
    if (!signalHandlersEnabled) return;
    cleanupSync();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  };
}
const sigintHandler = onSignal("SIGINT");
const sigtermHandler = onSignal("SIGTERM");

/**
 * Leaves SIGINT and SIGTERM to the caller, which then disposes the servers itself (the CLI does,
 * to stop them cleanly); exit still kills what is left.
 */
export function leaveSignalsToCaller(): void {
  signalHandlersEnabled = false;
}

export function track(t: Tracked): void {
  live.add(t);
  if (!hooksInstalled) {
    hooksInstalled = true;
    globalThis.addEventListener("unload", cleanupSync);
    Deno.addSignalListener("SIGINT", sigintHandler);
    Deno.addSignalListener("SIGTERM", sigtermHandler);
  }
}

export function untrack(t: Tracked): void {
  live.delete(t);
  if (live.size === 0 && hooksInstalled) {
    hooksInstalled = false;
    globalThis.removeEventListener("unload", cleanupSync);
    Deno.removeSignalListener("SIGINT", sigintHandler);
    Deno.removeSignalListener("SIGTERM", sigtermHandler);
  }
}
