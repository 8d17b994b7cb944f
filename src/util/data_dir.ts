/**
 * Whether `data_dir` can hold what the sync keeps there (`master.info`, `sync.log`, the pid and
 * lock files): a folder, created if missing, in which files can be written and renamed.
 *
 * @module
 */

/** Why `dir` cannot serve as data_dir, or null when it can. */
export async function dataDirProblem(dir: string): Promise<string | null> {
  const probe = `${dir}/.mysql-gp-sync-probe-${Deno.pid}`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    // master.info is replaced by a rename, so that must work too.
    await Deno.writeTextFile(probe, "probe\n");
    await Deno.rename(probe, `${probe}.renamed`);
    await Deno.remove(`${probe}.renamed`);
    return null;
  } catch (err) {
    await Deno.remove(probe).catch(() => {});
    return `data_dir ${dir} is not a writable folder (${(err as Error).message})`;
  }
}
