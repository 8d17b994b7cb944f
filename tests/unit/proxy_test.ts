/**
 * The fault-injection proxy (testing/proxy.ts) and its delay queue: bytes arrive exact and in
 * order, and pause, cut, slow, resume and dispose do what the fault tests rely on. The proxy is
 * tried against an echo listener on loopback (no database needed).
 *
 * @module
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { DelayedChunks } from "../../testing/delayed_chunks.ts";
import { isLoopback, startProxy } from "../../testing/proxy.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("DelayedChunks: in order, each when due, never before an earlier chunk", () => {
  const queue = new DelayedChunks(100);
  assertEquals(queue.waitMs(0), Infinity);
  queue.push(bytes(1, 2), 1000, 50);
  // A delay lowered meanwhile (resume after slow) must not let a later chunk overtake.
  queue.push(bytes(3), 1010, 0);
  assertEquals(queue.bytes, 3);
  assertEquals(queue.waitMs(1000), 50);
  assertEquals(queue.takeDue(1049), null);
  assertEquals(queue.takeDue(1050), bytes(1, 2));
  assertEquals(queue.takeDue(1050), bytes(3));
  assert(queue.empty);
  assertEquals(queue.bytes, 0);
});

Deno.test("DelayedChunks: full at its capacity, so the reader stops; a negative delay is none", () => {
  const queue = new DelayedChunks(4);
  queue.push(bytes(1, 2, 3), 0, -5);
  assert(!queue.full);
  queue.push(bytes(4), 0, 0);
  assert(queue.full);
  assertEquals(queue.takeDue(0), bytes(1, 2, 3));
  assert(!queue.full);
  assertThrows(() => new DelayedChunks(0), RangeError);
});

Deno.test("DelayedChunks: many chunks keep their order across the internal trimming", () => {
  const queue = new DelayedChunks(1 << 20);
  for (let i = 0; i < 5000; i++) queue.push(bytes(i % 256), i, 0);
  for (let i = 0; i < 5000; i++) assertEquals(queue.takeDue(5000), bytes(i % 256));
  assert(queue.empty);
});

Deno.test("isLoopback: only loopback addresses", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1"]) assert(isLoopback(host), host);
  for (const host of ["10.0.0.1", "0.0.0.0", "example.com", "127.0.0.1.example.com"]) {
    assert(!isLoopback(host), host);
  }
  assertThrows(() => startProxy({ target: { host: "10.0.0.1", port: 5432 } }), Error);
});

/** A loopback listener that echoes every connection until closed. */
function echoServer(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const echo = async (conn: Deno.Conn) => {
    conns.add(conn);
    const buffer = new Uint8Array(8192);
    try {
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        for (let done = 0; done < n;) done += await conn.write(buffer.subarray(done, n));
      }
    } catch {
      // closed under us
    }
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const echoes: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) echoes.push(echo(conn));
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of conns) conn.close();
      await Promise.all(echoes);
    },
  };
}

/** Reads exactly `length` bytes, or fewer when the connection ends first. */
async function readBytes(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  try {
    while (got < length) {
      const n = await conn.read(out.subarray(got));
      if (n === null) break;
      got += n;
    }
  } catch {
    // reset by the other side: what arrived so far
  }
  return out.subarray(0, got);
}

/** Whether the connection is closed by the other side within `ms` (EOF or reset). */
async function endsWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const timeout = new Promise<"open">((resolve) => setTimeout(() => resolve("open"), ms));
  const read = conn.read(new Uint8Array(16)).then((n) => n === null ? "ended" : "data")
    .catch(() => "ended");
  const outcome = await Promise.race([read, timeout]);
  return outcome === "ended";
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) done += await conn.write(data.subarray(done));
}

Deno.test("proxy: forwards megabytes exactly both ways through a small buffer", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port }, bufferBytes: 4096 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    const data = new Uint8Array(3 << 20).map((_, i) => (i * 7919) % 251);
    const [, echoed] = await Promise.all([writeAll(conn, data), readBytes(conn, data.length)]);
    assertEquals(echoed.length, data.length);
    assert(echoed.every((value, i) => value === data[i]), "echoed bytes differ");
    assertEquals(proxy.counters.bytesToTarget, data.length);
    assertEquals(proxy.counters.bytesToClient, data.length);
    assertEquals(proxy.connections, 1);
  } finally {
    conn.close();
    await proxy.dispose();
    await echo.close();
  }
});

Deno.test("proxy: pause holds the bytes and keeps the socket; resume delivers them", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port } });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await writeAll(conn, bytes(1));
    assertEquals(await readBytes(conn, 1), bytes(1));
    proxy.pause();
    await writeAll(conn, bytes(2, 3));
    const reply = readBytes(conn, 2);
    const early = await Promise.race([
      reply.then(() => "delivered while paused"),
      new Promise((resolve) => setTimeout(() => resolve("held"), 300)),
    ]);
    assertEquals(early, "held");
    assertEquals(proxy.connections, 1);
    proxy.resume();
    assertEquals(await reply, bytes(2, 3));
  } finally {
    conn.close();
    await proxy.dispose();
    await echo.close();
  }
});

Deno.test("proxy: slow delays each direction; resume removes the delay", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port } });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    proxy.slow(150);
    let started = performance.now();
    await writeAll(conn, bytes(7));
    assertEquals(await readBytes(conn, 1), bytes(7));
    // Once each way: at least twice the delay (a lower bound, not a speed claim).
    const slowed = performance.now() - started;
    assert(slowed >= 295, `round trip took ${slowed} ms through a 150 ms delay each way`);
    proxy.resume();
    started = performance.now();
    await writeAll(conn, bytes(8));
    assertEquals(await readBytes(conn, 1), bytes(8));
    assert(performance.now() - started < slowed, "the delay stayed after resume");
  } finally {
    conn.close();
    await proxy.dispose();
    await echo.close();
  }
});

Deno.test("proxy: a latency proxy delays from the start, and resume keeps that delay", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port }, delayMs: 100 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    proxy.resume();
    const started = performance.now();
    await writeAll(conn, bytes(9));
    assertEquals(await readBytes(conn, 1), bytes(9));
    assert(performance.now() - started >= 195, "no delay each way");
  } finally {
    conn.close();
    await proxy.dispose();
    await echo.close();
  }
});

Deno.test("proxy: cut closes every connection, refuses new ones for a while, then accepts", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port } });
  const first = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const opened: Deno.Conn[] = [first];
  try {
    await writeAll(first, bytes(1));
    assertEquals(await readBytes(first, 1), bytes(1));
    proxy.cut({ refuseMs: 400 });
    assert(await endsWithin(first, 2000), "a cut connection stayed open");
    const refused = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    opened.push(refused);
    assert(await endsWithin(refused, 2000), "a connection during the refusal was served");
    assertEquals(proxy.counters.cut, 1);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const later = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    opened.push(later);
    await writeAll(later, bytes(5));
    assertEquals(await readBytes(later, 1), bytes(5));
    assertEquals(proxy.counters.accepted, 2);
    assert(proxy.counters.refused >= 1);
  } finally {
    for (const conn of opened) conn.close();
    await proxy.dispose();
    await echo.close();
  }
});

Deno.test("proxy: dispose closes open connections, even paused ones, and stops listening", async () => {
  const echo = echoServer();
  const proxy = startProxy({ target: { host: "127.0.0.1", port: echo.port } });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await writeAll(conn, bytes(1));
    assertEquals(await readBytes(conn, 1), bytes(1));
    proxy.pause();
    await proxy.dispose();
    assert(await endsWithin(conn, 2000), "the connection outlived the proxy");
    let connected = true;
    try {
      const again = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
      again.close();
    } catch {
      connected = false;
    }
    assert(!connected, "the proxy still listens after dispose");
  } finally {
    conn.close();
    await echo.close();
  }
});
