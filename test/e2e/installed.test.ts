/**
 * bale as a user installs it: `npm pack`, then an install of the tarball into an empty project,
 * offline (the packages come from the local npm cache that `npm ci` filled; the project's lock
 * is bale's own production subtree, so nothing needs the registry), once normally and once with
 * `--ignore-scripts` (esbuild's postinstall and zstd-napi's build blocked, as an npm policy may
 * do). Then every command runs from the installed copy: pack, the archive, inspect, verify,
 * config build, config check (with a type error, which must keep its line) and gen.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { NODE22, ROOT, env, tmp } from "../helpers.js";

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  [k: string]: unknown;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000, extra: Record<string, string | undefined> = {}) {
  const r = spawnSync(cmd, args, { cwd, env: env(extra), encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let tarball: string;
let work: string;

before(() => {
  work = tmp("bale-installed-");
  const p = run("npm", ["pack", "--silent", "--pack-destination", work], ROOT);
  assert.equal(p.status, 0, p.stderr);
  const name = readdirSync(work).find((n) => n.endsWith(".tgz"));
  assert.ok(name, "npm pack wrote no tarball");
  tarball = join(work, name);
});

/** An empty project whose lock installs the tarball and bale's production dependencies. */
function project(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const spec = `file:${tarball}`;
  const own = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const root = lock.packages[""] as LockEntry;
  const packages: Record<string, LockEntry> = {
    "": { name: "app", version: "1.0.0", dependencies: { bale: spec } },
    "node_modules/bale": {
      version: own.version as string,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      license: own.license,
      dependencies: root.dependencies,
      optionalDependencies: root.optionalDependencies,
      bin: root.bin,
      engines: root.engines,
    },
  };
  for (const [k, v] of Object.entries(lock.packages)) {
    if (k === "" || v.dev) continue;
    const e: LockEntry = { ...v };
    if (e.devOptional) {
      delete e.devOptional;
      e.optional = true;
    }
    packages[k] = e;
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, dependencies: { bale: spec } }, null, 2));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: "app", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));
}

for (const ignoreScripts of [false, true]) {
  describe(ignoreScripts ? "installed with --ignore-scripts" : "installed", { concurrency: false }, () => {
    let app: string;
    const bale = (args: string[], cwd = app) => run(join(app, "node_modules/.bin/bale"), args, cwd);

    before(() => {
      app = join(work, ignoreScripts ? "app-no-scripts" : "app");
      project(app);
      // With scripts, zstd-napi compiles its addon from source (no prebuilt binary offline): minutes on a busy machine.
      const i = run("npm", ["ci", "--offline", "--no-audit", "--no-fund", ...(ignoreScripts ? ["--ignore-scripts"] : [])], app, 900_000);
      assert.equal(i.status, 0, i.stderr);
      assert.ok(existsSync(join(app, "node_modules/.bin/bale")));
      // Only the installed copy may be used: nothing resolves into the repository.
      assert.ok(!existsSync(join(app, "node_modules/tsx")), "dev dependencies must not be installed");
    });

    it("packs an app, runs the archive, inspects and verifies it", () => {
      const src = join(app, "hello");
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, "package.json"), JSON.stringify({ name: "hello", version: "1.0.0", type: "module", main: "index.js" }));
      writeFileSync(join(src, "index.js"), 'console.log("hello from", process.argv.slice(2).join(" "));\n');
      const out = join(app, "hello.bale");
      const p = bale(["pack", src, "-o", out]);
      assert.equal(p.status, 0, p.stderr);
      if (ignoreScripts) assert.match(p.stderr, /note: zstd-napi is not installed.*compressed with (zstd-wasm|node-zlib)/);
      else assert.doesNotMatch(p.stderr, /zstd-napi is not installed/);
      const r = run(out, ["a", "b"], app, 60_000, { BALE_CACHE_DIR: join(app, ".cache") });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, "hello from a b\n");
      const i = bale(["inspect", out]);
      assert.equal(i.status, 0, i.stderr);
      assert.match(i.stdout, /hello/);
      const v = bale(["verify", out]);
      assert.equal(v.status, 0, v.stderr);
    });

    it("packs with an embedded runtime (the decoder ships in the package) and runs on it", () => {
      const src = join(app, "rt-hello");
      mkdirSync(src, { recursive: true });
      writeFileSync(join(src, "package.json"), JSON.stringify({ name: "rt-hello", version: "1.0.0", main: "index.js" }));
      writeFileSync(join(src, "index.js"), "console.log(process.version, process.execPath);\n");
      const out = join(app, "rt-hello.bale");
      // A pack cache of its own: a runtime compressed earlier (by zstd-napi) must not hide a missing compressor.
      const p = run(join(app, "node_modules/.bin/bale"), ["pack", src, "-o", out, "--runtime", NODE22, "--runtime-level", "1"], app, 300_000, {
        BALE_PACK_CACHE_DIR: join(app, ".pack-cache"),
      });
      const zlibZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === "function";
      if (ignoreScripts && !zlibZstd) {
        // No zstd-napi and a node without built-in zstd: a clear refusal, nothing written.
        assert.equal(p.status, 1);
        assert.match(p.stderr, /packing a runtime needs zstd with long-distance matching.*\[pack-runtime-compressor\]/);
        assert.ok(!existsSync(out));
        return;
      }
      assert.equal(p.status, 0, p.stderr);
      const cache = join(app, ".rt-cache");
      const r = run(out, [], app, 120_000, { BALE_CACHE_DIR: cache });
      assert.equal(r.status, 0, r.stderr);
      const [version, exe] = r.stdout.trim().split(" ");
      assert.equal(version, spawnSync(NODE22, ["--version"], { encoding: "utf8" }).stdout.trim());
      assert.match(exe ?? "", new RegExp(`^${cache}/runtimes/[0-9a-f]{64}/node$`));
      assert.equal(bale(["verify", out]).status, 0);
    });

    it("builds and checks configs (type errors keep their lines) and generates bindings", () => {
      const proj = join(app, "cfg");
      cpSync(join(ROOT, "test/fixtures/config/bad/_base"), proj, { recursive: true });
      const b = bale(["config", "build", proj]);
      assert.equal(b.status, 0, b.stderr);
      assert.ok(existsSync(join(proj, "out/configs/good.json")));
      const c = bale(["config", "check", proj]);
      assert.equal(c.status, 0, c.stderr);
      for (const lang of ["ts", "python"]) {
        const g = bale(["gen", proj, "--lang", lang]);
        assert.equal(g.status, 0, g.stderr);
      }
      assert.ok(readdirSync(join(proj, "gen")).length > 0, "gen wrote nothing");
      writeFileSync(join(proj, "configs/bad.config.ts"), 'import { AppConfig } from "bale:schemas";\nconst port: string = 8081;\nexport default AppConfig({ name: "bad", env: "dev", port: Number(port) });\n');
      const t = bale(["config", "check", proj]);
      assert.equal(t.status, 1, t.stderr);
      assert.match(t.stderr, /^bale: error: configs\/bad\.config\.ts:2:7: TS2322: .*\[config-type-error\]/m);
      // A schema violation is located by line through the TypeScript parser (installed too).
      writeFileSync(join(proj, "configs/bad.config.ts"), 'import { AppConfig } from "bale:schemas";\n\nexport default AppConfig({ name: "bad", env: "dev", port: 0 });\n');
      const v = bale(["config", "build", proj]);
      assert.equal(v.status, 1, v.stderr);
      assert.match(v.stderr, /^bale: error: configs\/bad\.config\.ts:3:\d+: `\/port` must be at least 1/m);
    });
  });
}
