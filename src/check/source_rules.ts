/**
 * The source-side prerequisites of `check` as pure rules over what the server reported, so that
 * settings only MySQL has can be tested without a MySQL server.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { charsetSupport } from "../convert/charset.ts";
import { describeIdentity, type RowIdentity, rowIdentity } from "../tables/row_identity.ts";
import type { Replica } from "../source/binlog_status.ts";
import type { SourceTable } from "../schema/table.ts";
import { fail, type Finding, ok, warn } from "./finding.ts";

/** What the source says about itself. */
export interface ServerInfo {
  /** `VERSION()`, e.g. `10.11.6-MariaDB` or `8.0.36`. */
  version: string;
  mariadb: boolean;
  /** `@@server_id` of the source. */
  serverId: number;
}

/** The binlog settings `check` reads, by variable name (absent: the server has no such setting). */
export const BINLOG_VARIABLES = [
  "log_bin",
  "binlog_format",
  "binlog_row_image",
  "binlog_row_metadata",
  "binlog_transaction_compression",
  "binlog_row_value_options",
] as const;

/** How a setting is changed: persistently and, where the server allows it, at once. */
function setting(name: string, value: string): string {
  return `set ${name} = ${value} under [mysqld] in my.cnf and run SET GLOBAL ${name} = '${value}'`;
}

export function flavorFinding(flavor: Config["flavor"], server: ServerInfo): Finding {
  const actual = server.mariadb ? "mariadb" : "mysql";
  if (flavor === actual) {
    return ok("flavor", `flavor = "${flavor}" matches the server (${server.version})`);
  }
  return fail(
    "flavor",
    `flavor = "${flavor}" but the server is ${
      server.mariadb ? "MariaDB" : "MySQL"
    } ${server.version}: set flavor = "${actual}"`,
  );
}

/** Row-based logging with whole rows, in a form the decoder reads. */
export function binlogSettingFindings(
  vars: ReadonlyMap<string, string>,
  server: ServerInfo,
): Finding[] {
  const findings: Finding[] = [];
  const value = (name: string) => vars.get(name)?.toUpperCase();

  const logBin = value("log_bin");
  findings.push(
    logBin === "ON" || logBin === "1" ? ok("log_bin", "log_bin = ON") : fail(
      "log_bin",
      `log_bin = ${
        logBin ?? "OFF"
      }: the binary log is off; add log_bin = mysql-bin under [mysqld] in my.cnf and restart the server`,
    ),
  );

  const format = value("binlog_format");
  findings.push(
    format === "ROW" ? ok("binlog_format", "binlog_format = ROW") : fail(
      "binlog_format",
      `binlog_format = ${format}: only row events carry the changed rows; ${
        setting("binlog_format", "ROW")
      } (open sessions keep their format until they reconnect)`,
    ),
  );

  const image = value("binlog_row_image");
  findings.push(
    image === "FULL" ? ok("binlog_row_image", "binlog_row_image = FULL") : fail(
      "binlog_row_image",
      `binlog_row_image = ${image}: updates and deletes must log whole rows; ${
        setting("binlog_row_image", "FULL")
      }`,
    ),
  );

  const metadata = value("binlog_row_metadata");
  if (metadata === undefined) {
    findings.push(warn(
      "binlog_row_metadata",
      `binlog_row_metadata does not exist on ${server.version} (it needs MySQL 8.0.1+ or MariaDB ` +
        "10.5+): column names come from the current catalog, so rows written before an ALTER TABLE " +
        "may be decoded with the new layout; upgrade the server, or avoid reading across DDL",
    ));
  } else if (metadata === "FULL") {
    findings.push(ok("binlog_row_metadata", "binlog_row_metadata = FULL"));
  } else {
    findings.push(warn(
      "binlog_row_metadata",
      `binlog_row_metadata = ${metadata}: column names then come from the current catalog, which ` +
        `is wrong for rows written before an ALTER TABLE; ${
          setting("binlog_row_metadata", "FULL")
        }`,
    ));
  }

  // MySQL 8 only: both produce events the decoder cannot read.
  const compression = value("binlog_transaction_compression");
  if (compression !== undefined) {
    findings.push(
      compression === "ON" || compression === "1"
        ? fail(
          "binlog_transaction_compression",
          "binlog_transaction_compression = ON: compressed transaction payloads cannot be " +
            `decoded; ${setting("binlog_transaction_compression", "OFF")}`,
        )
        : ok("binlog_transaction_compression", "binlog_transaction_compression = OFF"),
    );
  }
  const valueOptions = value("binlog_row_value_options");
  if (valueOptions !== undefined) {
    findings.push(
      valueOptions.includes("PARTIAL_JSON")
        ? fail(
          "binlog_row_value_options",
          "binlog_row_value_options = PARTIAL_JSON: partial JSON updates cannot be decoded; " +
            setting("binlog_row_value_options", ""),
        )
        : ok("binlog_row_value_options", `binlog_row_value_options = '${valueOptions}'`),
    );
  }
  return findings;
}

/** `'user'@'host'` from CURRENT_USER() (`user@host`), for GRANT statements in messages. */
export function grantee(currentUser: string): string {
  const at = currentUser.lastIndexOf("@");
  if (at < 0) return `'${currentUser}'`;
  return `'${currentUser.slice(0, at)}'@'${currentUser.slice(at + 1)}'`;
}

/** REPLICATION SLAVE (reading the binlog) from the lines of SHOW GRANTS. */
export function grantFinding(grants: readonly string[], user: string): Finding {
  const global = new Set<string>();
  const roles: string[] = [];
  for (const line of grants) {
    const match = /^GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\s/i.exec(line);
    if (match) {
      for (const p of match[1].split(",")) global.add(p.trim().toUpperCase().replace(/\s+/g, " "));
    } else if (/^GRANT\s/i.test(line) && !/\sON\s/i.test(line)) {
      roles.push(line.replace(/^GRANT\s+(.+?)\s+TO\s.*$/i, "$1"));
    }
  }
  if (global.has("ALL PRIVILEGES") || global.has("ALL") || global.has("REPLICATION SLAVE")) {
    return ok("privileges", `${user} may read the binlog (REPLICATION SLAVE)`);
  }
  const fix = `GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO ${user}`;
  if (roles.length > 0) {
    return warn(
      "privileges",
      `REPLICATION SLAVE is not granted to ${user} directly; unless role ${
        roles.join(", ")
      } grants it and is active by default, ${fix}`,
    );
  }
  return fail(
    "privileges",
    `${user} lacks REPLICATION SLAVE, needed to read the binlog: ${fix}`,
  );
}

/**
 * server_id must differ from the source's and from every other replica's: the source drops the
 * older of two connections with the same id, so two syncs (or a sync and a replica) would keep
 * cutting each other off. `replicas` is a message when they could not be listed.
 */
export function serverIdFinding(
  configured: number,
  server: ServerInfo,
  replicas: readonly Replica[] | string,
): Finding {
  if (configured === server.serverId) {
    return fail(
      "server_id",
      `server_id = ${configured} is the source's own @@server_id; choose a number no server or ` +
        "replica of this source uses",
    );
  }
  if (typeof replicas === "string") {
    return warn(
      "server_id",
      `server_id = ${configured} differs from the source's (${server.serverId}), but its replicas ` +
        `could not be listed (${replicas}); make sure none of them uses ${configured}`,
    );
  }
  const clash = replicas.find((r) => r.serverId === configured);
  if (clash) {
    return fail(
      "server_id",
      `server_id = ${configured} is already used by the replica at ${
        clash.host || "?"
      }:${clash.port}; ` +
        "give this sync a server_id no server or replica of this source uses",
    );
  }
  const others = replicas.length === 0
    ? "no other replicas registered"
    : `replicas use ${replicas.map((r) => r.serverId).join(", ")}`;
  return ok(
    "server_id",
    `server_id = ${configured} is unique (the source is ${server.serverId}; ${others})`,
  );
}

/** How the rows of `name`, a table without a primary key, are matched, and what that costs. */
function keylessFinding(name: string, identity: RowIdentity): Finding {
  if (identity.kind === "unique-key") {
    return ok(
      "tables",
      `${name} has no primary key: its rows are matched by its ${describeIdentity(identity)}`,
    );
  }
  return warn(
    "tables",
    `${name} has neither a primary key nor a NOT NULL unique key: its rows are matched by their ` +
      "whole value (identical rows as copies), and every batch that updates or deletes some reads " +
      "the whole PostgreSQL table; add a primary key if you can, or set skip_no_pk_table = true " +
      "to leave it out",
  );
}

/**
 * The followed tables (columns loaded): each named one exists (or is followed once created), and
 * how its rows are matched (or that it is skipped without a primary key). Patterns and rules are
 * route_rules.ts's.
 */
export function tableFindings(
  config: Config,
  found: { tables: readonly SourceTable[]; missing: readonly string[] },
  user: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const name of found.missing) {
    const schema = name.slice(0, name.indexOf("."));
    findings.push(warn(
      "tables",
      `${name} (in [[source]]) does not exist in MySQL yet, or ${user} cannot see it ` +
        `(GRANT SELECT ON \`${schema}\`.* TO ${user}): run follows it from its CREATE TABLE`,
    ));
  }
  let keyed = 0;
  for (const table of found.tables) {
    const name = `${table.schema}.${table.table}`;
    const identity = rowIdentity(table);
    if (identity.kind === "primary-key") keyed++;
    else if (config.skipNoPkTable) {
      findings.push(
        warn("tables", `${name} has no primary key: skipped (skip_no_pk_table = true)`),
      );
    } else findings.push(keylessFinding(name, identity));
  }
  if (keyed === found.tables.length && keyed > 0) {
    findings.unshift(
      ok("tables", `${keyed} source table(s) found, each with a primary key`),
    );
  }
  return findings;
}

/** A key part that indexes only the first `subPart` characters (or bytes) of a column. */
export interface PrefixPart {
  schema: string;
  table: string;
  index: string;
  column: string;
  subPart: number;
}

/** Prefix indexes are not carried over: PostgreSQL indexes whole values. */
export function prefixIndexFindings(parts: readonly PrefixPart[]): Finding[] {
  const byIndex = new Map<string, PrefixPart[]>();
  for (const part of parts) {
    const key = `${part.schema}.${part.table}\u0000${part.index}`;
    byIndex.set(key, [...(byIndex.get(key) ?? []), part]);
  }
  return [...byIndex.values()].map((group) => {
    const { schema, table, index } = group[0];
    const columns = group.map((p) => `${p.column}(${p.subPart})`).join(", ");
    if (index === "PRIMARY") {
      return warn(
        "prefix_index",
        `${schema}.${table}: the primary key indexes only a prefix (${columns}); rows are matched ` +
          "on the whole values, but a PostgreSQL btree index on long values fails above ~2700 " +
          "bytes: index md5() or left() of the column on the target instead",
      );
    }
    return warn(
      "prefix_index",
      `${schema}.${table}: index ${index} is a prefix index (${columns}); PostgreSQL indexes whole ` +
        "values, so create a matching index on the target (e.g. on left(column, n)) if queries need it",
    );
  });
}

/** Every text column must be decodable; approximate charsets may differ for rare characters. */
export function charsetFindings(tables: readonly SourceTable[]): Finding[] {
  const columnsByCharset = new Map<string, string[]>();
  for (const table of tables) {
    for (const column of table.columns) {
      if (column.charset === null || column.charset === "binary") continue;
      const where = `${table.schema}.${table.table}.${column.name}`;
      columnsByCharset.set(column.charset, [
        ...(columnsByCharset.get(column.charset) ?? []),
        where,
      ]);
    }
  }
  const findings: Finding[] = [];
  const exact: string[] = [];
  for (const [charset, columns] of columnsByCharset) {
    const support = charsetSupport(charset);
    const listed = columns.length > 3
      ? `${columns.slice(0, 3).join(", ")} and ${columns.length - 3} more`
      : columns.join(", ");
    if (support === "exact") exact.push(charset);
    else if (support === "approximate") {
      findings.push(warn(
        "charset",
        `character set ${charset} (${listed}) is decoded approximately: a few rarely used ` +
          "characters (vendor extensions, user-defined areas) may differ; convert the columns to " +
          "utf8mb4 to be exact",
      ));
    } else {
      findings.push(fail(
        "charset",
        `character set ${charset} (${listed}) cannot be decoded; convert the columns to utf8mb4`,
      ));
    }
  }
  if (exact.length > 0) {
    findings.unshift(ok("charset", `character sets decoded exactly: ${exact.sort().join(", ")}`));
  }
  return findings;
}
