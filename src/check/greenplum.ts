/**
 * The Greenplum (and Cloudberry) probes of `check`: reads each route's distribution policy and
 * storage, and the global deadlock detector, and hands them to the rules in greenplum_rules.ts.
 * Nothing is asked, and nothing found, when the target is PostgreSQL.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { detectDialect, GREENPLUM_CATALOG } from "../sink/dialect.ts";
import type { Sql } from "../sink/postgres.ts";
import { describeTarget } from "../sink/target.ts";
import type { Route } from "../tables/routes.ts";
import { errorMessage } from "../util/log.ts";
import { type Finding, warn } from "./finding.ts";
import {
  deadlockDetectorFinding,
  distributionFinding,
  distributionOf,
  type PolicyRow,
  storageFinding,
  storageOf,
  type StorageRow,
} from "./greenplum_rules.ts";
import { targetKeyColumns } from "./target_rules.ts";

/** Which spelling of the catalog this server has. */
interface CatalogShape {
  policyKey: "distkey" | "attrnums";
  policyType: boolean;
  relstorage: boolean;
}

/** The Greenplum findings for `routes`; none on PostgreSQL. A catalog error is one warning. */
export async function greenplumFindings(
  config: Config,
  sql: Sql,
  routes: readonly Route[],
): Promise<Finding[]> {
  if ((await detectDialect(sql)).name !== "greenplum") return [];
  try {
    const findings = [deadlockDetectorFinding(await deadlockDetector(sql), config.concurrentSize)];
    const shape = await catalogShape(sql);
    for (const route of routes) findings.push(...await routeFindings(sql, shape, route));
    return findings;
  } catch (err) {
    return [warn(
      "distribution",
      `could not read the Greenplum catalog (${errorMessage(err)}): distribution keys and ` +
        "append-optimized tables were not checked",
    )];
  }
}

async function deadlockDetector(sql: Sql): Promise<string | null> {
  try {
    const [row] = await sql.unsafe<Record<string, string>[]>(GREENPLUM_CATALOG.deadlockDetector);
    return Object.values(row ?? {})[0] ?? null;
  } catch {
    return null; // before GP6: no such setting, and UPDATE and DELETE always lock whole tables
  }
}

async function catalogShape(sql: Sql): Promise<CatalogShape> {
  const columns = async (table: string) =>
    new Set(
      (await sql.unsafe<{ name: string }[]>(GREENPLUM_CATALOG.catalogColumns, [table]))
        .map((r) => r.name),
    );
  const policy = await columns("pg_catalog.gp_distribution_policy");
  const classes = await columns("pg_catalog.pg_class");
  return {
    policyKey: policy.has("distkey") ? "distkey" : "attrnums",
    policyType: policy.has("policytype"),
    relstorage: classes.has("relstorage"),
  };
}

async function routeFindings(
  sql: Sql,
  shape: CatalogShape,
  route: Route,
): Promise<Finding[]> {
  const target = await describeTarget(sql, route.pgSchema, route.pgTable);
  if (!target) return []; // reported by the target table check
  const { source, pgSchema, pgTable } = route;
  const label = `${source.schema}.${source.table} -> ${pgSchema}.${pgTable}`;
  // The source tag is part of the key: distributing by the source key alone is fine too.
  const key = targetKeyColumns(route, target);
  const [policy] = await sql.unsafe<PolicyRow[]>(
    GREENPLUM_CATALOG.distributionPolicy(shape.policyKey, shape.policyType),
    [pgSchema, pgTable],
  );
  const findings = [distributionFinding({
    label,
    pgSchema,
    pgTable,
    key,
    distribution: distributionOf(policy),
  })];
  const [storage] = await sql.unsafe<StorageRow[]>(
    GREENPLUM_CATALOG.tableStorage(shape.relstorage),
    [pgSchema, pgTable],
  );
  const note = storage ? storageFinding(label, storageOf(storage)) : null;
  if (note) findings.push(note);
  return findings;
}
