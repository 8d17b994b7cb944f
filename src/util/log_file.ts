/**
 * `sync.log` kept to a size: lines are appended, and when the next one would take the file past
 * `log_max_size` it is rotated to `sync.log.1` ... `sync.log.N` (`log_max_files`), oldest dropped.
 *
 * @module
 */
import type { Config } from "../config/config.ts";

/** The two config keys rotation needs (a whole Config fits). */
export type LogRotation = Pick<Config, "logMaxSize" | "logMaxFiles">;

/** After a failed rotation, the next attempt waits this long instead of retrying on every line. */
const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * An append-only log file that rotates by size. Rotation copies the file to `.1` and truncates it
 * in place (the way logrotate's copytruncate does) rather than renaming it: start.sh appends the
 * process's stderr to the same file through a descriptor of its own, and `verify` may log there
 * too, and both keep writing to `sync.log` only if it stays the same file. Every writer opens it
 * with O_APPEND, so after the truncation each writes at the new end, leaving no hole. The copy
 * and the truncation run synchronously on the only thread that logs, so no line of this process
 * falls between them.
 */
export class LogFile {
  #retryAt = 0;

  private constructor(
    readonly path: string,
    private readonly file: Deno.FsFile,
    private readonly rotation: LogRotation,
    private readonly onRotateError: (message: string) => void,
  ) {}

  /** Opens `path` for appending (its folder created); throws what the file system says. */
  static async open(
    path: string,
    rotation: LogRotation,
    onRotateError: (message: string) => void,
  ): Promise<LogFile> {
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (dir !== "") await Deno.mkdir(dir, { recursive: true });
    const file = await Deno.open(path, { append: true, create: true });
    return new LogFile(path, file, rotation, onRotateError);
  }

  /** Appends `bytes`, rotating first when they would take the file past the size limit. */
  write(bytes: Uint8Array): void {
    const max = this.rotation.logMaxSize;
    if (max > 0 && Date.now() >= this.#retryAt) {
      // The file's own size, not a count of our bytes: other writers append to it as well.
      const size = this.file.statSync().size;
      if (size > 0 && size + bytes.length > max) this.#rotate();
    }
    this.file.writeSync(bytes);
  }

  close(): void {
    this.file.close();
  }

  #rotate(): void {
    const keep = this.rotation.logMaxFiles;
    try {
      this.#removeOlderThan(keep);
      for (let n = keep - 1; n >= 1; n--) {
        renameIfPresent(`${this.path}.${n}`, `${this.path}.${n + 1}`);
      }
      if (keep > 0) Deno.copyFileSync(this.path, `${this.path}.1`);
      this.file.truncateSync(0);
    } catch (err) {
      this.#retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
      this.onRotateError(
        `cannot rotate ${this.path} (${(err as Error).message}), so it grows past log_max_size; ` +
          `free space in its folder or let this user write there (or set log_max_size = 0 and ` +
          `rotate it with logrotate)`,
      );
    }
  }

  /** Removes `path.N` for N above `keep` (left over from a larger log_max_files). */
  #removeOlderThan(keep: number): void {
    const slash = this.path.lastIndexOf("/");
    const dir = slash < 0 ? "." : this.path.slice(0, slash) || "/";
    const base = this.path.slice(slash + 1);
    for (const entry of Deno.readDirSync(dir)) {
      const suffix = entry.name.startsWith(`${base}.`) ? entry.name.slice(base.length + 1) : "";
      if (/^\d+$/.test(suffix) && Number(suffix) > keep) {
        Deno.removeSync(`${dir}/${entry.name}`);
      }
    }
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}
