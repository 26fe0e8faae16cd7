// Writes the README's error tables from the diagnostics catalog (src/diagnostics/catalog.ts), between
// the `<!-- diagnostics:AREA -->` markers. Needs a build (`npm run build`); `npm run update-goldens` runs it.
// `--check` only reports whether README.md is up to date (exit 1 if not).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { renderErrorTables } = await import(join(root, "dist/diagnostics/readme.js"));
const file = join(root, "README.md");
const before = readFileSync(file, "utf8");
const after = renderErrorTables(before);
if (after === before) {
  process.stdout.write("README.md error tables are up to date\n");
} else if (process.argv.includes("--check")) {
  process.stderr.write("README.md error tables are out of date: run `npm run build && node scripts/gen-error-table.mjs`\n");
  process.exit(1);
} else {
  writeFileSync(file, after);
  process.stdout.write("updated the error tables in README.md\n");
}
