/**
 * Chooses the member of the replication group to follow: the candidates are asked in turn, and
 * the first that can continue the stream after the GTID state applied is taken (`memberVerdict`).
 * None: a primary that cannot continue stops the sync with its reason, anything else is retried.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError, UserError } from "../config/errors.ts";
import { errorMessage } from "../util/log.ts";
import { describeGtids, type GtidState } from "../offsets/gtid.ts";
import { memberVerdict } from "./continuation.ts";
import { serverGtids } from "./gtid_status.ts";
import { followingMember, type Member, memberName } from "./members.ts";
import { connectSource } from "./mysql.ts";

/** The member chosen, and why each candidate before it was not. */
export interface MemberChoice {
  member: Member;
  /** `host:port: reason`, one per candidate passed over. */
  passedOver: string[];
}

/**
 * The first of `candidates` that can continue after `applied`. Throws a FatalError when none can
 * and a primary among them refused for good, a UserError when none answered, and an Error (to
 * retry later) otherwise; each names every candidate and why it was not taken.
 */
export async function chooseMember(
  config: Config,
  candidates: readonly Member[],
  applied: GtidState,
): Promise<MemberChoice> {
  const refusals: string[] = [];
  let final: string | null = null;
  let answered = false;
  for (const member of candidates) {
    const name = memberName(member);
    let verdict;
    try {
      const connection = await connectSource(followingMember(config, member));
      answered = true;
      try {
        verdict = memberVerdict(applied, await serverGtids(connection), config.mysqlPrimaryOnly);
      } finally {
        await connection.end().catch(() => {});
      }
    } catch (err) {
      refusals.push(`${name}: ${errorMessage(err)}`);
      continue;
    }
    if (verdict.follow) return { member, passedOver: refusals };
    refusals.push(`${name}: ${verdict.reason}`);
    if (verdict.final) {
      final ??= `${name} is a primary that cannot continue the stream: ${verdict.reason}`;
    }
  }
  const all = refusals.join("; ");
  if (final !== null) throw new FatalError(`${final} (members: ${all})`);
  const what = `no member of the replication group can continue the stream after ${
    describeGtids(applied)
  }`;
  if (!answered) throw new UserError(`${what}: none answers (${all})`, 1);
  throw new Error(`${what} yet (${all})`);
}
