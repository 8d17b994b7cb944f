/**
 * Watches the followed server while it streams, for `mysql_primary_only`: once it is read-only (a
 * switchover demoted it), the session is ended so that the group's new primary is followed.
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { isReadOnly } from "../source/gtid_status.ts";
import { connectSource, type SourceConnection } from "../source/mysql.ts";

/** How often the followed server is asked whether it is still a primary. */
const ROLE_CHECK_MS = 2_000;

/**
 * Asks the server `config` names every two seconds whether it is read-only, on a connection of its
 * own, and calls `onDemoted` the first time it is. A server that does not answer is left to the
 * replication stream, which notices a lost server by itself.
 */
export class PrimaryWatch {
  #connection: Promise<SourceConnection> | null = null;
  #timer: ReturnType<typeof setInterval>;
  #busy = false;
  #closed = false;

  constructor(private readonly config: Config, private readonly onDemoted: () => void) {
    this.#timer = setInterval(() => this.#check(), ROLE_CHECK_MS);
  }

  async #check(): Promise<void> {
    if (this.#busy || this.#closed) return;
    this.#busy = true;
    try {
      const connection = await (this.#connection ??= this.#open());
      if (await isReadOnly(connection) && !this.#closed) {
        this.onDemoted();
        await this.close();
      }
    } catch {
      this.#drop();
    } finally {
      this.#busy = false;
    }
  }

  async #open(): Promise<SourceConnection> {
    const connection = await connectSource(this.config);
    // Without a listener a connection the server closes while idle would crash the process.
    connection.on("error", () => this.#drop());
    return connection;
  }

  #drop(): void {
    const connection = this.#connection;
    this.#connection = null;
    connection?.then((c) => c.destroy()).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const connection = this.#connection;
    this.#connection = null;
    if (connection) await connection.then((c) => c.end()).catch(() => {});
  }
}
