/**
 * How a snapshot's progress is shown (snapshot/progress_view.ts): bars redrawn in place on a
 * terminal, with log lines written above them rather than through them; log lines elsewhere.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { LoadProgress } from "../../src/snapshot/progress.ts";
import {
  BarLogger,
  LogProgressView,
  TerminalProgressView,
} from "../../src/snapshot/progress_view.ts";
import { Logger } from "../../src/util/log.ts";

/** A terminal that keeps what is written to it. */
function fakeTerminal() {
  const decoder = new TextDecoder();
  const terminal = {
    written: "",
    writeSync(bytes: Uint8Array) {
      terminal.written += decoder.decode(bytes);
      return bytes.length;
    },
  };
  return terminal;
}

const UP_AND_ERASE = (lines: number) => `\x1b[${lines}F\x1b[J`;

Deno.test("bars: one line per table loading, redrawn over the previous ones", () => {
  const terminal = fakeTerminal();
  const view = new TerminalProgressView(terminal);
  const progress = new LoadProgress();
  const first = progress.add("s.first", 1_000, 0);
  const second = progress.add("s.second", 1_000, 0);
  view.start(progress);
  try {
    view.draw();
    assertEquals(terminal.written, "", "nothing is loading yet");
    first.start();
    first.add(500);
    view.draw();
    assert(/^s\.first \[#{10}-{10}\] 50% 500\/~1,000 rows /.test(terminal.written));
    assertEquals(terminal.written.split("\n").length, 2);
    terminal.written = "";
    second.start();
    view.draw();
    const erase = terminal.written.slice(0, UP_AND_ERASE(1).length);
    const bars = terminal.written.slice(erase.length);
    assertEquals(erase, UP_AND_ERASE(1));
    assertEquals(bars.split("\n").map((line) => line.split(" ")[0]), ["s.first", "s.second", ""]);
    // Never wider than the terminal (80 columns when there is none): a wrapped line would
    // break the count of lines to go back up
    assert(bars.split("\n").every((line) => line.length < 80));
    terminal.written = "";
    first.finish();
    view.draw();
    assert(terminal.written.startsWith(UP_AND_ERASE(2)), JSON.stringify(terminal.written));
    assertEquals(terminal.written.slice(UP_AND_ERASE(2).length).split(" ")[0], "s.second");
  } finally {
    view.stop();
  }
  // Stopping removes the bars
  assert(terminal.written.endsWith(UP_AND_ERASE(1)), JSON.stringify(terminal.written));
});

Deno.test("a log line on a terminal: the bars are erased first and drawn again below it", () => {
  const terminal = fakeTerminal();
  const view = new TerminalProgressView(terminal);
  const progress = new LoadProgress();
  progress.add("s.t", 10, 0).start();
  view.start(progress);
  try {
    view.draw();
    terminal.written = "";
    // Below the logger's level, so nothing reaches the test's own stderr
    new BarLogger("error", view).info("a line");
    assert(terminal.written.startsWith(UP_AND_ERASE(1)), JSON.stringify(terminal.written));
    assert(
      terminal.written.slice(UP_AND_ERASE(1).length).startsWith("s.t ["),
      JSON.stringify(terminal.written),
    );
  } finally {
    view.stop();
  }
});

Deno.test("off a terminal: a log line per table loading, every interval", async () => {
  const lines: string[] = [];
  const log = new (class extends Logger {
    override info(message: string): void {
      lines.push(message);
    }
  })("info", { quiet: true });
  const progress = new LoadProgress();
  progress.add("s.done", 10, 0).finish();
  const loading = progress.add("s.loading", 1_000, 0);
  loading.start();
  loading.add(250);
  const view = new LogProgressView(log, 5);
  view.start(progress);
  try {
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  } finally {
    view.stop();
  }
  assert(
    lines.every((line) => /^progress: s\.loading: 250 of ~1,000 rows \(25%\), /.test(line)),
    JSON.stringify(lines),
  );
});
