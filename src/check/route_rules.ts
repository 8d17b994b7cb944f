/**
 * What `[[source]]` and `[[rule]]` make of the source tables, as pure rules: the tables each
 * pattern covers now (or that it waits for tables created later), rules that take no table, and
 * each rule's keys against the tables it routes: selected columns they lack, soft delete without a
 * key, several tables merged into one target without a source column telling their rows apart.
 *
 * @module
 */
import type { Config, RuleConfig } from "../config/config.ts";
import { isNamePattern, matchesName } from "../config/names.ts";
import type { SourceTable } from "../schema/table.ts";
import { coveredBySources, sourceName, targetName } from "../tables/followed.ts";
import { type Route, ruleOf } from "../tables/routes.ts";
import { countedList } from "../util/short_list.ts";
import { fail, type Finding, ok, warn } from "./finding.ts";

/** The names of `tables`, schema-qualified unless `schema` is one plain name. */
function names(tables: readonly SourceTable[], schema: string): string[] {
  return tables.map((t) => isNamePattern(schema) ? `${t.schema}.${t.table}` : t.table);
}

function matching(tables: readonly SourceTable[], schema: string, table: string): SourceTable[] {
  return tables.filter((t) => matchesName(schema, t.schema) && matchesName(table, t.table));
}

/** Each `[[source]]` entry that is a pattern (or `*`): the tables it covers now, or none yet. */
export function sourcePatternFindings(
  sources: Config["sources"],
  tables: readonly SourceTable[],
): Finding[] {
  const findings: Finding[] = [];
  sources.forEach((source, i) => {
    for (const name of source.tables) {
      if (!isNamePattern(source.schema) && !isNamePattern(name)) continue;
      const where = `[[source]] #${i + 1} ${source.schema}.${name}`;
      const covered = matching(tables, source.schema, name);
      findings.push(
        covered.length === 0
          ? warn(
            "patterns",
            `${where} matches no table yet: tables created later that match are followed once ` +
              "created (check the pattern if some should match now)",
          )
          : ok("patterns", `${where} covers ${countedList(names(covered, source.schema))}`),
      );
    }
  });
  return findings;
}

/** Where a rule's tables land, for messages. */
function ruleTarget(rule: RuleConfig): string {
  return `${rule.pgSchema}.${rule.pgTable ?? "<each table's own name>"}`;
}

/**
 * Each `[[rule]]` against the followed `tables`: a pattern's tables, a rule every table of which
 * an earlier rule takes, a rule for no table `[[source]]` names.
 */
export function ruleCoverageFindings(config: Config, tables: readonly SourceTable[]): Finding[] {
  const findings: Finding[] = [];
  config.rules.forEach((rule, i) => {
    const where = `[[rule]] #${i + 1} ${rule.schema}.${rule.table}`;
    const matched = matching(tables, rule.schema, rule.table);
    const taken = matched.filter((t) => ruleOf(t, config.rules) === rule);
    if (matched.length > 0 && taken.length === 0) {
      const first = config.rules.indexOf(ruleOf(matched[0], config.rules)!) + 1;
      findings.push(warn(
        "rules",
        `${where} takes no table: [[rule]] #${first} comes first and takes ` +
          `${countedList(names(matched, rule.schema))}; move this rule before it, or remove it`,
      ));
    } else if (isNamePattern(rule.schema) || isNamePattern(rule.table)) {
      findings.push(
        taken.length === 0
          ? warn(
            "rules",
            `${where} matches no followed table yet: tables created later that match go to ` +
              `${ruleTarget(rule)} once created`,
          )
          : ok(
            "rules",
            `${where} -> ${ruleTarget(rule)}: ${countedList(names(taken, rule.schema))}`,
          ),
      );
    } else if (!coveredBySources(config.sources, rule.schema, rule.table)) {
      // A rule may wait for a table that [[source]] covers and that is created later.
      findings.push(warn(
        "rules",
        `[[rule]] for ${rule.schema}.${rule.table} matches no table named in [[source]]; add the ` +
          "table there or remove the rule",
      ));
    }
  });
  return findings;
}

/** The routes of each rule (by its position in the config), in route order. */
function byRule(config: Config, routes: readonly Route[]): Map<number, Route[]> {
  const grouped = new Map<number, Route[]>();
  for (const route of routes) {
    const rule = ruleOf(route.source, config.rules);
    if (!rule) continue;
    const index = config.rules.indexOf(rule) + 1;
    grouped.set(index, [...grouped.get(index) ?? [], route]);
  }
  return grouped;
}

/**
 * Each rule's keys against the tables it routes: `columns` naming a column some lack, soft delete
 * on tables without a key (a deleted row could not be told from an identical live one), and a
 * target fed by several tables whose rows nothing tells apart.
 */
export function ruleKeyFindings(config: Config, routes: readonly Route[]): Finding[] {
  const findings: Finding[] = [];
  for (const [index, ruled] of byRule(config, routes)) {
    const rule = config.rules[index - 1];
    for (const column of rule.columns ?? []) {
      const lower = column.toLowerCase();
      const lacking = ruled.filter((route) =>
        !route.source.columns.some((c) => c.name.toLowerCase() === lower)
      );
      if (lacking.length === 0) continue;
      findings.push(fail(
        "rules",
        `[[rule]] #${index} columns names "${column}", missing from ${
          countedList(lacking.map(sourceName))
        }; remove it from columns, or add the column in MySQL`,
      ));
    }
    const keyless = ruled.filter((route) =>
      route.softDelete && route.identity.kind === "whole-row"
    );
    if (keyless.length > 0) {
      findings.push(fail(
        "rules",
        `[[rule]] #${index} soft_delete_column needs a key to find a deleted row by; without a ` +
          `primary key or NOT NULL unique key (rows matched by their whole value): ${
            countedList(keyless.map(sourceName))
          }; add a primary key, or give such tables an earlier [[rule]] without soft delete`,
      ));
    }
  }
  return [...findings, ...mergedTargetFindings(config, routes)];
}

/** Targets fed by several source tables: their rows must carry distinct source tags. */
function mergedTargetFindings(config: Config, routes: readonly Route[]): Finding[] {
  const byTarget = new Map<string, Route[]>();
  for (const route of routes) {
    byTarget.set(targetName(route), [...byTarget.get(targetName(route)) ?? [], route]);
  }
  const findings: Finding[] = [];
  for (const [target, feeding] of byTarget) {
    if (feeding.length < 2) continue;
    const sources = countedList(feeding.map(sourceName));
    const untagged = feeding.filter((route) => route.sourceTag === null);
    if (untagged.length > 0) {
      const rules = [...new Set(untagged.map((r) => ruleOf(r.source, config.rules)))]
        .map((rule) => rule ? `[[rule]] #${config.rules.indexOf(rule) + 1}` : "a new [[rule]]");
      findings.push(warn(
        "rules",
        `${target} is fed by ${sources} without source_column, so rows with equal keys from ` +
          `different tables overwrite each other; set source_column in ${rules.join(", ")} ` +
          "(the column then joins the target's key)",
      ));
      continue;
    }
    const seen = new Map<string, Route>();
    const clash = feeding.find((route) => {
      const other = seen.get(route.sourceTag!.value);
      seen.set(route.sourceTag!.value, route);
      return other !== undefined;
    });
    if (clash) {
      const other = feeding.find((r) =>
        r !== clash && r.sourceTag!.value === clash.sourceTag!.value
      )!;
      findings.push(warn(
        "rules",
        `${target} is fed by ${sources}, but ${sourceName(other)} and ${sourceName(clash)} get ` +
          `the same source_value "${clash.sourceTag!.value}", so their rows with equal keys ` +
          "overwrite each other; put {table} (and {schema}, {instance}) in source_value",
      ));
    }
  }
  return findings;
}
