// prettier with a plugin named in .prettierrc.json: prettier resolves the name from the config's directory.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";

// prettier resolves plugin names from the working directory: like a formatter run at a project's
// root, the app works from its own directory.
const here = dirname(fileURLToPath(import.meta.url));
process.chdir(here);
const file = join(here, "input.ts");
const options = await prettier.resolveConfig(file);
console.log("plugins in config:", JSON.stringify(options.plugins));
const src = `import { b, a } from "./x";\nimport { unused } from "./y";\nimport z from "./z";\nconsole.log(a, b, z);\n`;
const out = await prettier.format(src, { ...options, filepath: file });
process.stdout.write(out);
console.log("prettier", prettier.version);
