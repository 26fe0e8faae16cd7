import type { Argv, CommandModule } from "yargs";
import { relative } from "node:path";
import type { BuildReport, CompileOptions } from "../../config-compiler/index.js";
import { BaleErrors } from "../../errors.js";
import { EXIT_USER, err, out, printJson, printScriptLogs, reportError, untilSignal } from "../output.js";
import { fleetCommands } from "./fleet.js";

/** Loaded when a config command runs, so other commands (and --help) do not pay for esbuild and ajv. */
const lib = () => import("../../config-compiler/index.js");

interface BuildArgs {
  root: string;
  output?: string;
  watch: boolean;
  json: boolean;
}

interface CheckArgs {
  root: string;
}

function shown(p: string): string {
  return relative(process.cwd(), p) || ".";
}

function summary(r: BuildReport): string {
  const parts = [`${r.artifacts.length} artifact${r.artifacts.length === 1 ? "" : "s"}`, `${r.evaluated.length} evaluated`, `${r.unchanged.length} unchanged`];
  if (r.removed.length) parts.push(`${r.removed.length} removed`);
  return `built ${shown(r.root)} -> ${shown(r.out)}: ${parts.join(", ")} in ${Math.round(r.timings.totalMs)} ms`;
}

const buildCommand: CommandModule<object, BuildArgs> = {
  command: "build [root]",
  describe: "Evaluate config and service scripts into validated canonical JSON",
  builder: (y) =>
    y
      .positional("root", { type: "string", default: ".", describe: "project root (holds schemas/ and *.config.ts)" })
      .option("output", { alias: "o", type: "string", describe: 'output directory (default "<root>/out")' })
      .option("watch", { type: "boolean", default: false, describe: "rebuild on change" })
      .option("json", { type: "boolean", default: false, describe: "print the build report as JSON" }) as never,
  handler: async (a) => {
    const o: CompileOptions = { root: a.root };
    if (a.output !== undefined) o.out = a.output;
    if (!a.watch) {
      const { compileConfigs } = await lib();
      const r = await compileConfigs(o);
      printScriptLogs(r.logs);
      if (a.json) printJson(r);
      else out(summary(r));
      return;
    }
    const { watchConfigs } = await lib();
    await untilSignal(() =>
      watchConfigs({
        ...o,
        onBuild: (r) => {
          printScriptLogs(r.logs);
          if (a.json) return printJson(r);
          const changed = r.changed.length ? `; changed: ${r.changed.join(", ")}` : "";
          const removed = r.removed.length ? `; removed: ${r.removed.join(", ")}` : "";
          out(summary(r) + changed + removed);
        },
        onError: (e) => {
          reportError(e);
          if (e instanceof BaleErrors) err("bale: the previous output was kept; watching for changes");
        },
      }),
    );
  },
};

const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check [root]",
  describe: "Type-check (tsc) and validate every script; write nothing",
  builder: (y) => y.positional("root", { type: "string", default: ".", describe: "project root" }) as never,
  handler: async (a) => {
    const { checkConfigs } = await lib();
    const r = await checkConfigs({ root: a.root });
    out(`checked ${shown(r.root)}: ${r.checked.length} script${r.checked.length === 1 ? "" : "s"} valid, ${r.typeChecked.length} files type-checked in ${r.timings.totalMs} ms`);
  },
};

export const configCommand: CommandModule<object, object> = {
  command: "config <command>",
  describe: "Compile typed config scripts into validated JSON (build, check) and publish it to etcd (publish, status, history, rollback, promote)",
  builder: (y: Argv) => {
    let c = y.command(buildCommand).command(checkCommand);
    for (const f of fleetCommands) c = c.command(f);
    return c.demandCommand(1, "Name a subcommand: build, check, publish, status, history, rollback or promote.") as never;
  },
  handler: () => {
    process.exitCode = EXIT_USER;
  },
};
