/**
 * A server's GTIDs, as the sync needs them to resume by GTID and to judge a member of the
 * replication group: whether it writes GTIDs at all, what its binlog holds and what it purged,
 * whether it is a primary, and the GTID state at a binlog position. MariaDB always writes GTIDs;
 * MySQL when `gtid_mode = ON`.
 *
 * @module
 */
import { type GtidFlavor, GtidState } from "../offsets/gtid.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import { binlogFiles } from "./binlog_status.ts";
import { isMariaDb, type SourceConnection } from "./mysql.ts";

/** What a server says about its GTIDs and its role. */
export interface ServerGtids {
  flavor: GtidFlavor;
  /** Whether its binlog carries GTIDs a replica can resume from. */
  enabled: boolean;
  /** The setting behind `enabled`, for messages (`gtid_mode = OFF`; MariaDB: `always on`). */
  mode: string;
  /** What its binlog holds: MariaDB's `gtid_binlog_state`, MySQL's `gtid_executed`. */
  binlog: GtidState;
  /**
   * What it no longer has in its binlog: MariaDB's GTID state at the start of its oldest binlog,
   * MySQL's `gtid_purged`.
   */
  purged: GtidState;
  /** `read_only` (or MySQL's `super_read_only`) is on: a replica, or a demoted primary. */
  readOnly: boolean;
}

/** One row of a query, by column name. */
type Row = Record<string, unknown>;

async function firstRow(connection: SourceConnection, sql: string): Promise<Row> {
  const [rows] = await connection.query(sql);
  return (rows as Row[])[0] ?? {};
}

function text(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Whether a global boolean read as 1/0, ON/OFF or a number is on. */
function isOn(value: unknown): boolean {
  return /^(1|on|true)$/i.test(text(value).trim());
}

/** The queries that tell a MySQL server's GTIDs and role, in one round trip. */
export const MYSQL_GTID_QUERY = "SELECT @@GLOBAL.gtid_mode AS mode, " +
  "@@GLOBAL.gtid_executed AS executed, @@GLOBAL.gtid_purged AS purged, " +
  "@@GLOBAL.read_only AS ro, @@GLOBAL.super_read_only AS super_ro";
/** The same for MariaDB (no `super_read_only`, no `gtid_purged`). */
export const MARIADB_GTID_QUERY =
  "SELECT @@GLOBAL.gtid_binlog_state AS state, @@GLOBAL.read_only AS ro";

/** Reads the server's GTIDs and role. Throws when it cannot be asked. */
export async function serverGtids(connection: SourceConnection): Promise<ServerGtids> {
  if (await isMariaDb(connection)) {
    const row = await firstRow(connection, MARIADB_GTID_QUERY);
    const files = await binlogFiles(connection);
    const purged = files.length === 0
      ? GtidState.empty("mariadb")
      : await gtidStateAt(connection, { file: files[0].name, pos: 4 }, "mariadb") ??
        GtidState.empty("mariadb");
    return {
      flavor: "mariadb",
      enabled: true,
      mode: "always on (MariaDB)",
      binlog: GtidState.parse(text(row.state), "mariadb", true),
      purged,
      readOnly: isOn(row.ro),
    };
  }
  const row = await firstRow(connection, MYSQL_GTID_QUERY);
  const mode = text(row.mode).toUpperCase();
  return {
    flavor: "mysql",
    enabled: mode === "ON",
    mode: `gtid_mode = ${mode || "unknown"}`,
    binlog: GtidState.parse(text(row.executed), "mysql"),
    purged: GtidState.parse(text(row.purged), "mysql"),
    readOnly: isOn(row.ro) || isOn(row.super_ro),
  };
}

/**
 * The GTID state of everything before `position` in the server's binlog: MariaDB computes it
 * (`BINLOG_GTID_POS`); MySQL cannot, so null there (as when the file is gone or the offset is
 * not where an event starts).
 */
export async function gtidStateAt(
  connection: SourceConnection,
  position: BinlogPosition,
  flavor: GtidFlavor,
): Promise<GtidState | null> {
  if (flavor === "mysql") return null;
  const [rows] = await connection.query("SELECT BINLOG_GTID_POS(?, ?) AS state", [
    position.file,
    position.pos,
  ]);
  const state = (rows as Row[])[0]?.state;
  if (state === null || state === undefined) return null;
  try {
    return GtidState.parse(text(state), "mariadb");
  } catch (err) {
    throw new Error(`BINLOG_GTID_POS at ${formatPosition(position)}: ${(err as Error).message}`);
  }
}

/** MySQL's executed GTID set now (under a read lock: the state of a consistent read). */
export async function executedGtids(connection: SourceConnection): Promise<GtidState | null> {
  const row = await firstRow(
    connection,
    "SELECT @@GLOBAL.gtid_mode AS mode, @@GLOBAL.gtid_executed AS executed",
  );
  if (text(row.mode).toUpperCase() !== "ON") return null;
  return GtidState.parse(text(row.executed), "mysql");
}

/** Whether `read_only` (or MySQL's `super_read_only`) is on now: the server is no primary. */
export async function isReadOnly(connection: SourceConnection): Promise<boolean> {
  const [rows] = await connection.query(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'super_read_only')",
  );
  return (rows as { Value: string }[]).some((row) => isOn(row.Value));
}
