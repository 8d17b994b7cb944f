/**
 * Says so when PostgreSQL keeps the sync waiting: a WARN once an apply has waited past a
 * threshold, again each time the wait has doubled, naming what it waits for, as the reader does
 * for a silent MySQL.
 *
 * @module
 */
import type { Logger } from "../util/log.ts";

/** An apply that has waited this long for PostgreSQL is logged. */
export const STALL_WARN_MS = 30_000;
/** How often the wait is looked at. */
const CHECK_EVERY_MS = 1_000;

/**
 * Watches one wait at a time (`begin` ... `end`). Starting and ending a wait only sets fields:
 * a timer looks at them once a second, so the cost per batch stays nil.
 */
export class StallWarning {
  #since = 0;
  #what: string | (() => string) | null = null;
  #warnAfter = STALL_WARN_MS;
  readonly #timer: ReturnType<typeof setInterval>;

  /** `where` names the server, as "PostgreSQL at host:port (pg_host/pg_port in FILE)". */
  constructor(
    private readonly log: Pick<Logger, "warn">,
    private readonly where: string,
    private readonly thresholdMs = STALL_WARN_MS,
    checkEveryMs = CHECK_EVERY_MS,
  ) {
    this.#timer = setInterval(() => this.check(), checkEveryMs);
  }

  /**
   * A wait starts; `what` says what for ("applying a batch of ..."; a function is called only to
   * warn).
   */
  begin(what: string | (() => string), now = Date.now()): void {
    this.#since = now;
    this.#what = what;
    this.#warnAfter = this.thresholdMs;
  }

  /** The wait is over. */
  end(): void {
    this.#what = null;
  }

  /** Warns if the current wait has passed its next threshold (the timer calls this). */
  check(now = Date.now()): void {
    if (this.#what === null) return;
    const waited = now - this.#since;
    if (waited < this.#warnAfter) return;
    this.#warnAfter *= 2;
    const what = typeof this.#what === "string" ? this.#what : this.#what();
    this.log.warn(
      `waited ${Math.floor(waited / 1000)}s for ${this.where} while ${what}; still waiting ` +
        `(a lock held by another session? see pg_locks and pg_stat_activity there)`,
    );
  }

  /** Stops the timer. */
  close(): void {
    clearInterval(this.#timer);
  }
}
