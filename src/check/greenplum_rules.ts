/**
 * The Greenplum (and Cloudberry) prerequisites of `check` as pure rules over what the catalog
 * reported: each target table's distribution key against the key its rows are matched by, its
 * storage (append-optimized or heap), and the global deadlock detector against parallel writers.
 *
 * @module
 */
import { qualified, quoteIdent } from "../convert/ident.ts";
import { type Finding, ok, warn } from "./finding.ts";

/** How a table's rows are spread over the segments. */
export type Distribution =
  | { kind: "hash"; columns: readonly string[] }
  | { kind: "random" }
  | { kind: "replicated" };

/** A row of the distribution-policy query: `policy` is `p`, `r` or NULL (GP5). */
export interface PolicyRow {
  policy: string | null;
  columns: readonly string[];
}

/** The distribution a policy row describes; random when there is none or its key is empty. */
export function distributionOf(row: PolicyRow | undefined): Distribution {
  if (row?.policy === "r") return { kind: "replicated" };
  if (!row || row.columns.length === 0) return { kind: "random" };
  return { kind: "hash", columns: row.columns };
}

/** A followed table on the target, as the distribution rule sees it. */
export interface DistributedTable {
  /** `source.table -> schema.table`, as the other target findings name a route. */
  label: string;
  pgSchema: string;
  pgTable: string;
  /** The columns (target names) its rows are matched by; empty when by the whole row. */
  key: readonly string[];
  distribution: Distribution;
}

function columnList(columns: readonly string[]): string {
  return columns.join(", ");
}

/**
 * Every batch deletes the touched keys with `DELETE ... USING` staging (spread like the target):
 * the join stays on each segment only when the distribution key is part of the key joined on.
 */
export function distributionFinding(table: DistributedTable): Finding {
  const { label, key, distribution } = table;
  const name = qualified(table.pgSchema, table.pgTable);
  if (distribution.kind === "replicated") {
    return ok(
      "distribution",
      `${label}: distributed replicated (a full copy on every segment): each batch's DELETE ... ` +
        "USING stays on each segment, and every change is written on every segment",
    );
  }
  if (key.length === 0) {
    const spread = distribution.kind === "hash"
      ? `distributed by (${columnList(distribution.columns)})`
      : "distributed randomly";
    return ok(
      "distribution",
      `${label}: rows matched by their whole value, ${spread}: fine for a table without a key`,
    );
  }
  const fix = `ALTER TABLE ${name} SET DISTRIBUTED BY (${key.map(quoteIdent).join(", ")})`;
  if (distribution.kind === "random") {
    return warn(
      "distribution",
      `${label}: distributed randomly, so every batch's DELETE ... USING on the key ` +
        `(${columnList(key)}) moves rows between segments; distribute it by the key: ${fix}`,
    );
  }
  const outside = distribution.columns.filter((column) => !key.includes(column));
  if (outside.length === 0) {
    return ok(
      "distribution",
      `${label}: distributed by (${columnList(distribution.columns)}), part of the key ` +
        `(${columnList(key)}): each batch's DELETE ... USING stays on each segment`,
    );
  }
  return warn(
    "distribution",
    `${label}: distributed by (${columnList(distribution.columns)}), but ` +
      `${columnList(outside)} ${outside.length === 1 ? "is" : "are"} not in the key ` +
      `(${columnList(key)}) rows are matched by, so every batch's DELETE ... USING moves rows ` +
      `between segments; distribute it by the key: ${fix}`,
  );
}

/** A row of the storage query. */
export interface StorageRow {
  /** The table has a pg_appendonly row. */
  appendOnly: boolean;
  /** `pg_class.reloptions`, e.g. `appendoptimized=true`, `orientation=column`. */
  options: readonly string[];
  /** GP7 and Cloudberry: the table access method (`heap`, `ao_row`, `ao_column`). */
  accessMethod: string | null;
  /** GP5/6: `pg_class.relstorage` (`h` heap, `a` append-optimized rows, `c` columns). */
  storage: string | null;
}

/** How a table is stored. */
export type Storage = "heap" | "ao_row" | "ao_column";

function option(options: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  return options.find((o) => o.toLowerCase().startsWith(prefix))?.slice(prefix.length)
    .toLowerCase();
}

/** Whichever of the catalog's answers says the table is append-optimized, and in which layout. */
export function storageOf(row: StorageRow): Storage {
  const options = row.options;
  const flagged = [option(options, "appendonly"), option(options, "appendoptimized")]
    .some((value) => value === "true" || value === "on" || value === "1");
  const method = row.accessMethod?.toLowerCase();
  const appendOnly = row.appendOnly || flagged || row.storage === "a" || row.storage === "c" ||
    method === "ao_row" || method === "ao_column" || method === "appendoptimized";
  if (!appendOnly) return "heap";
  const columnar = row.storage === "c" || method === "ao_column" ||
    option(options, "orientation") === "column";
  return columnar ? "ao_column" : "ao_row";
}

/** Append-optimized tables take deletes and updates, but always under a table-level lock. */
export function storageFinding(label: string, storage: Storage): Finding | null {
  if (storage === "heap") return null;
  const kind = storage === "ao_column"
    ? "append-optimized, column-oriented"
    : "append-optimized (row-oriented)";
  return ok(
    "append_optimized",
    `${label}: ${kind}: each batch's DELETE and UPDATE lock the whole table (whatever ` +
      "gp_enable_global_deadlock_detector says) and leave dead rows until VACUUM; fine with " +
      "one writer per table, as this sync is, but other writers to it wait for each batch",
  );
}

/**
 * `gp_enable_global_deadlock_detector` (null: the server has no such setting, as before GP6)
 * against `concurrentSize`: with it off, UPDATE and DELETE take table-level EXCLUSIVE locks, so
 * parallel writers never update or delete in one table at once.
 */
export function deadlockDetectorFinding(
  setting: string | null,
  concurrentSize: number,
): Finding {
  const value = setting?.toLowerCase();
  if (value === "on" || value === "true" || value === "1") {
    return ok(
      "deadlock_detector",
      "gp_enable_global_deadlock_detector = on: UPDATE and DELETE on heap tables lock rows, so " +
        "writers to one table (the sync and others) do not wait for each other's whole batches",
    );
  }
  const state = setting === null
    ? "gp_enable_global_deadlock_detector does not exist on this server"
    : `gp_enable_global_deadlock_detector = ${setting}`;
  const locks = "UPDATE and DELETE take a table-level EXCLUSIVE lock, so writers to one table " +
    "take turns";
  if (concurrentSize <= 1) {
    return ok(
      "deadlock_detector",
      `${state}: ${locks}; fine with concurrent_size = 1 (one writer per table)`,
    );
  }
  const turnOn = setting === null
    ? ""
    : "turn it on (gpconfig -c gp_enable_global_deadlock_detector -v on, then gpstop -ar) or ";
  return warn(
    "deadlock_detector",
    `${state}: ${locks}, so concurrent_size = ${concurrentSize} gives no parallel UPDATE or ` +
      `DELETE on one table (only the COPY into staging runs in parallel); ${turnOn}set ` +
      "concurrent_size = 1 and save the extra connections",
  );
}
