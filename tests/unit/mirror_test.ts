/** The master.info mirror: written at once, then at most once a second, the last kept for `flush`. */
import { assertEquals } from "../support/assert.ts";
import { readMasterInfo } from "../../src/offsets/master_info.ts";
import { MasterInfoMirror } from "../../src/pipeline/mirror.ts";

Deno.test("master.info follows the applied position at most once a second", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mirror = new MasterInfoMirror(dir);
    await mirror.flush();
    assertEquals(await readMasterInfo(dir), null, "nothing to write yet");
    await mirror.update({ file: "bin.000001", pos: 4 });
    assertEquals(await readMasterInfo(dir), { file: "bin.000001", pos: 4 });
    await mirror.update({ file: "bin.000001", pos: 500 });
    assertEquals(await readMasterInfo(dir), { file: "bin.000001", pos: 4 }, "within the second");
    await mirror.flush();
    assertEquals(await readMasterInfo(dir), { file: "bin.000001", pos: 500 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
