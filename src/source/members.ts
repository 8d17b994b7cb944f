/**
 * The members of the source's replication group: `mysql_addr` (the seed's one address) and the
 * servers `mysql_members` lists, how each is named in messages and in the position row, and the
 * config a session uses to follow one of them.
 *
 * @module
 */
import type { Config } from "../config/config.ts";

/** A server of the replication group. */
export interface Member {
  host: string;
  port: number;
}

/** `host:port` (`[::1]:3306` for an IPv6 address), as the position row and messages name it. */
export function memberName(member: Member): string {
  return member.host.includes(":")
    ? `[${member.host}]:${member.port}`
    : `${member.host}:${member.port}`;
}

/** `mysql_addr`, then the members of `mysql_members` not equal to it, in the order given. */
export function groupMembers(config: Config): Member[] {
  const seed = { host: config.mysqlHost, port: config.mysqlPort };
  const members = [seed];
  for (const member of config.mysqlMembers) {
    if (!members.some((m) => memberName(m) === memberName(member))) members.push(member);
  }
  return members;
}

/** The member named `name` (`host:port`), if it is one of the group's. */
export function findMember(config: Config, name: string | null): Member | null {
  return groupMembers(config).find((m) => memberName(m) === name) ?? null;
}

/** `config` with `member` as the source every connection of a session goes to. */
export function followingMember(config: Config, member: Member): Config {
  return { ...config, mysqlHost: member.host, mysqlPort: member.port };
}

/** The config key that names the server `config` connects to, for messages. */
export function sourceAddressKey(config: Config): string {
  const name = memberName({ host: config.mysqlHost, port: config.mysqlPort });
  return config.mysqlMembers.some((m) => memberName(m) === name) ? "mysql_members" : "mysql_addr";
}
