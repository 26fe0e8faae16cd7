import type { CommandModule } from "yargs";
import { packCommand } from "./pack.js";
import { inspectCommand } from "./inspect.js";
import { verifyCommand } from "./verify.js";
import { extractCommand } from "./extract.js";
import { cacheCommand } from "./cache.js";
import { configCommand } from "./config.js";
import { genCommand } from "./gen.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  packCommand,
  inspectCommand,
  verifyCommand,
  extractCommand,
  cacheCommand,
  configCommand,
  genCommand,
];
