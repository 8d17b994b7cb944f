import { copyText } from "../convert/copy.ts";
import { quoteIdent } from "../convert/ident.ts";
import type { Batch, TableBatch } from "../pipeline/batch.ts";
import type { PositionStore } from "./position_store.ts";
import type postgres from "postgres";
import type { Sql } from "./postgres.ts";

/** Flag column of staging tables; its name cannot clash because staging holds only target columns. */
const DELETED = quoteIdent("__mysql_gp_sync_deleted");

/** COPY data is sent in chunks of about this many characters. */
const COPY_CHUNK_CHARS = 1 << 20;

type Transaction = postgres.TransactionSql;

/**
 * Applies batches over one PostgreSQL connection, each batch and its binlog position in one
 * transaction: per table, COPY the final states into a temporary staging table, delete every
 * touched key from the target and insert the surviving rows. This needs neither `ON CONFLICT` nor
 * `MERGE`, so it runs unchanged on PostgreSQL and Greenplum 6/7.
 */
export class BatchWriter {
  /** Staging table per (target, column list) on this connection's session. */
  #staging = new Map<string, string>();

  constructor(private readonly sql: Sql, private readonly positions: PositionStore) {}

  /** Applies the batch and stores its position atomically. */
  async apply(batch: Batch): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    await this.#transaction(async (tx) => {
      await this.#applyTables(tx, batch, false);
      await this.positions.write(tx, position, batch.gtid);
    });
  }

  /**
   * Applies a transaction too large to hold in memory, piece by piece, inside one PostgreSQL
   * transaction, so it still becomes visible all at once. `pieces` yields the batches in binlog
   * order; the position of the last one is stored with them. Throwing from `pieces` rolls back.
   */
  async applyInPieces(pieces: AsyncIterable<Batch>): Promise<Batch | null> {
    let last: Batch | null = null;
    await this.#transaction(async (tx) => {
      for await (const piece of pieces) {
        await this.#applyTables(tx, piece, true);
        last = piece;
      }
      const final = last as Batch | null;
      if (final?.position) await this.positions.write(tx, final.position, final.gtid);
    });
    return last;
  }

  async #transaction(work: (tx: Transaction) => Promise<void>): Promise<void> {
    try {
      await this.sql.begin(work);
    } catch (err) {
      // A failed transaction may have rolled back the creation of staging tables.
      this.#staging.clear();
      throw err;
    }
  }

  async #applyTables(tx: Transaction, batch: Batch, reusedStaging: boolean): Promise<void> {
    for (const table of batch.tables.values()) {
      if (table.size > 0) await this.#applyTable(tx, table, reusedStaging);
    }
  }

  /** Empties a target table (a TRUNCATE on the source) together with the position after it. */
  async truncate(target: string, batch: Batch): Promise<void> {
    const position = batch.position;
    if (position === null) return;
    await this.sql.begin(async (tx) => {
      await tx.unsafe(`TRUNCATE ${target}`);
      await this.positions.write(tx, position, batch.gtid);
    });
  }

  async #applyTable(tx: Transaction, table: TableBatch, reusedStaging: boolean): Promise<void> {
    const { plan, encoder } = table;
    const columns = encoder.columns.map(quoteIdent);
    const staging = await this.#stagingFor(tx, table, columns);
    // Staging empties itself at commit; pieces of one transaction must clear it in between.
    if (reusedStaging) await tx.unsafe(`TRUNCATE ${staging}`);
    await this.#copy(tx, staging, [...columns, DELETED], table);
    const keyColumns = encoder.keyIndexes.map((i) => columns[i]);
    const matches = keyColumns.map((c) => `t.${c} = s.${c}`).join(" AND ");
    await tx.unsafe(`DELETE FROM ${plan.targetName} t USING ${staging} s WHERE ${matches}`);
    await tx.unsafe(
      `INSERT INTO ${plan.targetName} (${columns.join(", ")}) ` +
        `SELECT ${columns.join(", ")} FROM ${staging} WHERE NOT ${DELETED}`,
    );
  }

  async #stagingFor(tx: Transaction, table: TableBatch, columns: string[]): Promise<string> {
    const id = `${table.plan.targetName}\u0000${table.encoder.columns.join("\u0000")}`;
    let name = this.#staging.get(id);
    if (name === undefined) {
      name = quoteIdent(`mysql_gp_sync_stage_${this.#staging.size + 1}`);
      // CREATE TABLE AS copies types but not constraints: deleted keys carry NULLs elsewhere.
      await tx.unsafe(`DROP TABLE IF EXISTS pg_temp.${name}`);
      await tx.unsafe(
        `CREATE TEMP TABLE ${name} ON COMMIT DELETE ROWS AS ` +
          `SELECT ${
            columns.join(", ")
          }, false AS ${DELETED} FROM ${table.plan.targetName} WITH NO DATA`,
      );
      this.#staging.set(id, name);
    }
    return `pg_temp.${name}`;
  }

  async #copy(tx: Transaction, staging: string, columns: string[], table: TableBatch) {
    const stream = await tx.unsafe(`COPY ${staging} (${columns.join(", ")}) FROM STDIN`).writable();
    const done = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    const width = table.encoder.columns.length;
    const keyIndexes = table.encoder.keyIndexes;
    let chunk = "";
    for (const [key, state] of table.states) {
      if (state === null) {
        const fields = new Array<string | null>(width).fill(null);
        const keyFields = table.keyFields(key);
        keyIndexes.forEach((index, i) => fields[index] = keyFields[i]);
        chunk += withFlag(copyText(fields), "t");
      } else {
        chunk += withFlag(copyText(state), "f");
      }
      if (chunk.length >= COPY_CHUNK_CHARS) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once("drain", resolve));
        chunk = "";
      }
    }
    if (chunk.length > 0) stream.write(chunk);
    stream.end();
    await done;
  }
}

/** Appends the deleted-flag field to a COPY line. */
function withFlag(line: string, flag: "t" | "f"): string {
  return `${line.slice(0, -1)}\t${flag}\n`;
}
