/**
 * The notice of a lost PostgreSQL connection: a watch's guard gives up at the loss, the session's
 * own closing is no loss, and postgres.js's uncatchable TypeError from a write on a closed socket
 * becomes the loss instead of ending the process (any other error is left alone).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { ConnectionWatch, isWriteAfterClose } from "../../src/sink/connection_loss.ts";

const WHERE = "PostgreSQL at 127.0.0.1:5432 (pg_host/pg_port in test.toml)";

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("it did not reject");
}

Deno.test("a guarded wait ends at the loss of a connection, with the server named", async () => {
  const watch = new ConnectionWatch(WHERE);
  try {
    assertEquals(await watch.guard(Promise.resolve(7)), 7);
    const forever = watch.guard(new Promise(() => {}));
    watch.closed();
    assertEquals(await rejection(forever), `lost the connection to ${WHERE}`);
    assert(watch.signal.aborted);
    // Later waits give up at once.
    assertEquals(
      await rejection(watch.guard(Promise.resolve(1))),
      `lost the connection to ${WHERE}`,
    );
  } finally {
    watch.dispose();
  }
});

Deno.test("closing its own connections is no loss", () => {
  const watch = new ConnectionWatch(WHERE);
  watch.dispose();
  watch.closed();
  assertEquals(watch.error, null);
});

/** A module at a path like postgres.js's, whose `nextWrite` writes on a socket already dropped. */
async function fakeConnectionModule(): Promise<{ scheduleWrite: () => void; dir: string }> {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/postgres/src`, { recursive: true });
  const file = `${dir}/postgres/src/connection.js`;
  await Deno.writeTextFile(
    file,
    `let socket = null;
     function nextWrite() { return socket.write("x"); }
     export function scheduleWrite() { setImmediate(nextWrite); }`,
  );
  return { ...await import(`file://${file}`), dir };
}

Deno.test("postgres.js's TypeError of a write after close becomes the loss, not a crash", async () => {
  const { scheduleWrite, dir } = await fakeConnectionModule();
  const watch = new ConnectionWatch(WHERE);
  try {
    const lost = rejection(watch.lost);
    scheduleWrite();
    assertEquals(
      await lost,
      `lost the connection to ${WHERE} (a statement went to a closed connection)`,
    );
  } finally {
    watch.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("only that TypeError is taken for a lost connection", () => {
  const elsewhere = (() => {
    try {
      const socket = null as unknown as { write(): void };
      socket.write();
    } catch (err) {
      return err;
    }
  })();
  assertEquals((elsewhere as Error).message, "Cannot read properties of null (reading 'write')");
  assertEquals(isWriteAfterClose(elsewhere), false);
  assertEquals(
    isWriteAfterClose(new Error("Cannot read properties of null (reading 'write')")),
    false,
  );
});
