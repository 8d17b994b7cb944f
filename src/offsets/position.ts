/** A place in the source's binlog: the file name and the byte offset of the next event to read. */
export interface BinlogPosition {
  file: string;
  pos: number;
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

function binlogIndex(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : 0;
}
