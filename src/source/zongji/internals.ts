/**
 * The zongji internals our decoding relies on beyond zongji's declarations, and what happens when
 * one is not where zongji 0.9 has it. Each is checked where it is used; a missing one is logged
 * once with what doing without it costs, and the slower path is taken where it still decodes
 * right. The fields nothing decodes right without stop the reader instead (`FatalError`).
 *
 * @module
 */
import { FatalError } from "../../config/errors.ts";
import type { Logger } from "../../util/log.ts";

/** Notes that zongji 0.9's internal `internal` was not found, and what doing without it costs. */
export type MissingInternal = (internal: string, cost: string) => void;

/** Internals already logged: a sync reconnects with a new reader, which would find them again. */
const logged = new Set<string>();

/** A `MissingInternal` that warns in `log` once per process and internal; silent without a log. */
export function logMissingInternal(log: Pick<Logger, "warn"> | undefined): MissingInternal {
  return (internal, cost) => {
    if (!log || logged.has(internal)) return;
    logged.add(internal);
    log.warn(`zongji 0.9 internal ${internal} not found: ${cost}`);
  };
}

/**
 * Checks the fields of a new ZongJi instance that the patches and the reader read: throws
 * FatalError for those rows cannot be decoded right without, reports the others.
 */
export function checkZongJiFields(zongji: object, report: MissingInternal): void {
  const fields = zongji as Record<string, unknown>;
  if (typeof fields.tableMap !== "object" || fields.tableMap === null) {
    throw missingFatal("ZongJi.tableMap", "no table's rows can be read");
  }
  if (typeof fields.isMariaDb !== "boolean") {
    throw missingFatal(
      "ZongJi.isMariaDb",
      "the charsets zongji deals wrongly on MariaDB could not be repaired, so text could be " +
        "decoded in the wrong charset",
    );
  }
  const options = fields.options as { filename?: unknown } | undefined;
  if (typeof options !== "object" || options === null || !("filename" in options)) {
    report(
      "ZongJi.options.filename",
      "the binlog file name is followed through rotate events only",
    );
  }
}

/** The error for a missing internal that rows cannot be decoded right without. */
export function missingFatal(internal: string, cost: string): FatalError {
  return new FatalError(
    `zongji 0.9 internal ${internal} not found: ${cost}; ` +
      `this sync needs @vlasky/zongji 0.9 (see deno.json)`,
  );
}
