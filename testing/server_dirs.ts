/**
 * Where throwaway servers keep their files: the data-dir templates initialised once per machine
 * and server version (under `$TMPDIR/mysql-gp-sync-templates-<uid>/`), and the per-server temp
 * dirs copied from them, with the dirs of dead owners swept away.
 *
 * @module
 */
import { type OsUser, removeDir, run } from "./os.ts";

/** Part of every template key; bump it when the way templates are built changes. */
export const TEMPLATE_REV = "1";

function tempBase(): string {
  return (Deno.env.get("TMPDIR") ?? "/tmp").replace(/\/+$/, "") || "/tmp";
}

/** A short hex digest of `text`, naming a template after what built it. */
export async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 6), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Builds a cached template dir once: `build` fills a private temp dir that is then renamed into
 * place atomically, so parallel processes never see a half-built template.
 */
export async function cachedTemplate(
  name: string,
  build: (tmp: string) => Promise<void>,
  owner?: OsUser,
): Promise<string> {
  // Per OS user: a root-owned dir would not be writable for other users.
  const root = `${tempBase()}/mysql-gp-sync-templates-${Deno.uid()}`;
  const final = `${root}/${name}`;
  try {
    await Deno.stat(final);
    return final;
  } catch {
    // build it below
  }
  await Deno.mkdir(root, { recursive: true });
  await removeStaleBuilds(root);
  const tmp = `${final}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.mkdir(tmp, { mode: 0o700 });
  try {
    if (owner) await Deno.chown(tmp, owner.uid, owner.gid);
    await build(tmp);
    try {
      await Deno.rename(tmp, final);
    } catch (err) {
      // Another process won the race; use its template.
      await Deno.stat(final).catch(() => {
        throw err;
      });
      await removeDir(tmp);
    }
  } catch (err) {
    await removeDir(tmp).catch(() => {});
    throw err;
  }
  return final;
}

async function removeStaleBuilds(root: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.name.includes(".tmp-")) continue;
      const path = `${root}/${entry.name}`;
      const st = await Deno.stat(path);
      if (Date.now() - (st.mtime?.getTime() ?? Date.now()) > 30 * 60_000) {
        await removeDir(path).catch(() => {});
      }
    }
  } catch {
    // best effort
  }
}

let swept = false;

/**
 * Makes the temp dir for one server, recording our pid in it. The first call also removes dirs
 * left behind by processes that died without cleaning up (e.g. on SIGKILL).
 */
export async function newServerDir(kind: string): Promise<string> {
  if (!swept) {
    swept = true;
    await sweepOrphans();
  }
  const dir = await Deno.makeTempDir({ prefix: `mgs-${kind}-` });
  await Deno.writeTextFile(`${dir}/owner.pid`, `${Deno.pid}\n`);
  return dir;
}

/** Whether `pid` is a live process (zombies count as dead). Linux /proc only. */
async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function sweepOrphans(): Promise<void> {
  try {
    await Deno.stat("/proc/self");
  } catch {
    return; // cannot tell whether owners are alive
  }
  try {
    for await (const entry of Deno.readDir(tempBase())) {
      if (!/^mgs-(mariadb|postgres)-/.test(entry.name) || !entry.isDirectory) continue;
      const dir = `${tempBase()}/${entry.name}`;
      try {
        const pid = Number((await Deno.readTextFile(`${dir}/owner.pid`)).trim());
        if (!Number.isInteger(pid) || pid <= 0 || pid === Deno.pid) continue;
        if (await processAlive(pid)) continue;
        await removeDir(dir);
      } catch {
        // no owner file yet, not ours to remove, or already gone
      }
    }
  } catch {
    // best effort
  }
}

/** Copies a template data dir (`cp -a` keeps modes and owners, needed for PostgreSQL). */
export async function copyDir(from: string, to: string): Promise<void> {
  await run("cp", ["-a", from, to]);
}
