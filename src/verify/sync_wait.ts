/**
 * Waiting for a running sync to pass a source position, so that verify compares a row only after
 * every change the source had made to it when it was read has been applied.
 *
 * @module
 */
import { type BinlogPosition, comparePositions, formatPosition } from "../offsets/position.ts";
import type { PositionStore } from "../sink/position_store.ts";
import type { Sql } from "../sink/postgres.ts";

/** How often the applied position is read while waiting. */
const POLL_MS = 50;

/**
 * A position that has not moved for this long is taken as a sync that is not running (or has
 * nothing to apply: a rotation to a new binlog file moves the source's position without any
 * transaction the sync would store).
 */
const STALL_MS = 5_000;

export class SyncWaiter {
  /** The applied position last found standing still; no waiting while it stays there. */
  #stalledAt: BinlogPosition | null = null;
  /** Why waits ended short: the first of each reason (verify reports them). */
  readonly notes = new Map<"stalled" | "timeout", string>();

  constructor(
    private readonly sql: Sql,
    private readonly store: PositionStore,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Waits until the applied position in PostgreSQL is at or past `position`. False when there is
   * no applied position, it does not move, or the timeout passes: the caller then compares what
   * it has.
   */
  async reach(position: BinlogPosition, timeoutMs = this.timeoutMs): Promise<boolean> {
    let applied = await this.store.read(this.sql);
    if (applied === null) return false;
    if (comparePositions(applied, position) >= 0) return true;
    if (this.#stalledAt !== null && comparePositions(applied, this.#stalledAt) === 0) return false;
    const deadline = Date.now() + timeoutMs;
    let movedAt = Date.now();
    let last: BinlogPosition = applied;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      applied = await this.store.read(this.sql);
      if (applied === null) return false;
      if (comparePositions(applied, position) >= 0) {
        this.#stalledAt = null;
        return true;
      }
      if (comparePositions(applied, last) !== 0) {
        last = applied;
        movedAt = Date.now();
      } else if (Date.now() - movedAt >= STALL_MS) {
        this.#stalledAt = applied;
        this.#note(
          "stalled",
          `the sync's applied position stays at ${formatPosition(applied)} (source at ` +
            `${formatPosition(position)}): is "mysql-gp-sync run" running? Changes it has not ` +
            `applied yet show up as differences`,
        );
        return false;
      }
    }
    this.#note(
      "timeout",
      `the sync did not reach ${formatPosition(position)} within ${timeoutMs / 1000} s ` +
        `(it applied up to ${
          formatPosition(last)
        }); changes it has not applied yet show up as differences`,
    );
    return false;
  }

  #note(reason: "stalled" | "timeout", text: string): void {
    if (!this.notes.has(reason)) this.notes.set(reason, text);
  }
}
