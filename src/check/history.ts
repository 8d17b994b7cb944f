/**
 * What `check` says of the schema history: whether it is started, which followed tables it
 * covers, and its newest version; a pure rule over what the probe in target.ts read.
 *
 * @module
 */
import { formatPosition } from "../offsets/position.ts";
import type { HistoryState } from "../sink/schema_store.ts";
import { type Finding, ok, warn } from "./finding.ts";

const NAME = "schema_history";

/**
 * The finding for `state` (the history kept in `store`), given the followed tables
 * (`schema.table`) and whether a position is saved (a sync that ran before this version).
 */
export function historyFinding(
  state: HistoryState,
  followed: readonly string[],
  store: string,
  positionSaved: boolean,
): Finding {
  const seeding = "run starts it from the catalog at its start position; without " +
    "binlog_row_metadata = FULL it refuses to do so at a position the binlog has moved past " +
    '(load with "mysql-gp-sync snapshot", which starts it, or set schema_history_seed = "catalog")';
  if (state.newest === null) {
    const none = `no schema history yet in ${store}`;
    return positionSaved ? warn(NAME, `${none}: ${seeding}`) : ok(NAME, `${none}: ${seeding}`);
  }
  const known = new Set(state.tables);
  const missing = followed.filter((name) => !known.has(name));
  const newest = `newest version at ${formatPosition(state.newest.position)} (${
    state.newest.origin === "ddl" ? "DDL on" : `${state.newest.origin} seed of`
  } ${state.newest.table})`;
  const covered = `schema history of ${state.tables.length} table(s) in ${store}, ${newest}`;
  if (missing.length === 0) return ok(NAME, covered);
  const shown = missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", ..." : "");
  return warn(
    NAME,
    `${covered}; none yet of ${missing.length} followed table(s) (${shown}): ${seeding}`,
  );
}
