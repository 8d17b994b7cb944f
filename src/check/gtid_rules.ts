/**
 * The GTID side of `check` as pure rules over what each member of the replication group said:
 * GTID mode and `log_slave_updates` per member, whether the saved GTID state can be continued on
 * `mysql_addr` (where `run` resumes by GTID), and whether a failover to the other members is
 * possible.
 *
 * @module
 */
import { describeGtids, GtidState } from "../offsets/gtid.ts";
import { continuationProblem } from "../source/continuation.ts";
import type { ServerGtids } from "../source/gtid_status.ts";
import { fail, type Finding, ok, warn } from "./finding.ts";

/** What one member of the group said, or why it could not be asked. */
export interface MemberReport {
  /** `host:port`. */
  name: string;
  /** `mysql_addr` (the seed) rather than one of `mysql_members`. */
  seed: boolean;
  gtids: ServerGtids | null;
  /** `log_slave_updates` is on: what it replicates is in its own binlog too. */
  logReplicaUpdates: boolean;
  /** Why it could not be asked; null when it answered. */
  error: string | null;
}

/** The findings, and whether `run` resumes by GTID on `mysql_addr` (its position check is here). */
export interface GtidFindings {
  findings: Finding[];
  resumesByGtid: boolean;
}

/**
 * Findings for the group `members` (the seed first) and the saved GTID state `stored` (text;
 * null: none saved; undefined: PostgreSQL could not be read).
 */
export function gtidFindings(
  members: readonly MemberReport[],
  stored: string | null | undefined,
): GtidFindings {
  const findings: Finding[] = [];
  for (const member of members) findings.push(modeFinding(member));
  const seed = members[0];
  let resumesByGtid = false;
  let applied: GtidState | null = null;
  if (typeof stored === "string" && seed.gtids?.enabled) {
    try {
      applied = GtidState.parse(stored, seed.gtids.flavor);
    } catch (err) {
      findings.push(fail("gtid", `the saved GTID state ${(err as Error).message}; use "pos set"`));
    }
  }
  if (applied && seed.gtids) {
    resumesByGtid = true;
    const problem = continuationProblem(applied, seed.gtids);
    findings.push(
      problem
        ? fail(
          "position",
          `${seed.name} (mysql_addr) cannot continue the stream: ${problem.message}`,
        )
        : ok("position", `run resumes by GTID after ${describeGtids(applied)} on ${seed.name}`),
    );
  }
  findings.push(failoverFinding(members, applied, stored));
  return { findings, resumesByGtid };
}

function modeFinding(member: MemberReport): Finding {
  const key = member.seed ? "mysql_addr" : "mysql_members";
  if (member.error !== null || member.gtids === null) {
    return warn("gtid", `${member.name} (${key}) could not be asked: ${member.error}`);
  }
  const { gtids } = member;
  const role = gtids.readOnly ? "read_only (a replica)" : "writable (a primary)";
  if (!gtids.enabled) {
    return warn(
      "gtid",
      `${member.name} (${key}): ${gtids.mode}, ${role}: run reads it by binlog file and offset ` +
        "only and cannot fail over; set enforce_gtid_consistency = ON and gtid_mode = ON",
    );
  }
  if (!member.logReplicaUpdates && gtids.readOnly) {
    return warn(
      "gtid",
      `${member.name} (${key}): GTIDs ${gtids.mode}, ${role}, but log_slave_updates is OFF: ` +
        "what it replicates is not in its binlog, so it cannot continue the stream after a " +
        "failover; set log_slave_updates = ON",
    );
  }
  return ok("gtid", `${member.name} (${key}): GTIDs ${gtids.mode}, ${role}`);
}

function failoverFinding(
  members: readonly MemberReport[],
  applied: GtidState | null,
  stored: string | null | undefined,
): Finding {
  if (members.length === 1) {
    return ok("failover", "no mysql_members listed: run follows mysql_addr only");
  }
  const blockers: string[] = [];
  for (const member of members.slice(1)) {
    if (!member.gtids) continue;
    if (!member.gtids.enabled) blockers.push(`${member.name} writes no GTIDs`);
    else if (applied) {
      const problem = continuationProblem(applied, member.gtids);
      if (problem && problem.kind !== "missing") {
        blockers.push(`${member.name}: ${problem.message}`);
      }
    }
  }
  if (!members[0].gtids?.enabled) blockers.unshift(`${members[0].name} writes no GTIDs`);
  if (blockers.length > 0) {
    return warn("failover", `failover is not possible: ${blockers.join("; ")}`);
  }
  if (stored === null) {
    return warn(
      "failover",
      "failover needs the GTID state of what is applied, and the saved position has none yet: " +
        "run records it (MariaDB, or MySQL from a snapshot), or set one with pos set GTID_STATE",
    );
  }
  return ok(
    "failover",
    `failover is possible: run follows the first of ${
      members.map((m) => m.name).join(", ")
    } that can continue after the applied GTID state`,
  );
}
