/**
 * A throwaway MariaDB for tests, bench and the demo: row-based binary logging, a password user
 * with all privileges, on a free loopback port out of a fresh temp dir copied from a cached
 * template, so a start takes well under a second.
 *
 * ```ts
 * await using my = await startMariaDB();
 * ```
 *
 * @module
 */
import mysql from "mysql2/promise";
import { ManagedServer, startOnFreePort } from "./managed_server.ts";
import { freePort, isRoot, LOOPBACK_HOST, osUserName, removeDir, run, which } from "./os.ts";
import { cachedTemplate, copyDir, newServerDir, shortHash, TEMPLATE_REV } from "./server_dirs.ts";

/** A running (or stopped) throwaway MariaDB server. */
export interface MariaDBServer extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  host: string;
  /** TCP port; stays the same across `stop()`/`start()`. */
  port: number;
  /** User with all privileges (incl. REPLICATION SLAVE/CLIENT), logging in over TCP. */
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

/** Options for {@link startMariaDB}. */
export interface MariaDBOptions {
  /**
   * Extra `mariadbd` arguments, appended after the defaults so they override them
   * (e.g. `["--binlog-format=MIXED"]` or `["--skip-log-bin"]`).
   */
  args?: string[];
}

const MYSQL_USER = "root";
const MYSQL_PASSWORD = "mgs-test-pw";
const INNODB_ARGS = ["--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M"];

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
CREATE USER '${MYSQL_USER}'@'${LOOPBACK_HOST}' IDENTIFIED BY '${MYSQL_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'${LOOPBACK_HOST}' WITH GRANT OPTION;
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
      `--bind-address=${LOOPBACK_HOST}`,
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
