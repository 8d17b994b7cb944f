/**
 * `mysql-gp-sync pos show|set`: prints or moves the applied position (a binlog file and offset,
 * and the GTID state of what is applied), in master.info and in PostgreSQL alike, refusing a
 * position the source cannot serve.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { UserError } from "../config/errors.ts";
import { errorMessage } from "../util/log.ts";
import { describeGtids, GtidState } from "../offsets/gtid.ts";
import { readMasterInfoFile, writeMasterInfo } from "../offsets/master_info.ts";
import { chooseStart } from "../offsets/start_choice.ts";
import {
  type BinlogPosition,
  FIRST_EVENT_OFFSET,
  formatPosition,
  positionProblem,
} from "../offsets/position.ts";
import { continuationProblem } from "../source/continuation.ts";
import { newestFileWithin } from "../source/gtid_files.ts";
import { gtidStateAt, serverGtids } from "../source/gtid_status.ts";
import { memberName } from "../source/members.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { positionOnSourceProblem } from "../source/position_check.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget } from "../sink/postgres.ts";
import { type CommandContext, openConfig } from "./context.ts";

const SET_USAGE = "usage: pos set BINLOG_FILE POSITION, or pos set GTID_STATE (e.g. pos set " +
  "mysql-bin.000005 708735; pos set 0-1-1234 on MariaDB; pos set " +
  "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5 on MySQL)";

/**
 * `pos show` prints the position the next run starts from and why; `pos set FILE POS` and
 * `pos set GTID_STATE` move it (master.info and PostgreSQL).
 */
export async function posCommand(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  const { config } = await openConfig(ctx);
  if (action === "show") return await show(ctx, config);
  if (action !== "set") {
    throw new UserError("usage: pos show | pos set BINLOG_FILE POSITION | pos set GTID_STATE");
  }
  const [first, second, ...extra] = rest;
  if (!first || extra.length > 0) throw new UserError(SET_USAGE);
  const set = second === undefined
    ? await byGtid(config, first)
    : await byFile(config, first, second);
  const store = new PositionStore(config.positionSchema, config.syncId);
  const sql = await connectTarget(config);
  try {
    await store.ensure(sql);
    await store.set(sql, set.position, set.gtids, memberName(seed(config)));
  } finally {
    await sql.end();
  }
  await writeMasterInfo(config.dataDir, set.position);
  ctx.out(`position set to ${formatPosition(set.position)}`);
  ctx.out(
    set.gtids === null
      ? "# GTID state not known: run reads by file and offset"
      : `# GTID state ${describeGtids(set.gtids)}: run resumes after it by GTID`,
  );
  if (set.note) ctx.out(`# ${set.note}`);
  return 0;
}

async function show(ctx: CommandContext, config: Config): Promise<number> {
  const store = new PositionStore(config.positionSchema, config.syncId);
  const masterInfo = await readMasterInfoFile(config.dataDir);
  const sql = await connectTarget(config).catch(() => null);
  const stored = sql ? await store.read(sql).finally(() => sql.end()) : undefined;
  const choice = chooseStart(stored ?? null, masterInfo, store.table);
  const why = stored === undefined
    ? `${choice.why}; PostgreSQL could not be reached, so a position saved there is not known`
    : choice.why;
  const position = choice.position;
  // The GTID state goes with the stored position only; a hand-edited master.info has none.
  const gtidState = choice.from === "postgresql" ? stored?.gtidState ?? null : null;
  const server = choice.from === "postgresql" ? stored?.server ?? null : null;
  if (ctx.json) {
    ctx.out(JSON.stringify({
      bin_name: position?.file ?? null,
      bin_pos: position?.pos ?? null,
      gtid_state: gtidState,
      source_server: server,
      source: position ? choice.from : null,
      why,
      master_info: masterInfo?.position ?? null,
      master_info_edited_by_hand: masterInfo?.editedByHand ?? null,
    }));
  } else if (!position) {
    ctx.out("no position saved: run starts at the oldest binlog on the server");
  } else {
    ctx.out(`bin_name = ${JSON.stringify(position.file)}`);
    ctx.out(`bin_pos = ${position.pos}`);
    if (gtidState !== null) ctx.out(`gtid_state = ${JSON.stringify(gtidState)}`);
    if (server) ctx.out(`source_server = ${JSON.stringify(server)}`);
    const how = gtidState === null
      ? "starts here"
      : config.flavor === "mariadb"
      ? "starts by GTID after gtid_state"
      : "starts by GTID after gtid_state (here if the server has gtid_mode = OFF)";
    ctx.out(`# the next run ${how}: ${why}`);
  }
  return 0;
}

/** A position to set, the GTID state it stands for, and a note for the user. */
interface NewPosition {
  position: BinlogPosition;
  gtids: GtidState | null;
  note: string | null;
}

function seed(config: Config) {
  return { host: config.mysqlHost, port: config.mysqlPort };
}

/**
 * `pos set FILE POS`: refused when the source cannot serve it; the GTID state there is recorded
 * when the source tells it (MariaDB). The source may be down: a DBA may set a position meanwhile.
 */
async function byFile(config: Config, file: string, posText: string): Promise<NewPosition> {
  if (!/^\d+$/.test(posText)) throw new UserError(SET_USAGE);
  const position = { file, pos: Number(posText) };
  const problem = positionProblem(position.file, position.pos);
  if (problem) throw new UserError(`pos set: ${problem}`);
  let source: SourceConnection;
  try {
    source = await connectSource(config);
  } catch (err) {
    return { position, gtids: null, note: `not checked against the source: ${errorMessage(err)}` };
  }
  try {
    const onSource = await positionOnSourceProblem(source, position);
    if (onSource) throw new UserError(`pos set: ${onSource}`, 1);
    const gtids = config.flavor === "mariadb"
      ? await gtidStateAt(source, position, "mariadb").catch(() => null)
      : null;
    return { position, gtids, note: null };
  } finally {
    await source.end().catch(() => {});
  }
}

/**
 * `pos set GTID_STATE`: the state must be one the source (mysql_addr) can continue from; it is
 * written down with the newest binlog file that starts within it, read from its start when a run
 * cannot go by GTID.
 */
async function byGtid(config: Config, text: string): Promise<NewPosition> {
  let gtids: GtidState;
  try {
    gtids = GtidState.parse(text, config.flavor);
  } catch (err) {
    throw new UserError(
      `pos set: ${errorMessage(err)} (flavor = "${config.flavor}"); ${SET_USAGE}`,
    );
  }
  let source: SourceConnection;
  try {
    source = await connectSource(config);
  } catch (err) {
    throw new UserError(
      `pos set by GTID state needs the source, to check it can continue from there: ` +
        errorMessage(err),
      1,
    );
  }
  try {
    const problem = continuationProblem(gtids, await serverGtids(source));
    if (problem) {
      throw new UserError(
        `pos set: the source cannot continue after ${text}: ${problem.message}`,
        1,
      );
    }
    const file = await newestFileWithin(source, gtids);
    if (file === null) {
      throw new UserError(`pos set: no binlog file on the source starts within ${text}`, 1);
    }
    return { position: { file, pos: FIRST_EVENT_OFFSET }, gtids, note: null };
  } finally {
    await source.end().catch(() => {});
  }
}
