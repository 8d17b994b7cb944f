/**
 * Which saved position the next `run` starts from, and why: the one PostgreSQL holds (committed
 * with the rows, so a `master.info` mirror left behind by a crash never moves it), unless a person
 * edited `master.info` since this tool last wrote it, which the seed documents as the way to set
 * where the sync starts.
 *
 * @module
 */
import type { MasterInfo } from "./master_info.ts";
import { type BinlogPosition, formatPosition } from "./position.ts";

/** Where the next start's position comes from. */
export type StartSource = "postgresql" | "master.info" | "oldest binlog";

export interface StartChoice {
  /** Null: no saved position, reading starts at the oldest binlog the source has. */
  position: BinlogPosition | null;
  from: StartSource;
  /** One line for logs and `pos show`. */
  why: string;
}

/** Chooses between the position stored in PostgreSQL (`storeName`) and `master.info`. */
export function chooseStart(
  stored: BinlogPosition | null,
  masterInfo: MasterInfo | null,
  storeName: string,
): StartChoice {
  const edited = masterInfo?.position;
  if (stored && edited && masterInfo.editedByHand && !samePosition(stored, edited)) {
    return {
      position: edited,
      from: "master.info",
      why: `master.info was edited by hand (${formatPosition(edited)}) after ${storeName} saved ` +
        `${formatPosition(stored)}: the edit wins`,
    };
  }
  if (stored) {
    const stale = edited && !samePosition(stored, edited)
      ? `; master.info (${formatPosition(edited)}) is a mirror not yet updated and is ignored`
      : "";
    return {
      position: stored,
      from: "postgresql",
      why: `the applied position saved in ${storeName}${stale}`,
    };
  }
  if (edited) {
    return {
      position: edited,
      from: "master.info",
      why: `master.info (${storeName} holds no position yet)`,
    };
  }
  return { position: null, from: "oldest binlog", why: "no saved position anywhere" };
}

function samePosition(a: BinlogPosition, b: BinlogPosition): boolean {
  return a.file === b.file && a.pos === b.pos;
}
