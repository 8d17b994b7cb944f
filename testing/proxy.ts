/**
 * A loopback TCP proxy for fault injection and latency: the sync talks to MariaDB or PostgreSQL
 * through it, and a test can pause it (stop forwarding, keep the sockets: a network stall), cut it
 * (close every connection, optionally refusing new ones for a while: a dropped link), slow it
 * (delay each direction by N ms) and resume it. A fixed delay each way from the start makes it a
 * latency proxy for benchmarks. It listens on 127.0.0.1 only, forwards to a loopback address only,
 * buffers at most `bufferBytes` per direction and connection (then TCP pushes back), and closes
 * everything on dispose.
 *
 * ```ts
 * await using proxy = startProxy({ target: { host: "127.0.0.1", port: pgPort } });
 * proxy.pause(); await sleep(20_000); proxy.resume();
 * ```
 *
 * @module
 */
import { DelayedChunks } from "./delayed_chunks.ts";
import { LOOPBACK_HOST } from "./os.ts";
import { PreciseTimer } from "./precise_timer.ts";

/** A TCP address. */
export interface Address {
  host: string;
  port: number;
}

export interface ProxyOptions {
  /** Where connections go; must be a loopback address. */
  target: Address;
  /** Delay each direction by this many ms for the proxy's whole life (a latency proxy). */
  delayMs?: number;
  /** Port to listen on (127.0.0.1); a free one when absent. */
  port?: number;
  /** Most bytes queued per direction and connection before reading stops (default 1 MiB). */
  bufferBytes?: number;
  /** Most connections open at once; more are closed at once (default 64). */
  maxConnections?: number;
  /**
   * Time delays to a fraction of a millisecond (precise_timer.ts, a worker thread) rather than
   * with Deno's timers, which sleep at least about 2 ms: for delays of a few ms.
   */
  precise?: boolean;
}

/** What went through the proxy since it started. */
export interface ProxyCounters {
  accepted: number;
  /** Connections closed at once: refused after a cut, over the limit, or the target unreachable. */
  refused: number;
  /** Connections closed by `cut()`. */
  cut: number;
  bytesToTarget: number;
  bytesToClient: number;
}

export interface TcpProxy extends AsyncDisposable {
  /** 127.0.0.1 */
  readonly host: string;
  readonly port: number;
  readonly target: Address;
  readonly counters: Readonly<ProxyCounters>;
  /** Connections open now. */
  readonly connections: number;
  /** Stops forwarding in both directions; sockets stay open, new connections are held too. */
  pause(): void;
  /** Closes every open connection; with `refuseMs`, closes new ones at once for that long. */
  cut(options?: { refuseMs?: number }): void;
  /** Delays each direction by `delayMs` (instead of the delay given at start). */
  slow(delayMs: number): void;
  /** Ends pause, slow and refusal: forwards again with the delay given at start. */
  resume(): void;
  dispose(): Promise<void>;
}

const READ_BUFFER_BYTES = 64 << 10;

/** Settings every connection reads at each step, so a change applies at once. */
interface Control {
  paused: boolean;
  delayMs: number;
  counters: ProxyCounters;
  /** Times the delays when `precise` was asked for; Deno's timers otherwise. */
  timer: PreciseTimer | null;
}

/** Starts a proxy on 127.0.0.1 to `options.target`. */
export function startProxy(options: ProxyOptions): TcpProxy {
  return new LoopbackProxy(options);
}

/** Whether `host` is a loopback address (the harness never touches the network). */
export function isLoopback(host: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(host) || host === "localhost" || host === "::1";
}

class LoopbackProxy implements TcpProxy {
  readonly host = LOOPBACK_HOST;
  readonly port: number;
  readonly target: Address;
  readonly #listener: Deno.TcpListener;
  readonly #baseDelayMs: number;
  readonly #bufferBytes: number;
  readonly #maxConnections: number;
  readonly #open = new Set<Connection>();
  readonly #pending = new Set<Promise<void>>();
  readonly #control: Control;
  readonly #accepting: Promise<void>;
  readonly #timer: PreciseTimer | null;
  #refuseUntil = 0;
  #disposed = false;

  constructor(options: ProxyOptions) {
    if (!isLoopback(options.target.host)) {
      throw new Error(`proxy target ${options.target.host} is not a loopback address`);
    }
    this.target = { ...options.target };
    this.#baseDelayMs = options.delayMs ?? 0;
    this.#bufferBytes = options.bufferBytes ?? 1 << 20;
    this.#maxConnections = options.maxConnections ?? 64;
    const timer = this.#timer = options.precise ? new PreciseTimer() : null;
    this.#control = {
      paused: false,
      delayMs: this.#baseDelayMs,
      counters: { accepted: 0, refused: 0, cut: 0, bytesToTarget: 0, bytesToClient: 0 },
      timer,
    };
    this.#listener = Deno.listen({ hostname: LOOPBACK_HOST, port: options.port ?? 0 });
    // A proxy somebody forgot to dispose must not keep its process alive.
    this.#listener.unref();
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#accepting = this.#acceptLoop();
  }

  get counters(): Readonly<ProxyCounters> {
    return this.#control.counters;
  }

  get connections(): number {
    return this.#open.size;
  }

  pause(): void {
    this.#control.paused = true;
  }

  cut(options: { refuseMs?: number } = {}): void {
    this.#refuseUntil = Date.now() + (options.refuseMs ?? 0);
    for (const connection of this.#open) {
      this.#control.counters.cut++;
      connection.close();
    }
  }

  slow(delayMs: number): void {
    this.#control.delayMs = delayMs;
    this.#wakeAll();
  }

  resume(): void {
    this.#control.paused = false;
    this.#control.delayMs = this.#baseDelayMs;
    this.#refuseUntil = 0;
    this.#wakeAll();
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#accepting;
    await Promise.all(this.#pending);
    for (const connection of this.#open) connection.close();
    await Promise.all([...this.#open].map((connection) => connection.done));
    this.#timer?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  #wakeAll(): void {
    for (const connection of this.#open) connection.wake();
  }

  async #acceptLoop(): Promise<void> {
    // Ends when dispose() closes the listener.
    while (true) {
      let client: Deno.TcpConn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      if (Date.now() < this.#refuseUntil || this.#open.size >= this.#maxConnections) {
        this.#control.counters.refused++;
        client.close();
        continue;
      }
      this.#control.counters.accepted++;
      const opening = this.#connect(client);
      this.#pending.add(opening);
      opening.finally(() => this.#pending.delete(opening));
    }
  }

  async #connect(client: Deno.TcpConn): Promise<void> {
    let server: Deno.TcpConn;
    try {
      server = await Deno.connect({ hostname: this.target.host, port: this.target.port });
    } catch {
      this.#control.counters.refused++;
      client.close();
      return;
    }
    if (this.#disposed) {
      client.close();
      server.close();
      return;
    }
    const connection = new Connection(client, server, this.#control, this.#bufferBytes);
    this.#open.add(connection);
    connection.done.finally(() => this.#open.delete(connection));
  }
}

/** Resolves on `notify()` or after `ms`, whichever comes first; one waiter at a time. */
class Wakeup {
  #resolve: (() => void) | null = null;

  constructor(private readonly timer: PreciseTimer | null) {}

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const wake = this.#resolve = () => {
        clearTimeout(timeout);
        // A precise sleep ending after a notify must not end a later wait.
        if (this.#resolve === wake) this.#resolve = null;
        resolve();
      };
      if (!Number.isFinite(ms)) return;
      if (this.timer) this.timer.sleep(ms).then(wake);
      else timeout = setTimeout(wake, ms);
    });
  }

  notify(): void {
    this.#resolve?.();
  }
}

/** One proxied connection: a client socket, a target socket and a pipe each way. */
class Connection {
  readonly done: Promise<void>;
  #closed = false;
  readonly #sockets: Deno.TcpConn[];
  readonly #pipes: Pipe[];

  constructor(client: Deno.TcpConn, server: Deno.TcpConn, control: Control, bufferBytes: number) {
    this.#sockets = [client, server];
    for (const socket of this.#sockets) {
      socket.setNoDelay(true);
      socket.unref();
    }
    const isClosed = () => this.#closed;
    const close = () => this.close();
    this.#pipes = [
      new Pipe(client, server, control, bufferBytes, "bytesToTarget", isClosed, close),
      new Pipe(server, client, control, bufferBytes, "bytesToClient", isClosed, close),
    ];
    this.done = Promise.all(this.#pipes.flatMap((pipe) => pipe.loops)).then(() => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.wake();
  }

  wake(): void {
    for (const pipe of this.#pipes) pipe.wake();
  }
}

/** One direction of a connection: reads into a bounded delay queue, writes out when due. */
class Pipe {
  readonly loops: Promise<void>[];
  readonly #queue: DelayedChunks;
  readonly #readerWake: Wakeup;
  readonly #writerWake: Wakeup;
  #ended = false;

  constructor(
    private readonly from: Deno.TcpConn,
    private readonly to: Deno.TcpConn,
    private readonly control: Control,
    bufferBytes: number,
    private readonly counter: "bytesToTarget" | "bytesToClient",
    private readonly isClosed: () => boolean,
    private readonly close: () => void,
  ) {
    this.#queue = new DelayedChunks(bufferBytes);
    this.#readerWake = new Wakeup(control.timer);
    this.#writerWake = new Wakeup(control.timer);
    this.loops = [this.#readLoop(), this.#writeLoop()];
  }

  wake(): void {
    this.#readerWake.notify();
    this.#writerWake.notify();
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    // Ends when the connection closes (a cut, dispose, or either side hanging up).
    while (!this.isClosed()) {
      if (this.control.paused || this.#queue.full) {
        await this.#readerWake.wait(Infinity);
        continue;
      }
      let n: number | null;
      try {
        n = await this.from.read(buffer);
      } catch {
        this.close();
        return;
      }
      if (n === null) {
        // The other side gets what is queued, then the connection closes (the database protocols
        // never half-close).
        this.#ended = true;
        this.#writerWake.notify();
        return;
      }
      this.#queue.push(buffer.slice(0, n), performance.now(), this.control.delayMs);
      this.#writerWake.notify();
    }
  }

  async #writeLoop(): Promise<void> {
    while (!this.isClosed()) {
      if (this.control.paused) {
        await this.#writerWake.wait(Infinity);
        continue;
      }
      const now = performance.now();
      const chunk = this.#queue.takeDue(now);
      if (chunk === null) {
        if (this.#ended && this.#queue.empty) {
          this.close();
          return;
        }
        await this.#writerWake.wait(this.#queue.waitMs(now));
        continue;
      }
      this.#readerWake.notify();
      try {
        for (let done = 0; done < chunk.length;) done += await this.to.write(chunk.subarray(done));
      } catch {
        this.close();
        return;
      }
      this.control.counters[this.counter] += chunk.length;
    }
  }
}

/**
 * A latency proxy in a process of its own, so that forwarding takes no time from the process it
 * delays (the bench runs the sync in-process): `deno run -A testing/proxy.ts PORT DELAY_MS`
 * forwards 127.0.0.1:<free port> to 127.0.0.1:PORT, prints its port, and ends when its stdin
 * closes (its parent gone) or on SIGTERM.
 */
async function serveFromCommandLine(args: string[]): Promise<void> {
  const [port, delayMs] = args.map(Number);
  if (!Number.isInteger(port) || !(delayMs >= 0)) {
    console.error("usage: deno run -A testing/proxy.ts TARGET_PORT DELAY_MS");
    Deno.exit(2);
  }
  const proxy = startProxy({ target: { host: LOOPBACK_HOST, port }, delayMs, precise: true });
  console.log(proxy.port);
  const stop = new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
  const orphaned = (async () => {
    for await (const _ of Deno.stdin.readable) {
      // nothing is sent; the stream ends when the parent does
    }
  })();
  await Promise.race([stop, orphaned]);
  await proxy.dispose();
  Deno.exit(0);
}

if (import.meta.main) await serveFromCommandLine(Deno.args);
