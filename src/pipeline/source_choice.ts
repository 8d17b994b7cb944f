/**
 * Which member of the replication group the next session follows: the one followed last (or, at
 * start, the one the saved position was read from), else the others in config order, the first
 * that can continue after the GTID state saved in PostgreSQL. Without a saved GTID state there is
 * nothing to continue from elsewhere, so the server of the saved position (or `mysql_addr`) it is.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { errorMessage } from "../util/log.ts";
import { GtidState } from "../offsets/gtid.ts";
import { chooseMember, type MemberChoice } from "../source/member_choice.ts";
import { findMember, groupMembers, type Member, memberName } from "../source/members.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget, describePgError } from "../sink/postgres.ts";

/** The member to follow next; `followed`: the one the previous session followed, if any. */
export async function chooseSource(
  config: Config,
  followed: Member | null,
): Promise<MemberChoice> {
  const store = new PositionStore(config.positionSchema, config.syncId);
  const sql = await connectTarget(config).catch((err) => {
    throw describePgError(err, config);
  });
  const stored = await store.read(sql).finally(() => sql.end({ timeout: 5 }).catch(() => {}));
  const group = groupMembers(config);
  const first = followed ?? findMember(config, stored?.server ?? null) ?? group[0];
  const candidates = [first, ...group.filter((m) => memberName(m) !== memberName(first))];
  if (stored?.gtidState === null || stored?.gtidState === undefined) {
    return { member: first, passedOver: [] };
  }
  let applied: GtidState;
  try {
    applied = GtidState.parse(stored.gtidState, config.flavor);
  } catch (err) {
    throw new UserError(
      `${store.table} (sync_id ${store.syncId}): gtid_state ${errorMessage(err)} (flavor = ` +
        `"${config.flavor}" in ${config.file}); set a position with "pos set"`,
    );
  }
  return await chooseMember(config, candidates, applied);
}
