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
    if (batch.position === null) return;
    const position = batch.position;
    try {
      await this.sql.begin(async (tx) => {
        for (const table of batch.tables.values()) {
          if (table.size > 0) await this.#applyTable(tx, table);
        }
        await this.positions.write(tx, position, batch.gtid);
      });
    } catch (err) {
      // A failed transaction may have rolled back the creation of staging tables.
      this.#staging.clear();
      throw err;
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

  async #applyTable(tx: Transaction, table: TableBatch): Promise<void> {
    const { plan, encoder } = table;
    const columns = encoder.columns.map(quoteIdent);
    const staging = await this.#stagingFor(tx, table, columns);
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
      let fields: (string | null)[];
      if (state === null) {
        fields = new Array<string | null>(width + 1).fill(null);
        const keyFields = table.keyFields(key);
        keyIndexes.forEach((index, i) => fields[index] = keyFields[i]);
        fields[width] = "t";
      } else {
        fields = [...state, "f"];
      }
      chunk += copyText(fields);
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
