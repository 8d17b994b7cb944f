/**
 * Notice of a lost PostgreSQL connection, so that a session never waits on a dead one: postgres.js
 * 3.4.9 leaves queries sent on a reserved connection after its socket closed unsettled forever, or
 * throws an uncatchable TypeError from a deferred write (porsager/postgres #1154, #1208). A
 * {@link ConnectionWatch} turns its `onclose` callback, and that TypeError, into one rejection to
 * race against.
 *
 * @module
 */

/** Watches every connection of one session's clients; the first loss rejects {@link lost}. */
export class ConnectionWatch {
  /** Rejects with the loss once a connection has closed; never resolves. */
  readonly lost: Promise<never>;
  /** Aborted at the loss, for loops that poll rather than await. */
  readonly signal: AbortSignal;
  #error: Error | null = null;
  #reject!: (err: Error) => void;
  readonly #abort = new AbortController();
  #closing = false;

  /** `where` names the server and the setting, as in "PostgreSQL at host:port (pg_host ...)". */
  constructor(private readonly where: string) {
    this.lost = new Promise<never>((_, reject) => this.#reject = reject);
    this.lost.catch(() => {});
    this.signal = this.#abort.signal;
    watching.add(this);
    installWriteAfterCloseGuard();
  }

  /** The loss, or null while every connection lives. */
  get error(): Error | null {
    return this.#error;
  }

  /** For postgres.js's `onclose`: a connection closed (unless the session is closing it). */
  readonly closed = (): void => {
    this.lose();
  };

  /** Settles as `work` does, or rejects with the loss as soon as a connection is lost. */
  guard<T>(work: Promise<T>): Promise<T> {
    return this.#error ? Promise.reject(this.#error) : Promise.race([work, this.lost]);
  }

  /** The session closes its clients itself from now on: their closing is no loss. */
  dispose(): void {
    this.#closing = true;
    watching.delete(this);
  }

  /** Records the loss (the first one counts); `how` adds what was seen. */
  lose(how = ""): void {
    if (this.#closing || this.#error) return;
    this.#error = new Error(`lost the connection to ${this.where}${how}`);
    this.#reject(this.#error);
    this.#abort.abort(this.#error);
  }
}

const watching = new Set<ConnectionWatch>();
let guardInstalled = false;

/**
 * Keeps postgres.js's TypeError from a deferred write on a closed connection (`nextWrite`,
 * "Cannot read properties of null (reading 'write')") from ending the process: it becomes the loss
 * of every watched session. Nothing else is touched; any other uncaught error stays fatal.
 */
function installWriteAfterCloseGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  globalThis.addEventListener("error", (event) => {
    if (!isWriteAfterClose(event.error)) return;
    event.preventDefault();
    for (const watch of watching) watch.lose(" (a statement went to a closed connection)");
  });
}

/** True only for postgres.js's write on a socket it has already dropped. */
export function isWriteAfterClose(err: unknown): boolean {
  if (!(err instanceof TypeError)) return false;
  if (err.message !== "Cannot read properties of null (reading 'write')") return false;
  const frame = err.stack?.split("\n")[1] ?? "";
  return /\bnextWrite\b/.test(frame) && /[\\/]postgres[\\/]/.test(frame);
}
