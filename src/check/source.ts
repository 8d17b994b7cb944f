/**
 * The source side of `check`: connects to MySQL/MariaDB, gathers its settings, grants, server ids,
 * binlog files and the followed tables, and judges them with the rules of source_rules.ts.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { errorMessage } from "../util/log.ts";
import { type BinlogPosition, formatPosition } from "../offsets/position.ts";
import { type BinlogFile, binlogFiles, listReplicas, sourceHead } from "../source/binlog_status.ts";
import type { SourceTable } from "../schema/table.ts";
import { loadColumns, resolveSourceTables } from "../source/catalog.ts";
import { connectSource, isMariaDb, type SourceConnection } from "../source/mysql.ts";
import { rowIdentity } from "../tables/row_identity.ts";
import { fail, type Finding, ok } from "./finding.ts";
import {
  BINLOG_VARIABLES,
  binlogSettingFindings,
  charsetFindings,
  flavorFinding,
  grantee,
  grantFinding,
  prefixIndexFindings,
  type PrefixPart,
  serverIdFinding,
  type ServerInfo,
  tableFindings,
} from "./source_rules.ts";
import { ruleCoverageFindings, sourcePatternFindings } from "./route_rules.ts";

/** What the source side of `check` found, and what the target side needs from it. */
export interface SourceCheck {
  findings: Finding[];
  /** Tables `run` would follow (skipped ones left out), with their columns. */
  tables: SourceTable[];
  /** Where the source writes now and the binlog files it keeps; null when not readable. */
  binlog: { head: BinlogPosition; files: BinlogFile[] } | null;
}

/** Checks the source: server settings, privileges, server_id, tables and their columns. */
export async function checkSource(config: Config): Promise<SourceCheck> {
  let connection: SourceConnection;
  try {
    connection = await connectSource(config);
  } catch (err) {
    return { findings: [fail("mysql", errorMessage(err))], tables: [], binlog: null };
  }
  try {
    return await inspect(config, connection);
  } finally {
    await connection.end().catch(() => {});
  }
}

async function inspect(config: Config, connection: SourceConnection): Promise<SourceCheck> {
  const [rows] = await connection.query(
    "SELECT VERSION() AS version, @@server_id AS serverId, CURRENT_USER() AS user",
  );
  const row = (rows as { version: string; serverId: number | string; user: string }[])[0];
  const server: ServerInfo = {
    version: row.version,
    mariadb: await isMariaDb(connection),
    serverId: Number(row.serverId),
  };
  const user = grantee(row.user);
  const findings: Finding[] = [
    ok("mysql", `connected to ${config.mysqlHost}:${config.mysqlPort} as ${user}`),
    flavorFinding(config.flavor, server),
    ...binlogSettingFindings(await globalVariables(connection), server),
  ];

  const [grantRows] = await connection.query("SHOW GRANTS");
  findings.push(grantFinding((grantRows as Record<string, string>[]).map(firstValue), user));
  const binlog = await readBinlog(connection, user, findings);
  findings.push(serverIdFinding(config.serverId, server, await listReplicas(connection)));

  const found = await resolveSourceTables(connection, config.sources);
  // Which unique key identifies rows depends on the columns' nullability
  await loadColumns(connection, found.tables);
  findings.push(...tableFindings(config, found, user));
  const tables = found.tables.filter((t) =>
    rowIdentity(t).kind === "primary-key" || !config.skipNoPkTable
  );
  findings.push(...sourcePatternFindings(config.sources, tables));
  findings.push(...ruleCoverageFindings(config, tables));
  findings.push(...prefixIndexFindings(await prefixParts(connection, tables)));
  findings.push(...charsetFindings(tables));
  return { findings, tables, binlog };
}

async function globalVariables(connection: SourceConnection): Promise<Map<string, string>> {
  const [rows] = await connection.query(
    "SHOW GLOBAL VARIABLES WHERE Variable_name IN (?)",
    [BINLOG_VARIABLES],
  );
  return new Map(
    (rows as { Variable_name: string; Value: string }[]).map((r) => [
      r.Variable_name.toLowerCase(),
      r.Value,
    ]),
  );
}

/** The statements `run` uses to find its start and `status` its lag need REPLICATION CLIENT. */
async function readBinlog(
  connection: SourceConnection,
  user: string,
  findings: Finding[],
): Promise<SourceCheck["binlog"]> {
  try {
    const head = await sourceHead(connection);
    const files = await binlogFiles(connection);
    if (!head) return null; // log_bin is off: reported with the settings
    findings.push(ok(
      "binlog",
      `the source writes ${formatPosition(head)}; ${files.length} binlog file(s) kept, oldest ${
        files[0]?.name ?? "none"
      }`,
    ));
    return { head, files };
  } catch (err) {
    findings.push(fail(
      "binlog",
      `cannot read the binlog position (${errorMessage(err)}): GRANT REPLICATION CLIENT ON *.* ` +
        `TO ${user} (MariaDB 10.5+ also accepts BINLOG MONITOR)`,
    ));
    return null;
  }
}

async function prefixParts(
  connection: SourceConnection,
  tables: SourceTable[],
): Promise<PrefixPart[]> {
  if (tables.length === 0) return [];
  const followed = new Set(tables.map((t) => `${t.schema}\u0000${t.table}`));
  const [rows] = await connection.query(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, INDEX_NAME AS i, COLUMN_NAME AS c, SUB_PART AS n
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA IN (?) AND SUB_PART IS NOT NULL
      ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    [[...new Set(tables.map((t) => t.schema))]],
  );
  return (rows as { s: string; t: string; i: string; c: string; n: number | string }[])
    .filter((r) => followed.has(`${r.s}\u0000${r.t}`))
    .map((r) => ({ schema: r.s, table: r.t, index: r.i, column: r.c, subPart: Number(r.n) }));
}

function firstValue(row: Record<string, string>): string {
  return Object.values(row)[0];
}
