/**
 * Shows a running snapshot's progress: on a terminal a bar per table being loaded, redrawn in place
 * below the log lines; elsewhere (a pipe, a service's log) a log line per table every few seconds.
 *
 * @module
 */
import { Logger, type LogLevel } from "../util/log.ts";
import { type LoadProgress, progressBar, progressLine } from "./progress.ts";

/** Shows a load's progress from `start` until `stop`. */
export interface ProgressView {
  start(progress: LoadProgress): void;
  stop(): void;
}

/** No progress shown (library use, tests). */
export const NO_PROGRESS: ProgressView = { start() {}, stop() {} };

/** A log line per table being loaded, every `everyMs`. */
export class LogProgressView implements ProgressView {
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly log: Logger, private readonly everyMs: number) {}

  start(progress: LoadProgress): void {
    this.#timer = setInterval(() => {
      const now = performance.now();
      for (const table of progress.active()) this.log.info(`progress: ${progressLine(table, now)}`);
    }, this.everyMs);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** How often the bars are redrawn. */
const REDRAW_MS = 250;

/**
 * Bars for the tables being loaded, on the last lines of the terminal. Log lines must go through
 * {@link BarLogger} so they are written above the bars instead of through them.
 */
export class TerminalProgressView implements ProgressView {
  #timer: ReturnType<typeof setInterval> | null = null;
  #progress: LoadProgress | null = null;
  /** Lines drawn last time (the cursor is on the line below them). */
  #drawn = 0;
  readonly #encoder = new TextEncoder();

  constructor(private readonly terminal: { writeSync(bytes: Uint8Array): number } = Deno.stderr) {}

  start(progress: LoadProgress): void {
    this.#progress = progress;
    this.#timer = setInterval(() => this.draw(), REDRAW_MS);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.clear();
    this.#progress = null;
  }

  /** Removes the bars (before a log line is written). */
  clear(): void {
    if (this.#drawn === 0) return;
    // Up to the first bar, then erase to the end of the screen
    this.#write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  /** Draws the bars again, in place of the last ones. */
  draw(): void {
    if (this.#progress === null) return;
    const width = this.#columns();
    const now = performance.now();
    // Each bar is cut to the width: a wrapped line would break the count of lines to go up
    const lines = this.#progress.active().map((table) => progressBar(table, width - 1, now));
    this.clear();
    if (lines.length === 0) return;
    this.#write(lines.map((line) => `${line}\n`).join(""));
    this.#drawn = lines.length;
  }

  /** The terminal's width; 80 when it has none (some pseudo-terminals report 0). */
  #columns(): number {
    try {
      return Deno.consoleSize().columns || 80;
    } catch {
      return 80;
    }
  }

  #write(text: string): void {
    this.terminal.writeSync(this.#encoder.encode(text));
  }
}

/** A Logger whose lines appear above the progress bars rather than inside them. */
export class BarLogger extends Logger {
  constructor(level: LogLevel, private readonly bars: TerminalProgressView) {
    super(level);
  }

  override debug(message: string): void {
    this.#above(() => super.debug(message));
  }
  override info(message: string): void {
    this.#above(() => super.info(message));
  }
  override warn(message: string): void {
    this.#above(() => super.warn(message));
  }
  override error(message: string): void {
    this.#above(() => super.error(message));
  }

  #above(write: () => void): void {
    this.bars.clear();
    write();
    this.bars.draw();
  }
}
