// SIGKILL at random points of a DDL-heavy workload: nothing lost or doubled. Two followed tables
// are loaded by `snapshot`; then a seeded workload on MariaDB interleaves transactions of DML
// (multi-row inserts, updates including key changes, deletes) with DDL on those tables (ADD COLUMN
// with DEFAULT, DROP COLUMN, MODIFY to a wider type, RENAME COLUMN, ADD/DROP INDEX), while the sync,
// a child process, is SIGKILLed a random 100-1500 ms after each start and started again. Once the
// workload stops and the sync has caught up, each target must have the layout `snapshot` would give
// it and exactly the source's rows. Once with binlog_row_metadata FULL, once MINIMAL. Each test
// prints its seed; MGS_WORKLOAD_SEED repeats a run's plan.
import { assert, assertEquals } from "../support/assert.ts";
import type mysql from "mysql2/promise";
import {
  connectMysql,
  type Fixture,
  runCli,
  startFixture,
  waitFor,
} from "../../testing/fixture.ts";
import { sleep } from "../../testing/os.ts";
import { SyncProcess } from "../../testing/sync_process.ts";
import { tableDifferences } from "../../testing/table_compare.ts";
import { seededRandom, workloadSeed } from "../../testing/workload_plan.ts";
import { assertSameLayout, assertVerified } from "../support/ddl.ts";

const TABLES = ["a", "b"] as const;
const KILLS = 6;

/** A non-key column of a followed table as the workload knows it. */
interface Column {
  name: string;
  kind: "int" | "bigint" | "varchar";
  /** Length of a varchar. */
  length: number;
  notNull?: boolean;
}

/** One followed table's columns and live keys, mirrored by the workload. */
interface TableState {
  name: string;
  columns: Column[];
  ids: Set<number>;
  /** Secondary indexes, each on one column (MariaDB drops one with its column). */
  indexes: { name: string; column: Column }[];
}

/** Draws the workload's transactions and DDL from one seed, mirroring each table's layout. */
class DdlWorkload {
  readonly #random: () => number;
  readonly tables: TableState[];
  #nextId = 1;
  #nextName = 1;
  committed = 0;
  ddl = 0;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
    this.tables = TABLES.map((name) => ({
      name,
      columns: [
        { name: "k", kind: "int", length: 0 },
        { name: "v", kind: "varchar", length: 12 },
      ],
      ids: new Set<number>(),
      indexes: [],
    }));
  }

  /** The CREATE TABLE statements and a first load of rows. */
  setup(): string {
    return this.tables.map((t) => {
      const rows = this.#insert(t, 20);
      return `CREATE TABLE s.${t.name} (id INT PRIMARY KEY, k INT, v VARCHAR(12)); ${rows}`;
    }).join("\n");
  }

  /** The next unit of work: a DDL statement (about one in eight) or a DML transaction. */
  next(): string {
    const table = this.#pick(this.tables);
    if (this.#random() < 0.125) {
      this.ddl++;
      return this.#ddl(table);
    }
    const statements: string[] = [];
    const count = 1 + this.#int(4);
    for (let i = 0; i < count; i++) {
      const t = this.#random() < 0.7 ? table : this.#pick(this.tables);
      statements.push(this.#dml(t));
    }
    return `BEGIN; ${statements.join(" ")} COMMIT;`;
  }

  #dml(t: TableState): string {
    const roll = this.#random();
    const ids = [...t.ids];
    if (roll < 0.4 || ids.length < 5) return this.#insert(t, 1 + this.#int(6));
    if (roll < 0.55) {
      // A key change.
      const from = this.#pick(ids);
      const to = this.#nextId++;
      t.ids.delete(from);
      t.ids.add(to);
      const set = t.columns.length > 0 && this.#random() < 0.5
        ? `, ${this.#assign(this.#pick(t.columns))}`
        : "";
      return `UPDATE s.${t.name} SET id = ${to}${set} WHERE id = ${from};`;
    }
    if (roll < 0.85) {
      if (t.columns.length === 0) return this.#insert(t, 2);
      const chosen = new Set<number>();
      for (let i = 0; i < 1 + this.#int(4); i++) chosen.add(this.#pick(ids));
      const column = this.#pick(t.columns);
      return `UPDATE s.${t.name} SET ${this.#assign(column)} WHERE id IN (${[...chosen]});`;
    }
    const gone = new Set<number>();
    for (let i = 0; i < 1 + this.#int(3); i++) gone.add(this.#pick(ids));
    for (const id of gone) t.ids.delete(id);
    return `DELETE FROM s.${t.name} WHERE id IN (${[...gone]});`;
  }

  #insert(t: TableState, rows: number): string {
    const values: string[] = [];
    for (let i = 0; i < rows; i++) {
      const id = this.#nextId++;
      t.ids.add(id);
      values.push(`(${[String(id), ...t.columns.map((c) => this.#value(c))].join(", ")})`);
    }
    const names = ["id", ...t.columns.map((c) => c.name)].join(", ");
    return `INSERT INTO s.${t.name} (${names}) VALUES ${values.join(", ")};`;
  }

  #ddl(t: TableState): string {
    const roll = this.#random();
    const alter = `ALTER TABLE s.${t.name}`;
    if (roll < 0.3 || t.columns.length < 2) {
      const column: Column = this.#random() < 0.5
        ? { name: `c${this.#nextName++}`, kind: "int", length: 0 }
        : { name: `c${this.#nextName++}`, kind: "varchar", length: 4 + this.#int(8) };
      t.columns.push(column);
      const fallback = column.kind === "int" ? String(this.#int(1000)) : `'d${this.#int(100)}'`;
      column.notNull = this.#random() < 0.5;
      const notNull = column.notNull ? " NOT NULL" : "";
      return `${alter} ADD COLUMN ${column.name} ${
        this.#type(column)
      }${notNull} DEFAULT ${fallback};`;
    }
    if (roll < 0.45) {
      const column = this.#pick(t.columns);
      t.columns = t.columns.filter((c) => c !== column);
      t.indexes = t.indexes.filter((i) => i.column !== column);
      return `${alter} DROP COLUMN ${column.name};`;
    }
    if (roll < 0.65) {
      const column = this.#pick(t.columns);
      if (column.kind === "int") column.kind = "bigint";
      else if (column.kind === "varchar") column.length += 1 + this.#int(10);
      else return this.#ddl(t);
      // MODIFY without NOT NULL makes the column nullable (and drops its DEFAULT).
      column.notNull = false;
      return `${alter} MODIFY ${column.name} ${this.#type(column)};`;
    }
    if (roll < 0.8) {
      const column = this.#pick(t.columns);
      const old = column.name;
      column.name = `r${this.#nextName++}`;
      return `${alter} RENAME COLUMN ${old} TO ${column.name};`;
    }
    if (roll < 0.9 || t.indexes.length === 0) {
      const column = this.#pick(t.columns);
      const index = { name: `i${this.#nextName++}`, column };
      t.indexes.push(index);
      return `${alter} ADD INDEX ${index.name} (${column.name});`;
    }
    const index = this.#pick(t.indexes);
    t.indexes = t.indexes.filter((i) => i !== index);
    return `${alter} DROP INDEX ${index.name};`;
  }

  #type(column: Column): string {
    return column.kind === "varchar" ? `VARCHAR(${column.length})` : column.kind.toUpperCase();
  }

  #assign(column: Column): string {
    return `${column.name} = ${this.#value(column)}`;
  }

  #value(column: Column): string {
    if (!column.notNull && this.#random() < 0.1) return "NULL";
    if (column.kind === "int") return String(this.#int(2_000_000_000) - 1_000_000_000);
    if (column.kind === "bigint") return String(this.#int(2 ** 52) - 2 ** 51);
    const length = 1 + this.#int(column.length);
    return `'${"x".repeat(length - 1)}${this.#int(10)}'`;
  }

  #int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)];
  }
}

/** The applied position in PostgreSQL, null before the first commit. */
async function appliedAt(fixture: Fixture): Promise<{ file: string; pos: number } | null> {
  const rows = await fixture.pg<{ bin_name: string; bin_pos: string }[]>`
    SELECT bin_name, bin_pos::text FROM public.mysql_gp_sync_position`.catch(() => []);
  return rows[0] ? { file: rows[0].bin_name, pos: Number(rows[0].bin_pos) } : null;
}

function notBefore(
  a: { file: string; pos: number },
  b: { file: string; pos: number },
): boolean {
  return a.file > b.file || (a.file === b.file && a.pos >= b.pos);
}

/** Plays the workload on its own connection until `stop` is aborted. */
async function play(
  my: mysql.Connection,
  workload: DdlWorkload,
  stop: AbortSignal,
  random: () => number,
): Promise<void> {
  while (!stop.aborted) {
    const sql = workload.next();
    try {
      await my.query(sql);
    } catch (error) {
      throw new Error(`workload statement failed: ${sql}: ${(error as Error).message}`);
    }
    workload.committed++;
    await sleep(2 + Math.floor(random() * 15));
  }
}

for (const metadata of ["FULL", "MINIMAL"] as const) {
  Deno.test(`binlog_row_metadata=${metadata}: SIGKILL at random points of a DDL-heavy workload: nothing lost or doubled`, async () => {
    const seed = workloadSeed();
    console.log(
      `binlog_row_metadata=${metadata}: workload seed ${seed} ` +
        `(MGS_WORKLOAD_SEED=${seed} repeats the same plan)`,
    );
    const workload = new DdlWorkload(seed);
    const random = seededRandom(seed ^ 0x5bd1e995);
    await using fixture = await startFixture({
      mariadbArgs: [`--binlog-row-metadata=${metadata}`],
    });
    await fixture.my.query(`CREATE DATABASE s; ${workload.setup()}`);
    const config = await fixture.writeConfig(
      `[[source]]\nschema = "s"\ntables = [${TABLES.map((t) => `"${t}"`).join(", ")}]\n`,
    );
    const loaded = await runCli(["snapshot", "-c", config.file]);
    assertEquals(loaded.code, 0, `snapshot: ${loaded.stdout}\n${loaded.stderr}`);

    const my = await connectMysql(fixture.mariadb);
    const stopWorkload = new AbortController();
    const playing = play(my, workload, stopWorkload.signal, random).then(
      () => null,
      (error: Error) => error,
    );
    const kills: string[] = [];
    let last = await appliedAt(fixture);
    let sync: SyncProcess | null = null;
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        sync = await SyncProcess.start({ configFile: config.file });
        const after = 100 + Math.floor(random() * 1400);
        await sleep(after);
        assert(
          sync.exited === null,
          `the sync exited by itself before kill ${kill + 1}: ${sync.stderr}`,
        );
        sync.signal("SIGKILL");
        await sync.status;
        const applied = await appliedAt(fixture);
        if (last && applied) {
          assert(
            notBefore(applied, last),
            `position moved back: ${JSON.stringify([last, applied])}`,
          );
        }
        last = applied;
        kills.push(`${after} ms -> ${applied ? `${applied.file}:${applied.pos}` : "none"}`);
      }
    } finally {
      stopWorkload.abort();
      await playing;
      await my.end().catch(() => {});
    }
    const failed = await playing;
    if (failed) throw failed;
    console.log(
      `  ${workload.committed} units (${workload.ddl} DDL) played; kills: ${kills.join(", ")}`,
    );

    sync = await SyncProcess.start({ configFile: config.file });
    try {
      const end = await fixture.masterStatus();
      await waitFor(`the sync to commit ${end.file}:${end.pos}`, async () => {
        assert(sync?.exited === null, `the sync exited by itself: ${sync?.stderr}`);
        const applied = await appliedAt(fixture);
        return applied !== null && notBefore(applied, end);
      }, 40_000).catch(async (error) => {
        const log = await Deno.readTextFile(`${config.dataDir}/sync.log`).catch(() => "");
        throw new Error(`${(error as Error).message}; sync.log ends:\n${log.slice(-3000)}`);
      });
    } finally {
      await sync.stop();
    }

    const problems: string[] = [];
    for (const table of workload.tables) {
      await assertSameLayout(
        fixture,
        { schema: "s", table: table.name },
        { schema: "public", table: table.name },
      );
      problems.push(
        ...await tableDifferences(fixture.my, fixture.pg, {
          mysqlTable: `s.${table.name}`,
          pgTable: `public.${table.name}`,
          columns: ["id", ...table.columns.map((c) => c.name)].join(", "),
          rangeColumn: "id",
        }),
      );
    }
    assertEquals(problems, [], `seed ${seed}:\n${problems.join("\n")}`);
    await assertVerified(config);
  });
}
