import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const inspectCommand: CommandModule<object, object> = {
  command: "inspect",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale inspect is not implemented yet");
  },
};
