/**
 * `mysql-gp-sync pos show|set`: prints or moves the applied binlog position, in master.info and in
 * PostgreSQL alike, refusing a position the source cannot serve.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { readMasterInfoFile, writeMasterInfo } from "../offsets/master_info.ts";
import { chooseStart } from "../offsets/start_choice.ts";
import { type BinlogPosition, formatPosition, positionProblem } from "../offsets/position.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";
import { positionOnSourceProblem } from "../source/position_check.ts";
import { errorMessage } from "../util/log.ts";
import type { Config } from "../config/config.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget } from "../sink/postgres.ts";
import { type CommandContext, openConfig } from "./context.ts";

/**
 * `pos show` prints the position the next run starts from and why; `pos set FILE POS` moves it
 * (master.info and PostgreSQL).
 */
export async function posCommand(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  const { config } = await openConfig(ctx);
  const store = new PositionStore(config.positionSchema, config.syncId);
  if (action === "show") {
    const masterInfo = await readMasterInfoFile(config.dataDir);
    const sql = await connectTarget(config).catch(() => null);
    const stored = sql ? await store.read(sql).finally(() => sql.end()) : undefined;
    const choice = chooseStart(stored ?? null, masterInfo, store.table);
    const why = stored === undefined
      ? `${choice.why}; PostgreSQL could not be reached, so a position saved there is not known`
      : choice.why;
    const position = choice.position;
    if (ctx.json) {
      ctx.out(JSON.stringify({
        bin_name: position?.file ?? null,
        bin_pos: position?.pos ?? null,
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
      ctx.out(`# the next run starts here: ${why}`);
    }
    return 0;
  }
  if (action === "set") {
    const [file, posText, ...extra] = rest;
    if (!file || !posText || extra.length > 0 || !/^\d+$/.test(posText)) {
      throw new UserError(
        "usage: pos set BINLOG_FILE POSITION (e.g. pos set mysql-bin.000005 708735)",
      );
    }
    const position = { file, pos: Number(posText) };
    const problem = positionProblem(position.file, position.pos);
    if (problem) throw new UserError(`pos set: ${problem}`);
    const unchecked = await checkOnSource(config, position);
    const sql = await connectTarget(config);
    try {
      await store.ensure(sql);
      await store.write(sql, position);
    } finally {
      await sql.end();
    }
    await writeMasterInfo(config.dataDir, position);
    ctx.out(`position set to ${formatPosition(position)}`);
    if (unchecked) ctx.out(`# not checked against the source: ${unchecked}`);
    return 0;
  }
  throw new UserError("usage: pos show | pos set BINLOG_FILE POSITION");
}

/**
 * Refuses a position the source cannot serve (UserError naming why); returns why it could not be
 * checked when the source is out of reach, since a DBA may set a position while it is down.
 */
async function checkOnSource(config: Config, position: BinlogPosition): Promise<string | null> {
  let source: SourceConnection;
  try {
    source = await connectSource(config);
  } catch (err) {
    return errorMessage(err);
  }
  try {
    const problem = await positionOnSourceProblem(source, position);
    if (problem) throw new UserError(`pos set: ${problem}`, 1);
    return null;
  } finally {
    await source.end().catch(() => {});
  }
}
