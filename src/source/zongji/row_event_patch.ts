/**
 * Makes zongji's row event classes (WriteRows, UpdateRows, DeleteRows, which the package does not
 * export) read rows with our row readers (`prepareRowReaders`) where a table has them, and before
 * images with the key-only entries; every other image is still read by zongji.
 *
 * @module
 */
import { missingFatal, type MissingInternal } from "./internals.ts";
import { afterImage, firstImage } from "./row_readers.ts";
import type { ImageReader, ParserLike, RowKind, ZongJiTableMapEntry } from "./shapes.ts";

const IMAGE_VIEWS = Symbol("before and after image views");

/** zongji's row events, as far as reading their rows goes. */
interface RowsEventLike {
  tableMap: Record<number, ZongJiTableMapEntry>;
  tableId: number;
  columns_present_bitmap: Uint8Array;
  columns_present_bitmap2?: Uint8Array;
  _zongji: unknown;
  [IMAGE_VIEWS]?: readonly [ImageView, ImageView];
}

/** How to read one image of an event's rows: our reader, or zongji's with a view of the event. */
type ImageView =
  | { read: ImageReader; present: Uint8Array }
  /** `event` is `this` for RowsEvent's own row reader. */
  | { read: undefined; present: Uint8Array; event: RowsEventLike };

type FetchRow = (this: RowsEventLike, parser: ParserLike) => unknown;

/** Row event classes patched, or found without what the patch needs. */
const settledRowClasses = new WeakSet<object>();

/**
 * Replaces `_fetchOneRow` of the class of `event` (zongji's WriteRows, UpdateRows or DeleteRows)
 * so that rows are read with `readImage` where the table has one, and before images with
 * `beforeImage` entries. Call with every row event; each class is patched once, so the first
 * event of each kind is still read by zongji alone.
 *
 * Throws FatalError when the event lacks what tells its table (rows would be dropped unseen).
 */
export function installRowReader(event: object, kind: RowKind, report: MissingInternal): void {
  const proto = Object.getPrototypeOf(event) as { _fetchOneRow?: FetchRow };
  if (settledRowClasses.has(proto)) return;
  const { tableId, tableMap } = event as Partial<RowsEventLike>;
  if (typeof tableId !== "number" || typeof tableMap !== "object" || tableMap === null) {
    throw missingFatal("RowsEvent.tableId or tableMap", "rows cannot be matched to their table");
  }
  settledRowClasses.add(proto);
  // RowsEvent's own reads one image of `this.tableMap[this.tableId]` with `columns_present_bitmap`.
  const zongjiRead = (Object.getPrototypeOf(proto) as { _fetchOneRow?: FetchRow })._fetchOneRow;
  const { columns_present_bitmap: present } = event as Partial<RowsEventLike>;
  const className = (proto as { constructor?: { name?: string } }).constructor?.name ?? kind;
  const missing = [
    typeof proto._fetchOneRow !== "function" && `${className}.prototype._fetchOneRow`,
    typeof zongjiRead !== "function" && "RowsEvent.prototype._fetchOneRow",
    !(present instanceof Uint8Array) && "RowsEvent.columns_present_bitmap",
    !("_zongji" in event) && "RowsEvent._zongji",
  ].filter((name) => name !== false);
  if (missing.length > 0 || typeof zongjiRead !== "function") {
    report(
      missing.join(", "),
      `zongji decodes whole every ${kind} row it reads: decoding is slower`,
    );
    return;
  }
  const read = (view: ImageView, parser: ParserLike) =>
    view.read ? view.read(parser, view.present) : zongjiRead.call(view.event, parser);
  const views = (event: RowsEventLike, parser: ParserLike) =>
    event[IMAGE_VIEWS] ??= imageViews(event, kind, parser, report);
  proto._fetchOneRow = kind === "update"
    ? function (parser) {
      const [before, after] = views(this, parser);
      return { before: read(before, parser), after: read(after, parser) };
    }
    : function (parser) {
      return read(views(this, parser)[0], parser);
    };
}

/**
 * The before (or only) and the after image views of `event`'s rows, which `parser` reads; zongji's
 * reader for both where the parser lacks what ours read.
 */
function imageViews(
  event: RowsEventLike,
  kind: RowKind,
  parser: ParserLike,
  report: MissingInternal,
): readonly [ImageView, ImageView] {
  const { tableMap, tableId, _zongji } = event;
  const entry = tableMap[tableId];
  const readable = parser._buffer instanceof Uint8Array && typeof parser._offset === "number";
  if (!readable) {
    report("Parser._buffer or _offset", "zongji reads every row image itself: decoding is slower");
  }
  const first = entry && firstImage(entry, kind);
  // The view of the event for zongji's reader is built only where ours does not apply.
  const view = (image: ZongJiTableMapEntry | undefined, present: Uint8Array): ImageView => {
    const read = readable ? image?.readImage : undefined;
    if (read) return { read, present };
    return {
      read,
      present,
      event: {
        tableMap: image && image !== entry ? { [tableId]: image } : tableMap,
        tableId,
        columns_present_bitmap: present,
        _zongji,
      },
    };
  };
  return [
    view(first, event.columns_present_bitmap),
    view(entry && afterImage(entry), event.columns_present_bitmap2 ?? event.columns_present_bitmap),
  ];
}
