/**
 * sync.log rotation by size (src/util/log_file.ts) and its two config keys, on real files in a temp
 * dir: the number of files kept, their sizes, the order of lines across them, a second writer
 * appending to the same file (as start.sh's stderr redirect does), and a rotation that fails.
 *
 * @module
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { parseConfig } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { Logger } from "../../src/util/log.ts";

/** Names of the files in `dir`, sorted. */
function files(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Numbers of the `line N` entries in a log text, in order. */
function lineNumbers(text: string): number[] {
  return [...text.matchAll(/line (\d+)\b/g)].map((m) => Number(m[1]));
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mgs-log-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sync.log rotates by size and keeps log_max_files older files, lines in order", async () => {
  await withTempDir(async (dir) => {
    const log = new Logger("info", { quiet: true });
    const path = `${dir}/sync.log`;
    await log.openFile(path, { logMaxSize: 2048, logMaxFiles: 2 });
    for (let n = 1; n <= 400; n++) log.info(`line ${n} ${"x".repeat(20)}`);
    log.close();
    assertEquals(files(dir), ["sync.log", "sync.log.1", "sync.log.2"]);
    const texts = ["sync.log.2", "sync.log.1", "sync.log"].map((f) =>
      Deno.readTextFileSync(`${dir}/${f}`)
    );
    for (const [i, text] of texts.entries()) {
      assert(text.length <= 2048, `a file holds ${text.length} bytes, over log_max_size 2048`);
      if (i < 2) assert(text.length > 1024, `a rotated file holds only ${text.length} bytes`);
      assert(text.endsWith("\n") && !text.includes("\0"), "whole lines, no hole");
    }
    const numbers = lineNumbers(texts.join(""));
    assertEquals(numbers.at(-1), 400, "the newest line is in sync.log");
    assertEquals(numbers, numbers.map((_, i) => numbers[0] + i), "no line lost or reordered");
  });
});

Deno.test("sync.log rotation: another writer appending to the file keeps writing to sync.log", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/sync.log`;
    const log = new Logger("info", { quiet: true });
    await log.openFile(path, { logMaxSize: 1024, logMaxFiles: 1 });
    // start.sh's `>>sync.log 2>&1`: a descriptor of its own, opened with O_APPEND.
    using stderr = Deno.openSync(path, { append: true });
    const encoder = new TextEncoder();
    for (let n = 1; n <= 60; n++) {
      log.info(`line ${n} ${"y".repeat(30)}`);
      stderr.writeSync(encoder.encode(`stderr ${n}\n`));
    }
    log.close();
    const current = Deno.readTextFileSync(path);
    assertMatch(current, /^stderr 60$/m, "the other writer's newest line is in sync.log");
    assert(!current.includes("\0"), "no hole where the other writer's offset was");
    assertEquals(files(dir), ["sync.log", "sync.log.1"]);
  });
});

Deno.test("sync.log rotation: log_max_files = 0 truncates, 0 size never rotates, fewer files prune", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/sync.log`;
    const log = new Logger("info", { quiet: true });
    await log.openFile(path, { logMaxSize: 0, logMaxFiles: 3 });
    for (let n = 1; n <= 200; n++) log.info(`line ${n}`);
    assertEquals(files(dir), ["sync.log"], "log_max_size = 0: never rotated");
    assert(Deno.statSync(path).size > 4096);

    // Left over from a larger log_max_files: pruned at the next rotation.
    for (const n of [1, 2, 3, 7]) Deno.writeTextFileSync(`${path}.${n}`, `old ${n}\n`);
    await log.openFile(path, { logMaxSize: 512, logMaxFiles: 1 });
    log.info("line 201");
    assertEquals(files(dir), ["sync.log", "sync.log.1"]);
    assertEquals(lineNumbers(Deno.readTextFileSync(`${path}.1`)).at(-1), 200);
    assertEquals(lineNumbers(Deno.readTextFileSync(path)), [201]);

    await log.openFile(path, { logMaxSize: 64, logMaxFiles: 0 });
    log.info("line 202 is longer than the little room left");
    log.info("line 203 is longer than the little room left");
    log.close();
    assertEquals(files(dir), ["sync.log"]);
    assertEquals(lineNumbers(Deno.readTextFileSync(path)), [203]);
  });
});

Deno.test("sync.log rotation that fails says so once and what to do, and logging goes on", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/sync.log`;
    // A folder where the rotated copy has to go: the copy fails.
    Deno.mkdirSync(`${path}.1/blocker`, { recursive: true });
    const log = new Logger("info", { quiet: true });
    await log.openFile(path, { logMaxSize: 256, logMaxFiles: 1 });
    for (let n = 1; n <= 40; n++) log.info(`line ${n}`);
    log.close();
    const text = Deno.readTextFileSync(path);
    const warnings = text.split("\n").filter((l) => l.includes("[WARN] cannot rotate"));
    assertEquals(warnings.length, 1, text);
    assertMatch(warnings[0], /sync\.log .*free space .*log_max_size = 0/);
    assertEquals(lineNumbers(text).at(-1), 40);
  });
});

Deno.test("config: log_max_size takes bytes or a size with a unit; log_max_files a count", () => {
  const base = `mysql_addr = "h:3306"
mysql_user = "u"
pg_host = "p"
pg_user = "u"
pg_dbname = "d"
server_id = 7
[[source]]
schema = "s"
tables = ["t"]
`;
  const parsed = (top: string) => parseConfig(top + "\n" + base, "/etc/x.toml");
  const defaults = parsed("");
  assertEquals([defaults.logMaxSize, defaults.logMaxFiles], [100 * 1024 * 1024, 5]);
  assertEquals(parsed('log_max_size = "512kB"').logMaxSize, 512 * 1024);
  assertEquals(parsed('log_max_size = "20MB"').logMaxSize, 20 * 1024 * 1024);
  assertEquals(parsed('log_max_size = "1 GB"').logMaxSize, 1024 ** 3);
  assertEquals(parsed("log_max_size = 4096").logMaxSize, 4096);
  assertEquals(parsed("log_max_size = 0").logMaxSize, 0);
  assertEquals(parsed("log_max_files = 0").logMaxFiles, 0);
  for (const bad of ['log_max_size = "lots"', "log_max_size = -1", 'log_max_size = "5TB"']) {
    const err = assertThrows(() => parsed(bad), ConfigError);
    assertMatch(err.message, /^\/etc\/x\.toml: log_max_size: expected a size such as "100MB"/);
  }
  const err = assertThrows(() => parsed("log_max_files = -2"), ConfigError);
  assertMatch(err.message, /log_max_files: expected an integer from 0 to 1000/);
});
