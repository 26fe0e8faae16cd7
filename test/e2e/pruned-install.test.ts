/**
 * A damaged installation of bale: a dependency pruned (e.g. `npm prune` with a bad lockfile) or a
 * build without a C compiler. Each missing piece is a one-line error with a code and a fix, and the
 * commands that do not need it still work.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostPlatform } from "../../src/pack/target.js";
import { ROOT, env, tmp } from "../helpers.js";

/** A copy of the built bale in dir/bale, its node_modules linked to the repository's but for `without`. */
function install(dir: string, o: { without?: string[]; dropDist?: string[] }) {
  const at = join(dir, "bale");
  cpSync(join(ROOT, "dist"), join(at, "dist"), { recursive: true });
  for (const f of o.dropDist ?? []) rmSync(join(at, "dist", f));
  cpSync(join(ROOT, "package.json"), join(at, "package.json"));
  mkdirSync(join(at, "node_modules"));
  for (const n of readdirSync(join(ROOT, "node_modules"))) {
    if (n === ".bin" || (o.without ?? []).includes(n)) continue;
    symlinkSync(join(ROOT, "node_modules", n), join(at, "node_modules", n));
  }
  return (args: string[], cwd: string, extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(at, "dist/cli/main.js"), ...args], { cwd, env: env(extra), encoding: "utf8", timeout: 120_000 });
}

test("config check without the typescript package is config-typescript-missing; build still works", () => {
  const dir = tmp("bale-pruned-");
  const cli = install(dir, { without: ["typescript"] });
  const proj = join(dir, "proj");
  cpSync(join(ROOT, "test/fixtures/config/bad/_base"), proj, { recursive: true });
  const check = cli(["config", "check", "."], proj);
  assert.equal(check.status, 1, check.stderr);
  assert.match(
    check.stderr,
    /^bale: error: typescript: the type check needs the typescript package, which bale depends on but cannot find \(was it pruned\?\)\. Fix: .*\[config-typescript-missing\]$/m,
  );
  const build = cli(["config", "build", "."], proj);
  assert.equal(build.status, 0, build.stderr);
});

test("pack --runtime with a bale built without the runtime decoder is pack-runtime-decoder; pack without --runtime still works", () => {
  const dir = tmp("bale-pruned-");
  const platform = hostPlatform();
  const cli = install(dir, { dropDist: [`runtime-stub/unzstd-${platform}`] });
  const proj = join(dir, "proj");
  mkdirSync(proj);
  writeFileSync(join(proj, "package.json"), '{ "name": "app", "version": "1.0.0" }\n');
  writeFileSync(join(proj, "main.js"), 'console.log("hello");\n');
  const r = cli(["pack", "main.js", "--runtime", process.execPath], proj, { BALE_PACK_CACHE_DIR: join(dir, "pack-cache") });
  assert.equal(r.status, 1, r.stderr);
  const line = r.stderr.split("\n").find((l) => l.endsWith("[pack-runtime-decoder]"));
  assert.ok(line, r.stderr);
  assert.ok(line.startsWith(`bale: error: this installation of bale has no runtime decoder for ${platform} (it was built without a C compiler for it). Fix: `), line);
  assert.deepEqual(readdirSync(proj).sort(), ["main.js", "package.json"]);
  const plain = cli(["pack", "main.js"], proj);
  assert.equal(plain.status, 0, plain.stderr);
});
