/**
 * The GTID probes of `check`: asks `mysql_addr` and every member of `mysql_members` for its GTIDs,
 * role and `log_slave_updates`, and judges them with the rules of gtid_rules.ts.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { errorMessage } from "../util/log.ts";
import { serverGtids } from "../source/gtid_status.ts";
import { followingMember, groupMembers, type Member, memberName } from "../source/members.ts";
import { connectSource } from "../source/mysql.ts";
import { type GtidFindings, gtidFindings, type MemberReport } from "./gtid_rules.ts";

/**
 * GTID mode per member, whether `run` can resume by GTID on `mysql_addr` with the saved state
 * `stored` (null: none saved; undefined: PostgreSQL could not be read), and whether failover is
 * possible.
 */
export async function checkGtids(
  config: Config,
  stored: string | null | undefined,
): Promise<GtidFindings> {
  const members = groupMembers(config);
  const reports = await Promise.all(
    members.map((member, i) => askMember(config, member, i === 0)),
  );
  return gtidFindings(reports, stored);
}

async function askMember(config: Config, member: Member, seed: boolean): Promise<MemberReport> {
  const name = memberName(member);
  let connection;
  try {
    connection = await connectSource(followingMember(config, member));
  } catch (err) {
    return { name, seed, gtids: null, logReplicaUpdates: false, error: errorMessage(err) };
  }
  try {
    const [rows] = await connection.query("SELECT @@GLOBAL.log_slave_updates AS updates");
    const updates = String((rows as { updates: unknown }[])[0]?.updates ?? "");
    return {
      name,
      seed,
      gtids: await serverGtids(connection),
      logReplicaUpdates: /^(1|on)$/i.test(updates),
      error: null,
    };
  } catch (err) {
    return { name, seed, gtids: null, logReplicaUpdates: false, error: errorMessage(err) };
  } finally {
    await connection.end().catch(() => {});
  }
}
