// Runs every test file under test/ with node:test, TypeScript through tsx.
// Usage: node scripts/test.mjs [substring filter...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "fixtures" || name === ".work" || name === "node_modules") continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.ts")) files.push(relative(root, p));
  }
})(join(root, "test"));
const chosen = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (chosen.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // costs ~60 ms per node start on this machine; tests spawn many
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...chosen],
  { cwd: root, stdio: "inherit", env },
);
process.exit(r.status ?? 1);
