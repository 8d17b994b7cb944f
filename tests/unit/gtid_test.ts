// GTID states (offsets/gtid.ts) and the trail of a batch's GTIDs (offsets/gtid_trail.ts): MariaDB
// domain-server-sequence lists and MySQL executed sets, parsed, printed, advanced by a batch, and
// compared with what a server holds and purged.
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { GtidState } from "../../src/offsets/gtid.ts";
import { GtidTrail } from "../../src/offsets/gtid_trail.ts";

const A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B = "2c256447-3f0d-431b-9a25-bddf1f1f6ef6";

function trail(...gtids: string[]): GtidTrail {
  const t = new GtidTrail();
  for (const gtid of gtids) t.note(gtid);
  return t;
}

const maria = (text: string) => GtidState.parse(text, "mariadb");
const my = (text: string) => GtidState.parse(text, "mysql");

Deno.test("MariaDB states print as the server does, sorted by domain", () => {
  assertEquals(maria("1-3-45, 0-1-1234").toString(), "0-1-1234,1-3-45");
  assertEquals(maria("").isEmpty, true);
  assertEquals(maria("").toString(), "");
  // A binlog state has one entry per server of a domain; a position one per domain.
  assertEquals(GtidState.parse("0-2-9,0-1-5", "mariadb", true).toString(), "0-1-5,0-2-9");
  assertMatch(assertThrows(() => maria("0-1-5,0-2-9"), Error).message, /names domain 0 twice/);
  for (const bad of ["0-1", "a-1-2", "0-1-2-3", "0-4294967296-1", "0-1-18446744073709551616"]) {
    assertMatch(assertThrows(() => maria(bad), Error).message, /is not a MariaDB GTID/, bad);
  }
  assertEquals(maria("0-1-18446744073709551615").toString(), "0-1-18446744073709551615");
});

Deno.test("MySQL sets print merged and sorted, tags after the untagged ranges", () => {
  assertEquals(my(`${A}:1-5:7, ${A}:6,\n${B}:1-27`).toString(), `${B}:1-27,${A}:1-7`);
  assertEquals(my(`${A.toUpperCase()}:1-3:5`).toString(), `${A}:1-3:5`);
  assertEquals(my(`${A}:tag_b:2:tag_a:1-3,${A}:9`).toString(), `${A}:9:tag_a:1-3:tag_b:2`);
  assertEquals(my("").isEmpty, true);
  for (
    const bad of [
      `${A}`,
      "nope:1-5",
      `${A}:5-1`,
      `${A}:0`,
      `${A}:tag`,
      `${A}:1-9223372036854775808`,
    ]
  ) {
    assertMatch(assertThrows(() => my(bad), Error).message, /is not a MySQL GTID set entry/, bad);
  }
});

Deno.test("a MariaDB batch advances each domain to its last GTID, even to a lower sequence", () => {
  const before = maria("0-1-10,1-1-3");
  assertEquals(before.after(trail()).toString(), "0-1-10,1-1-3");
  assertEquals(before.after(trail("0-1-11", "0-1-12")).toString(), "0-1-12,1-1-3");
  // Several domains, interleaved; a new domain joins.
  assertEquals(
    before.after(trail("0-1-11", "1-1-4", "0-1-12", "2-5-1", "1-1-5", "0-1-13")).toString(),
    "0-1-13,1-1-5,2-5-1",
  );
  // After a failover a domain may continue under another server with a lower number.
  assertEquals(before.after(trail("0-2-8")).toString(), "0-2-8,1-1-3");
  assertEquals(trail("0-1-1", "10-1-1", "0-1-2").lastPerDomain().sort(), ["0-1-2", "10-1-1"]);
  assertEquals(trail("0-1-1", "0-1-2").last, "0-1-2");
});

Deno.test("a MySQL batch adds its transactions to the set, runs and gaps alike", () => {
  const before = my(`${A}:1-10`);
  const added = before.after(trail(`${A}:11`, `${A}:12`, `${A}:14`, `${B}:1`, `${A}:15`, `${B}:2`));
  assertEquals(added.toString(), `${B}:1-2,${A}:1-12:14-15`);
  // Applying the same batch again gives the same set.
  assertEquals(added.after(trail(`${A}:11`, `${A}:14`)).toString(), added.toString());
  assertEquals(
    my("").after(trail(`${A}:tag_x:3`, `${A}:tag_x:4`, `${A}:1`)).toString(),
    `${A}:1:tag_x:3-4`,
  );
  // Beyond 2^53, numbers stay exact.
  assertEquals(
    my("").after(trail(`${A}:9007199254740993`, `${A}:9007199254740994`)).toString(),
    `${A}:9007199254740993-9007199254740994`,
  );
  const runs = trail(`${A}:1`, `${A}:2`, `${A}:3`, `${B}:7`).runs();
  assertEquals(runs.map((r) => [r.key, r.first, r.last]), [[A, 1n, 3n], [B, 7n, 7n]]);
});

Deno.test("missingFrom: what of the applied state a server's binlog lacks", () => {
  // MariaDB: the binlog state names the last sequence per server of each domain.
  const binlog = GtidState.parse("0-1-100,0-2-150,1-3-7", "mariadb", true);
  assertEquals(maria("0-1-100,1-3-7").missingFrom(binlog), null);
  assertEquals(maria("0-2-120").missingFrom(binlog), null);
  assertEquals(maria("0-1-101").missingFrom(binlog), "0-1-101");
  assertEquals(maria("0-4-1,1-3-8").missingFrom(binlog), "0-4-1,1-3-8");
  assertEquals(maria("").missingFrom(binlog), null);
  // MySQL: a set difference.
  assertEquals(my(`${A}:1-5`).missingFrom(my(`${A}:1-9,${B}:1`)), null);
  assertEquals(
    my(`${A}:1-12,${B}:1-3`).missingFrom(my(`${A}:1-9:11,${B}:1`)),
    `${B}:2-3,${A}:10:12`,
  );
});

Deno.test("purgedBeyond: what a server no longer has that was not applied yet", () => {
  // MariaDB: the state at the start of the oldest binlog, per domain.
  const purged = maria("0-1-50,1-3-4");
  assertEquals(maria("0-1-60,1-3-4").purgedBeyond(purged), null);
  assertEquals(maria("0-1-49,1-3-9").purgedBeyond(purged), "0-1-50");
  assertEquals(maria("0-1-60").purgedBeyond(purged), "1-3-4", "a domain never applied");
  assertEquals(maria("").purgedBeyond(maria("")), null);
  // MySQL: gtid_purged minus the applied set.
  assertEquals(my(`${A}:1-20`).purgedBeyond(my(`${A}:1-10`)), null);
  assertEquals(my(`${A}:1-5:8-20`).purgedBeyond(my(`${A}:1-10,${B}:1-2`)), `${B}:1-2,${A}:6-7`);
});
