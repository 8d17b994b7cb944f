import { parseArgs } from "node:util";
import { DEFAULT_CONFIG_FILE } from "./src/config/config.ts";
import { UserError } from "./src/config/errors.ts";
import type { CommandContext } from "./src/commands/context.ts";
import { posCommand } from "./src/commands/pos.ts";
import { runCommand } from "./src/commands/run.ts";
import { errorMessage } from "./src/observe/log.ts";

const USAGE = `usage: mysql-gp-sync <command> [--config FILE] [--json]

commands:
  run                 follow the binlog and apply every change to PostgreSQL
  pos show            print the applied binlog position
  pos set FILE POS    set the position to start from (master.info and PostgreSQL)

options:
  -c, --config FILE   config file (default ./${DEFAULT_CONFIG_FILE})
      --json          machine-readable output where supported
  -h, --help          this text`;

type Command = (ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  pos: posCommand,
};

/** Runs the CLI and returns the exit code: 0 ok, 1 a problem found, 2 a usage or config error. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string", short: "c", default: DEFAULT_CONFIG_FILE },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    console.error(`mysql-gp-sync: ${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  const [name, ...args] = parsed.positionals;
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

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
