/**
 * The counters a running sync keeps and the status report, metrics and statsd read.
 *
 * @module
 */
import type { BinlogPosition } from "../offsets/position.ts";

/** Source row changes by kind. */
export interface OpCounts {
  insert: number;
  update: number;
  delete: number;
}

/** Counters a running sync keeps; read by logs and status. */
export interface SyncStats {
  appliedPosition: BinlogPosition | null;
  appliedAt: number;
  /** Source commit time of the newest applied transaction (ms since epoch). */
  appliedSourceTime: number;
  rowsApplied: number;
  transactionsApplied: number;
  batchesApplied: number;
  perTable: Map<string, number>;
  /** Source row changes applied per table (`schema.table`), by kind. */
  perTableOps: Map<string, OpCounts>;
  lastError: string | null;
  valuesAltered: number;
  /** Last time anything, a heartbeat included, came from the source (ms since epoch). */
  sourceAliveAt: number;
  /** Newest position read from the binlog (may be ahead of the applied one). */
  readPosition: BinlogPosition | null;
  /** Connection losses recovered from since start. */
  reconnects: number;
}

export function newStats(): SyncStats {
  return {
    appliedPosition: null,
    appliedAt: 0,
    appliedSourceTime: 0,
    rowsApplied: 0,
    transactionsApplied: 0,
    batchesApplied: 0,
    perTable: new Map(),
    perTableOps: new Map(),
    lastError: null,
    valuesAltered: 0,
    sourceAliveAt: 0,
    readPosition: null,
    reconnects: 0,
  };
}
