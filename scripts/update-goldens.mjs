// Accepts changed golden files: runs the golden tests (each writes `<golden>.actual` where its output
// differs), moves every `.actual` over its golden, and runs them again to show they pass. The only
// way goldens change; tests never rewrite them.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const GOLDEN_TESTS = ["golden", "prelude.test", "bindings-generated"];
const test = () => spawnSync(process.execPath, [join(root, "scripts/test.mjs"), ...GOLDEN_TESTS], { cwd: root, stdio: "inherit" }).status;

function actuals(dir, out = []) {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n === "node_modules" || n === ".work") continue;
    if (n.endsWith(".actual")) out.push(p);
    else if (statSync(p).isDirectory()) actuals(p, out);
  }
  return out;
}

// The README's error tables come from the diagnostics catalog (needs the build npm run update-goldens made).
spawnSync(process.execPath, [join(root, "scripts/gen-error-table.mjs")], { cwd: root, stdio: "inherit" });
test();
const found = actuals(join(root, "test"));
for (const a of found) {
  const golden = a.slice(0, -".actual".length);
  rmSync(golden, { recursive: true, force: true });
  renameSync(a, golden);
  process.stdout.write(`updated ${golden.slice(root.length)}\n`);
}
if (found.length === 0) process.stdout.write("no golden file differed\n");
process.exit(test() ?? 1);
