import type { CommandModule } from "yargs";
import { verify } from "../../admin/verify.js";
import { EXIT_USER, err, out, printJson } from "../output.js";

interface Args {
  archive: string;
  json: boolean;
}

export const verifyCommand: CommandModule<object, Args> = {
  command: "verify <archive>",
  describe: "Check an archive's integrity in full (exit 0 intact, 1 not)",
  builder: (y) => y.positional("archive", { type: "string", demandOption: true }).option("json", { type: "boolean", default: false }) as never,
  handler: async (a) => {
    const r = await verify({ archive: a.archive });
    if (a.json) printJson(r);
    else if (r.ok) out(`${a.archive}: ok (${r.index?.name}, app id ${r.index?.appId.slice(0, 16)}…)`);
    else err(`bale: error: ${a.archive}: archive is damaged: ${r.problems.join("; ")}. Fix: copy it again or rebuild it with \`bale pack\`.`);
    if (!r.ok) process.exitCode = EXIT_USER;
  },
};
