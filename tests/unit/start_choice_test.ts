import { assertEquals } from "../support/assert.ts";
import { chooseStart } from "../../src/offsets/start_choice.ts";

const STORE = "public.mysql_gp_sync_position";
const saved = { file: "mysql-bin.000007", pos: 1200 };
const older = { file: "mysql-bin.000007", pos: 400 };

Deno.test("PostgreSQL's position wins over a master.info mirror left behind by a crash", () => {
  const choice = chooseStart(saved, { position: older, editedByHand: false }, STORE);
  assertEquals(choice.position, saved);
  assertEquals(choice.from, "postgresql");
  assertEquals(
    choice.why,
    `the applied position saved in ${STORE}; master.info (mysql-bin.000007:400) is a mirror not yet updated and is ignored`,
  );
});

Deno.test("a master.info edited by hand moves the start, as the seed documents", () => {
  const choice = chooseStart(saved, { position: older, editedByHand: true }, STORE);
  assertEquals(choice.position, older);
  assertEquals(choice.from, "master.info");
  assertEquals(
    choice.why,
    `master.info was edited by hand (mysql-bin.000007:400) after ${STORE} saved mysql-bin.000007:1200: the edit wins`,
  );
});

Deno.test("an edit that names the saved position changes nothing", () => {
  const choice = chooseStart(saved, { position: saved, editedByHand: true }, STORE);
  assertEquals([choice.position, choice.from], [saved, "postgresql"]);
});

Deno.test("without a stored position master.info is used, else the oldest binlog", () => {
  assertEquals(chooseStart(null, { position: older, editedByHand: false }, STORE).position, older);
  assertEquals(chooseStart(null, null, STORE), {
    position: null,
    from: "oldest binlog",
    why: "no saved position anywhere",
  });
});
