/**
 * GTID states: what a server's binlog holds, or what the sync has applied, in GTIDs. MariaDB's is
 * a `domain-server-sequence` list (`0-1-1234,1-3-45`), MySQL's an executed GTID set
 * (`uuid:1-5:7,uuid2:1-27`). Parsing, printing, advancing by a batch's GTIDs, and what one state
 * lacks of another (what a server misses of what was applied, or purged beyond it).
 *
 * @module
 */
import type { GtidTrail } from "./gtid_trail.ts";

/** Which kind of GTIDs: MariaDB's domain-server-sequence, or MySQL's uuid:number. */
export type GtidFlavor = "mariadb" | "mysql";

/** One MariaDB GTID. */
interface MariaDbGtid {
  domain: number;
  server: number;
  seq: bigint;
}

/** MySQL: inclusive ranges of transaction numbers, sorted, neither overlapping nor touching. */
type Intervals = [bigint, bigint][];

/**
 * A GTID state. MariaDB: at most one GTID per replication domain, the last one applied, which
 * stands for every earlier one of its domain (binlog order within a domain is total); a server's
 * binlog state (`gtid_binlog_state`) has one per domain and server instead. MySQL: a set of
 * transactions per source (`uuid`, or `uuid:tag` since 8.3).
 */
export class GtidState {
  private constructor(
    readonly flavor: GtidFlavor,
    /** MariaDB entries, by domain then server. */
    private readonly entries: readonly MariaDbGtid[],
    /** MySQL intervals by source, sources sorted. */
    private readonly sets: ReadonlyMap<string, Intervals>,
  ) {}

  /** Nothing applied (MariaDB: reading starts at the oldest binlog; MySQL: the empty set). */
  static empty(flavor: GtidFlavor): GtidState {
    return new GtidState(flavor, [], new Map());
  }

  /**
   * Parses the text MariaDB (`@@gtid_binlog_pos`) or MySQL (`@@gtid_executed`, whitespace
   * allowed) prints. Throws an Error saying what is wrong. `binlogState`: MariaDB's
   * `@@gtid_binlog_state`, which may hold one entry per server in a domain.
   */
  static parse(text: string, flavor: GtidFlavor, binlogState = false): GtidState {
    const items = text.replace(/\s+/g, "").split(",").filter((item) => item !== "");
    if (flavor === "mariadb") {
      const entries = items.map(parseMariaDbGtid);
      const seen = new Set<string>();
      for (const e of entries) {
        const key = binlogState ? `${e.domain}-${e.server}` : `${e.domain}`;
        if (seen.has(key)) {
          throw new Error(
            `${JSON.stringify(text)} names ${
              binlogState ? `server ${e.server} in domain ${e.domain}` : `domain ${e.domain}`
            } twice`,
          );
        }
        seen.add(key);
      }
      return new GtidState("mariadb", sortEntries(entries), new Map());
    }
    const sets = new Map<string, Intervals>();
    for (const item of items) parseMySqlItem(item, sets);
    return new GtidState("mysql", [], sortedMap(sets));
  }

  get isEmpty(): boolean {
    return this.entries.length === 0 && this.sets.size === 0;
  }

  /** The server's own text form (`0-1-5,1-2-9`; `uuid:1-5:7,uuid2:1-3`); empty when empty. */
  toString(): string {
    if (this.flavor === "mariadb") {
      return this.entries.map((e) => `${e.domain}-${e.server}-${e.seq}`).join(",");
    }
    const blocks: string[] = [];
    let uuid = "";
    for (const [key, intervals] of this.sets) {
      const [source, tag] = key.split(":");
      const ranges = intervals.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(":");
      const text = (tag ? `${tag}:` : "") + ranges;
      if (source === uuid) blocks[blocks.length - 1] += `:${text}`;
      else blocks.push(`${source}:${text}`);
      uuid = source;
    }
    return blocks.join(",");
  }

  /** The state once the transactions of `trail`, read after this state, are applied too. */
  after(trail: GtidTrail): GtidState {
    if (this.flavor === "mariadb") {
      const last = trail.lastPerDomain();
      if (last.length === 0) return this;
      const byDomain = new Map(this.entries.map((e) => [e.domain, e]));
      for (const gtid of last) {
        const entry = parseMariaDbGtid(gtid);
        // An overwrite, not a maximum: after a failover a domain may go on under another
        // server id with lower sequence numbers; the last one read is what the server resumes at.
        byDomain.set(entry.domain, entry);
      }
      return new GtidState("mariadb", sortEntries([...byDomain.values()]), new Map());
    }
    const runs = trail.runs();
    if (runs.length === 0) return this;
    const sets = new Map([...this.sets].map(([key, intervals]) => [key, [...intervals]]));
    for (const run of runs) {
      const key = run.key.toLowerCase();
      sets.set(key, union(sets.get(key) ?? [], [[run.first, run.last]]));
    }
    return new GtidState("mysql", [], sortedMap(sets));
  }

  /**
   * What of this state a server's binlog lacks, given its binlog state (`binlog`: MariaDB's
   * `gtid_binlog_state`, MySQL's `gtid_executed`), as text; null when it has everything.
   */
  missingFrom(binlog: GtidState): string | null {
    if (this.flavor === "mysql") return textOrNull(this.minus(binlog));
    const missing = this.entries.filter((applied) =>
      !binlog.entries.some((e) =>
        e.domain === applied.domain && e.server === applied.server && e.seq >= applied.seq
      )
    );
    return missing.length === 0
      ? null
      : missing.map((e) => `${e.domain}-${e.server}-${e.seq}`).join(",");
  }

  /**
   * What a server purged (`purged`: MariaDB's state at the start of its oldest binlog, MySQL's
   * `gtid_purged`) that this state does not hold: transactions that would never be read. Null
   * when none.
   */
  purgedBeyond(purged: GtidState): string | null {
    if (this.flavor === "mysql") return textOrNull(purged.minus(this));
    const lost = purged.entries.filter((gone) => {
      const applied = this.entries.find((e) => e.domain === gone.domain);
      return applied === undefined || applied.seq < gone.seq;
    });
    return lost.length === 0 ? null : lost.map((e) => `${e.domain}-${e.server}-${e.seq}`).join(",");
  }

  /** MySQL: the transactions of this set that `other` does not have. */
  private minus(other: GtidState): GtidState {
    const sets = new Map<string, Intervals>();
    for (const [key, intervals] of this.sets) {
      const rest = difference(intervals, other.sets.get(key) ?? []);
      if (rest.length > 0) sets.set(key, rest);
    }
    return new GtidState("mysql", [], sets);
  }
}

/** The state's text, or `nothing (empty GTID state)`, for messages. */
export function describeGtids(state: GtidState): string {
  return state.isEmpty ? "nothing (empty GTID state)" : state.toString();
}

function textOrNull(state: GtidState): string | null {
  return state.isEmpty ? null : state.toString();
}

/** `domain-server-seq`; throws naming the text. */
function parseMariaDbGtid(text: string): MariaDbGtid {
  const match = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/.exec(text);
  const domain = Number(match?.[1]);
  const server = Number(match?.[2]);
  const seq = match ? BigInt(match[3]) : 0n;
  if (!match || domain > 0xffff_ffff || server > 0xffff_ffff || seq > 0xffff_ffff_ffff_ffffn) {
    throw new Error(
      `${JSON.stringify(text)} is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-1234)`,
    );
  }
  return { domain, server, seq };
}

function sortEntries(entries: MariaDbGtid[]): MariaDbGtid[] {
  return entries.sort((a, b) => a.domain - b.domain || a.server - b.server);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A MySQL 8.3+ GTID tag: a letter or underscore, then up to 31 letters, digits, underscores. */
const TAG = /^[a-z_][a-z0-9_]{0,31}$/;
const GNO_MAX = 0x7fff_ffff_ffff_ffffn;

/** One `uuid:1-5:7:tag:1-3` item of a MySQL GTID set, added to `sets`. */
function parseMySqlItem(item: string, sets: Map<string, Intervals>): void {
  const [uuidText, ...parts] = item.toLowerCase().split(":");
  const bad = (why: string) =>
    new Error(`${JSON.stringify(item)} is not a MySQL GTID set entry (${why}, e.g. uuid:1-5)`);
  if (!UUID.test(uuidText)) throw bad("no server uuid");
  if (parts.length === 0) throw bad("no transaction numbers");
  let key = uuidText;
  let empty = false;
  for (const part of parts) {
    if (TAG.test(part)) {
      if (empty) throw bad(`tag ${part} follows a tag without numbers`);
      key = `${uuidText}:${part}`;
      empty = true;
      continue;
    }
    const match = /^(\d{1,19})(?:-(\d{1,19}))?$/.exec(part);
    const first = match ? BigInt(match[1]) : 0n;
    const last = match?.[2] ? BigInt(match[2]) : first;
    if (!match || first < 1n || last < first || last > GNO_MAX) throw bad(`bad range ${part}`);
    sets.set(key, union(sets.get(key) ?? [], [[first, last]]));
    empty = false;
  }
  if (empty) throw bad("a tag without numbers");
}

function sortedMap(sets: Map<string, Intervals>): Map<string, Intervals> {
  return new Map([...sets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The union of two interval lists, sorted and merged. */
function union(a: Intervals, b: Intervals): Intervals {
  const all = [...a, ...b].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const merged: Intervals = [];
  for (const [first, last] of all) {
    const top = merged[merged.length - 1];
    if (top && first <= top[1] + 1n) {
      if (last > top[1]) top[1] = last;
    } else {
      merged.push([first, last]);
    }
  }
  return merged;
}

/** The numbers of `a` that are not in `b`. */
function difference(a: Intervals, b: Intervals): Intervals {
  const rest: Intervals = [];
  for (const [first, last] of a) {
    let from = first;
    for (const [x, y] of b) {
      if (y < from || x > last) continue;
      if (x > from) rest.push([from, x - 1n]);
      from = y + 1n;
      if (from > last) break;
    }
    if (from <= last) rest.push([from, last]);
  }
  return rest;
}
