/**
 * `mysql-gp-sync check`: runs the source and target checks and prints one line per finding (or
 * JSON) and whether `run` is ready.
 *
 * @module
 */
import { fail, type Finding, type Level, ok } from "../check/finding.ts";
import { checkGtids } from "../check/gtid.ts";
import { checkSource } from "../check/source.ts";
import { ruleKeyFindings } from "../check/route_rules.ts";
import { checkTarget, startFinding } from "../check/target.ts";
import { loadConfig } from "../config/config.ts";
import { dataDirProblem } from "../util/data_dir.ts";
import { errorMessage } from "../util/log.ts";
import { readMasterInfo } from "../offsets/master_info.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import { buildRoutes } from "../tables/routes.ts";
import type { CommandContext } from "./context.ts";

const LABEL: Record<Level, string> = { ok: "OK  ", warn: "WARN", fail: "FAIL" };

/**
 * `check`: every prerequisite of `run`, one line each with the fix. Exit 0 when ready (warnings
 * allowed), 1 when something must be fixed first; a config error exits 2 before any check.
 */
export async function checkCommand(ctx: CommandContext): Promise<number> {
  const config = await loadConfig(ctx.configFile);
  const source = await checkSource(config);
  const routes = [...buildRoutes(source.tables, config.rules, config.instanceName).values()]
    .map((route) => ({ ...route, identity: rowIdentity(route.source) }));
  const target = await checkTarget(config, routes);
  const dataDir = await dataDirProblem(config.dataDir);
  const findings = [
    ...source.findings,
    ...ruleKeyFindings(config, routes),
    ...target.findings,
    dataDir
      ? fail(
        "data_dir",
        `${dataDir}; set data_dir in ${config.file} to a folder this user can write`,
      )
      : ok("data_dir", `data_dir ${config.dataDir} is writable`),
  ];
  let masterInfo = null;
  try {
    masterInfo = await readMasterInfo(config.dataDir);
  } catch (err) {
    findings.push(fail("position", errorMessage(err)));
  }
  const start = target.stored
    ? { position: target.stored, from: "saved in PostgreSQL" }
    : masterInfo
    ? { position: masterInfo, from: "master.info" }
    : null;
  // GTID mode of the source and the other members; the resume point when it is by GTID.
  const gtids = await checkGtids(
    config,
    target.stored === undefined ? undefined : target.stored?.gtidState ?? null,
  );
  findings.push(...gtids.findings);
  // Unknown when PostgreSQL could not be read: its saved position would take precedence.
  if (target.stored !== undefined && !gtids.resumesByGtid) {
    const finding = startFinding(start, source.binlog);
    if (finding) findings.push(finding);
  }

  const count = (level: Level) => findings.filter((f) => f.level === level).length;
  const ready = count("fail") === 0;
  const summary = ready
    ? `ready: ${count("ok")} OK, ${count("warn")} warning(s)`
    : `not ready: ${count("fail")} failure(s), ${count("warn")} warning(s), ${
      count("ok")
    } OK; fix the FAIL lines and run check again`;
  if (ctx.json) {
    ctx.out(JSON.stringify({ ready, summary, findings }));
  } else {
    for (const finding of findings) ctx.out(formatFinding(finding));
    ctx.out(summary);
  }
  return ready ? 0 : 1;
}

export function formatFinding(finding: Finding): string {
  return `${LABEL[finding.level]} ${finding.message}`;
}
