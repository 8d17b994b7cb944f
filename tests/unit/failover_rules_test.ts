// The decisions of a failover without servers: the group's members from the config, whether a
// member can continue the stream after the applied GTID state (and whether a refusal is final),
// and what `check` says about GTID mode and failover.
import { assert, assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import { parseConfig } from "../../src/config/config.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { GtidState } from "../../src/offsets/gtid.ts";
import { continuationProblem, memberVerdict } from "../../src/source/continuation.ts";
import type { ServerGtids } from "../../src/source/gtid_status.ts";
import { groupMembers, memberName, sourceAddressKey } from "../../src/source/members.ts";
import { gtidFindings, type MemberReport } from "../../src/check/gtid_rules.ts";

const BASE = `mysql_addr = "10.0.0.1:3306"
mysql_user = "u"
pg_host = "pg"
pg_user = "p"
pg_dbname = "d"
server_id = 7
`;
const SOURCE = `[[source]]\nschema = "s"\ntables = ["t"]\n`;

Deno.test("mysql_members lists the other members; mysql_addr comes first, once", () => {
  const config = parseConfig(
    `${BASE}mysql_members = ["10.0.0.2", "10.0.0.1:3306", "[::1]:3307"]
mysql_primary_only = true
${SOURCE}`,
    "x.toml",
  );
  assertEquals(config.mysqlPrimaryOnly, true);
  assertEquals(groupMembers(config).map(memberName), [
    "10.0.0.1:3306",
    "10.0.0.2:3306",
    "[::1]:3307",
  ]);
  const plain = parseConfig(BASE + SOURCE, "x.toml");
  assertEquals([plain.mysqlMembers, plain.mysqlPrimaryOnly], [[], false]);
  // Messages name the key that gives the address connected to.
  const members = { ...plain, mysqlMembers: [{ host: "10.0.0.2", port: 3306 }] };
  assertEquals(sourceAddressKey(members), "mysql_addr");
  assertEquals(sourceAddressKey({ ...members, mysqlHost: "10.0.0.2" }), "mysql_members");
  for (const bad of ['"10.0.0.2"', '["10.0.0.2:99999"]', "[3306]"]) {
    const err = assertThrows(
      () => parseConfig(`${BASE}mysql_members = ${bad}\n${SOURCE}`, "x.toml"),
      ConfigError,
    );
    assertMatch(err.message, /^x\.toml: mysql_members: expected /);
  }
});

function mariaServer(binlog: string, purged = "", readOnly = false): ServerGtids {
  return {
    flavor: "mariadb",
    enabled: true,
    mode: "always on (MariaDB)",
    binlog: GtidState.parse(binlog, "mariadb", true),
    purged: GtidState.parse(purged, "mariadb"),
    readOnly,
  };
}

const applied = GtidState.parse("0-1-100", "mariadb");

Deno.test("a member continues when it has every applied transaction and the next ones", () => {
  assertEquals(continuationProblem(applied, mariaServer("0-1-100,0-2-120", "0-1-90")), null);
  const behind = continuationProblem(applied, mariaServer("0-1-90,0-2-95"));
  assertEquals(behind?.kind, "missing");
  assertMatch(behind!.message, /lacks transactions already applied to PostgreSQL \(0-1-100\)/);
  const purged = continuationProblem(applied, mariaServer("0-1-130", "0-1-110"));
  assertEquals(purged?.kind, "purged");
  assertMatch(purged!.message, /purged .* not yet applied \(up to 0-1-110\)/);
  const mysql = GtidState.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", "mysql");
  assertEquals(continuationProblem(mysql, mariaServer("0-1-1"))?.kind, "flavor");
  const off: ServerGtids = {
    ...mariaServer(""),
    flavor: "mysql",
    enabled: false,
    mode: "gtid_mode = OFF",
  };
  assertMatch(continuationProblem(mysql, off)!.message, /writes no GTIDs \(gtid_mode = OFF\)/);
});

Deno.test("a primary that cannot continue is final; a replica may catch up; primaries only", () => {
  assertEquals(memberVerdict(applied, mariaServer("0-1-100"), true), { follow: true });
  const replica = mariaServer("0-1-100", "", true);
  assertEquals(memberVerdict(applied, replica, false), { follow: true });
  const notPrimary = memberVerdict(applied, replica, true);
  assert(!notPrimary.follow && !notPrimary.final && /not a primary/.test(notPrimary.reason));
  const behindReplica = memberVerdict(applied, mariaServer("0-1-90", "", true), false);
  assert(!behindReplica.follow && !behindReplica.final);
  const behindPrimary = memberVerdict(applied, mariaServer("0-1-90"), false);
  assert(!behindPrimary.follow && behindPrimary.final);
  const purgedPrimary = memberVerdict(applied, mariaServer("0-1-200", "0-1-150"), true);
  assert(!purgedPrimary.follow && purgedPrimary.final);
});

function member(name: string, gtids: ServerGtids | null, seed = false): MemberReport {
  return { name, seed, gtids, logReplicaUpdates: true, error: gtids ? null : "refused" };
}

Deno.test("check: GTID mode per member, the resume by GTID, and whether failover is possible", () => {
  const primary = member("a:3306", mariaServer("0-1-100"), true);
  const replica = member("b:3306", mariaServer("0-1-100", "", true));
  let result = gtidFindings([primary, replica], "0-1-100");
  assertEquals(result.resumesByGtid, true);
  assertEquals(result.findings.map((f) => `${f.level} ${f.check}`), [
    "ok gtid",
    "ok gtid",
    "ok position",
    "ok failover",
  ]);
  assertMatch(result.findings[2].message, /run resumes by GTID after 0-1-100 on a:3306/);

  // No GTID state saved yet; a member without log_slave_updates; one that does not answer.
  result = gtidFindings(
    [primary, { ...replica, logReplicaUpdates: false }, member("c:3306", null)],
    null,
  );
  assertEquals(result.resumesByGtid, false);
  assertEquals(result.findings.map((f) => `${f.level} ${f.check}`), [
    "ok gtid",
    "warn gtid",
    "warn gtid",
    "warn failover",
  ]);
  assertMatch(result.findings[1].message, /log_slave_updates is OFF/);
  assertMatch(result.findings[3].message, /the saved position has none yet/);

  // The seed cannot continue (it lost transactions): a FAIL; a member that purged them: a WARN.
  result = gtidFindings([
    member("a:3306", mariaServer("0-1-90"), true),
    member("b:3306", mariaServer("0-1-200", "0-1-150", true)),
  ], "0-1-100");
  assertEquals(result.findings.map((f) => `${f.level} ${f.check}`), [
    "ok gtid",
    "ok gtid",
    "fail position",
    "warn failover",
  ]);
  assertMatch(result.findings[3].message, /failover is not possible: b:3306: it has purged/);
  assertEquals(
    gtidFindings([primary], null).findings.at(-1)?.message,
    "no mysql_members listed: run follows mysql_addr only",
  );
});
