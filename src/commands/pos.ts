import { UserError } from "../config/errors.ts";
import { readMasterInfo, writeMasterInfo } from "../offsets/master_info.ts";
import { formatPosition } from "../offsets/position.ts";
import { PositionStore } from "../sink/position_store.ts";
import { connectTarget } from "../sink/postgres.ts";
import { type CommandContext, openConfig } from "./context.ts";

/** `pos show` prints the applied position; `pos set FILE POS` moves it (master.info and PostgreSQL). */
export async function posCommand(ctx: CommandContext): Promise<number> {
  const [action, ...rest] = ctx.args;
  const { config } = await openConfig(ctx);
  const store = new PositionStore(config.positionSchema, config.syncId);
  if (action === "show") {
    const masterInfo = await readMasterInfo(config.dataDir);
    const sql = await connectTarget(config).catch(() => null);
    const stored = sql ? await store.read(sql).finally(() => sql.end()) : undefined;
    const position = stored ?? masterInfo;
    if (ctx.json) {
      ctx.out(JSON.stringify({
        bin_name: position?.file ?? null,
        bin_pos: position?.pos ?? null,
        source: stored ? "postgresql" : masterInfo ? "master.info" : null,
        master_info: masterInfo,
      }));
    } else if (!position) {
      ctx.out("no position saved: run starts at the oldest binlog on the server");
    } else {
      ctx.out(`bin_name = ${JSON.stringify(position.file)}`);
      ctx.out(`bin_pos = ${position.pos}`);
      if (stored === undefined) ctx.out("# from master.info; PostgreSQL could not be reached");
    }
    return 0;
  }
  if (action === "set") {
    const [file, posText] = rest;
    const pos = Number(posText);
    if (!file || !/^\d+$/.test(posText ?? "") || pos < 4) {
      throw new UserError(
        "usage: pos set BINLOG_FILE POSITION (e.g. pos set mysql-bin.000005 708735)",
      );
    }
    const position = { file, pos };
    const sql = await connectTarget(config);
    try {
      await store.ensure(sql);
      await store.write(sql, position);
    } finally {
      await sql.end();
    }
    await writeMasterInfo(config.dataDir, position);
    ctx.out(`position set to ${formatPosition(position)}`);
    return 0;
  }
  throw new UserError("usage: pos show | pos set BINLOG_FILE POSITION");
}
