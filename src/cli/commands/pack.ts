import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const packCommand: CommandModule<object, object> = {
  command: "pack",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale pack is not implemented yet");
  },
};
