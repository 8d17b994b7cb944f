/**
 * Whether a server can continue the stream after the GTID state the sync has applied, and if not,
 * why and what to do: it must write GTIDs, of the same kind, hold every transaction already
 * applied (else the target has changes the server never had), and still have in its binlog every
 * transaction not yet applied (else they would never be read). Pure, so it is unit-tested.
 *
 * @module
 */
import type { GtidState } from "../offsets/gtid.ts";
import type { ServerGtids } from "./gtid_status.ts";

/** Why a server cannot continue the stream. */
export interface ContinuationProblem {
  /**
   * `gtid off`: it writes no GTIDs; `flavor`: MySQL against MariaDB GTIDs or the reverse;
   * `missing`: it lacks applied transactions; `purged`: it purged ones not yet applied.
   */
  kind: "gtid off" | "flavor" | "missing" | "purged";
  /** One line: what is wrong and what to do. */
  message: string;
}

const RELOAD = "load the tables again from a server of the group (mysql-gp-sync snapshot " +
  "--truncate, which also sets the position)";

/** Why `server` cannot continue after `applied`; null when it can. */
export function continuationProblem(
  applied: GtidState,
  server: ServerGtids,
): ContinuationProblem | null {
  if (!server.enabled) {
    return {
      kind: "gtid off",
      message: `it writes no GTIDs (${server.mode}), so it cannot continue from the GTID state ` +
        `applied; set gtid_mode = ON (with enforce_gtid_consistency = ON) on it`,
    };
  }
  if (server.flavor !== applied.flavor) {
    return {
      kind: "flavor",
      message: `it is ${server.flavor === "mariadb" ? "MariaDB" : "MySQL"} but the GTID state ` +
        `applied (${applied}) is ${applied.flavor === "mariadb" ? "MariaDB's" : "MySQL's"}: ` +
        `follow the server it came from, or set a position on this one with "pos set"`,
    };
  }
  const missing = applied.missingFrom(server.binlog);
  if (missing !== null) {
    return {
      kind: "missing",
      message: `its binlog lacks transactions already applied to PostgreSQL (${missing}): it is ` +
        `behind the server they were read from, or has diverged from it. A replica still ` +
        `catching up can be waited for; a primary that lost them in a failover never gets them, ` +
        `and the target holds changes this server does not have: ${RELOAD}`,
    };
  }
  const purged = applied.purgedBeyond(server.purged);
  if (purged !== null) {
    return {
      kind: "purged",
      message: `it has purged from its binlog transactions not yet applied (up to ${purged}), so ` +
        `they can never be read from it: follow a member that still has them, or ${RELOAD}`,
    };
  }
  return null;
}

/** What to do with a member of the replication group when choosing the server to follow. */
export type MemberVerdict =
  | { follow: true }
  /** `final`: it is a primary that cannot continue, so the group has lost or purged our place. */
  | { follow: false; final: boolean; reason: string };

/**
 * Whether to follow `server` after `applied`: not when it is read-only and only primaries are
 * followed (`primaryOnly`), nor when it cannot continue the stream. A read-only server that cannot
 * may be a replica still catching up; a primary that cannot makes the refusal final.
 */
export function memberVerdict(
  applied: GtidState,
  server: ServerGtids,
  primaryOnly: boolean,
): MemberVerdict {
  if (primaryOnly && server.readOnly) {
    return { follow: false, final: false, reason: "read_only is on: not a primary" };
  }
  const problem = continuationProblem(applied, server);
  if (problem === null) return { follow: true };
  const lost = problem.kind === "missing" || problem.kind === "purged";
  return { follow: false, final: lost && !server.readOnly, reason: problem.message };
}
