#!/usr/bin/env node
/** bale's command line: parses flags, calls the library, prints, exits. */
import { fastPublishArgs } from "./fast.js";
import { EXIT_USAGE, err, quietOnClosedStdout, reportError } from "./output.js";

/** Thrown from yargs' fail handler so that no command runs after a usage error. */
class UsageError extends Error {}

/**
 * Flags whose value is itself a list of flags (`--node-options "--max-old-space-size=512"`): the
 * next word is their value even when it starts with `-`, which yargs would otherwise read as a flag.
 */
const FLAGS_TAKING_FLAGS = new Set(["--node-options"]);

function joinFlagValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (FLAGS_TAKING_FLAGS.has(a) && next !== undefined) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `bale help [command...]` means `bale [command...] --help`. */
function helpCommand(argv: readonly string[]): string[] {
  return argv[0] === "help" ? [...argv.slice(1), "--help"] : [...argv];
}

export async function main(argv: string[]): Promise<number> {
  // `config publish` in its plain spelling skips yargs and the other commands' modules (see fast.ts).
  const fast = fastPublishArgs(argv);
  if (fast !== undefined) {
    try {
      const { runPublish } = await import("./commands/fleet.js");
      await runPublish(fast);
      return (process.exitCode as number | undefined) ?? 0;
    } catch (e) {
      return reportError(e);
    }
  }
  const [{ default: yargs }, { commands }, { VERSION }] = await Promise.all([import("yargs"), import("./commands/index.js"), import("../version.js")]);
  const parser = yargs(joinFlagValues(helpCommand(argv)))
    .scriptName("bale")
    .version(VERSION)
    .help()
    .alias("h", "help")
    .strict()
    .demandCommand(1, "Name a command; `bale --help` lists them.")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, e) => {
      // A thrown Error is the command's; a .check() that fails hands over its message string instead.
      if (e instanceof Error) throw e;
      throw new UsageError(msg ?? String(e));
    })
    .exitProcess(false);
  for (const c of commands) parser.command(c);
  try {
    const result = await parser.parseAsync();
    const code = (result as { exitCode?: unknown }).exitCode;
    return typeof code === "number" ? code : (process.exitCode as number | undefined) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && e.name === "YError")) {
      err(`bale: usage error: ${e.message}`);
      err("Run `bale --help` (or `bale <command> --help`) for usage.");
      return EXIT_USAGE;
    }
    return reportError(e);
  }
}

quietOnClosedStdout();
// What yargs' hideBin does for node (not an Electron bundle): drop the node binary and the script.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = reportError(e);
  },
);
