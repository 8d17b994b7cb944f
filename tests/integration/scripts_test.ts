// The service scripts as an operator uses them: start.sh, a refused second start, a kill -9 that
// monitor_process.sh repairs, stop.sh; against a real sync and throwaway servers.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { startFixture, waitFor } from "../../testing/fixture.ts";

const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));

async function script(
  name: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("bash", {
    args: [`${SCRIPTS}${name}`],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | null> {
  try {
    return Number((await Deno.readTextFile(file)).trim());
  } catch {
    return null;
  }
}

Deno.test("service scripts: start, refuse a second start, restart after kill -9, stop", async () => {
  await using fixture = await startFixture();
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)");
  await fixture.pg.unsafe("CREATE TABLE public.t (id integer PRIMARY KEY)");
  await fixture.writeConfig(`status_addr = "off"\n[[source]]\nschema = "s"\ntables = ["t"]\n`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
  const env = {
    MYSQL_GP_SYNC_CONFIG: fixture.configFile,
    // Deno itself, as the scripts look for it when no compiled binary is there.
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
    START_CHECK_SECONDS: "2",
  };
  const pidFile = `${fixture.dataDir}/mysql-gp-sync.pid`;
  const rows = async () => (await fixture.pg`SELECT count(*)::int AS n FROM public.t`)[0].n;
  try {
    let result = await script("start.sh", env);
    assertEquals(result.code, 0, result.stderr);
    const first = await readPid(pidFile);
    assert(first !== null && alive(first), "running, with its pid in data_dir");
    assertEquals(
      result.stdout.trim(),
      `mysql-gp-sync started (pid ${first}); log: ${fixture.dataDir}/sync.log`,
    );
    await fixture.my.query("INSERT INTO s.t VALUES (1)");
    await waitFor("the first row", async () => await rows() === 1);

    result = await script("start.sh", env);
    assertEquals(result.code, 1);
    assertMatch(result.stderr, new RegExp(`already running \\(pid ${first}, config `));
    assertEquals(await readPid(pidFile), first);

    // Nothing to do while it runs.
    result = await script("monitor_process.sh", env);
    assertEquals([result.code, result.stdout, result.stderr], [0, "", ""]);
    assertEquals(await readPid(pidFile), first);

    Deno.kill(first, "SIGKILL");
    await waitFor("the kill", () => !alive(first));
    result = await script("monitor_process.sh", env);
    assertEquals(result.code, 0, result.stderr);
    const second = await readPid(pidFile);
    assert(second !== null && second !== first && alive(second), "restarted");
    await fixture.my.query("INSERT INTO s.t VALUES (2)");
    await waitFor("the second row", async () => await rows() === 2);

    result = await script("stop.sh", env);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim(), `mysql-gp-sync stopped (pid ${second})`);
    assert(!alive(second), "stopped");
    assertEquals(await readPid(pidFile), null, "pid file removed");

    // Stopped on purpose: the monitor leaves it so, and stop.sh again is harmless.
    result = await script("monitor_process.sh", env);
    assertEquals(result.code, 0);
    assertEquals(await readPid(pidFile), null);
    result = await script("stop.sh", env);
    assertEquals([result.code, result.stdout.trim()], [0, "mysql-gp-sync is not running"]);

    const log = await Deno.readTextFile(`${fixture.dataDir}/sync.log`);
    assertMatch(
      log,
      new RegExp(
        `\\[WARN\\] monitor_process\\.sh: mysql-gp-sync \\(pid ${first}\\) is not running; starting it again`,
      ),
    );
    assertMatch(log, /\[INFO\] SIGTERM received/);
    const starts = log.split("\n").filter((l) => l.includes("mysql-gp-sync starting"));
    assertEquals(starts.length, 2, "each line once: --quiet keeps stderr from doubling them");
  } finally {
    const pid = await readPid(pidFile);
    if (pid && alive(pid)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("service scripts: a sync that dies at once is reported by start.sh", async () => {
  await using fixture = await startFixture();
  // A first start whose target table does not exist stops at once.
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)");
  await fixture.writeConfig(`status_addr = "off"\n[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const env = {
    MYSQL_GP_SYNC_CONFIG: fixture.configFile,
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH")}`,
  };
  const result = await script("start.sh", env);
  assertEquals(result.code, 1);
  assertMatch(result.stderr, /stopped right after starting; the end of .*sync\.log:/);
  assertMatch(result.stderr, /PostgreSQL table public\.t \(target of MySQL s\.t\) does not exist/);

  const missing = await script("start.sh", { ...env, MYSQL_GP_SYNC_CONFIG: "/nonexistent.toml" });
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /^start\.sh: config file not found/);
});
