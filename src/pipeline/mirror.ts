/**
 * Mirrors the applied position into master.info at most once a second while running (PostgreSQL
 * holds the authoritative copy; the seed's tool also saved about once a second).
 *
 * @module
 */
import { writeMasterInfo } from "../offsets/master_info.ts";
import type { BinlogPosition } from "../offsets/position.ts";

/** master.info is rewritten at most this often while running. */
const MIRROR_EVERY_MS = 1_000;

export class MasterInfoMirror {
  #mirroredAt = 0;
  #unmirrored: BinlogPosition | null = null;

  constructor(private readonly dataDir: string) {}

  /** Notes a newly applied position; writes it unless master.info was written under a second ago. */
  async update(position: BinlogPosition): Promise<void> {
    this.#unmirrored = position;
    if (Date.now() - this.#mirroredAt < MIRROR_EVERY_MS) return;
    await this.flush();
  }

  /** Writes the last position not written yet, if any (at the session's end). */
  async flush(): Promise<void> {
    const position = this.#unmirrored;
    if (position === null) return;
    this.#mirroredAt = Date.now();
    this.#unmirrored = null;
    await writeMasterInfo(this.dataDir, position);
  }
}
