/**
 * `deno run -A testing/servers.ts`: starts a throwaway MariaDB and PostgreSQL, prints shell
 * `export` lines to reach them (MYSQL_ADDR, PG_HOST, ...) and keeps them running until SIGINT or
 * SIGTERM, then removes them. Programs use `startMariaDB` / `startPostgres` from
 * `mariadb_server.ts` and `postgres_server.ts` instead.
 *
 * @module
 */
import { leaveSignalsToCaller } from "./exit_cleanup.ts";
import { type MariaDBServer, startMariaDB } from "./mariadb_server.ts";
import { type PostgresServer, startPostgres } from "./postgres_server.ts";

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<void> {
  leaveSignalsToCaller();
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
