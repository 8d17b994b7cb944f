/**
 * The extra rows of a target that several source tables share without a source tag: a row there
 * cannot be told to come from one of them, so each source table is compared for its own rows only
 * (missing, different), and the target's rows whose key none of them has are found once for all,
 * here. Every source table's comparison adds the keys it compared to one seen-keys table; the
 * target's keys not in it are then looked up in every source table again, after the sync has
 * applied what the source had written (a row inserted since its chunk was read is no extra), and
 * those still in the target and in no source table are reported.
 *
 * @module
 */
import { copyText } from "../convert/copy.ts";
import { sourceHead } from "../source/binlog_status.ts";
import { sourceName } from "../tables/followed.ts";
import type { RowCodec } from "../tables/row_codec.ts";
import { SourceRows } from "../tables/source_rows.ts";
import { Comparer } from "./comparer.ts";
import type { VerifySession } from "./session.ts";
import type { TableReport } from "./verify.ts";

export class SharedExtras {
  /** Compares with the first table's codec: all share the target and its key. */
  readonly #comparer: Comparer;

  constructor(
    private readonly codecs: readonly RowCodec[],
    private readonly session: VerifySession,
    /** Where the extra rows are counted: a report of its own, for the target. */
    readonly report: TableReport,
  ) {
    this.#comparer = new Comparer(session.sql, codecs[0], session.dialect, true);
  }

  /**
   * Why the source tables cannot be compared as sharing the target (their keys differ), or null.
   */
  mismatch(): string | null {
    const keyOf = (codec: RowCodec) =>
      codec.keyIndexes.map((i) => codec.targetColumns[i].name).join(", ");
    const first = keyOf(this.codecs[0]);
    const other = this.codecs.find((codec) => keyOf(codec) !== first);
    if (!other) return null;
    return `${sourceName(this.codecs[0].route)} and ${sourceName(other.route)} share ` +
      `${this.report.target} without a source tag but fill different key columns (${first}; ` +
      `${keyOf(other)}): give the [[rule]] a source_column, or route them to different tables`;
  }

  /** Before the source tables' comparisons: the seen-keys table they fill. */
  async open(): Promise<void> {
    await this.#comparer.openSeen();
  }

  /** After them: finds, re-checks and counts the target's rows none of them has. */
  async run(): Promise<void> {
    const { source, waiter, options } = this.session;
    await this.#comparer.prepare();
    const candidates = await this.#comparer.findUnseen();
    if (candidates === 0) return;
    let after = 0;
    while (true) {
      const { diffs, last } = await this.#comparer.diffPage(after, options.chunkRows);
      if (diffs.length === 0) break;
      after = last;
      const position = await sourceHead(source);
      if (position !== null) await waiter.reach(position);
      let found = "";
      for (const codec of this.codecs) {
        const rows = await new SourceRows(source, codec).byKeys(diffs.map((d) => d.mysqlKey));
        for (const row of rows) {
          const fields = codec.encode(row);
          found += copyText(codec.keyIndexes.map((i) => fields[i]));
        }
      }
      if (found !== "") await this.#comparer.forgetFound(found);
    }
    const extra = await this.#comparer.countLeft();
    this.report.extra = extra;
    this.report.inFlight = candidates - extra;
    const names = this.codecs[0].keyIndexes.map((i) => this.codecs[0].targetColumns[i].name);
    const { diffs } = await this.#comparer.diffPage(0, options.listLimit);
    for (const diff of diffs) {
      this.report.differences.push({
        kind: "extra",
        key: Object.fromEntries(names.map((name, i) => [name, diff.key[i]])),
      });
    }
    if (extra > 0 && options.repair) {
      const note = `${this.report.target}: its ${extra} rows in none of ${this.report.source} ` +
        `were not repaired (a shared target's rows are not deleted by verify); delete them by ` +
        `hand if they are not wanted`;
      this.session.notes.push(note);
      this.session.log.warn(note);
    }
  }

  async close(): Promise<void> {
    await this.#comparer.close();
    await this.#comparer.dropSeen();
  }
}
