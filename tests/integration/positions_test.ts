// Positions a DBA types or finds stored: each impossible or unservable one is refused with what is
// wrong with it (purged, never existed, past the end, inside an event), by `pos set` and by `run`.
import { assertEquals, assertMatch } from "../support/assert.ts";
import { readMasterInfo } from "../../src/offsets/master_info.ts";
import { runCli, startFixture, waitFor } from "../../testing/fixture.ts";

Deno.test("pos set refuses impossible positions and those the source cannot serve", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY); INSERT INTO s.t VALUES (1), (2)",
  );
  await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const file = fixture.configFile;
  const pos = (...args: string[]) => runCli(["pos", "set", ...args, "-c", file]);

  for (
    const [args, pattern] of [
      [["../../etc/passwd", "4"], /"\.\.\/\.\.\/etc\/passwd" is not a binlog file name/],
      [["mysql-bin.000001", "4", "extra"], /usage: pos set BINLOG_FILE POSITION/],
      [["mysql-bin.000001", "999999999999"], /999999999999 is not a binlog offset/],
      [["mysql-bin.000001", "3"], /3 is not a binlog offset/],
    ] as const
  ) {
    const result = await pos(...args);
    assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
    assertMatch(result.stderr, pattern);
  }
  assertEquals(await readMasterInfo(fixture.dataDir), null, "nothing was written");

  const head = await fixture.masterStatus();
  const events = await binlogEventStarts(fixture.my, head.file);
  const inside = events[2] + 1;
  for (
    const [args, pattern] of [
      [
        [head.file, String(inside)],
        new RegExp(`${head.file}:${inside} is not where an event starts`),
      ],
      [[head.file, String(head.pos + 100)], /is past the end of/],
      [["mysql-bin.000099", "4"], /the source never had a binlog file mysql-bin\.000099/],
      [["other-bin.000001", "4"], /the source never had a binlog file other-bin\.000001/],
    ] as const
  ) {
    const result = await pos(...args);
    assertEquals(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    assertMatch(result.stderr, pattern);
  }

  await fixture.my.query("FLUSH BINARY LOGS");
  const next = await fixture.masterStatus();
  // MariaDB keeps a binlog until InnoDB has checkpointed its commits: purge until it is gone.
  await waitFor(`${head.file} to be purged`, async () => {
    await fixture.my.query(`PURGE BINARY LOGS TO '${next.file}'`);
    const [logs] = await fixture.my.query("SHOW BINARY LOGS");
    return (logs as { Log_name: string }[])[0].Log_name === next.file;
  });
  const purged = await pos(head.file, "4");
  assertEquals(purged.code, 1);
  assertMatch(purged.stderr, new RegExp(`${head.file} was purged from the source`));

  const good = await pos(next.file, String(next.pos));
  assertEquals(good.code, 0, good.stderr);
  assertEquals(await readMasterInfo(fixture.dataDir), next);
});

/** Offsets at which events start in `file` (`SHOW BINLOG EVENTS`). */
async function binlogEventStarts(
  my: { query: (sql: string) => Promise<unknown> },
  file: string,
): Promise<number[]> {
  const [rows] = await my.query(`SHOW BINLOG EVENTS IN '${file}'`) as [{ Pos: number }[]];
  return rows.map((row) => Number(row.Pos));
}

Deno.test("run names what is wrong with a stored position instead of calling it purged", async () => {
  await using fixture = await startFixture();
  await fixture.my.query(
    "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY); INSERT INTO s.t VALUES (1), (2)",
  );
  await fixture.pg.unsafe("CREATE TABLE public.t (id int PRIMARY KEY)");
  const config = await fixture.writeConfig(`[[source]]\nschema = "s"\ntables = ["t"]\n`);
  const head = await fixture.masterStatus();
  const inside = (await binlogEventStarts(fixture.my, head.file))[2] + 1;
  const run = () => runCli(["run", "-c", config.file]);
  const storePosition = async (file: string, pos: number) => {
    await fixture.pg.unsafe(
      `CREATE TABLE IF NOT EXISTS public.mysql_gp_sync_position (sync_id text PRIMARY KEY,
         bin_name text NOT NULL, bin_pos bigint NOT NULL, gtid text,
         updated_at timestamptz NOT NULL DEFAULT now());
       DELETE FROM public.mysql_gp_sync_position;`,
    );
    await fixture.pg`INSERT INTO public.mysql_gp_sync_position (sync_id, bin_name, bin_pos)
                     VALUES (${config.syncId}, ${file}, ${pos})`;
  };

  await Deno.mkdir(fixture.dataDir, { recursive: true });
  await Deno.writeTextFile(
    `${fixture.dataDir}/master.info`,
    'bin_name = "mysql-bin.000042"\nbin_pos = 4\n',
  );
  let result = await run();
  assertEquals(result.code, 1, result.stderr);
  assertMatch(
    result.stderr,
    /\(from master\.info\): the source never had a binlog file mysql-bin\.000042/,
  );

  // A hand-edited master.info would win over PostgreSQL; these are about the stored position.
  await Deno.remove(`${fixture.dataDir}/master.info`);
  await storePosition(head.file, inside);
  result = await run();
  assertEquals(result.code, 1, result.stderr);
  assertMatch(
    result.stderr,
    new RegExp(`position ${head.file}:${inside} .*is not where an event starts`),
  );

  await storePosition(head.file, 999999999999);
  result = await run();
  assertEquals(result.code, 2, result.stderr);
  assertMatch(
    result.stderr,
    /mysql_gp_sync_position" \(sync_id 1001\): 999999999999 is not a binlog offset/,
  );
});
