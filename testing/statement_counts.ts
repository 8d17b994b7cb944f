/**
 * Counting the statements PostgreSQL executes (pg_stat_statements), for the tests that prove a
 * round-trip budget: a fixed number of statements per batch or chunk, whatever its row count.
 *
 * @module
 */
import type postgres from "postgres";
import type { Fixture } from "./fixture.ts";

/** Restarts PostgreSQL with pg_stat_statements, which counts every statement it executes. */
export async function countStatements(fixture: Fixture): Promise<void> {
  await fixture.pg.unsafe("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  await fixture.postgres.stop();
  await fixture.postgres.start();
  await fixture.reconnect();
  await fixture.pg.unsafe("CREATE EXTENSION pg_stat_statements");
}

/** Every statement PostgreSQL executed since the last call (and their texts). */
export async function statementsSince(
  pg: postgres.Sql,
): Promise<{ count: number; texts: string[] }> {
  const rows = await pg.unsafe<{ query: string; calls: string }[]>(
    "SELECT query, calls::text AS calls FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'",
  );
  await pg.unsafe("SELECT pg_stat_statements_reset()");
  return {
    count: rows.reduce((n, r) => n + Number(r.calls), 0),
    texts: rows.map((r) => r.query),
  };
}
