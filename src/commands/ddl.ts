/**
 * `mysql-gp-sync ddl skip FILE:POS`: the way on after the sync stopped at a DDL statement it could
 * not follow (or that `ddl_drop_table = "stop"` stops at). Once the user has changed the target
 * by hand, this marks the statement handled in PostgreSQL; the sync (a running one at its next
 * retry) passes it without replaying it and reads the tables it names again from the MySQL
 * catalog.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";
import { comparePositions, formatPosition, positionProblem } from "../offsets/position.ts";
import { DdlStore } from "../sink/ddl_store.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget } from "../sink/postgres.ts";
import { type CommandContext, openConfig } from "./context.ts";

const USAGE = "usage: ddl skip BINLOG_FILE:POSITION (as the sync's message names the statement, " +
  "e.g. ddl skip mysql-bin.000005:708735)";

/** `ddl skip FILE:POS` marks the statement ending there handled. */
export async function ddlCommand(ctx: CommandContext): Promise<number> {
  const [action, where, ...extra] = ctx.args;
  const match = /^(.+):(\d+)$/.exec(where ?? "");
  if (action !== "skip" || !match || extra.length > 0) throw new UserError(USAGE);
  const position = { file: match[1], pos: Number(match[2]) };
  const problem = positionProblem(position.file, position.pos);
  if (problem) throw new UserError(`ddl skip: ${problem}`);
  const { config } = await openConfig(ctx);
  const sql = await connectTarget(config);
  try {
    const applied = await new PositionStore(config.positionSchema, config.syncId).read(sql);
    if (applied && comparePositions(applied, position) >= 0) {
      throw new UserError(
        `ddl skip: the sync has passed ${formatPosition(position)} already (it has applied up ` +
          `to ${formatPosition(applied)}); nothing to skip`,
        1,
      );
    }
    await new DdlStore(config.positionSchema, config.syncId).markSkipped(sql, position);
  } finally {
    await sql.end();
  }
  ctx.out(
    `the statement ending at ${formatPosition(position)} is marked handled: the sync passes it ` +
      "without replaying it and reads the tables it names again from the MySQL catalog (a " +
      "running sync at its next retry, within 30 s)",
  );
  return 0;
}
