/**
 * The operating-system chores of the throwaway-server harness: running a command, finding a
 * binary, a free loopback port, removing a dir a dying server still writes to, and the OS user to
 * run a server as when we are root.
 *
 * @module
 */

/** The address every throwaway server listens on. */
export const LOOPBACK_HOST = "127.0.0.1";

export const isRoot = Deno.uid() === 0;

const decoder = new TextDecoder();

/** The last `lines` lines of `text`, for error messages. */
export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The last lines of a server log, or a placeholder when it cannot be read. */
export async function logTail(file: string): Promise<string> {
  try {
    return tail(await Deno.readTextFile(file));
  } catch {
    return "(no log)";
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(cmd: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}):\n${tail(text)}`);
  }
  return text;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Finds a binary on PATH or in the usual sbin/bin dirs. */
export async function which(
  names: string[],
  extraDirs: string[] = [],
): Promise<string | undefined> {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== ""),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/bin",
    "/usr/local/bin",
    "/usr/local/mysql/bin",
    "/usr/local/mysql/scripts",
    ...extraDirs,
  ];
  for (const name of names) {
    for (const dir of dirs) {
      if (await isExecutable(`${dir}/${name}`)) return `${dir}/${name}`;
    }
  }
  return undefined;
}

/** Asks the OS for a free loopback TCP port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: LOOPBACK_HOST, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Removes a dir tree; a missing dir is fine. */
export async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.remove(dir, { recursive: true });
      return;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      // A dying server may still be creating files in it; try again shortly.
      if (attempt >= 20) throw err;
      await sleep(50);
    }
  }
}

let setprivPdeathsig: Promise<boolean> | undefined;

/** Whether `setpriv --pdeathsig` exists (util-linux >= 2.33), used so servers die with us. */
export function hasPdeathsig(): Promise<boolean> {
  setprivPdeathsig ??= (async () => {
    try {
      const out = await new Deno.Command("setpriv", { args: ["--help"], stderr: "null" }).output();
      return decoder.decode(out.stdout).includes("--pdeathsig");
    } catch {
      return false;
    }
  })();
  return setprivPdeathsig;
}

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

export async function lookupUser(name: string): Promise<OsUser> {
  try {
    const uid = Number((await run("id", ["-u", name])).trim());
    const gid = Number((await run("id", ["-g", name])).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(
      `running as root, but there is no '${name}' OS user to run PostgreSQL as ` +
        `(initdb refuses to run as root); install the postgresql package or run as non-root`,
    );
  }
}

/** The name of the OS user this process runs as. */
export async function osUserName(): Promise<string> {
  return (await run("id", ["-un"])).trim();
}
