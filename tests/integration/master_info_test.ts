// The seed's way of moving the position: a person edits master.info while the sync is stopped and
// the next start honours it; a master.info our own mirror left behind (a crash) never moves it.
import { assertEquals, assertMatch } from "../support/assert.ts";
import { writeMasterInfo } from "../../src/offsets/master_info.ts";
import { formatPosition } from "../../src/offsets/position.ts";
import {
  cliCommand,
  type Fixture,
  runCli,
  startFixture,
  startSync,
  waitFor,
  waitForCatchUp,
} from "../../testing/fixture.ts";

async function targetIds(fixture: Fixture): Promise<number[]> {
  const rows = await fixture.pg`SELECT id FROM public.t ORDER BY id`;
  return rows.map((row) => Number(row.id));
}

Deno.test("a hand-edited master.info moves the start; a stale mirror after SIGKILL does not", async () => {
  await using fixture = await startFixture();
  await fixture.my.query("CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)");
  await fixture.pg.unsafe("CREATE TABLE public.t (id int PRIMARY KEY)");
  const config = await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const before = await fixture.masterStatus();
  await writeMasterInfo(config.dataDir, before);

  let sync = await startSync(config);
  await fixture.my.query("INSERT INTO s.t VALUES (1), (2), (3)");
  await waitForCatchUp(fixture, sync);
  await sync.stop();
  assertEquals(await targetIds(fixture), [1, 2, 3]);

  // A person sets the start back to before the inserts, the seed's way (no pos set).
  await Deno.writeTextFile(
    `${config.dataDir}/master.info`,
    `bin_name = "${before.file}"\nbin_pos = ${before.pos}\n`,
  );
  const show = await runCli(["pos", "show", "-c", config.file]);
  assertMatch(
    show.stdout,
    new RegExp(
      `bin_pos = ${before.pos}\\n# the next run starts here: master\\.info was edited by hand`,
    ),
  );
  await fixture.pg.unsafe("DELETE FROM public.t");
  sync = await startSync(config);
  await waitFor(
    "the edited start to replay the inserts",
    async () => (await targetIds(fixture)).length === 3,
  );
  await waitForCatchUp(fixture, sync);
  await sync.stop();
  const log = await Deno.readTextFile(`${config.dataDir}/sync.log`);
  assertMatch(
    log,
    new RegExp(`start moved: master\\.info was edited by hand \\(${formatPosition(before)}\\)`),
  );

  // A real run killed with SIGKILL, its mirror then older than what PostgreSQL holds.
  const child = cliCommand(["run", "-c", config.file]).spawn();
  await fixture.my.query("INSERT INTO s.t VALUES (4)");
  await waitFor("row 4 applied", async () => (await targetIds(fixture)).includes(4));
  child.kill("SIGKILL");
  await child.output();
  await writeMasterInfo(config.dataDir, before);
  await fixture.pg.unsafe("DELETE FROM public.t WHERE id = 1");
  sync = await startSync(config);
  await fixture.my.query("INSERT INTO s.t VALUES (5)");
  await waitForCatchUp(fixture, sync);
  await sync.stop();
  // Had the stale mirror won, the replay would have brought row 1 back.
  assertEquals(await targetIds(fixture), [2, 3, 4, 5]);
});
