// Runs every test file under test/ with node:test, TypeScript through tsx.
// Usage: node scripts/test.mjs [substring filter...]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
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
// Node 22 and 24 binaries for the runtime tests come from npm packages kept out of the root
// node_modules (their `node` bin would shadow the system node in npm scripts).
const versionsDir = join(root, "test/node-versions");
if (!existsSync(join(versionsDir, "node_modules/node22/bin/node")) || !existsSync(join(versionsDir, "node_modules/node24/bin/node"))) {
  const npm = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--prefix", versionsDir], { stdio: "inherit" });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // costs ~60 ms per node start on this machine; tests spawn many
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...chosen],
  { cwd: root, stdio: "inherit", env },
);
process.exit(r.status ?? 1);
