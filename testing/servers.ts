/**
 * Throwaway MariaDB and PostgreSQL servers for tests and demos.
 *
 * Each server runs on a free loopback port out of a fresh temp dir, which is removed again by
 * `dispose()`. Data dirs are copied from a template that is initialised once per machine and server
 * version (under `$TMPDIR/mysql-gp-sync-templates-<uid>/`), so a start takes well under a second.
 *
 * Library use:
 * ```ts
 * await using my = await startMariaDB();
 * await using pg = await startPostgres();
 * ```
 * CLI use: `deno run -A testing/servers.ts` starts both, prints shell `export` lines and keeps them
 * running until SIGINT/SIGTERM.
 *
 * @module
 */

import mysql from "mysql2/promise";
import postgres from "postgres";

/** A running (or stopped) throwaway MariaDB server. */
export interface MariaDBServer extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  host: string;
  /** TCP port; stays the same across `stop()`/`start()`. */
  port: number;
  /** User with all privileges (incl. REPLICATION SLAVE/CLIENT) reachable over TCP from 127.0.0.1. */
  user: string;
  /** Password of `user`. */
  password: string;
  /** Temp dir holding data dir (`data/`), socket, pid and log files. */
  dir: string;
  /** Server error log (useful when a test fails). */
  logFile: string;
  /** Stop the server process; the data dir and the port are kept (to test reconnects). */
  stop(): Promise<void>;
  /** Start again on the same port and data. No-op when running. */
  start(): Promise<void>;
  /** Kill the server and remove its temp dir. Safe to call more than once. */
  dispose(): Promise<void>;
}

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

/** Options for {@link startMariaDB}. */
export interface MariaDBOptions {
  /**
   * Extra `mariadbd` arguments, appended after the defaults so they override them
   * (e.g. `["--binlog-format=MIXED"]` or `["--skip-log-bin"]`).
   */
  args?: string[];
}

const TEMPLATE_REV = "1";
const HOST = "127.0.0.1";
const MYSQL_USER = "root";
const MYSQL_PASSWORD = "mgs-test-pw";
const PG_USER = "postgres";
const PG_PASSWORD = "mgs-pg-pw";
const PG_DATABASE = "mgs_test";
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const INNODB_ARGS = ["--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M"];

const isRoot = Deno.uid() === 0;

// ---------------------------------------------------------------------------------------------
// Small helpers

const decoder = new TextDecoder();

function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

async function logTail(file: string): Promise<string> {
  try {
    return tail(await Deno.readTextFile(file));
  } catch {
    return "(no log)";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion; throws with its output when it fails. */
async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${tail(text)}`);
  }
  return text;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Finds a binary on PATH or in the usual sbin/bin dirs. */
async function which(names: string[], extraDirs: string[] = []): Promise<string | undefined> {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== ""),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/bin",
    "/usr/local/bin",
    "/usr/local/mysql/bin",
    "/usr/local/mysql/scripts",
    ...extraDirs,
  ];
  for (const name of names) {
    for (const dir of dirs) {
      if (await isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return undefined;
}

/** Asks the OS for a free loopback TCP port. */
function freePort(): number {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function tempBase(): string {
  return (Deno.env.get("TMPDIR") ?? "/tmp").replace(/\/+$/, "") || "/tmp";
}

async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      // A dying server may still be creating files in it; try again shortly.
      if (attempt >= 20) throw err;
      await sleep(50);
    }
  }
}

let setprivPdeathsig: Promise<boolean> | undefined;

/** Whether `setpriv --pdeathsig` exists (util-linux >= 2.33), used so servers die with us. */
function hasPdeathsig(): Promise<boolean> {
  setprivPdeathsig ??= (async () => {
    try {
      const out = await new Deno.Command("setpriv", { args: ["--help"], stderr: "null" }).output();
      return decoder.decode(out.stdout).includes("--pdeathsig");
    } catch {
      return false;
    }
  })();
  return setprivPdeathsig;
}

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

async function lookupUser(name: string): Promise<OsUser> {
  try {
    const uid = Number((await run("id", ["-u", name])).trim());
    const gid = Number((await run("id", ["-g", name])).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(
      `running as root, but there is no '${name}' OS user to run PostgreSQL as ` +
        `(initdb refuses to run as root); install the postgresql package or run as non-root`,
    );
  }
}

/**
 * Builds a cached template dir once: `build` fills a private temp dir that is then renamed into
 * place atomically, so parallel processes never see a half-built template.
 */
async function cachedTemplate(
  name: string,
  build: (tmp: string) => Promise<void>,
  owner?: OsUser,
): Promise<string> {
  // Per OS user: a root-owned dir would not be writable for other users.
  const root = `${tempBase()}/mysql-gp-sync-templates-${Deno.uid()}`;
  const final = `${root}/${name}`;
  try {
    await Deno.stat(final);
    return final;
  } catch {
    // build it below
  }
  await Deno.mkdir(root, { recursive: true });
  await removeStaleBuilds(root);
  const tmp = `${final}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { mode: 0o700 });
  try {
    if (owner) await Deno.chown(tmp, owner.uid, owner.gid);
    await build(tmp);
    try {
      await Deno.rename(tmp, final);
    } catch (err) {
      // Another process won the race; use its template.
      await Deno.stat(final).catch(() => {
        throw err;
      });
      await removeDir(tmp);
    }
  } catch (err) {
    await removeDir(tmp).catch(() => {});
    throw err;
  }
  return final;
}

async function removeStaleBuilds(root: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.name.includes(".tmp-")) continue;
      const path = `${root}/${entry.name}`;
      const st = await Deno.stat(path);
      if (Date.now() - (st.mtime?.getTime() ?? Date.now()) > 30 * 60_000) {
        await removeDir(path).catch(() => {});
      }
    }
  } catch {
    // best effort
  }
}

let swept = false;

/**
 * Makes the temp dir for one server, recording our pid in it. The first call also removes dirs
 * left behind by processes that died without cleaning up (e.g. on SIGKILL).
 */
async function newServerDir(kind: string): Promise<string> {
  if (!swept) {
    swept = true;
    await sweepOrphans();
  }
  const dir = await Deno.makeTempDir({ prefix: `mgs-${kind}-` });
  await Deno.writeTextFile(`${dir}/owner.pid`, `${Deno.pid}\n`);
  return dir;
}

/** Whether `pid` is a live process (zombies count as dead). Linux /proc only. */
async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function sweepOrphans(): Promise<void> {
  try {
    await Deno.stat("/proc/self");
  } catch {
    return; // cannot tell whether owners are alive
  }
  try {
    for await (const entry of Deno.readDir(tempBase())) {
      if (!/^mgs-(mariadb|postgres)-/.test(entry.name) || !entry.isDirectory) continue;
      const dir = `${tempBase()}/${entry.name}`;
      try {
        const pid = Number((await Deno.readTextFile(`${dir}/owner.pid`)).trim());
        if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid) continue;
        if (await processAlive(pid)) continue;
        await removeDir(dir);
      } catch {
        // no owner file yet, not ours to remove, or already gone
      }
    }
  } catch {
    // best effort
  }
}

/** Copies a template data dir (`cp -a` keeps modes and owners, needed for PostgreSQL). */
async function copyDir(from: string, to: string): Promise<void> {
  await run("cp", ["-a", from, to]);
}

// ---------------------------------------------------------------------------------------------
// Making sure servers do not outlive this process

interface Tracked {
  killNow(): void;
  dir: string;
}

const live = new Set<Tracked>();
let hooksInstalled = false;
let signalHandlersEnabled = true;

function cleanupSync(): void {
  for (const t of live) {
    try {
      t.killNow();
    } catch {
      // already gone
    }
  }
  for (const t of live) {
    for (let i = 0; i < 5; i++) {
      try {
        Deno.removeSync(t.dir, { recursive: true });
        break;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) break;
      }
    }
  }
  live.clear();
}

function onSignal(signal: "SIGINT" | "SIGTERM"): () => void {
  return () => {
    if (!signalHandlersEnabled) return;
    cleanupSync();
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  };
}
const sigintHandler = onSignal("SIGINT");
const sigtermHandler = onSignal("SIGTERM");

function track(t: Tracked): void {
  live.add(t);
  if (!hooksInstalled) {
    hooksInstalled = true;
    globalThis.addEventListener("unload", cleanupSync);
    Deno.addSignalListener("SIGINT", sigintHandler);
    Deno.addSignalListener("SIGTERM", sigtermHandler);
  }
}

function untrack(t: Tracked): void {
  live.delete(t);
  if (live.size === 0 && hooksInstalled) {
    hooksInstalled = false;
    globalThis.removeEventListener("unload", cleanupSync);
    Deno.removeSignalListener("SIGINT", sigintHandler);
    Deno.removeSignalListener("SIGTERM", sigtermHandler);
  }
}

// ---------------------------------------------------------------------------------------------
// Process management shared by both servers

abstract class ManagedServer implements AsyncDisposable, Tracked {
  readonly host = HOST;
  #child: Deno.ChildProcess | undefined;
  #exited: Promise<Deno.CommandStatus> | undefined;
  #disposed = false;

  constructor(
    readonly kind: string,
    readonly dir: string,
    readonly logFile: string,
    public port: number,
  ) {}

  /** Program and arguments to run the server in the foreground. */
  protected abstract command(): Promise<[string, string[]]>;
  /** Resolves once a client can log in; rejects otherwise. */
  protected abstract probe(): Promise<void>;
  /** Signal for a clean shutdown. */
  protected abstract readonly stopSignal: Deno.Signal;

  async start(): Promise<void> {
    if (this.#disposed) throw new Error(`${this.kind} server in ${this.dir} was disposed`);
    if (this.#child) return;
    let [cmd, args] = await this.command();
    if (await hasPdeathsig()) {
      // The kernel kills the server if this process dies, even on SIGKILL. A uid change clears
      // the setting, so it goes into the same setpriv call that drops privileges, if any.
      if (cmd === "setpriv") args = ["--pdeathsig", "KILL", ...args];
      else [cmd, args] = ["setpriv", ["--pdeathsig", "KILL", "--", cmd, ...args]];
    }
    const child = new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Forgetting dispose() must not keep the process alive; the unload hook cleans up then.
    child.unref();
    this.#child = child;
    this.#exited = child.status;
    track(this);
    await this.#waitReady();
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited: Deno.CommandStatus | undefined;
    this.#exited!.then((s) => exited = s);
    let lastError: unknown;
    while (true) {
      if (exited) {
        this.#child = undefined;
        throw new Error(
          `${this.kind} server exited during start-up (code ${exited.code}${
            exited.signal ? `, signal ${exited.signal}` : ""
          }); log ${this.logFile}:\n${await logTail(this.logFile)}`,
        );
      }
      try {
        await this.probe();
        return;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        await this.#kill("SIGKILL");
        throw new Error(
          `${this.kind} server on port ${this.port} not ready after ${READY_TIMEOUT_MS / 1000} s ` +
            `(last error: ${lastError}); log ${this.logFile}:\n${await logTail(this.logFile)}`,
        );
      }
      await sleep(30);
    }
  }

  async #kill(signal: Deno.Signal, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    const child = this.#child;
    if (!child) return;
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.#exited!.then(() => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs)),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await this.#exited;
    }
    this.#child = undefined;
  }

  /** Synchronous hard kill for exit hooks. */
  killNow(): void {
    this.#child?.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await this.#kill(this.stopSignal);
  }

  protected abstract readonly killSignal: Deno.Signal;

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.#kill(this.killSignal, 5_000);
      await removeDir(this.dir);
    } finally {
      untrack(this);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** Starts a fresh server, retrying on a new port if another process grabbed the chosen one. */
async function startOnFreePort<T extends ManagedServer>(server: T): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      await server.start();
      return server;
    } catch (err) {
      const log = await logTail(server.logFile);
      if (attempt < 4 && /already in use|could not bind|Can't start server: Bind/i.test(log)) {
        server.port = freePort();
        // Truncate (not re-create: the PostgreSQL log belongs to the postgres OS user).
        await Deno.truncate(server.logFile).catch(() => {});
        continue;
      }
      await server.dispose().catch(() => {});
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB

interface MariaDBBinaries {
  server: string;
  installDb: string;
  version: string;
}

let mariadbBinaries: Promise<MariaDBBinaries> | undefined;

function findMariaDB(): Promise<MariaDBBinaries> {
  mariadbBinaries ??= (async () => {
    const server = await which(["mariadbd", "mysqld"]);
    const installDb = await which(["mariadb-install-db", "mysql_install_db"]);
    if (!server || !installDb) {
      throw new Error(
        "mariadbd / mariadb-install-db not found; install MariaDB (apt-get install mariadb-server)",
      );
    }
    const version = (await run(server, ["--version"])).trim();
    return { server, installDb, version };
  })();
  mariadbBinaries.catch(() => mariadbBinaries = undefined);
  return mariadbBinaries;
}

async function osUserName(): Promise<string> {
  return (await run("id", ["-un"])).trim();
}

async function mariadbTemplate(bin: MariaDBBinaries): Promise<string> {
  const ver = bin.version.match(/Ver\s+(\S+)/)?.[1] ?? "unknown";
  const key = await shortHash(
    [TEMPLATE_REV, bin.server, bin.version, MYSQL_USER, MYSQL_PASSWORD, ...INNODB_ARGS].join("\n"),
  );
  const name = `mariadb-${ver.replace(/[^A-Za-z0-9.]+/g, "_")}-${key}`;
  return await cachedTemplate(name, async (tmp) => {
    const sql = `${tmp}/init.sql`;
    await Deno.writeTextFile(
      sql,
      // Grant tables are not loaded in bootstrap mode until FLUSH PRIVILEGES.
      `FLUSH PRIVILEGES;
CREATE USER '${MYSQL_USER}'@'${HOST}' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'${HOST}' WITH GRANT OPTION;
`,
    );
    // A private tmpdir: parallel bootstraps sharing one clash on their temporary tables.
    await Deno.mkdir(`${tmp}/tmp`);
    await run(bin.installDb, [
      "--no-defaults",
      `--datadir=${tmp}/data`,
      `--tmpdir=${tmp}/tmp`,
      ...(isRoot ? [`--user=${await osUserName()}`] : []),
      "--skip-test-db",
      "--skip-name-resolve",
      "--auth-root-authentication-method=socket",
      `--extra-file=${sql}`,
      ...INNODB_ARGS,
    ]);
    await Deno.remove(sql);
    await Deno.remove(`${tmp}/tmp`, { recursive: true });
  });
}

class MariaDBInstance extends ManagedServer implements MariaDBServer {
  readonly user = MYSQL_USER;
  readonly password = MYSQL_PASSWORD;
  protected readonly stopSignal = "SIGTERM";
  protected readonly killSignal = "SIGKILL";

  constructor(
    dir: string,
    port: number,
    private readonly bin: MariaDBBinaries,
    private readonly extraArgs: string[],
    private readonly osUser: string,
  ) {
    super("MariaDB", dir, `${dir}/mariadbd.log`, port);
  }

  protected command(): Promise<[string, string[]]> {
    const d = this.dir;
    return Promise.resolve([this.bin.server, [
      "--no-defaults",
      `--datadir=${d}/data`,
      `--tmpdir=${d}/tmp`,
      `--socket=${d}/mariadbd.sock`,
      `--pid-file=${d}/mariadbd.pid`,
      `--log-error=${this.logFile}`,
      ...(isRoot ? [`--user=${this.osUser}`] : []),
      `--bind-address=${HOST}`,
      `--port=${this.port}`,
      "--skip-name-resolve",
      "--server-id=1",
      "--log-bin=mysql-bin",
      "--binlog-format=ROW",
      "--binlog-row-image=FULL",
      "--binlog-row-metadata=FULL",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      // Small and fast rather than durable.
      ...INNODB_ARGS,
      "--innodb-temp-data-file-path=ibtmp1:4M:autoextend",
      "--innodb-flush-log-at-trx-commit=0",
      "--innodb-doublewrite=0",
      "--innodb-use-native-aio=0",
      "--sync-binlog=0",
      "--performance-schema=OFF",
      ...this.extraArgs,
    ]]);
  }

  protected async probe(): Promise<void> {
    const conn = await mysql.createConnection({
      host: this.host,
      port: this.port,
      user: this.user,
      password: this.password,
      connectTimeout: 2_000,
    });
    try {
      await conn.query("SELECT 1");
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }
}

/**
 * Starts a throwaway MariaDB with row-based binary logging (`mysql-bin`, ROW, FULL image, FULL
 * metadata, server-id 1) on a free 127.0.0.1 port, in a new temp dir. Default charset utf8mb4.
 * `options.args` are appended to the server arguments and override the defaults.
 */
export async function startMariaDB(options: MariaDBOptions = {}): Promise<MariaDBServer> {
  const bin = await findMariaDB();
  const template = await mariadbTemplate(bin);
  const dir = await newServerDir("mariadb");
  try {
    await copyDir(`${template}/data`, `${dir}/data`);
    await Deno.mkdir(`${dir}/tmp`);
  } catch (err) {
    await removeDir(dir);
    throw err;
  }
  const osUser = isRoot ? await osUserName() : "";
  const server = new MariaDBInstance(dir, freePort(), bin, options.args ?? [], osUser);
  return await startOnFreePort(server);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

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
      `listen_addresses=${HOST}`,
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

// ---------------------------------------------------------------------------------------------
// CLI

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<void> {
  signalHandlersEnabled = false;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => stopRequested = resolve);
  Deno.addSignalListener("SIGINT", () => stopRequested());
  Deno.addSignalListener("SIGTERM", () => stopRequested());

  const t0 = performance.now();
  const started = await Promise.allSettled([startMariaDB(), startPostgres()]);
  const failed = started.filter((r) => r.status === "rejected");
  if (failed.length > 0) {
    for (const r of started) if (r.status === "fulfilled") await r.value.dispose();
    for (const r of failed) console.error(`servers.ts: ${(r as PromiseRejectedResult).reason}`);
    Deno.exit(1);
  }
  const my = (started[0] as PromiseFulfilledResult<MariaDBServer>).value;
  const pg = (started[1] as PromiseFulfilledResult<PostgresServer>).value;
  console.error(
    `servers.ts: MariaDB on ${my.host}:${my.port} (${my.dir}), PostgreSQL on ${pg.host}:${pg.port} ` +
      `(${pg.dir}), ready in ${Math.round(performance.now() - t0)} ms`,
  );
  const vars: Record<string, string> = {
    MYSQL_ADDR: `${my.host}:${my.port}`,
    MYSQL_USER: my.user,
    MYSQL_PASS: my.password,
    PG_HOST: pg.host,
    PG_PORT: String(pg.port),
    PG_USER: pg.user,
    PG_PASS: pg.password,
    PG_DBNAME: pg.database,
  };
  const lines = Object.entries(vars).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  lines.push(`# servers ready; stop with: kill ${Deno.pid}`);
  console.log(lines.join("\n"));

  await stopped;
  console.error("servers.ts: stopping");
  await Promise.all([my.dispose(), pg.dispose()]);
  Deno.exit(0);
}

if (import.meta.main) {
  await main();
}
