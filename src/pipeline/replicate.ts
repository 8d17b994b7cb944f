/**
 * The reconnect loop of `run`: replication sessions one after another, with backoff after a
 * failure, until stopped; with a replication group (`mysql_members`), each on the member that can
 * continue the stream, so that a failover is followed by itself.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { FatalError, UserError } from "../config/errors.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import { sleep } from "../util/sleep.ts";
import { newStats, noteError, type SyncStats } from "../observe/stats.ts";
import { followingMember, groupMembers, type Member, memberName } from "../source/members.ts";
import type { Backend } from "../sink/run_lock.ts";
import { PrimaryWatch } from "./primary_watch.ts";
import { Session } from "./session.ts";
import { chooseSource } from "./source_choice.ts";

/** Pause between reconnect attempts grows to this. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Follows the binlog into PostgreSQL until `signal` aborts. Connection losses on either side are
 * retried with backoff from the last committed position; problems only the user can fix are thrown
 * as UserError when they show up at start, and retried (logged as ERROR) when they appear later.
 *
 * With other members listed, every session starts on the member chosen by `chooseSource` (the one
 * followed before while it can continue), and with `mysql_primary_only` a session ends once its
 * server is demoted, so that the next one follows the new primary.
 */
export async function replicate(
  config: Config,
  log: Logger,
  signal: AbortSignal,
  stats: SyncStats = newStats(),
): Promise<void> {
  const group = groupMembers(config);
  let attempt = 0;
  let streamed = false;
  // The connection that held the run lock last: PostgreSQL may not have noticed yet it is gone.
  let lockHolder: Backend | null = null;
  let followed: Member | null = null;
  while (!signal.aborted) {
    let session: Session | null = null;
    let watch: PrimaryWatch | null = null;
    const demoted = new AbortController();
    const appliedBefore = stats.batchesApplied;
    try {
      const member: Member = group.length === 1 ? group[0] : await choose(config, followed, log);
      followed = member;
      const memberConfig = followingMember(config, member);
      if (config.mysqlPrimaryOnly && group.length > 1) {
        watch = new PrimaryWatch(memberConfig, () => {
          log.warn(`${memberName(member)} is no longer a primary (read_only is on): switching`);
          demoted.abort();
        });
      }
      const stop = AbortSignal.any([signal, demoted.signal]);
      session = new Session(memberConfig, log, stop, stats, lockHolder);
      await session.run(() => streamed = true);
      if (!demoted.signal.aborted) return;
    } catch (err) {
      if (signal.aborted) return;
      const message = errorMessage(err);
      noteError(stats, message);
      if (err instanceof FatalError || (!streamed && err instanceof UserError)) throw err;
      // The backoff restarts only after progress: a failure that recurs at once (a refused row)
      // is retried ever more slowly instead of every second.
      if (stats.batchesApplied > appliedBefore) attempt = 0;
      attempt++;
      stats.reconnects++;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(attempt, 6));
      log.error(
        `${message}; retrying in ${Math.round(delay / 1000)}s from the last applied position`,
      );
      await sleep(delay, signal);
    } finally {
      await watch?.close();
      lockHolder = session?.backend ?? lockHolder;
      await session?.close();
    }
  }
}

/** The member to follow next, saying so when it is not the one followed before. */
async function choose(config: Config, followed: Member | null, log: Logger): Promise<Member> {
  const { member, passedOver } = await chooseSource(config, followed);
  const name = memberName(member);
  if (followed !== null && memberName(followed) !== name) {
    log.warn(`following ${name} instead of ${memberName(followed)} (${passedOver.join("; ")})`);
  } else if (passedOver.length > 0) {
    log.warn(`following ${name} (${passedOver.join("; ")})`);
  }
  return member;
}
