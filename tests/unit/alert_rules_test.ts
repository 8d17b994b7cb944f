/**
 * deploy/prometheus's alert rules load in Prometheus' own checker and fire when they should:
 * `promtool check rules` and `promtool test rules` (the unit tests beside the rules). promtool comes
 * from Debian's prometheus package; scripts/setup-env.sh puts it into .tools/ and sets PROMTOOL.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { alertExpressions, ALERTS_FILE, metricNames } from "../support/deploy_files.ts";

const TOOLS_PROMTOOL = new URL("../../.tools/promtool/promtool", import.meta.url).pathname;

/** PROMTOOL, promtool on PATH, or the copy setup-env.sh extracts; a clear failure otherwise. */
async function promtool(): Promise<string> {
  for (const candidate of [Deno.env.get("PROMTOOL"), "promtool", TOOLS_PROMTOOL]) {
    if (!candidate) continue;
    try {
      const probe = new Deno.Command(candidate, { args: ["--version"], stdout: "null" });
      if ((await probe.output()).success) return candidate;
    } catch {
      // Not there: try the next place.
    }
  }
  throw new Error(
    "promtool not found: run `bash scripts/test.sh` once (scripts/setup-env.sh takes promtool " +
      "out of Debian's prometheus package into .tools/promtool), or set PROMTOOL",
  );
}

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command(await promtool(), {
    args,
    cwd: new URL(".", ALERTS_FILE).pathname,
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    output: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

Deno.test("the alert rules pass promtool check rules, and every expression is seen", async () => {
  const { code, output } = await run(["check", "rules", "mysql-gp-sync-alerts.yml"]);
  assertEquals(code, 0, output);
  const count = Number(/SUCCESS: (\d+) rules found/.exec(output)?.[1]);
  const expressions = await alertExpressions();
  assertEquals(expressions.length, count, "a rule whose expr the tests' reader missed");
  assert(count >= 4, output);
});

Deno.test("the alert rules fire when they should (promtool test rules)", async () => {
  const { code, output } = await run(["test", "rules", "mysql-gp-sync-alerts_test.yml"]);
  assertEquals(code, 0, output);
  assertMatch(output, /SUCCESS/);
});

Deno.test("the alert rules watch down, not scraped, lag, failing and repeated restarts", async () => {
  const names = new Set((await alertExpressions()).flatMap(metricNames));
  for (
    const name of [
      "up",
      "mysql_gp_sync_lag_seconds",
      "mysql_gp_sync_failing",
      "mysql_gp_sync_reconnects_total",
    ]
  ) {
    assert(names.has(name), `no alert on ${name}`);
  }
});
