import type { CommandModule } from "yargs";
import { extract } from "../../admin/extract.js";
import { formatBytes, out } from "../output.js";

interface Args {
  archive: string;
  output: string;
}

export const extractCommand: CommandModule<object, Args> = {
  command: "extract <archive>",
  describe: "Extract an archive's payload into a new directory (verified)",
  builder: (y) =>
    y
      .positional("archive", { type: "string", demandOption: true })
      .option("output", { alias: "o", type: "string", demandOption: true, describe: "directory to create" }) as never,
  handler: async (a) => {
    const r = await extract({ archive: a.archive, output: a.output });
    out(`extracted ${r.files} files (${formatBytes(r.bytes)}) to ${r.output}`);
  },
};
