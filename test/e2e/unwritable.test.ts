/**
 * Output and cache paths that cannot be created (here: under /proc, where mkdir fails with ENOENT
 * although the parent exists; node's recursive mkdir never returns there) fail fast with one line
 * naming the path and a fix, for every command that creates directories.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { bale, env, packOk, ROOT, run, tmp } from "../helpers.js";

const FAST = { timeoutMs: 20_000 };

test("bale gen -o and bale config build -o under an uncreatable parent: exit 1, one line, no hang", () => {
  const built = bale(["config", "build", join(ROOT, "examples/greeter"), "-o", "/proc/bale-test/a/b"], FAST);
  assert.equal(built.status, 1, built.stderr);
  assert.match(built.stderr, /^bale: error: \/proc\/bale-test\/a\/b: cannot write the output directory: no such file or directory \(ENOENT\)\. Fix: .+ \[config-output\]\n/);
  // gen reads the compiled configs: build a copy of the example first (the repo's out/ may not exist).
  const greeter = join(tmp(), "greeter");
  cpSync(join(ROOT, "examples/greeter"), greeter, { recursive: true });
  const ok = bale(["config", "build", greeter], FAST);
  assert.equal(ok.status, 0, ok.stderr);
  const gen = bale(["gen", greeter, "-o", "/proc/bale-test/gen"], FAST);
  assert.equal(gen.status, 1, gen.stderr);
  assert.match(gen.stderr, /^bale: error: \/proc\/bale-test\/gen: cannot create the output directory: no such file or directory \(ENOENT\)\. Fix: .+ \[gen-write\]\n$/);
});

test("an archive whose BALE_CACHE_DIR cannot be created says so and does not run the app", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(join(ROOT, "examples/hello"), archive);
  const r = run(archive, ["x"], { env: env({ BALE_CACHE_DIR: "/proc/bale-test/cache" }), ...FAST });
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /\/proc\/bale-test\/cache: cannot create the cache directory: no such file or directory \(ENOENT\)\. Fix: set BALE_CACHE_DIR .+\[cache-unwritable\]/);
});
