/**
 * Logging: the Logger that writes human-readable lines to stderr and `data_dir/sync.log`, and the
 * one-line message of anything thrown.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";

/** Severity of a log line; lines below the logger's level are dropped. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Human-readable log lines to stderr and, once a data dir is known, to `data_dir/sync.log`. */
export class Logger {
  #level: LogLevel;
  #file: Deno.FsFile | null = null;
  #encoder = new TextEncoder();
  #quiet: boolean;

  constructor(level: LogLevel = "info", options: { quiet?: boolean } = {}) {
    this.#level = level;
    this.#quiet = options.quiet ?? false;
  }

  /** Starts appending to `path` as well (the seed's `sync.log`). */
  /** Appends to `path` from now on; a folder or file that cannot be written is a UserError. */
  async openFile(path: string): Promise<void> {
    this.close();
    const dir = path.slice(0, path.lastIndexOf("/"));
    try {
      if (dir !== "") await Deno.mkdir(dir, { recursive: true });
      this.#file = await Deno.open(path, { append: true, create: true });
    } catch (err) {
      throw new UserError(
        `cannot write ${path} (${(err as Error).message}); set data_dir to a writable folder`,
      );
    }
  }

  setLevel(level: LogLevel): void {
    this.#level = level;
  }

  debug(message: string): void {
    this.#write("debug", message);
  }
  info(message: string): void {
    this.#write("info", message);
  }
  warn(message: string): void {
    this.#write("warn", message);
  }
  error(message: string): void {
    this.#write("error", message);
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  #write(level: LogLevel, message: string): void {
    if (RANK[level] < RANK[this.#level]) return;
    const stamp = new Date().toISOString().replace("T", " ").replace("Z", "");
    const bytes = this.#encoder.encode(`${stamp} [${level.toUpperCase()}] ${message}\n`);
    if (!this.#quiet) Deno.stderr.writeSync(bytes);
    this.#file?.writeSync(bytes);
  }
}

/** Message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorMessage(err.errors[0]);
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
