// The demo a new user runs first must keep working: it goes through every command a deployment
// uses, with a schema change, and ends equal.
import { assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("the demo runs the whole deployment and ends equal", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../scripts/demo.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, text);
  for (
    const step of [
      /mysql-gp-sync init/,
      /position set to mysql-bin\.\d+:\d+/,
      /DDL .* on shop\.customer: altered: column tier/,
      /target equals source: 3 tables, \d+ rows .*; 0 missing, 0 extra, 0 different/,
      /sync 1001: running/,
      /run exited with 0/,
    ]
  ) assertMatch(text, step);
});
