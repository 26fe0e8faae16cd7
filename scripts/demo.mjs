// `npm run demo`: packs examples/hello into one executable, runs it cold (first
// run extracts into a fresh cache) and warm, and shows `bale inspect` of it.
// Every step is a real process; any failure exits non-zero.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "dist/cli/main.js");
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // costs ~60 ms per node start on some machines
const cache = mkdtempSync(join(tmpdir(), "bale-demo-cache-"));

function step(title, cmd, args, extraEnv = {}) {
  process.stdout.write(`\n\x1b[1m$ ${[cmd === process.execPath ? "bale" : cmd, ...(cmd === process.execPath ? args.slice(1) : args)].join(" ")}\x1b[0m  # ${title}\n`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: "inherit" });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    process.stderr.write(`demo: step failed (${r.status ?? r.signal}): ${title}\n`);
    process.exit(1);
  }
  return ms;
}

try {
  const out = join(root, "examples/hello/dist");
  mkdirSync(out, { recursive: true });
  const archive = join(out, "hello");
  step("pack a TypeScript CLI and the data file it reads into one executable", process.execPath, [cli, "pack", "examples/hello", "-o", archive]);
  const cold = step("first run: extracts once into the cache", archive, ["first", "run with spaces"], { BALE_CACHE_DIR: cache, BALE_TRACE: "1" });
  const warm = step("second run: straight from the cache, no JS before the app", archive, ["second"], { BALE_CACHE_DIR: cache });
  step("exit codes pass through (this one exits 0 after printing)", archive, ["--exit", "0"], { BALE_CACHE_DIR: cache });
  step("what is inside", process.execPath, [cli, "inspect", archive, "--files"]);
  step("full integrity check", process.execPath, [cli, "verify", archive]);
  process.stdout.write(`\ncold run ${cold.toFixed(0)} ms, warm run ${warm.toFixed(0)} ms (wall clock, including process start)\n`);
} finally {
  rmSync(cache, { recursive: true, force: true });
}
