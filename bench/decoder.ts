/**
 * How fast zongji alone reads a stretch of the binlog: its own decoders and a consumer that does
 * nothing. The benchmark prints it beside the sync, which reads the frequent events straight from
 * the packets (src/source/zongji/packet_events.ts) and zongji only decodes the rest.
 *
 * @module
 */
import ZongJi from "@vlasky/zongji";
import type { Config } from "../src/config/config.ts";
import { sourceOptions } from "../src/source/mysql.ts";

type Position = { file: string; pos: number };

/** Seconds zongji takes to stream `start`..`end` of `schema.table`'s changes. */
export async function zongjiSeconds(
  config: Config,
  schema: string,
  table: string,
  start: Position,
  end: Position,
  timeoutMs: number,
): Promise<number> {
  const zongji = new ZongJi(sourceOptions(config));
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("zongji alone timed out")), timeoutMs);
      zongji.on("error", reject);
      zongji.on("binlog", (event: { nextPosition: number }) => {
        // zongji follows rotations in its options, whether or not rotate events are asked for.
        if (zongji.options.filename === end.file && event.nextPosition >= end.pos) resolve();
      });
      zongji.start({
        serverId: config.serverId + 1,
        filename: start.file,
        position: start.pos,
        includeEvents: ["tablemap", "writerows", "updaterows", "deleterows", "xid", "mariadbgtid"],
        includeSchema: { [schema]: [table] },
      });
    });
    clearTimeout(timer);
    return (performance.now() - started) / 1000;
  } finally {
    zongji.stop();
  }
}
