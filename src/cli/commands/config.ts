import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const configCommand: CommandModule<object, object> = {
  command: "config",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale config is not implemented yet");
  },
};
