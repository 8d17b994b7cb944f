/**
 * The source's replication state: where it writes its binlog now, which binlog files it still has
 * (what `status` measures lag against, what `check` compares a saved position with), and the
 * replicas registered with it (whose server ids a sync must not take).
 *
 * @module
 */
import { type BinlogPosition, comparePositions } from "../offsets/position.ts";
import type { SourceConnection } from "./mysql.ts";

/** A binlog file the source still holds. */
export interface BinlogFile {
  name: string;
  /** Bytes written to it so far. */
  size: number;
}

/** MySQL's "You have an error in your SQL syntax": the statement does not exist on this server. */
const ER_PARSE_ERROR = 1064;

/**
 * The position the source writes next (`SHOW MASTER STATUS`); null when binary logging is off.
 * MySQL 8.4 dropped that statement for `SHOW BINARY LOG STATUS`, which older servers lack.
 */
export async function sourceHead(connection: SourceConnection): Promise<BinlogPosition | null> {
  let rows: unknown;
  try {
    [rows] = await connection.query("SHOW MASTER STATUS");
  } catch (err) {
    if ((err as { errno?: number }).errno !== ER_PARSE_ERROR) throw err;
    [rows] = await connection.query("SHOW BINARY LOG STATUS");
  }
  const row = (rows as { File: string; Position: number | string }[])[0];
  return row ? { file: row.File, pos: Number(row.Position) } : null;
}

/** The binlog files the source still has, oldest first (`SHOW BINARY LOGS`). */
export async function binlogFiles(connection: SourceConnection): Promise<BinlogFile[]> {
  const [rows] = await connection.query("SHOW BINARY LOGS");
  return (rows as { Log_name: string; File_size: number | string }[]).map((r) => ({
    name: r.Log_name,
    size: Number(r.File_size),
  }));
}

/**
 * Bytes of binlog between `applied` and `head`: 0 when caught up, null when it cannot be known
 * (the applied file is no longer on the server, or `files` lacks one in between).
 */
export function lagBytes(
  applied: BinlogPosition,
  head: BinlogPosition,
  files: readonly BinlogFile[],
): number | null {
  if (comparePositions(applied, head) >= 0) return 0;
  if (applied.file === head.file) return head.pos - applied.pos;
  const start = files.findIndex((f) => f.name === applied.file);
  const end = files.findIndex((f) => f.name === head.file);
  if (start < 0 || end < start) return null;
  let total = Math.max(0, files[start].size - applied.pos);
  for (let i = start + 1; i < end; i++) total += files[i].size;
  return total + head.pos;
}

/** A replica registered with the source. */
export interface Replica {
  serverId: number;
  host: string;
  port: number;
}

/** The replicas registered with the source, or the error message when they cannot be listed. */
export async function listReplicas(connection: SourceConnection): Promise<Replica[] | string> {
  let rows: unknown;
  try {
    // MySQL 8.4 removed SHOW SLAVE HOSTS; MariaDB and older MySQL lack SHOW REPLICAS.
    [rows] = await connection.query("SHOW REPLICAS").catch(() =>
      connection.query("SHOW SLAVE HOSTS")
    );
  } catch (err) {
    return (err as Error).message;
  }
  return (rows as Record<string, unknown>[]).map((row) => {
    // Column names differ in case between the two statements (Server_id / Server_Id).
    const field = (name: string) =>
      Object.entries(row).find(([key]) => key.toLowerCase() === name)?.[1];
    return {
      serverId: Number(field("server_id")),
      host: String(field("host") ?? ""),
      port: Number(field("port") ?? 0),
    };
  });
}
