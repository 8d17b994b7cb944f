/**
 * Binlog positions: what one is, how positions order, and what makes a file name and offset a
 * possible position at all.
 *
 * @module
 */
/** A place in the source's binlog: the file name and the byte offset of the next event to read. */
export interface BinlogPosition {
  file: string;
  pos: number;
}

/**
 * The largest offset a binlog event can start at: event headers hold positions in 32 bits, and
 * zongji sends the start offset as a 32-bit integer (a larger one failed with "The value of
 * "value" is out of range" on every retry).
 */
export const MAX_BINLOG_OFFSET = 0xffff_ffff;

/** The first event of every binlog file starts after its 4-byte magic number. */
export const FIRST_EVENT_OFFSET = 4;

/**
 * Why `file`/`pos` cannot be a binlog position, or null when they can. A file name is a bare name
 * ending in a numeric suffix (`mysql-bin.000005`): no folder, since the server looks it up in its
 * own binlog index.
 */
export function positionProblem(file: string, pos: number): string | null {
  if (!/^[^/\\\s]+\.\d+$/.test(file)) {
    return `${
      JSON.stringify(file)
    } is not a binlog file name (a bare name with a numeric suffix, ` +
      `e.g. mysql-bin.000005)`;
  }
  if (!Number.isSafeInteger(pos) || pos < FIRST_EVENT_OFFSET || pos > MAX_BINLOG_OFFSET) {
    return `${pos} is not a binlog offset (a whole number from ${FIRST_EVENT_OFFSET} to ${MAX_BINLOG_OFFSET})`;
  }
  return null;
}

/** `mysql-bin.000005:708735`, the way DBAs write positions. */
export function formatPosition(p: BinlogPosition): string {
  return `${p.file}:${p.pos}`;
}

/** Orders positions; binlog file names sort by their numeric suffix. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  if (a.file !== b.file) return binlogIndex(a.file) - binlogIndex(b.file);
  return a.pos - b.pos;
}

/** The numeric suffix of a binlog file name (`mysql-bin.000005` -> 5); 0 without one. */
export function binlogIndex(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : 0;
}

/** The part of a binlog file name before its numeric suffix (`mysql-bin`). */
export function binlogBaseName(file: string): string {
  return file.replace(/\.\d+$/, "");
}
