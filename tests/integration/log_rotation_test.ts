/**
 * sync.log does not fill the disk: a sync started by scripts/start.sh, logging every batch (debug)
 * past a small `log_max_size`, ends with sync.log and `log_max_files` rotated files, none over the
 * limit, lines in order across them; and the process's stderr, which start.sh appends to the same
 * file, still goes to sync.log after the rotations; `status` finds an ERROR line in sync.log.1.
 *
 * @module
 */
import { dirname } from "node:path";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { runCli, startFixture, waitFor } from "../../testing/fixture.ts";
import { freePort } from "../../testing/os.ts";

const SCRIPTS = new URL("../../scripts/", import.meta.url).pathname;
const MAX_SIZE = 4096;

async function service(name: "start.sh" | "stop.sh", env: Record<string, string>) {
  const output = await new Deno.Command("bash", { args: [`${SCRIPTS}${name}`], env }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, `${name}: ${text}`);
}

Deno.test("sync.log rotates at log_max_size and keeps log_max_files, under start.sh", async () => {
  await using fixture = await startFixture();
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY, v TEXT)");
  await fixture.pg.unsafe("CREATE TABLE public.t (id integer PRIMARY KEY, v text)");
  await fixture.writeConfig(`status_addr = "127.0.0.1:${freePort()}"
log_level = "debug"
log_max_size = "4kB"
log_max_files = 2
[[source]]
schema = "s"
tables = ["t"]
`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const env = {
    MYSQL_GP_SYNC_CONFIG: fixture.configFile,
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
    START_CHECK_SECONDS: "1",
  };
  const log = `${fixture.dataDir}/sync.log`;
  await service("start.sh", env);
  try {
    const pid = Number(Deno.readTextFileSync(`${fixture.dataDir}/mysql-gp-sync.pid`).trim());
    await waitFor("streaming", () => Deno.readTextFileSync(log).includes("[INFO] streaming"));
    // Transactions apart in time, so that an idle sync applies each in a batch of its own and
    // logs a debug line of about 100 bytes for it.
    for (let id = 1; id <= 150; id++) {
      await fixture.my.query("INSERT INTO s.t VALUES (?, 'row')", [id]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor("150 rows in PostgreSQL", async () => {
      const [row] = await fixture.pg`SELECT count(*)::int AS n FROM public.t`;
      return row.n === 150;
    });
    // start.sh's `>>sync.log 2>&1` descriptor still names sync.log, not a rotated file.
    assertEquals(Deno.readLinkSync(`/proc/${pid}/fd/2`), log);
  } finally {
    await service("stop.sh", env);
  }

  const names = [...Deno.readDirSync(fixture.dataDir)].map((e) => e.name)
    .filter((name) => name.startsWith("sync.log")).sort();
  assertEquals(names, ["sync.log", "sync.log.1", "sync.log.2"]);
  const texts = ["sync.log.2", "sync.log.1", "sync.log"].map((name) =>
    Deno.readTextFileSync(`${fixture.dataDir}/${name}`)
  );
  for (const text of texts) {
    assert(text.length <= MAX_SIZE, `${text.length} bytes, over log_max_size`);
    assert(!text.includes("\0"), "no hole from a writer whose offset the truncation passed");
  }
  assert(texts[0].length > MAX_SIZE / 2 && texts[1].length > MAX_SIZE / 2, "rotated when full");
  // The batches' positions only grow from the oldest file to the newest.
  const positions = [...texts.join("").matchAll(/ up to mysql-bin\.\d+:(\d+) in /g)]
    .map((m) => Number(m[1]));
  assert(positions.length > 20, `only ${positions.length} batch lines kept`);
  assertEquals(positions, [...positions].sort((a, b) => a - b), "lines out of order");
  assertMatch(texts[2], /\[INFO\] stopped at mysql-bin\.\d+:\d+; \d+ row changes applied/);

  // `status` of a stopped sync looks for the last ERROR in the newest rotated log as well.
  Deno.writeTextFileSync(`${log}.1`, "2026-01-01 00:00:00.000 [ERROR] disk on fire\n", {
    append: true,
  });
  const status = await runCli(["status", "-c", fixture.configFile]);
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /^last error: +disk on fire$/m);
});
