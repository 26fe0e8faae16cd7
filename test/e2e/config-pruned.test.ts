/**
 * A bale whose typescript dependency was pruned (e.g. `npm prune` with a bad lockfile): `config check`
 * needs tsc and says so with a code and a fix; `config build`, which does not need it, still works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { ROOT, env, tmp } from "../helpers.js";

test("config check without the typescript package is config-typescript-missing; build still works", () => {
  const dir = tmp("bale-pruned-");
  const install = join(dir, "bale");
  cpSync(join(ROOT, "dist"), join(install, "dist"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(install, "package.json"));
  mkdirSync(join(install, "node_modules"));
  for (const n of readdirSync(join(ROOT, "node_modules"))) {
    if (n === "typescript" || n === ".bin") continue;
    symlinkSync(join(ROOT, "node_modules", n), join(install, "node_modules", n));
  }
  cpSync(join(ROOT, "test/fixtures/config/bad/_base"), join(dir, "proj"), { recursive: true });
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(install, "dist/cli/main.js"), ...args], { cwd: join(dir, "proj"), env: env(), encoding: "utf8", timeout: 120_000 });
  const check = cli(["config", "check", "."]);
  assert.equal(check.status, 1, check.stderr);
  assert.match(
    check.stderr,
    /^bale: error: typescript: the type check needs the typescript package, which bale depends on but cannot find \(was it pruned\?\)\. Fix: .*\[config-typescript-missing\]$/m,
  );
  const build = cli(["config", "build", "."]);
  assert.equal(build.status, 0, build.stderr);
});
