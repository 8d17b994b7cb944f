/**
 * The counters a running sync keeps and the status report, metrics and statsd read.
 *
 * @module
 */
import type { GtidState } from "../offsets/gtid.ts";
import type { BinlogPosition } from "../offsets/position.ts";

/** Source row changes by kind. */
export interface OpCounts {
  insert: number;
  update: number;
  delete: number;
}

/** The last DDL statement applied to a table. */
export interface TableDdl {
  /** Where reading resumed after it. */
  position: BinlogPosition;
  statement: string;
  /** What was done on the target. */
  outcome: string;
  /** When it was applied (ms since epoch). */
  appliedAt: number;
}

/** Counters a running sync keeps; read by logs and status. */
export interface SyncStats {
  appliedPosition: BinlogPosition | null;
  /** GTID state of everything applied; null when not known. */
  appliedGtids: GtidState | null;
  /** `host:port` of the server being followed (a member of the group after a failover). */
  sourceServer: string | null;
  appliedAt: number;
  /** Source commit time of the newest applied transaction (ms since epoch). */
  appliedSourceTime: number;
  rowsApplied: number;
  transactionsApplied: number;
  batchesApplied: number;
  perTable: Map<string, number>;
  /** Source row changes applied per table (`schema.table`), by kind. */
  perTableOps: Map<string, OpCounts>;
  /** The last DDL applied to each source table (`schema.table`), in this run or before. */
  lastDdl: Map<string, TableDdl>;
  /** The error the sync is retrying after; null once a batch has gone through since. */
  lastError: string | null;
  /** When the newest error happened (ms since epoch; 0 if none): kept after recovery. */
  lastErrorAt: number;
  /** The newest error recovered from, and when a batch first went through after it. */
  previousError: string | null;
  recoveredAt: number;
  valuesAltered: number;
  /** Last time anything, a heartbeat included, came from the source (ms since epoch). */
  sourceAliveAt: number;
  /** Newest position read from the binlog (may be ahead of the applied one). */
  readPosition: BinlogPosition | null;
  /** Connection losses recovered from since start. */
  reconnects: number;
  /**
   * The source tables (`schema.table`) whose changes are applied, as of the reader's last start
   * (which a DDL statement changing them restarts): patterns resolved, tables created later in.
   */
  followed: string[];
}

export function newStats(): SyncStats {
  return {
    appliedPosition: null,
    appliedGtids: null,
    sourceServer: null,
    appliedAt: 0,
    appliedSourceTime: 0,
    rowsApplied: 0,
    transactionsApplied: 0,
    batchesApplied: 0,
    perTable: new Map(),
    perTableOps: new Map(),
    lastDdl: new Map(),
    lastError: null,
    lastErrorAt: 0,
    previousError: null,
    recoveredAt: 0,
    valuesAltered: 0,
    sourceAliveAt: 0,
    readPosition: null,
    reconnects: 0,
    followed: [],
  };
}

/** Records the error a session ended with (the sync retries after it). */
export function noteError(stats: SyncStats, message: string, now = Date.now()): void {
  stats.lastError = message;
  stats.lastErrorAt = now;
  stats.recoveredAt = 0;
}

/** A batch went through: an error being retried is over (it stays in `previousError`). */
export function noteApplied(stats: SyncStats, now = Date.now()): void {
  if (stats.lastError === null) return;
  stats.previousError = stats.lastError;
  stats.lastError = null;
  stats.recoveredAt = now;
}
