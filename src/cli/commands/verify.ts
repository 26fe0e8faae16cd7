import type { CommandModule } from "yargs";
import { BaleError } from "../../errors.js";

export const verifyCommand: CommandModule<object, object> = {
  command: "verify",
  describe: "(not yet implemented)",
  handler: () => {
    throw new BaleError("not-implemented", "bale verify is not implemented yet");
  },
};
