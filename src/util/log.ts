/**
 * Logging: the Logger that writes human-readable lines to stderr and `data_dir/sync.log` (rotated
 * by size, see log_file.ts), and the one-line message of anything thrown.
 *
 * @module
 */
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { LogFile, type LogRotation } from "./log_file.ts";

/** Severity of a log line; lines below the logger's level are dropped. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Human-readable log lines to stderr and, once a data dir is known, to `data_dir/sync.log`. */
export class Logger {
  #level: LogLevel;
  #file: LogFile | null = null;
  #encoder = new TextEncoder();
  #quiet: boolean;

  constructor(level: LogLevel = "info", options: { quiet?: boolean } = {}) {
    this.#level = level;
    this.#quiet = options.quiet ?? false;
  }

  /**
   * Appends to `path` from now on, rotating it by size as `rotation` says; a folder or file that
   * cannot be written is a UserError.
   */
  async openFile(
    path: string,
    rotation: LogRotation = {
      logMaxSize: DEFAULT_LOG_MAX_SIZE,
      logMaxFiles: DEFAULT_LOG_MAX_FILES,
    },
  ): Promise<void> {
    this.close();
    try {
      this.#file = await LogFile.open(path, rotation, (message) => this.warn(message));
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
    this.#file?.write(bytes);
  }
}

/** Message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorMessage(err.errors[0]);
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
