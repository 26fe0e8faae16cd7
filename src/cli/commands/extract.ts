import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const extractCommand: CommandModule<object, object> = {
  command: "extract",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale extract is not implemented yet");
  },
};
