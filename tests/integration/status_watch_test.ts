/**
 * `status --watch` as users run it (the CLI as a child process) against a real sync: a line per
 * refresh when stdout is a pipe, JSON lines with --json, a redrawn screen on a terminal (a pseudo
 * terminal from util-linux's `script`), the stored position while no sync runs, and a clean exit
 * on Ctrl-C (SIGINT).
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { stripAnsi } from "../support/terminal.ts";
import type { StatusReport } from "../../src/observe/metrics.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { cliCommand, type Fixture, startFixture, waitFor } from "../../testing/fixture.ts";
import { freePort } from "../../testing/os.ts";

/** A `status --watch` child whose stdout lines are collected as they come. */
class Watcher {
  readonly lines: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #reading: Promise<void>;

  constructor(configFile: string, extra: string[] = []) {
    const args = ["status", "--watch", "--interval", "1", "-c", configFile, ...extra];
    this.#child = cliCommand(args).spawn();
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let rest = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
    }
  }

  /** Waits until a printed line passes `check`, and returns it. */
  async line(what: string, check: (line: string) => boolean): Promise<string> {
    let found: string | undefined;
    await waitFor(what, () => (found = this.lines.find(check)) !== undefined, 30_000);
    return found!;
  }

  /** Ctrl-C: the watch must end by itself with exit code 0. */
  async interrupt(): Promise<void> {
    this.#child.kill("SIGINT");
    const [status] = await Promise.all([this.#child.status, this.#reading]);
    const stderr = await new Response(this.#child.stderr).text();
    assertEquals(status.code, 0, `status --watch after SIGINT: ${stderr}`);
  }
}

async function prepare(fixture: Fixture, port: number): Promise<void> {
  await fixture.my.query(`
    CREATE DATABASE shop;
    CREATE TABLE shop.t_user (id INT PRIMARY KEY, name VARCHAR(20));`);
  await fixture.pg.unsafe("CREATE TABLE public.t_user (id integer PRIMARY KEY, name varchar(20))");
  await fixture.writeConfig(`status_addr = "127.0.0.1:${port}"
[[source]]
schema = "shop"
tables = ["t_user"]
`);
  await writeMasterInfo(fixture.dataDir, await fixture.masterStatus());
}

Deno.test("status --watch: a line per refresh, JSON lines, a redrawn terminal, Ctrl-C", async () => {
  await using fixture = await startFixture();
  const port = freePort();
  await prepare(fixture, port);
  const file = fixture.configFile;

  // No sync yet: the stored position, refreshed, with the reason.
  const idle = new Watcher(file);
  await idle.line("two refreshes", () => idle.lines.length >= 2);
  await idle.interrupt();
  for (const line of idle.lines) {
    assertMatch(
      line,
      /^\S+Z sync=1001 stopped applied=mysql-bin\.\d+:\d+ source=mysql-bin\.\d+:\d+ lag=0s,0B error="none" \(not running \(nothing listening on 127\.0\.0\.1:\d+: .*\)\)$/,
    );
  }

  const sync = cliCommand(["run", "-c", file]).spawn();
  let id = 0;
  const writing = { stop: false };
  // Rows keep coming while the watchers look, so the rates are above zero.
  const writer = (async () => {
    while (!writing.stop) {
      await fixture.my.query("INSERT INTO shop.t_user VALUES (?, 'x')", [++id]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    const piped = new Watcher(file);
    const json = new Watcher(file, ["--json"]);
    const line = await piped.line(
      "a refresh of the running sync with a rate",
      (l) => / running pid=\d+ .* table_changes\/s=shop\.t_user:(?!0\.0\b)\d+\.\d /.test(l),
    );
    assertMatch(line, / lag=[\d.]+s,\d+B rows\/s=([\d.]+|\?) rows=\d+ batches=\d+ reconnects=0 /);
    assertMatch(line, / error="none"$/);
    await json.line(
      "two JSON refreshes of the running sync",
      () => json.lines.filter((l) => l.includes('"running":true')).length >= 2,
    );
    await piped.interrupt();
    await json.interrupt();
    assert(piped.lines.every((l) => !l.includes("\x1b")), "no terminal codes into a pipe");
    // The first refreshes may come before the sync answers: those are the stored position.
    const reports: StatusReport[] = json.lines.map((l) => JSON.parse(l));
    const running = reports.filter((r) => r.running);
    assert(running.length >= 2 && reports.every((r) => r.sync_id === "1001"), json.lines.join());
    assert(running.at(-1)!.rows_applied! >= running[0].rows_applied!, "counters grow");

    // On a terminal: redrawn in place (cursor home, erase), the per-table table, cursor restored.
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      new URL("../../main.ts", import.meta.url).pathname,
    ]
      .concat(["status", "--watch", "--interval", "1", "-c", file]).join(" ");
    const tty = await new Deno.Command("script", {
      // timeout sends the Ctrl-C; --preserve-status passes on the watch's own exit code.
      args: ["-qec", `timeout --preserve-status -s INT 4 ${command}`, "/dev/null"],
      stdin: "null",
    }).output();
    const screen = new TextDecoder().decode(tty.stdout);
    assertEquals(tty.code, 0, screen);
    const frames = screen.split("\x1b[H").slice(1);
    assert(frames.length >= 3, `at least 2 redraws after the clear, got ${frames.length - 1}`);
    const last = stripAnsi(frames.at(-1)!);
    assertMatch(last, /^mysql-gp-sync status, \S+, every 1 s \(Ctrl-C to stop\)/);
    assertMatch(last, /^sync 1001: running, pid \d+/m);
    assertMatch(last, /^ {2}table +ins\/s +upd\/s +del\/s +inserts +updates +deletes/m);
    assertMatch(last, /^ {2}shop\.t_user +\d+\.\d +0\.0 +0\.0 +\d+ +0 +0/m);
    assert(screen.trimEnd().endsWith("\x1b[?25h"), "the cursor is shown again");
  } finally {
    writing.stop = true;
    await writer;
    sync.kill("SIGTERM");
    await sync.output();
  }
});
