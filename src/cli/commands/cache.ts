import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const cacheCommand: CommandModule<object, object> = {
  command: "cache",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale cache is not implemented yet");
  },
};
