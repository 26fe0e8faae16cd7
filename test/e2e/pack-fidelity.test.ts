/**
 * End-to-end: an archive runs an app exactly as `node entry` runs it in its project, with no flags,
 * for the shapes that broke the bundle-first packer (each case failed on it). The project is moved
 * away before the archive runs, so nothing can be read from it; runs are cold, then warm.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, env, run, tmp } from "../helpers.js";

function app(dir: string, files: Record<string, string | object>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), typeof text === "string" ? text : JSON.stringify(text, null, 2));
  }
}

interface Same {
  pack: ReturnType<typeof bale>;
  stdout: string;
  files: string;
}

/** Packs `entry` with no flags (plus `flags`), moves the project away, and checks cold and warm runs against `node entry`. */
function same(dir: string, entry: string, args: string[] = [], flags: string[] = [], reference?: { stdout: string; status: number }): Same {
  const neutral = tmp("bale-cwd-");
  const ref = reference ?? (() => {
    const r = spawnSync(process.execPath, [join(dir, "project", entry), ...args], { cwd: neutral, encoding: "utf8", env: env() });
    return { stdout: r.stdout, status: r.status ?? -1 };
  })();
  const archive = join(dir, "out", "app.bin");
  const p = bale(["pack", join(dir, "project", entry), "-o", archive, ...flags]);
  assert.equal(p.status, 0, p.stderr);
  const files = bale(["inspect", archive, "--files"]).stdout;
  renameSync(join(dir, "project"), join(dir, "project.gone"));
  try {
    const cache = join(dir, "cache");
    for (const phase of ["cold", "warm"]) {
      const r = run(archive, args, { env: env({ BALE_CACHE_DIR: cache }), cwd: neutral });
      assert.equal(r.stdout, ref.stdout, `${phase} stdout (stderr: ${r.stderr})`);
      assert.equal(r.status, ref.status, `${phase} exit code (stderr: ${r.stderr})`);
    }
  } finally {
    renameSync(join(dir, "project.gone"), join(dir, "project"));
  }
  return { pack: p, stdout: ref.stdout, files };
}

test("scripts the app starts by path (fork child.js, worker, plugins by computed name) are packed in place", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "spawner", version: "1.0.0" },
    "project/main.js": [
      'const { fork } = require("child_process");',
      'const { Worker } = require("worker_threads");',
      'const path = require("path");',
      'const names = ["alpha", "beta"];',
      'const loaded = names.map((n) => require(path.join(__dirname, "plugins", n)).hello());',
      'console.log("plugins", loaded.join(","));',
      'const w = new Worker(path.join(__dirname, "lib", "worker.js"), { workerData: 20 });',
      'w.on("message", (m) => {',
      '  console.log("worker", m);',
      '  const c = fork(path.join(__dirname, "child.js"), ["x"], { stdio: ["inherit", "inherit", "inherit", "ipc"] });',
      '  c.on("message", (msg) => console.log("child said", msg));',
      '  c.on("exit", (code) => { console.log("child exit", code); process.exitCode = 3; });',
      "});",
    ].join("\n"),
    "project/child.js": 'process.send(require("./lib/shared.js").twice(process.argv[2])); process.exit(0);\n',
    "project/lib/worker.js": 'const { parentPort, workerData } = require("worker_threads");\nparentPort.postMessage(require("./shared.js").twice(workerData));\n',
    "project/lib/shared.js": "exports.twice = (x) => (typeof x === 'number' ? x * 2 : String(x) + String(x));\n",
    "project/plugins/alpha.js": 'exports.hello = () => "A";\n',
    "project/plugins/beta.js": 'exports.hello = () => "B";\n',
  });
  const s = same(dir, "main.js");
  assert.equal(s.stdout, "plugins A,B\nworker 40\nchild said xx\nchild exit 0\n");
  assert.match(s.files, /app\/child\.js/);
  assert.match(s.files, /app\/lib\/worker\.js/);
});

test("an .mjs entry importing an ESM-only package with top-level await runs as ESM", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "esm-app", version: "1.0.0", dependencies: { "tla-dict": "1.0.0" } },
    "project/main.mjs": 'import words from "tla-dict";\nconsole.log(words.length, typeof require, import.meta.url.endsWith("/main.mjs"));\n',
    "project/node_modules/tla-dict/package.json": { name: "tla-dict", version: "1.0.0", type: "module", exports: "./index.js" },
    "project/node_modules/tla-dict/index.js":
      'import { readFile } from "node:fs/promises";\nconst text = await readFile(new URL("./words.txt", import.meta.url), "utf8");\nexport default text.trim().split("\\n");\n',
    "project/node_modules/tla-dict/words.txt": "a\nb\nc\n",
  });
  const s = same(dir, "main.mjs");
  assert.equal(s.stdout, "3 undefined true\n");
});

test("an entry inside node_modules keeps the node_modules level, so its platform package resolves", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "host", version: "1.0.0", dependencies: { tsx7: "7.0.0" } },
    "project/node_modules/tsx7/package.json": {
      name: "tsx7",
      version: "7.0.0",
      bin: { tsx7: "bin/tsx7.js" },
      optionalDependencies: { "@tsx7/tsx7-linux-x64": "7.0.0", "@tsx7/tsx7-darwin-arm64": "7.0.0" },
    },
    "project/node_modules/tsx7/bin/tsx7.js":
      'const p = require.resolve(`@tsx7/tsx7-${process.platform}-${process.arch}/package.json`);\nconsole.log(require(p).name, process.argv.slice(2).join(" "));\n',
    "project/node_modules/@tsx7/tsx7-linux-x64/package.json": { name: "@tsx7/tsx7-linux-x64", version: "7.0.0", os: ["linux"], cpu: ["x64"] },
  });
  const s = same(dir, "node_modules/tsx7", ["--version"], [], { stdout: "@tsx7/tsx7-linux-x64 --version\n", status: 0 });
  assert.match(s.files, /app\/node_modules\/tsx7\/bin\/tsx7\.js/);
  assert.match(s.files, /app\/node_modules\/@tsx7\/tsx7-linux-x64\/package\.json/);
});

test("a package loaded by a computed name is packed because the project declares it; --external adds undeclared ones", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "host", version: "1.0.0", dependencies: { "preset-one": "1.0.0" } },
    "project/main.js": 'for (const n of process.argv.slice(2)) console.log(require(n).name);\n',
    "project/node_modules/preset-one/package.json": { name: "preset-one", version: "1.0.0", main: "index.js", dependencies: { "dep-of-one": "1.0.0" } },
    "project/node_modules/preset-one/index.js": 'exports.name = "one+" + require("dep-of-one");\n',
    "project/node_modules/dep-of-one/package.json": { name: "dep-of-one", version: "1.0.0" },
    "project/node_modules/dep-of-one/index.js": 'module.exports = "dep";\n',
    "project/node_modules/plugin-two/package.json": { name: "plugin-two", version: "1.0.0" },
    "project/node_modules/plugin-two/index.js": 'exports.name = "two";\n',
    "project/node_modules/dev-only/package.json": { name: "dev-only", version: "1.0.0" },
    "project/node_modules/dev-only/index.js": 'exports.name = "dev";\n',
  });
  const s = same(dir, "main.js", ["preset-one", "plugin-two"], ["--external", "plugin-two"]);
  assert.equal(s.stdout, "one+dep\ntwo\n");
  assert.doesNotMatch(s.files, /dev-only/, "a package nothing declares or loads stays out");
  // The same through the package.json "bale" block.
  app(dir, { "project/package.json": { name: "host", version: "1.0.0", dependencies: { "preset-one": "1.0.0" }, bale: { external: ["plugin-two"] } } });
  same(dir, "main.js", ["plugin-two"]);
});

test("a dependency only an install script runs, and native build leftovers, are left out; the addon package still works", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "host", version: "1.0.0", dependencies: { nativelike: "1.0.0" } },
    "project/main.js": 'console.log(require("nativelike").answer());\n',
    "project/node_modules/nativelike/package.json": {
      name: "nativelike",
      version: "1.0.0",
      main: "index.js",
      scripts: { install: "prebuild-thing || node-gyp rebuild --release" },
      dependencies: { "prebuild-thing": "1.0.0", "bindings-ish": "1.0.0" },
    },
    "project/node_modules/nativelike/binding.gyp": "{}\n",
    "project/node_modules/nativelike/index.js": 'const b = require("bindings-ish");\nexports.answer = () => b("answer.txt");\n',
    "project/node_modules/nativelike/build/Release/answer.txt": "42\n",
    "project/node_modules/nativelike/build/Release/obj.target/nativelike/src/addon.o": "object code",
    "project/node_modules/nativelike/build/Release/.deps/x.d": "deps",
    "project/node_modules/nativelike/build/Makefile": "all:\n",
    "project/node_modules/nativelike/src/addon.cc": "int main() {}\n",
    "project/node_modules/nativelike/deps/lib/lib.c": "int x;\n",
    "project/node_modules/bindings-ish/package.json": { name: "bindings-ish", version: "1.0.0" },
    "project/node_modules/bindings-ish/index.js":
      'const fs = require("fs"), path = require("path");\nmodule.exports = (f) => fs.readFileSync(path.join(path.dirname(module.parent.filename), "build/Release", f), "utf8").trim();\n',
    "project/node_modules/prebuild-thing/package.json": { name: "prebuild-thing", version: "1.0.0", bin: { "prebuild-thing": "bin.js" } },
    "project/node_modules/prebuild-thing/bin.js": "process.exit(1)\n",
  });
  const s = same(dir, "main.js");
  assert.equal(s.stdout, "42\n");
  assert.doesNotMatch(s.files, /prebuild-thing/);
  assert.doesNotMatch(s.files, /obj\.target|\.deps|addon\.o|addon\.cc|lib\.c|Makefile/);
  assert.match(s.files, /app\/node_modules\/nativelike\/build\/Release\/answer\.txt/);
  assert.match(s.pack.stdout, /left out, never run: 6 native build files .*install-time packages prebuild-thing \(install script of nativelike\)/);
});

test("files read outside the project are left out with a warning; /proc is read live, never packed", () => {
  const dir = tmp();
  app(dir, {
    "outside/secret.json": '{"token":"s3cret"}\n',
    "project/package.json": { name: "reader", version: "1.0.0" },
    "project/main.js": [
      'const fs = require("fs"), path = require("path");',
      "const stat = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');",
      'console.log("pid ok", stat.startsWith(String(process.pid)));',
      'let secret = "missing";',
      'try { secret = JSON.parse(fs.readFileSync(path.join(__dirname, "../outside/secret.json"), "utf8")).token; } catch {}',
      'console.log("own", fs.readFileSync(path.join(__dirname, "data.txt"), "utf8").trim());',
      "if (process.argv[2] === 'secret') console.log(secret);",
    ].join("\n"),
    "project/data.txt": "inside\n",
  });
  const p = same(dir, "main.js", [], [], { stdout: "pid ok true\nown inside\n", status: 0 });
  assert.doesNotMatch(p.files, /secret|proc/);
  assert.match(p.pack.stderr, /warning: .*outside\/secret\.json is read by main\.js:5 but lies outside the project .*left out; pack it with --include.* \[pack-file-outside-project\]$/m);
});

test("TypeScript is compiled file by file beside its source: __dirname and module format are the project's", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "ts-app", version: "1.0.0", type: "module", dependencies: { "esm-only": "1.0.0" } },
    "project/src/main.ts": [
      'import { where } from "./lib/where.js";',
      'import shout from "esm-only";',
      "const n: number = await Promise.resolve(2);",
      "console.log(shout(where()), n, typeof require);",
    ].join("\n"),
    "project/src/lib/where.ts": 'import { fileURLToPath } from "node:url";\nexport const where = (): string => fileURLToPath(import.meta.url).split("/").slice(-2).join("/");\n',
    "project/node_modules/esm-only/package.json": { name: "esm-only", version: "1.0.0", type: "module", exports: { import: "./index.js" } },
    "project/node_modules/esm-only/index.js": "export default (s) => s.toUpperCase();\n",
  });
  const s = same(dir, "src/main.ts", [], [], { stdout: "LIB/WHERE.JS 2 undefined\n", status: 0 });
  assert.match(s.files, /app\/src\/lib\/where\.js/);
  // A CommonJS project that imports an ESM-only package is compiled to ESM (.mjs), with __dirname kept.
  const cj = tmp();
  app(cj, {
    "project/package.json": { name: "ts-cjs", version: "1.0.0", dependencies: { "esm-only": "1.0.0" } },
    "project/main.ts": 'import shout from "esm-only";\nimport { base } from "./lib";\nconsole.log(shout(base(__dirname)));\n',
    "project/lib/index.ts": 'import { basename } from "node:path";\nexport function base(p: string): string { return basename(p); }\n',
    "project/node_modules/esm-only/package.json": { name: "esm-only", version: "1.0.0", type: "module", exports: { import: "./index.js" } },
    "project/node_modules/esm-only/index.js": "export default (s) => s.toUpperCase();\n",
  });
  const c = same(cj, "main.ts", [], [], { stdout: "APP\n", status: 0 });
  assert.match(c.files, /app\/main\.mjs/);
  assert.match(c.files, /app\/lib\/index\.mjs/);
});

test("-o creates its directory; -h and `bale help <command>` print usage", () => {
  const dir = tmp();
  app(dir, { "main.js": 'console.log("hi")\n' });
  const out = join(dir, "dist/deeper/app");
  const p = bale(["pack", join(dir, "main.js"), "-o", out]);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(run(out, [], { env: env({ BALE_CACHE_DIR: join(dir, "c") }) }).stdout, "hi\n");
  for (const args of [["-h"], ["help"], ["help", "pack"], ["pack", "-h"], ["help", "config", "build"]]) {
    const r = bale(args);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, args.includes("pack") ? /bale pack <entry>[\s\S]*--external/ : args.includes("config") ? /bale config build/ : /Commands:/, args.join(" "));
  }
});

test('the "bale" block of package.json is checked: an unknown key is an error naming the file', () => {
  const dir = tmp();
  app(dir, { "package.json": { name: "x", version: "1.0.0", bale: { exteral: ["typo"] } }, "main.js": "1\n" });
  const r = bale(["pack", join(dir, "main.js"), "-o", join(dir, "out")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /package\.json: the "bale" block of package\.json has an unknown key "exteral"\. Fix: use only "include", "entries", "external", "exclude", "bundle", "nodeOptions".*\[pack-bad-config\]/);
});

test("the whole project is packed: files a library finds by path (config files, inputs) are there; VCS dirs, caches, archives and --exclude are not", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "linty", version: "1.0.0", dependencies: { "fake-lint": "1.0.0" }, bale: { exclude: ["fixtures"] } },
    "project/main.js": 'console.log(require("fake-lint").lint(__dirname, "src/sample.txt"));\n',
    "project/.lintrc.json": '{"maxLength": 5}\n',
    "project/src/sample.txt": "short\nmuch too long\n",
    "project/fixtures/big.txt": "test data\n",
    "project/.git/HEAD": "ref: refs/heads/main\n",
    "project/.cache/bale/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n",
    "project/.cache/bale/x/file": "cached\n",
    "project/node_modules/fake-lint/package.json": { name: "fake-lint", version: "1.0.0" },
    "project/node_modules/fake-lint/index.js": [
      'const fs = require("fs"), path = require("path");',
      "exports.lint = (cwd, file) => {",
      '  const rc = JSON.parse(fs.readFileSync(path.join(cwd, ".lintrc.json"), "utf8"));',
      '  return fs.readFileSync(path.join(cwd, file), "utf8").split("\\n").filter((l) => l.length > rc.maxLength).length + " long lines";',
      "};",
    ].join("\n"),
  });
  // An earlier archive in the project is not packed into the next one.
  const first = bale(["pack", join(dir, "project/main.js"), "-o", join(dir, "project/dist/old-app")]);
  assert.equal(first.status, 0, first.stderr);
  const s = same(dir, "main.js");
  assert.equal(s.stdout, "1 long lines\n");
  assert.match(s.files, /app\/\.lintrc\.json/);
  assert.match(s.files, /app\/src\/sample\.txt/);
  assert.doesNotMatch(s.files, /\.git\/|CACHEDIR|fixtures|old-app/);
});

test("pack names the file and line of each require()/import() of a computed name in the app's own code (TypeScript lines mapped back)", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "dyn", version: "1.0.0" },
    "project/main.ts": [
      "const name: string = process.argv[2] ?? 'x';",
      "",
      "// a computed path below the app is fine: the whole project is packed",
      'const local = require("./lib/" + name);',
      "const pkg = require(name);",
      "",
      "export const later = (): Promise<unknown> => import(`${name}/sub`);",
      "console.log(local, pkg);",
    ].join("\n"),
    "project/lib/x.js": "module.exports = 1;\n",
  });
  const r = bale(["pack", join(dir, "project/main.ts"), "-o", join(dir, "out")]);
  assert.equal(r.status, 0, r.stderr);
  const warnings = r.stderr.split("\n").filter((l) => l.includes("warning:"));
  assert.deepEqual(
    warnings.map((w) => /warning: (main\.ts:\d+): (\w+)\(\) of a computed name/.exec(w)?.slice(1, 3).join(" ")),
    ["main.ts:5 require", "main.ts:7 import"],
    r.stderr,
  );
  assert.ok(warnings.every((w) => w.endsWith(" [pack-dynamic-name]")), r.stderr);
});

test("workspace and pnpm layouts: linked workspace packages and .pnpm sibling links resolve as on disk", () => {
  const dir = tmp();
  const pnpm = "project/node_modules/.pnpm";
  app(dir, {
    "project/package.json": { name: "ws", private: true, workspaces: ["apps/*", "packages/*"] },
    "project/apps/a/package.json": { name: "a", version: "1.0.0", dependencies: { "shared-lib": "*", foo: "1.0.0" } },
    "project/apps/a/main.js": 'console.log(require("shared-lib")(), require("foo"));\n',
    "project/packages/shared-lib/package.json": { name: "shared-lib", version: "1.0.0", main: "index.js" },
    "project/packages/shared-lib/index.js": 'module.exports = () => "shared:" + require("fs").readFileSync(__dirname + "/data.txt", "utf8").trim();\n',
    "project/packages/shared-lib/data.txt": "hi\n",
    [`${pnpm}/foo@1.0.0/node_modules/foo/package.json`]: { name: "foo", version: "1.0.0", dependencies: { bar: "1.0.0" } },
    [`${pnpm}/foo@1.0.0/node_modules/foo/index.js`]: 'module.exports = "foo+" + require("bar");\n',
    [`${pnpm}/bar@1.0.0/node_modules/bar/package.json`]: { name: "bar", version: "1.0.0" },
    [`${pnpm}/bar@1.0.0/node_modules/bar/index.js`]: 'module.exports = "bar";\n',
  });
  symlinkSync("../packages/shared-lib", join(dir, "project/node_modules/shared-lib"));
  symlinkSync(".pnpm/foo@1.0.0/node_modules/foo", join(dir, "project/node_modules/foo"));
  symlinkSync("../../bar@1.0.0/node_modules/bar", join(dir, pnpm, "foo@1.0.0/node_modules/bar"));
  const s = same(dir, "apps/a/main.js");
  assert.equal(s.stdout, "shared:hi foo+bar\n");
  assert.match(s.files, /app\/node_modules\/\.pnpm\/foo@1\.0\.0\/node_modules\/bar -> \.\.\/\.\.\/bar@1\.0\.0\/node_modules\/bar/);
});

test("a symlink the app reads and the project also lists in --include (or the bale block) packs as the link it is", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "linked", version: "1.0.0", bale: { include: ["data.txt", "current.txt"] } },
    "project/data.txt": "v2\n",
    "project/main.js": 'const fs = require("fs"), p = require("path");\nconst f = p.join(__dirname, "current.txt");\nconsole.log(fs.readFileSync(f, "utf8").trim(), fs.lstatSync(f).isSymbolicLink(), fs.readlinkSync(f));\n',
  });
  symlinkSync("data.txt", join(dir, "project/current.txt"));
  // bale before 0.2 refused this: "two different files want the same place in the archive: app/current.txt".
  const r = same(dir, "main.js");
  assert.equal(r.stdout, "v2 true data.txt\n");
  assert.match(r.files, /app\/current\.txt -> data\.txt/);
});

test("an included directory's symlinks that leave the project are packed as what the app reads through them (a directory too), with no false 'left out' warning", () => {
  const dir = tmp();
  app(dir, {
    "project/package.json": { name: "outlinks", version: "1.0.0", bale: { include: ["data"] } },
    "project/data/own.txt": "own\n",
    "project/main.js":
      'const fs = require("fs"), p = require("path");\nconst d = p.join(__dirname, "data");\n' +
      'console.log(fs.readFileSync(p.join(d, "ext/sub/a.txt"), "utf8").trim(), fs.readFileSync(p.join(d, "abs.txt"), "utf8").trim(), fs.readdirSync(p.join(d, "ext")).sort().join(","), fs.readFileSync(p.join(d, "own.txt"), "utf8").trim());\n',
    "shared/sub/a.txt": "deep\n",
    "shared/b.txt": "top\n",
  });
  symlinkSync("../../shared", join(dir, "project/data/ext")); // a directory outside the project
  symlinkSync(join(dir, "shared/b.txt"), join(dir, "project/data/abs.txt")); // an absolute link to a file
  const neutral = tmp("bale-cwd-");
  const ref = spawnSync(process.execPath, [join(dir, "project/main.js")], { cwd: neutral, encoding: "utf8", env: env() });
  assert.equal(ref.stdout, "deep top b.txt,sub own\n");
  const archive = join(dir, "out", "app.bin");
  // bale before 0.2: an internal error from the tracer ("File .../shared does not exist").
  const p = bale(["pack", join(dir, "project/main.js"), "-o", archive]);
  assert.equal(p.status, 0, p.stderr);
  assert.doesNotMatch(p.stderr, /pack-file-outside-project/, "the include packs what the app reads");
  renameSync(join(dir, "project"), join(dir, "project.gone"));
  renameSync(join(dir, "shared"), join(dir, "shared.gone"));
  for (const phase of ["cold", "warm"]) {
    const r = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }), cwd: neutral });
    assert.equal(r.status, 0, `${phase}: ${r.stderr}`);
    assert.equal(r.stdout, ref.stdout, phase);
  }
});
