/**
 * The load positions of keyless tables (`RowsAsOf`), recorded with the position `run` starts
 * from: a keyless table is loaded in one consistent read, and where that read is later than the
 * start, `run` must skip the changes it already holds (replaying them would count them twice).
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { type BinlogPosition, comparePositions } from "../offsets/position.ts";
import type { Queryable } from "../sink/postgres.ts";
import { RowsAsOf } from "../sink/rows_as_of.ts";
import { sourceName } from "../tables/followed.ts";
import type { TableLoad } from "./parallel_load.ts";

/**
 * Records, in the transaction `tx` that stores the start position `start`, where each loaded
 * keyless table's rows are as of when that is later than `start`; forgets any earlier record of
 * the other loaded tables.
 */
export async function recordLoadPositions(
  tx: Queryable,
  config: Config,
  tables: readonly TableLoad[],
  start: BinlogPosition,
): Promise<void> {
  const store = new RowsAsOf(config.positionSchema, config.syncId);
  await store.ensure(tx);
  for (const table of tables) {
    let loadedAt: BinlogPosition | null = null;
    if (table.codec.route.identity.kind === "whole-row") {
      for (const chunk of table.done) {
        if (comparePositions(chunk.position, loadedAt ?? start) > 0) loadedAt = chunk.position;
      }
    }
    await store.set(tx, sourceName(table.codec.route), loadedAt);
  }
}
