/**
 * One `run` per data_dir: an exclusive lock on a file in it, taken before anything connects, so a
 * second run of the same config is refused even while PostgreSQL is unreachable.
 *
 * @module
 */
import { UserError } from "../config/errors.ts";

/** The lock file within data_dir; it names the process holding it. */
export const RUN_LOCK_FILE = "run.lock";

/**
 * Locks `dataDir`'s run.lock for this process (released when the returned file is closed, or the
 * process ends) and writes this process's pid and host into it; throws a UserError naming the
 * holder when another process has it.
 */
export async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
  const path = `${dataDir}/${RUN_LOCK_FILE}`;
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    if (!await file.tryLock(true)) {
      const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
      throw new UserError(
        `another mysql-gp-sync run uses data_dir ${dataDir} (${
          holder || "holder unknown"
        }, per ${path}); stop it first (stop.sh), or give this config its own data_dir`,
        1,
      );
    }
    await file.truncate(0);
    await file.write(new TextEncoder().encode(`pid ${Deno.pid} on host ${Deno.hostname()}\n`));
    return file;
  } catch (err) {
    file.close();
    throw err;
  }
}
