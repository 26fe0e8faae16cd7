import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const genCommand: CommandModule<object, object> = {
  command: "gen",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale gen is not implemented yet");
  },
};
