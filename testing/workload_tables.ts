/**
 * The tables the fault workload (`workload.ts`) writes: their MariaDB and PostgreSQL definitions,
 * the column list both sides are compared on, and the config lines that follow them. Their values
 * print the same on both sides (integers, decimals, text), so rows compare as text.
 *
 * @module
 */

/** One followed table of the workload. */
export interface WorkloadTable {
  name: string;
  mysql: string;
  pg: string;
  /** Select list, the same on both sides. */
  columns: string;
  /** Integer column the comparison walks in ranges (the first key column). */
  rangeColumn: string;
}

/** The MariaDB schema the workload writes; its tables land in PostgreSQL's `public`. */
export const WORKLOAD_SCHEMA = "weather";

export const WORKLOAD_TABLES: readonly WorkloadTable[] = [
  {
    name: "orders",
    mysql: "id INT PRIMARY KEY, customer INT NOT NULL, amount DECIMAL(12,2) NOT NULL, " +
      "status VARCHAR(16), note TEXT",
    pg: "id integer PRIMARY KEY, customer integer NOT NULL, amount numeric(12,2) NOT NULL, " +
      "status varchar(16), note text",
    columns: "id, customer, amount, status, note",
    rangeColumn: "id",
  },
  {
    name: "order_lines",
    mysql: "order_id INT, line_no SMALLINT, sku VARCHAR(24), qty INT, " +
      "PRIMARY KEY (order_id, line_no)",
    pg: "order_id integer, line_no smallint, sku varchar(24), qty integer, " +
      "PRIMARY KEY (order_id, line_no)",
    columns: "order_id, line_no, sku, qty",
    rangeColumn: "order_id",
  },
  {
    // Narrow rows: the big transactions go here (the memory a row costs is mostly overhead).
    name: "readings",
    mysql: "id BIGINT PRIMARY KEY, sensor INT NOT NULL, value INT NOT NULL",
    pg: "id bigint PRIMARY KEY, sensor integer NOT NULL, value integer NOT NULL",
    columns: "id, sensor, value",
    rangeColumn: "id",
  },
  {
    // One row per settle: its position is the last thing the sync must reach.
    name: "marker",
    mysql: "id INT PRIMARY KEY, note VARCHAR(64)",
    pg: "id integer PRIMARY KEY, note varchar(64)",
    columns: "id, note",
    rangeColumn: "id",
  },
];

/** The `[[source]]` lines that follow every workload table. */
export function workloadSourceConfig(): string {
  const tables = WORKLOAD_TABLES.map((table) => `"${table.name}"`).join(", ");
  return `[[source]]\nschema = "${WORKLOAD_SCHEMA}"\ntables = [${tables}]\n`;
}

/** DDL creating the workload's schema and tables in MariaDB (one multi-statement text). */
export function mysqlWorkloadDdl(): string {
  return [
    `CREATE DATABASE ${WORKLOAD_SCHEMA}`,
    ...WORKLOAD_TABLES.map((t) => `CREATE TABLE ${WORKLOAD_SCHEMA}.${t.name} (${t.mysql})`),
  ].join(";\n");
}

/** DDL creating the target tables in PostgreSQL's `public` schema. */
export function pgWorkloadDdl(): string {
  return WORKLOAD_TABLES.map((t) => `CREATE TABLE public.${t.name} (${t.pg})`).join(";\n");
}
