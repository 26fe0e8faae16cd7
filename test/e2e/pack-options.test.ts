/** pack's options and its error paths, through the built CLI. */
import { test } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, env, packOk, run, tmp } from "../helpers.js";

function app(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

test("--include keeps files at their place relative to the entry; --config is found through BALE_CONFIG_DIR", () => {
  const dir = tmp();
  app(dir, {
    "src/main.ts": [
      'import { readFileSync, readdirSync } from "node:fs";',
      'import { join } from "node:path";',
      "// A computed path nft cannot follow: needs --include.",
      'const name = ["templates", "page.html"].join("/");',
      'console.log(readFileSync(join(__dirname, name), "utf8").trim());',
      'console.log(readFileSync(join(__dirname, "../shared/note.txt"), "utf8").trim());',
      "const cfg = process.env.BALE_CONFIG_DIR as string;",
      'console.log(readdirSync(cfg).sort().join(","), readFileSync(join(cfg, "prod/app.json"), "utf8").trim());',
      'console.log(process.execArgv.join(" "));',
    ].join("\n"),
    "src/templates/page.html": "<p>page</p>\n",
    "shared/note.txt": "a shared note\n",
    "out/prod/app.json": '{"port": 8080}\n',
    "out/bale-manifest.json": "{}\n",
    "out/.bale-cache.json": "{}\n",
  });
  const archive = join(dir, "app.bin");
  packOk(join(dir, "src/main.ts"), archive, [
    "--include",
    "templates",
    "--include",
    "../shared/note.txt",
    "--config",
    join(dir, "out"),
    // The design's form: the value is the next word even though it starts with "--".
    "--node-options",
    "--max-old-space-size=100 --no-warnings",
    "--name",
    "my-app",
  ]);
  const info = JSON.parse(bale(["inspect", archive, "--json"]).stdout);
  assert.equal(info.index.name, "my-app");
  assert.equal(info.index.configDir, "config");
  const r = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), [
    "<p>page</p>",
    "a shared note",
    'bale-manifest.json,prod {"port": 8080}',
    "--enable-source-maps --max-old-space-size=100 --no-warnings",
  ]);
  // An explicit BALE_CONFIG_DIR wins (e.g. to point a packed server at other configs).
  const other = join(dir, "other");
  app(other, { "prod/app.json": '{"port": 9}\n' });
  const o = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache"), BALE_CONFIG_DIR: other }) });
  assert.match(o.stdout, /prod \{"port": 9\}/);
  // The `=` form means the same.
  const eq = join(dir, "eq.bin");
  packOk(join(dir, "src/main.ts"), eq, ["--node-options=--max-old-space-size=100 --no-warnings"]);
  assert.deepEqual(JSON.parse(bale(["inspect", eq, "--json"]).stdout).index.nodeOptions, ["--enable-source-maps", "--max-old-space-size=100", "--no-warnings"]);
});

test("an ESM entry with top-level await, and a package directory entry via its bin", () => {
  const dir = tmp();
  app(dir, {
    "pkg/package.json": JSON.stringify({ name: "@acme/tool", version: "1.2.3", bin: { tool: "cli.mjs" } }),
    "pkg/cli.mjs": [
      'import { readFileSync } from "node:fs";',
      "const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));",
      "const v = await Promise.resolve(pkg.version);",
      "console.log(`${pkg.name} ${v} ${typeof __dirname}`);",
    ].join("\n"),
  });
  const archive = join(dir, "tool");
  packOk(join(dir, "pkg"), archive);
  const info = JSON.parse(bale(["inspect", archive, "--json"]).stdout);
  assert.equal(info.index.name, "tool");
  const r = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(r.status, 0, r.stderr);
  // Run in place, exactly as `node pkg/cli.mjs`: an ES module has no __dirname (a bundle used to add one).
  const direct = spawnSync(process.execPath, [join(dir, "pkg/cli.mjs")], { encoding: "utf8" });
  assert.equal(direct.stdout, "@acme/tool 1.2.3 undefined\n");
  assert.equal(r.stdout, direct.stdout);
  assert.equal(info.index.entry, "app/cli.mjs");
});

test("an entry inside a package packed whole runs in place: no bundle, no source map (like typescript/bin/tsc)", () => {
  const dir = tmp();
  app(dir, {
    // The package reads a data file at run time, so it is packed whole; its bin only requires ../lib.
    "node_modules/datatool/package.json": JSON.stringify({ name: "datatool", version: "2.0.0", bin: { datatool: "bin/datatool" } }),
    "node_modules/datatool/bin/datatool": "#!/usr/bin/env node\nrequire('../lib/main.js').run(process.argv.slice(2));\n",
    "node_modules/datatool/lib/main.js": [
      'const { readFileSync } = require("fs");',
      'const { join } = require("path");',
      "exports.run = (args) => {",
      '  const words = readFileSync(join(__dirname, "../data/words.txt"), "utf8").trim();',
      '  console.log(`${words} ${args.join(",")} [${process.execArgv.join(" ")}] ${__filename.endsWith("/lib/main.js")}`);',
      "};",
    ].join("\n"),
    "node_modules/datatool/data/words.txt": "alpha beta\n",
  });
  const archive = join(dir, "datatool.bin");
  packOk(join(dir, "node_modules/datatool"), archive);
  const info = JSON.parse(bale(["inspect", archive, "--json"]).stdout);
  // The node_modules level stays, so the package resolves its own dependencies as it does on disk.
  assert.equal(info.index.entry, "app/node_modules/datatool/bin/datatool");
  assert.deepEqual(info.index.nodeOptions, []);
  const files = bale(["inspect", archive, "--files"]).stdout;
  assert.doesNotMatch(files, /\.cjs|\.map/);
  const r = run(archive, ["x", "y z"], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "alpha beta x,y z [] true\n");
  // --sourcemap still asks for --enable-source-maps (the package may ship maps of its own).
  packOk(join(dir, "node_modules/datatool"), archive, ["--sourcemap"]);
  assert.deepEqual(JSON.parse(bale(["inspect", archive, "--json"]).stdout).index.nodeOptions, ["--enable-source-maps"]);
  // A TypeScript entry in such a package cannot run as it is: it is compiled beside itself, and its
  // require of the package's own lib stays a require into the package.
  writeFileSync(join(dir, "node_modules/datatool/bin/tool.ts"), 'const m: { run(a: string[]): void } = require("../lib/main.js");\nm.run(["ts"]);\n');
  const ts = join(dir, "tool-ts.bin");
  packOk(join(dir, "node_modules/datatool/bin/tool.ts"), ts);
  assert.equal(JSON.parse(bale(["inspect", ts, "--json"]).stdout).index.entry, "app/node_modules/datatool/bin/tool.js");
  const t = run(ts, [], { env: env({ BALE_CACHE_DIR: join(dir, "cache") }) });
  assert.equal(t.status, 0, t.stderr);
  assert.equal(t.stdout, "alpha beta ts [--enable-source-maps] true\n");
});

test("--level 19 makes a smaller payload than --level 1", () => {
  const dir = tmp();
  const text = Array.from({ length: 4000 }, (_, i) => `line ${i} ${"lorem ipsum ".repeat(i % 7)}`).join("\n");
  app(dir, { "main.js": 'console.log(require("fs").readFileSync(require("path").join(__dirname, "big.txt"), "utf8").length)', "big.txt": text });
  packOk(join(dir, "main.js"), join(dir, "l1"), ["--level", "1"]);
  packOk(join(dir, "main.js"), join(dir, "l19"), ["--level", "19"]);
  assert.ok(statSync(join(dir, "l19")).size < statSync(join(dir, "l1")).size);
  assert.equal(run(join(dir, "l19"), [], { env: env({ BALE_CACHE_DIR: join(dir, "c") }) }).stdout.trim(), String(text.length));
});

test("pack errors: one line naming the file (and line), exit 1, and an earlier good archive left intact", () => {
  const dir = tmp();
  app(dir, { "good.ts": 'console.log("good")\n', "bad.ts": 'const x: number = 1;\nconsole.log(x +);\n', "imp.ts": 'import "left-pad-does-not-exist";\n' });
  const out = join(dir, "out");
  packOk(join(dir, "good.ts"), out);
  const before = readFileSync(out);
  const cases: Array<[string[], RegExp]> = [
    [[join(dir, "bad.ts")], /bad\.ts:2:\d+: Unexpected "\)"\. Fix: fix the code at that location\. \[pack-bundle-failed\]/],
    [[join(dir, "imp.ts")], /imp\.ts:1:\d+: Could not resolve "left-pad-does-not-exist"\. Fix: install the package/],
    [[join(dir, "good.ts"), "--include", "nope.txt"], /nope\.txt: an --include path does not exist/],
    [[join(dir, "good.ts"), "--level", "42"], /compression level 42 is out of range/],
    [[join(dir, "good.ts"), "--config", join(dir, "missing")], /missing: the --config directory does not exist\. Fix: run `bale config build` first/],
  ];
  for (const [args, re] of cases) {
    const r = bale(["pack", ...args, "-o", out]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /^bale: error: /);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.ok(readFileSync(out).equals(before), "the earlier archive is intact");
  }
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.includes(".tmp-")),
    [],
    "no temp files left",
  );
  // An output path nobody can write (procfs) is the user's to fix, not an internal error.
  const nope = bale(["pack", join(dir, "good.ts"), "-o", "/proc/bale-nope"]);
  assert.equal(nope.status, 1, nope.stderr);
  assert.match(nope.stderr, /^bale: error: \/proc\/bale-nope: cannot write the archive here \(E[A-Z]+\)\. Fix: .+ \[pack-output-unwritable\]\n$/);
  // A directory given where an archive belongs, and an unwritable extract target, likewise.
  for (const cmd of ["inspect", "verify"]) {
    const d = bale([cmd, dir]);
    assert.equal(d.status, 1, d.stderr);
    assert.match(d.stderr, /: this is a directory, not an archive\. Fix: .+ \[archive-unreadable\]\n$/);
  }
  const x = bale(["extract", out, "-o", "/proc/bale-x"]);
  assert.equal(x.status, 1, x.stderr);
  assert.match(x.stderr, /^bale: error: \/proc\/bale-x: cannot create the output directory \(E[A-Z]+\)\. Fix: .+ \[extract-output-unwritable\]\n$/);
});


test("--node range is checked on the first run with a clear message; the app does not run", () => {
  const dir = tmp();
  app(dir, { "main.js": 'console.log("ran")\n' });
  const archive = join(dir, "future");
  packOk(join(dir, "main.js"), archive, ["--node", ">=99"]);
  const r = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "c") }) });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^bale: .*future: main needs Node\.js >=99, but this is v\d+\.\d+\.\d+\. Fix: install a matching Node\.js or point BALE_NODE at one\. \[node-version\]\n$/);
});

test("inspect and verify of a file that is not an archive say so in one line", () => {
  const dir = tmp();
  const f = join(dir, "not-an-archive.txt");
  writeFileSync(f, "just text, long enough to hold a trailer-sized tail\n");
  const i = bale(["inspect", f]);
  assert.equal(i.status, 1);
  assert.match(i.stderr, /^bale: error: .*not-an-archive\.txt: not a valid bale archive: the trailer magic is missing .*\[archive-corrupt\]\n$/);
  const v = bale(["verify", f, "--json"]);
  assert.equal(v.status, 1);
  assert.equal(JSON.parse(v.stdout).ok, false);
  const missing = bale(["inspect", join(dir, "nope")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot open the archive \(ENOENT\)/);
});
