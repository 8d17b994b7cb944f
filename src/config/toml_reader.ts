/**
 * The typed reading of a parsed TOML document: each value checked against what its key expects,
 * with a one-line ConfigError naming the file and key otherwise.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** A TOML table as smol-toml parses it. */
export type Table = Record<string, unknown>;

/** Reads typed values out of `doc` (the whole file), failing with `file` and the key named. */
export class TomlReader {
  constructor(protected readonly doc: Table, protected readonly file: string) {}

  fail(key: string, expected: string, got?: unknown): never {
    const shown = got === undefined ? "" : `, got ${JSON.stringify(got)}`;
    throw new ConfigError(`${this.file}: ${key}: expected ${expected}${shown}`);
  }

  string(table: Table, key: string, where: string, fallback?: string): string {
    const value = table[key];
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(where + key, "a string (the key is required)");
    }
    if (typeof value !== "string") this.fail(where + key, "a string", value);
    return value;
  }

  nonEmpty(table: Table, key: string, where: string, fallback?: string): string {
    const value = this.string(table, key, where, fallback);
    if (value.trim() === "") this.fail(where + key, "a non-empty string", value);
    return value;
  }

  integer(key: string, min: number, max: number, fallback?: number): number {
    const value = this.doc[key];
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(key, `an integer from ${min} to ${max} (the key is required)`);
    }
    const n = typeof value === "bigint" ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, `an integer from ${min} to ${max}`, typeof value === "bigint" ? n : value);
    }
    return n;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.doc[key];
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") this.fail(key, "true or false", value);
    return value;
  }

  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.doc[key] ?? fallback;
    if (typeof value !== "string" || !choices.includes(value.toLowerCase() as T)) {
      this.fail(key, `one of ${choices.map((c) => `"${c}"`).join(", ")}`, value);
    }
    return value.toLowerCase() as T;
  }

  tables(key: string): Table[] {
    const value = this.doc[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "object" || Array.isArray(v))) {
      this.fail(key, `an array of tables ([[${key}]] sections)`);
    }
    return value as Table[];
  }

  /** Bytes: an integer, or a string with a unit ("512kB", "100MB", "1GB"; powers of 1024). */
  size(key: string, fallback: number): number {
    const value = this.doc[key];
    if (value === undefined) return fallback;
    const n = typeof value === "bigint" ? Number(value) : value;
    if (typeof n === "number" && Number.isSafeInteger(n) && n >= 0) return n;
    const match = typeof value === "string" ? /^\s*(\d+)\s*([kMG]?)B?\s*$/i.exec(value) : null;
    if (!match) {
      this.fail(key, 'a size such as "100MB", "512kB" or a number of bytes (0: off)', value);
    }
    const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()]!;
    return Number(match[1]) * unit;
  }

  address(key: string, defaultPort: number, fallback?: string): { host: string; port: number } {
    return this.parseAddress(key, this.nonEmpty(this.doc, key, "", fallback), defaultPort);
  }

  /** An array of `"host:port"` strings; empty when the key is absent. */
  addresses(key: string, defaultPort: number): { host: string; port: number }[] {
    const value = this.doc[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
      this.fail(key, `an array of "host:port" strings, e.g. ["10.0.0.2:${defaultPort}"]`, value);
    }
    return (value as string[]).map((addr) => this.parseAddress(key, addr, defaultPort));
  }

  parseAddress(key: string, addr: string, defaultPort: number): { host: string; port: number } {
    const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(addr.trim());
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (!match || port < 1 || port > 65535) {
      this.fail(key, `"host:port", e.g. "127.0.0.1:${defaultPort}"`, addr);
    }
    return { host: match[1] ?? match[2], port };
  }

  /** A misspelt key would otherwise be ignored silently, so unknown keys are errors. */
  checkKeys(table: Table, known: Set<string>, tolerated: Set<string>, where: string): void {
    for (const key of Object.keys(table)) {
      if (!known.has(key) && !tolerated.has(key)) {
        throw new ConfigError(
          `${this.file}: ${where}unknown key "${key}" (check the spelling; the README lists every key)`,
        );
      }
    }
  }
}
