/**
 * The `mysql-gp-sync` command line: checks the global options and each command's own flags, runs
 * the command from src/commands/, and turns what it returns or throws into the exit code (0 ok, 1
 * a problem found, 2 a usage or config error; a UserError prints as one line, not a stack trace).
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { DEFAULT_CONFIG_FILE } from "./src/config/config.ts";
import { UserError } from "./src/config/errors.ts";
import type { CommandContext } from "./src/commands/context.ts";
import { checkCommand } from "./src/commands/check.ts";
import { ddlCommand } from "./src/commands/ddl.ts";
import { INIT_OPTIONS, initCommand } from "./src/commands/init.ts";
import { posCommand } from "./src/commands/pos.ts";
import { RUN_OPTIONS, runCommand } from "./src/commands/run.ts";
import { SNAPSHOT_OPTIONS, snapshotCommand } from "./src/commands/snapshot.ts";
import { STATUS_OPTIONS, statusCommand } from "./src/commands/status.ts";
import { VERIFY_OPTIONS, verifyCommand } from "./src/commands/verify.ts";
import { errorMessage } from "./src/util/log.ts";

const USAGE = `usage: mysql-gp-sync <command> [--config FILE] [--json]

commands:
  init [flags]        write a commented config for a source and its tables (flags below)
  check               verify every prerequisite of run, one line each with the fix
  run [--quiet]       follow the binlog and apply every change to PostgreSQL
  status [--watch]    position, lag and rates of the sync (running or not); --watch refreshes
                      them until Ctrl-C (every --interval SECONDS, default 2)
  pos show            print the position the next run starts from, and why
  pos set FILE POS    set the position to start from (master.info and PostgreSQL);
  pos set GTID_STATE  ... or a GTID state (e.g. 0-1-1234, or uuid:1-500 on MySQL)
  ddl skip FILE:POS   mark the DDL statement the sync stopped at handled, once the target is
                      changed by hand: the sync passes it and reads its tables' definitions
                      again from the MySQL catalog
  snapshot [flags]    load the followed tables from the running source and set the position
                      run continues from (stop run first)
  verify [flags]      compare every followed table with its target, row by row; exit 1 if
                      they differ (--repair rewrites the rows that differ; works while run runs)

options:
  -c, --config FILE   config file (default ./${DEFAULT_CONFIG_FILE})
      --json          machine-readable output where supported
  -h, --help          this text

init flags (written into the config; the output refuses to overwrite without --force):
  --mysql-addr HOST:PORT --mysql-user USER --mysql-pass PASS   (source, default 127.0.0.1:3306 root)
  --pg-host HOST --pg-port PORT --pg-user USER --pg-pass PASS --pg-dbname DB   (target)
  --schema NAME (repeatable; default all)  --pg-schema NAME  --server-id N  --data-dir DIR
  --tables NAME (repeatable; a name or pattern such as order_\\d+; default every table)
  -o, --output FILE (default: the --config file; - for stdout)  --force

snapshot flags (run again after an interruption, it continues where it stopped):
  --truncate (empty target tables that hold rows; otherwise they are refused)
  --tables SCHEMA.TABLE,...  --chunk-rows N (rows per checkpointed chunk; default 100000)
  --progress-seconds S (between progress lines when stderr is not a terminal; default 5)

verify flags:
  --repair  --tables SCHEMA.TABLE,...  --chunk-rows N (default 10000)
  --wait SECONDS (longest wait for run to apply a row being re-checked; default 60)`;

type Command = (ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  pos: posCommand,
  ddl: ddlCommand,
  check: checkCommand,
  init: initCommand,
  status: statusCommand,
  snapshot: snapshotCommand,
  verify: verifyCommand,
};

/** Options every command takes. */
const GLOBAL_OPTIONS = {
  config: { type: "string", short: "c", default: DEFAULT_CONFIG_FILE },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

/**
 * Flags only some commands take. main checks them as strictly as the global ones (so a typo is a
 * usage error for every command) and hands them on in `ctx.args` for the command to read.
 */
const COMMAND_OPTIONS: Record<string, ParseArgsOptionsConfig> = {
  run: RUN_OPTIONS,
  init: INIT_OPTIONS,
  snapshot: SNAPSHOT_OPTIONS,
  verify: VERIFY_OPTIONS,
  status: STATUS_OPTIONS,
};

/** Runs the CLI and returns the exit code: 0 ok, 1 a problem found, 2 a usage or config error. */
export async function main(argv: string[]): Promise<number> {
  const own = COMMAND_OPTIONS[commandName(argv) ?? ""];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: { ...own, ...GLOBAL_OPTIONS },
    });
  } catch (err) {
    console.error(`mysql-gp-sync: ${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  const [name, ...positionals] = parsed.positionals;
  const args = own ? commandArgs(parsed.tokens, own) : positionals;
  if (parsed.values.help || name === undefined || name === "help") {
    console.log(USAGE);
    return name === undefined && !parsed.values.help ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`mysql-gp-sync: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  const ctx: CommandContext = {
    configFile: parsed.values.config,
    args,
    json: parsed.values.json,
    out: (line) => console.log(line),
  };
  try {
    return await command(ctx);
  } catch (err) {
    if (err instanceof UserError) {
      console.error(`mysql-gp-sync: ${err.message}`);
      return err.exitCode;
    }
    console.error(`mysql-gp-sync: unexpected error: ${errorMessage(err)}`);
    if (err instanceof Error && err.stack) console.error(err.stack);
    return 1;
  }
}

/** The command word: the first positional once the global options and their values are skipped. */
function commandName(argv: string[]): string | undefined {
  return parseArgs({ args: argv, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true })
    .positionals[0];
}

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

/** The command's own flags and its positionals, without the command word and global options. */
function commandArgs(tokens: Token[], own: ParseArgsOptionsConfig): string[] {
  const args: string[] = [];
  let commandSeen = false;
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (commandSeen) args.push(token.value);
      commandSeen = true;
    } else if (token.kind === "option-terminator") {
      args.push("--");
    } else if (token.name in own) {
      args.push(token.value === undefined ? `--${token.name}` : `--${token.name}=${token.value}`);
    }
  }
  return args;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
