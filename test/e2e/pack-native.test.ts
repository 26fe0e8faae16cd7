/**
 * Native code from an archive: an N-API addon built here with node-gyp, and
 * sharp (prebuilt addon + libvips shared library found through $ORIGIN).
 * Each run uses a fresh cache dir, far from the repo's node_modules.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { bale, env, NODE22, packOk, ROOT, run, tmp } from "../helpers.js";

test("an N-API addon built with node-gyp runs from the archive", () => {
  const dir = tmp();
  const app = join(dir, "addon-app");
  cpSync(join(ROOT, "test/fixtures/pack/addon-app"), app, { recursive: true });
  // Headers from the Node 22 package: N-API is ABI-stable, and this needs no download.
  const nodedir = dirname(dirname(NODE22));
  const gyp = spawnSync(process.execPath, [join(ROOT, "node_modules/node-gyp/bin/node-gyp.js"), "rebuild", `--nodedir=${nodedir}`], {
    cwd: app,
    encoding: "utf8",
    env: env(),
  });
  assert.equal(gyp.status, 0, gyp.stderr + gyp.stdout);
  assert.ok(existsSync(join(app, "build/Release/adder.node")));
  const archive = join(dir, "adder");
  packOk(join(app, "main.js"), archive);
  const files = bale(["inspect", archive, "--files"]).stdout;
  assert.match(files, /0755 +\d+ +app\/build\/Release\/adder\.node/);
  const r = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "adder-1: 2 + 40 = 42\n");
});

test("sharp (addon + libvips via $ORIGIN) resizes an image from the archive", () => {
  const dir = tmp();
  const archive = join(dir, "sharp-app");
  const p = packOk(join(ROOT, "test/fixtures/pack/sharp-app/main.ts"), archive);
  // In place: sharp and its platform packages as npm installed them (the fixture declares sharp).
  assert.match(p.stdout, /in place: \d+ packages \(.*@img\/sharp-libvips-linux-x64@/);
  const files = bale(["inspect", archive, "--files"]).stdout;
  assert.match(files, /app\/node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/);
  assert.match(files, /app\/node_modules\/@img\/sharp-linux-x64\/lib\/sharp-linux-x64[^ ]*\.node/);
  const cache = join(dir, "cache");
  const r = run(archive, ["48"], { env: env({ BALE_CACHE_DIR: cache }), cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.width, 48);
  assert.equal(out.height, 24);
  assert.equal(out.format, "png");
  assert.match(out.vips, /^\d+\.\d+/);
  // Warm run from the cache gives the same answer.
  const again = run(archive, ["48"], { env: env({ BALE_CACHE_DIR: cache }), cwd: dir });
  assert.equal(again.stdout, r.stdout);
});
