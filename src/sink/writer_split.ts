/**
 * Whether a batch's staged rows are split among the parallel writers (`concurrent_size` > 1) or
 * COPYed by the committing session alone: decided by measurement, per target kind. Pure: the
 * writer tells it each batch's rows and apply time, it answers how to apply the next.
 *
 * Why measure: splitting pays only where one connection's COPY is the bottleneck. Through
 * Greenplum's single master six parallel COPYs into shared staging took 40-230 ms each and
 * updates ran at 20,000 rows/s against 46,000 with one writer (DESIGN.md section 9); on
 * PostgreSQL (the bench, loopback and 2 ms round trips) a split batch took 15-60% longer per
 * staged row than one writer's. So every target starts with one writer and tries splitting after
 * a while (Greenplum later: a tried batch costs more there), keeps splitting only while it is
 * measurably faster per staged row, and tries the other way again, ever less often while the
 * choice holds. A try costs {@link SAMPLES} batches.
 *
 * @module
 */

/** How a batch's staged rows go in: by the committing session, or split among the writers. */
export type WriterMode = "one" | "split";

/** Below this many staged rows per writer a batch is not split, nor counted as a sample. */
export const MIN_ROWS_PER_WRITER = 256;
/** Batches of each mode compared (the median counts: one slow batch does not decide). */
export const SAMPLES = 3;
/** Splitting must take this much less time per row than one writer to be chosen. */
export const MARGIN = 0.1;
/** Batches (of at least the smallest split size) with one writer before splitting is first tried. */
export const FIRST_TRY: Record<TargetKind, number> = { postgres: 16, greenplum: 64 };
/** Batches of the chosen mode before the other is tried again; doubled while the choice holds. */
export const FIRST_RECHECK = 64;
export const MAX_RECHECK = 4096;

/** The target kinds the policy tells apart. */
export type TargetKind = "postgres" | "greenplum";

export class WriterSplit {
  /** The mode chosen, used between checks. */
  #chosen: WriterMode = "one";
  /** Batches left to apply the other way, to measure it, before choosing again. */
  #trying = 0;
  /** Milliseconds per staged row of the latest batches of each mode, latest last. */
  readonly #costs: Record<WriterMode, number[]> = { one: [], split: [] };
  /** Whether a choice was made by measurement yet (the first one is logged even if unchanged). */
  #measured = false;
  #recheckEvery = FIRST_RECHECK;
  #untilRecheck: number;

  constructor(readonly writers: number, readonly target: TargetKind) {
    this.#untilRecheck = FIRST_TRY[target];
  }

  /** The smallest batch (staged rows) that may be split. */
  get minRows(): number {
    return this.writers * MIN_ROWS_PER_WRITER;
  }

  /** How the policy starts, for the log. */
  describe(): string {
    const on = this.target === "greenplum" ? " on Greenplum" : "";
    return `concurrent_size = ${this.writers}${on}: one writer to begin with; a batch of at ` +
      `least ${this.minRows} staged rows is split among ${this.writers} writers only while that ` +
      `is measured at least ${MARGIN * 100}% faster per row than one writer, first tried after ` +
      `${FIRST_TRY[this.target]} such batches`;
  }

  /** How to apply a batch of `rows` staged rows. */
  choose(rows: number): WriterMode {
    if (this.writers < 2 || rows < this.minRows) return "one";
    return this.#trying > 0 ? this.#other() : this.#chosen;
  }

  /**
   * Notes that a batch of `rows` staged rows, applied as `mode`, took `ms`. Returns a message
   * when the first choice by measurement is made, and whenever the choice changes.
   */
  record(mode: WriterMode, rows: number, ms: number): string | null {
    if (this.writers < 2 || rows < this.minRows) return null;
    const costs = this.#costs[mode];
    costs.push(ms / rows);
    if (costs.length > SAMPLES) costs.shift();
    if (this.#trying > 0) return --this.#trying === 0 ? this.#choose() : null;
    if (--this.#untilRecheck <= 0) {
      // Fresh figures of the other mode; the chosen one's are its latest batches.
      this.#costs[this.#other()] = [];
      this.#trying = SAMPLES;
    }
    return null;
  }

  #other(): WriterMode {
    return this.#chosen === "one" ? "split" : "one";
  }

  #choose(): string | null {
    const one = median(this.#costs.one);
    const split = median(this.#costs.split);
    const next: WriterMode = split <= one * (1 - MARGIN) ? "split" : "one";
    const changed = next !== this.#chosen;
    const first = !this.#measured;
    this.#chosen = next;
    this.#measured = true;
    this.#recheckEvery = changed ? FIRST_RECHECK : Math.min(MAX_RECHECK, this.#recheckEvery * 2);
    this.#untilRecheck = this.#recheckEvery;
    if (!changed && !first) return null;
    const perRow = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;
    return next === "split"
      ? `writers: splitting staged rows among ${this.writers} writers, measured ` +
        `${perRow(split)} per row against ${perRow(one)} with one`
      : `writers: one writer, measured ${perRow(one)} per staged row against ${
        perRow(split)
      } split among ${this.writers}`;
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
