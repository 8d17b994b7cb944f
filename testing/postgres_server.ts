/**
 * A throwaway PostgreSQL for tests, bench and the demo: a password superuser and an empty test
 * database, on a free loopback port out of a fresh temp dir copied from a cached template, so a
 * start takes well under a second. As root it runs as the `postgres` OS user (initdb refuses root).
 *
 * ```ts
 * await using pg = await startPostgres();
 * ```
 *
 * @module
 */
import postgres from "postgres";
import { ManagedServer, startOnFreePort } from "./managed_server.ts";
import {
  freePort,
  isExecutable,
  isRoot,
  lookupUser,
  LOOPBACK_HOST,
  type OsUser,
  removeDir,
  run,
  which,
} from "./os.ts";
import { cachedTemplate, copyDir, newServerDir, shortHash, TEMPLATE_REV } from "./server_dirs.ts";

/** A running (or stopped) throwaway PostgreSQL server. */
export interface PostgresServer extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  host: string;
  /** TCP port; stays the same across `stop()`/`start()`. */
  port: number;
  /** Superuser name; it authenticates with `password` (scram-sha-256). */
  user: string;
  /** Password of `user`. */
  password: string;
  /** Database created for the tests. */
  database: string;
  /** Temp dir holding the data dir (`data/`), socket dir and log file. */
  dir: string;
  /** Server log (useful when a test fails). */
  logFile: string;
  /** Stop the server (fast shutdown); the data dir and the port are kept. */
  stop(): Promise<void>;
  /** Start again on the same port and data. No-op when running. */
  start(): Promise<void>;
  /** Kill the server and remove its temp dir. Safe to call more than once. */
  dispose(): Promise<void>;
}

const PG_USER = "postgres";
const PG_PASSWORD = "mgs-pg-pw";
const PG_DATABASE = "mgs_test";

interface PostgresBinaries {
  bindir: string;
  version: string;
}

let postgresBinaries: Promise<PostgresBinaries> | undefined;

async function hasServerBinaries(bindir: string): Promise<boolean> {
  return await isExecutable(`${bindir}/initdb`) && await isExecutable(`${bindir}/postgres`);
}

function findPostgres(): Promise<PostgresBinaries> {
  postgresBinaries ??= (async () => {
    const candidates: string[] = [];
    try {
      candidates.push((await run("pg_config", ["--bindir"])).trim());
    } catch {
      // no pg_config
    }
    try {
      const versions: string[] = [];
      for await (const e of Deno.readDir("/usr/lib/postgresql")) versions.push(e.name);
      versions.sort((a, b) => Number(b) - Number(a) || b.localeCompare(a));
      candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
    } catch {
      // not a Debian-style layout
    }
    const initdb = await which(["initdb"]);
    if (initdb) candidates.push((await Deno.realPath(initdb)).replace(/\/initdb$/, ""));
    for (const bindir of candidates) {
      if (await hasServerBinaries(bindir)) {
        const version = (await run(`${bindir}/postgres`, ["--version"])).trim();
        return { bindir, version };
      }
    }
    throw new Error(
      "PostgreSQL server binaries (initdb, postgres) not found; install PostgreSQL " +
        "(apt-get install postgresql)",
    );
  })();
  postgresBinaries.catch(() => postgresBinaries = undefined);
  return postgresBinaries;
}

/** Prefix that runs a command as `user` (used when we are root). */
function asUser(user: OsUser | undefined, cmd: string, args: string[]): [string, string[]] {
  if (!user) return [cmd, args];
  return ["setpriv", [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    "--init-groups",
    "--",
    cmd,
    ...args,
  ]];
}

async function postgresTemplate(bin: PostgresBinaries, owner?: OsUser): Promise<string> {
  const ver = bin.version.match(/(\d+(?:\.\d+)*)/)?.[1] ?? "unknown";
  const key = await shortHash(
    [TEMPLATE_REV, bin.bindir, bin.version, PG_USER, PG_PASSWORD, PG_DATABASE, owner?.name].join(
      "\n",
    ),
  );
  return await cachedTemplate(`postgres-${ver}-${key}`, async (tmp) => {
    const pwfile = `${tmp}/pwfile`;
    await Deno.writeTextFile(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
    if (owner) await Deno.chown(pwfile, owner.uid, owner.gid);
    await run(...asUser(owner, `${bin.bindir}/initdb`, [
      `--pgdata=${tmp}/data`,
      `--username=${PG_USER}`,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--no-locale",
      "--no-sync",
      "--no-instructions",
    ]));
    await Deno.remove(pwfile);
    // Single-user mode creates the test database without starting a real server.
    await run(
      ...asUser(owner, `${bin.bindir}/postgres`, [
        "--single",
        "-D",
        `${tmp}/data`,
        "-c",
        "exit_on_error=on",
        "-c",
        "fsync=off",
        "postgres",
      ]),
      `CREATE DATABASE ${PG_DATABASE};\n`,
    );
  }, owner);
}

class PostgresInstance extends ManagedServer implements PostgresServer {
  readonly user = PG_USER;
  readonly password = PG_PASSWORD;
  readonly database = PG_DATABASE;
  // SIGINT = fast shutdown (SIGTERM would wait for clients), SIGQUIT = immediate shutdown.
  protected readonly stopSignal = "SIGINT";
  protected readonly killSignal = "SIGQUIT";

  constructor(
    dir: string,
    port: number,
    private readonly bin: PostgresBinaries,
    private readonly owner: OsUser | undefined,
  ) {
    super("PostgreSQL", dir, `${dir}/postgres.log`, port);
  }

  protected command(): Promise<[string, string[]]> {
    const d = this.dir;
    const settings = [
      `listen_addresses=${LOOPBACK_HOST}`,
      `port=${this.port}`,
      `unix_socket_directories=${d}/sock`,
      "fsync=off",
      "synchronous_commit=off",
      "full_page_writes=off",
      "shared_buffers=16MB",
      "max_connections=100",
      "max_wal_senders=0",
      "wal_level=minimal",
      "logging_collector=off",
    ];
    // `postgres` has no log file option in server mode, so a shell redirects its output.
    return Promise.resolve(asUser(this.owner, "sh", [
      "-c",
      'log=$1; shift; exec "$@" >>"$log" 2>&1',
      "sh",
      this.logFile,
      `${this.bin.bindir}/postgres`,
      "-D",
      `${d}/data`,
      ...settings.flatMap((s) => ["-c", s]),
    ]));
  }

  protected async probe(): Promise<void> {
    const sql = postgres({
      host: this.host,
      port: this.port,
      user: this.user,
      password: this.password,
      database: this.database,
      max: 1,
      connect_timeout: 2,
      onnotice: () => {},
    });
    try {
      await sql`SELECT 1`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

/**
 * Starts a throwaway PostgreSQL on a free 127.0.0.1 port, in a new temp dir, with password
 * (scram-sha-256) authentication for `user` and an empty `database`. When running as root the
 * server runs as the `postgres` OS user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await findPostgres();
  const owner = isRoot ? await lookupUser("postgres") : undefined;
  const template = await postgresTemplate(bin, owner);
  const dir = await newServerDir("postgres");
  try {
    if (owner) await Deno.chown(dir, owner.uid, owner.gid);
    await copyDir(`${template}/data`, `${dir}/data`);
    await Deno.mkdir(`${dir}/sock`, { mode: 0o700 });
    if (owner) await Deno.chown(`${dir}/sock`, owner.uid, owner.gid);
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
  const server = new PostgresInstance(dir, freePort(), bin, owner);
  return await startOnFreePort(server);
}
