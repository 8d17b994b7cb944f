/**
 * `data_dir/master.info`, the seed's position file: reading the binlog position kept there
 * (refusing a malformed one with the fix), telling a person's edit from our own mirror, and
 * writing it atomically in the seed's format.
 *
 * @module
 */
import { parse, TomlError } from "smol-toml";
import { UserError } from "../config/errors.ts";
import { type BinlogPosition, formatPosition, positionProblem } from "./position.ts";

/** Path of the seed's position file inside data_dir. */
export function masterInfoPath(dataDir: string): string {
  return `${dataDir}/master.info`;
}

/**
 * A comment line above the seed's two keys naming the position this tool wrote: a file whose keys
 * say something else (or that lacks the line) was written by a person.
 */
const WRITTEN_BY_US = /^# written by mysql-gp-sync: (\S+):(\d+)$/m;

/** What `master.info` holds, and whether a person wrote it rather than this tool's mirror. */
export interface MasterInfo {
  position: BinlogPosition;
  editedByHand: boolean;
}

/** Reads `master.info` (`bin_name = "..."`, `bin_pos = N`); null when the file does not exist. */
export async function readMasterInfo(dataDir: string): Promise<BinlogPosition | null> {
  return (await readMasterInfoFile(dataDir))?.position ?? null;
}

/** `readMasterInfo`, and whether the position was edited by hand since this tool wrote it. */
export async function readMasterInfoFile(dataDir: string): Promise<MasterInfo | null> {
  const path = masterInfoPath(dataDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new UserError(`${path}: cannot read: ${(err as Error).message}`);
  }
  if (text.trim() === "") return null;
  let doc: Record<string, unknown>;
  try {
    doc = parse(text);
  } catch (err) {
    const where = err instanceof TomlError ? `:${err.line}` : "";
    throw new UserError(
      `${path}${where}: not in the form bin_name = "mysql-bin.000005" / bin_pos = 708735 (fix it or use "pos set")`,
    );
  }
  const file = doc.bin_name;
  const pos = typeof doc.bin_pos === "bigint" ? Number(doc.bin_pos) : doc.bin_pos;
  if (typeof file !== "string" || file === "" || typeof pos !== "number") {
    throw new UserError(
      `${path}: needs bin_name (a binlog file name) and bin_pos (an offset of at least 4); fix it or use "pos set"`,
    );
  }
  const problem = positionProblem(file, pos);
  if (problem) throw new UserError(`${path}: ${problem}; fix it or use "pos set"`);
  const written = WRITTEN_BY_US.exec(text);
  return {
    position: { file, pos },
    editedByHand: written === null || written[1] !== file || Number(written[2]) !== pos,
  };
}

/** Writes `master.info` in the seed's format, atomically (a crash leaves the old or the new file). */
export async function writeMasterInfo(dataDir: string, position: BinlogPosition): Promise<void> {
  await Deno.mkdir(dataDir, { recursive: true });
  const path = masterInfoPath(dataDir);
  const temp = `${path}.tmp`;
  const text = `# written by mysql-gp-sync: ${formatPosition(position)}\n` +
    `bin_name = ${JSON.stringify(position.file)}\nbin_pos = ${position.pos}\n`;
  const file = await Deno.open(temp, { write: true, create: true, truncate: true });
  try {
    await file.write(new TextEncoder().encode(text));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(temp, path);
}
