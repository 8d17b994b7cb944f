/**
 * The GTIDs of a batch's transactions, noted one by one as cheaply as reading them allows, for
 * the GTID state to be advanced once per batch (`GtidState.after`): MariaDB's last GTID of each
 * replication domain, MySQL's runs of consecutive transaction numbers per source.
 *
 * @module
 */

/** One run of MySQL transactions: `key` (`uuid` or `uuid:tag`), numbers `first` to `last`. */
export interface GtidRun {
  key: string;
  first: bigint;
  last: bigint;
}

/**
 * The GTIDs of a batch, in binlog order. Noting one costs a string comparison in the common
 * case (the same MariaDB domain, or the next number of the same MySQL source as before); the set
 * arithmetic waits for the batch's commit.
 */
export class GtidTrail {
  /** The last GTID noted; null before the first. */
  last: string | null = null;
  /** `last` up to its sequence or transaction number (`0-1-`, `uuid:`), to spot the same source. */
  #prefix = "";
  /** MySQL GTIDs (`uuid:n`); decided by the first GTID noted. */
  #mysql = false;
  /** MariaDB: the last GTID of the other domains seen, by domain prefix. */
  #otherDomains: Map<string, string> | null = null;
  /** MySQL: whether a run of safe integers is open, and its numbers (its key is `#prefix`). */
  #runOpen = false;
  #runFirst = 0;
  #runLast = 0;
  /** MySQL: finished runs. */
  #runs: GtidRun[] = [];

  /** Notes the GTID of the next transaction. */
  note(gtid: string): void {
    const previous = this.last;
    this.last = gtid;
    // A slice compared is several times faster than startsWith with a MySQL uuid as the prefix.
    if (previous !== null && gtid.slice(0, this.#prefix.length) === this.#prefix) {
      // MariaDB: within a domain, the last transaction stands for every earlier one.
      if (!this.#mysql) return;
      const n = numberAfter(gtid, this.#prefix.length);
      if (this.#runOpen && n === this.#runLast + 1 && Number.isSafeInteger(n)) {
        this.#runLast = n;
        return;
      }
    }
    if (previous === null) this.#mysql = gtid.includes(":");
    if (this.#mysql) this.#startRun(gtid);
    else this.#switchDomain(gtid, previous);
  }

  /** MariaDB: the last GTID of each domain noted, in no particular order. */
  lastPerDomain(): string[] {
    if (this.last === null || this.#mysql) return [];
    return [...this.#otherDomains?.values() ?? [], this.last];
  }

  /** MySQL: the transactions noted, as runs (possibly overlapping or touching). */
  runs(): GtidRun[] {
    if (!this.#runOpen) return this.#runs;
    const key = this.#prefix.slice(0, -1);
    return [...this.#runs, { key, first: BigInt(this.#runFirst), last: BigInt(this.#runLast) }];
  }

  #switchDomain(gtid: string, previous: string | null): void {
    const prefix = gtid.slice(0, gtid.indexOf("-") + 1);
    if (previous !== null) {
      (this.#otherDomains ??= new Map()).set(this.#prefix, previous);
      this.#otherDomains.delete(prefix);
    }
    this.#prefix = prefix;
  }

  #startRun(gtid: string): void {
    this.#runs = this.runs();
    const colon = gtid.lastIndexOf(":");
    const numberText = gtid.slice(colon + 1);
    const n = Number(numberText);
    this.#prefix = gtid.slice(0, colon + 1);
    this.#runOpen = Number.isSafeInteger(n);
    if (this.#runOpen) {
      this.#runFirst = this.#runLast = n;
    } else {
      // Beyond 2^53 (unheard of in practice): kept exact, as a run of its own.
      const exact = BigInt(numberText);
      this.#runs.push({ key: gtid.slice(0, colon), first: exact, last: exact });
    }
  }
}

/** The decimal number that ends `text` from `start`, read without a substring; NaN if none. */
function numberAfter(text: string, start: number): number {
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    n = n * 10 + digit;
  }
  return start < text.length ? n : NaN;
}
