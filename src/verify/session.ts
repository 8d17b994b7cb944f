/**
 * What every verifier of one `verify` run works with: both connections, the target's dialect,
 * the wait for the sync, the options, and the notes the report carries besides the differences.
 *
 * @module
 */
import type { TargetDialect } from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import type { SourceConnection } from "../source/mysql.ts";
import type { Logger } from "../util/log.ts";
import type { SyncWaiter } from "./sync_wait.ts";

export interface VerifySession {
  source: SourceConnection;
  /** One connection: the work tables are temporary, they live in its session. */
  sql: Sql;
  dialect: TargetDialect;
  waiter: SyncWaiter;
  options: { repair: boolean; chunkRows: number; listLimit: number };
  log: Logger;
  /** What the report should tell besides the differences. */
  notes: string[];
}
