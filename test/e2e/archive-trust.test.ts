/**
 * Issue 11 (archives) and issue 10 (node lookup): each test here failed on the code before its fix.
 * Real archives, real processes: hostile edits, symlink chains, truncation at every prelude offset,
 * decompression bombs, in-place overwrites under bash, prune while apps run, config isolation,
 * another user's HOME, damaged cache entries and the bad-message list.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { appDirs, bale, env, NODE22, packOk, ROOT, run, tmp, which } from "../helpers.js";
import { craftArchive, tarFile, tarHeader, wrapPayload } from "../craft.js";
import { readIndex } from "../../src/archive/format.js";
import { VERSION } from "../../src/version.js";

const HELLO = join(ROOT, "examples/hello");
let dir: string;
let hello: string;

before(() => {
  dir = tmp();
  hello = join(dir, "hello");
  packOk(HELLO, hello);
});

/** Resolves when `p` prints `text`; rejects if it exits first or after 60 s. */
function waitForOutput(p: ReturnType<typeof spawn>, text: string): Promise<void> {
  return new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no "${text}" within 60 s`)), 60_000);
    p.stdout?.on("data", (c: Buffer) => c.toString().includes(text) && (clearTimeout(t), res()));
    p.on("exit", (code) => (clearTimeout(t), rej(new Error(`exited (${code}) before printing "${text}"`))));
  });
}

const copyWith = (name: string, mutate: (b: Buffer) => Buffer): string => {
  const file = join(dir, name);
  writeFileSync(file, mutate(Buffer.from(readFileSync(hello))), { mode: 0o755 });
  return file;
};

test("item 6: verify checks every byte of the prelude: an injected command or any bit flip is refused", () => {
  const { index } = readIndex(hello);
  const preludeLen = index.segments.prelude.length;
  const text = readFileSync(hello).subarray(0, preludeLen).toString("latin1");
  const comment = /# Run it like the app itself[^\n]*/.exec(text) as RegExpExecArray;
  const inject = `touch ${join(dir, "pwned")}; echo INJECTED;#`.padEnd(comment[0].length, "x");
  const edited = copyWith("injected", (b) => {
    b.write(inject, comment.index, "latin1");
    return b;
  });
  const r = run(edited, [], { env: env({ BALE_CACHE_DIR: join(dir, "c-inject") }) });
  assert.match(r.stdout, /INJECTED/, "the edit is live: it runs on launch");
  const v = bale(["verify", edited]);
  assert.equal(v.status, 1, `an edited prelude must fail verify: ${v.stdout}`);
  assert.match(v.stderr, /sh prelude is not what its index implies: it differs at byte \d+ \(line \d+\)/);
  // Bit flips anywhere in the prelude (8 spread positions, one copy each).
  for (let k = 0; k < 8; k++) {
    const at = Math.floor(((k + 0.5) / 8) * preludeLen);
    const f = copyWith(`flip-${k}`, (b) => {
      b[at] = (b[at] as number) ^ (1 << k % 7);
      return b;
    });
    assert.equal(bale(["verify", f]).status, 1, `flip at byte ${at}`);
  }
  assert.equal(bale(["verify", hello]).status, 0);
});

test("item 7: a symlink chain that only the kernel's resolution shows escaping is refused at run, extract and verify", async () => {
  // app/d x20 /b -> ../ x21 (lexically: back to the root) and app/passwd -> d x20 /b/ ../ x21 etc/passwd (lexically
  // inside app/; really: the root, then 21 levels up, i.e. /etc/passwd).
  const deep = Array.from({ length: 20 }, () => "d").join("/");
  const b = `app/${deep}/b`;
  const entries = [
    tarHeader(b, "2", { linkname: "../".repeat(21).slice(0, -1) }),
    tarHeader("app/passwd", "2", { linkname: `${deep}/b/${"../".repeat(21)}etc/passwd` }),
  ];
  // Long names: pax-less ustar keeps 100 bytes of name; app/d/... fits (47 bytes), the linkname (~110) does not: use GNU 'K'.
  const longLink = (name: string, target: string): Buffer[] => {
    const body = Buffer.from(target + "\0");
    return [tarHeader("././@LongLink", "K", { size: body.length }), Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]), tarHeader(name, "2", { linkname: "x" })];
  };
  const parts = [entries[0] as Buffer, ...longLink("app/passwd", `${deep}/b/${"../".repeat(21)}etc/passwd`)];
  const main = 'console.log(require("fs").readFileSync(__dirname + "/passwd", "utf8").split("\\n")[0])\n';
  const file = await craftArchive(dir, "chain", parts, main);
  const cache = join(dir, "c-chain");
  const r = run(file, [], { env: env({ BALE_CACHE_DIR: cache }) });
  assert.doesNotMatch(r.stdout, /root:/, "the app must not read /etc/passwd");
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /symlink app\/passwd -> .* resolves outside the archive root.*\[archive-hostile-entry\]/);
  assert.deepEqual(appDirs(cache), []);
  const out = join(dir, "x-chain");
  const x = bale(["extract", file, "-o", out]);
  assert.equal(x.status, 1, x.stdout);
  assert.match(x.stderr, /resolves outside the archive root/);
  assert.equal(existsSync(out), false);
  const v = bale(["verify", file]);
  assert.equal(v.status, 1);
  assert.match(v.stderr, /resolves outside the archive root/);
  // A chain that stays inside is fine: app/d/.../b -> ../../.. (to app/d x17), app/ok -> d x20/b/data.txt.
  const fine = await craftArchive(dir, "chain-ok", [
    tarHeader(b, "2", { linkname: "../../.." }),
    tarFile(`app/${Array.from({ length: 17 }, () => "d").join("/")}/data.txt`, "inside\n"),
    ...longLink("app/ok", `${deep}/b/data.txt`),
  ], 'console.log(require("fs").readFileSync(__dirname + "/ok", "utf8").trim())\n');
  const ok = run(fine, [], { env: env({ BALE_CACHE_DIR: join(dir, "c-chain-ok") }) });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, "inside\n");
  void entries;
});

test("item 8: an archive cut at any offset inside its prelude exits non-zero without running the app", () => {
  const cache = join(dir, "c-trunc");
  const e = env({ BALE_CACHE_DIR: cache });
  assert.equal(run(hello, ["warm"], { env: e }).status, 0); // warm: a cut exec line would run the app
  const full = readFileSync(hello);
  const { index } = readIndex(hello);
  const len = index.segments.prelude.length;
  const firstLine = full.indexOf(0x0a) + 1;
  const trapLine = full.indexOf(0x0a, firstLine) + 1;
  // Every cut, from just after the shebang's newline (before it, the kernel refuses the interpreter or sh runs an
  // empty script: see README) to the prelude's last byte (its final newline: a cut there leaves every command
  // whole, like a cut after the prelude, which the first run's extractor check reports). One sh loop runs them all.
  const cuts = join(dir, "cuts");
  mkdirSync(cuts);
  for (let at = firstLine + 1; at < len - 1; at++) writeFileSync(join(cuts, String(at)), full.subarray(0, at), { mode: 0o755 });
  const loop = spawnSync(
    "sh",
    [
      "-c",
      // One fork per cut: the checks are builtins.
      `for f in "$0"/*; do "$f" arg >"$0.out" 2>"$0.err"; s=$?; m=0; while read -r l; do case $l in *"this archive is truncated (it ends inside its sh prelude)"*) m=1;; esac; done <"$0.err"; o=0; [ -s "$0.out" ] && o=1; echo "\${f##*/} $s $m $o"; done`,
      cuts,
    ],
    { env: e, encoding: "utf8", timeout: 900_000, maxBuffer: 16 << 20 },
  );
  const bad: string[] = [];
  let seen = 0;
  for (const line of loop.stdout.trim().split("\n")) {
    const [at, status, msg, outLen] = line.split(" ").map(Number) as [number, number, number, number];
    seen++;
    if (status === 0 || outLen !== 0 || (at >= trapLine && msg !== 1)) bad.push(`${at}: status ${status}, clear message ${msg === 1}, stdout ${outLen ? "not " : ""}empty`);
  }
  assert.equal(seen, len - 2 - firstLine, loop.stderr);
  // A cut after the prelude's commands (its last newline, or anywhere after it) fails the first run clearly.
  writeFileSync(join(dir, "cut-after"), full.subarray(0, len - 1), { mode: 0o755 });
  const after = run(join(dir, "cut-after"), [], { env: env({ BALE_CACHE_DIR: join(dir, "c-trunc-cold") }) });
  assert.equal(after.status, 1);
  assert.match(after.stderr, /the archive is truncated or corrupt/);
  assert.deepEqual(bad, [], `offsets that did not fail clearly (of ${len - firstLine - 1})`);
});

test("item 9: a zstd bomb (1 GiB of zeros declared as 100 bytes) is refused quickly by verify, inspect --files, extract and the runtime", { skip: !which("zstd") && "needs the zstd command" }, () => {
  const size = 1 << 30;
  const header = tarHeader("app/main.js", "0", { size });
  const z = spawnSync("sh", ["-c", `{ cat; head -c ${size} /dev/zero; head -c 1024 /dev/zero; } | zstd -1 -q -c`], { input: Buffer.concat([tarHeader("app/", "5", { mode: 0o755 }), header]), maxBuffer: 64 << 20 });
  assert.equal(z.status, 0);
  const file = wrapPayload(dir, "bomb", z.stdout, { entries: 2, files: 1, unpackedSize: 100 });
  for (const [what, args] of [
    ["verify", ["verify", file]],
    ["inspect --files", ["inspect", "--files", file]],
    ["extract", ["extract", file, "-o", join(dir, "x-bomb")]],
  ] as const) {
    // Bounded, not timed: a reader that inflated the whole GiB would still end, so the proof that it stops
    // at the declared size is the message; the timeout only keeps a hang from stalling the suite.
    const r = bale([...args], { timeoutMs: 60_000 });
    assert.equal(r.status, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, /more than its index declares/, what);
  }
  assert.equal(existsSync(join(dir, "x-bomb")), false);
  const cache = join(dir, "c-bomb");
  const r = run(file, [], { env: env({ BALE_CACHE_DIR: cache }) });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /more than its index declares.*\[archive-payload-oversized\]/);
  assert.deepEqual(appDirs(cache), []);
});

test("item 10: overwriting the archive in place during its first run under bash never runs the new bytes", async () => {
  if (!which("bash")) return;
  const a = join(dir, "overwrite");
  cpSync(hello, a);
  const full = readFileSync(a);
  // Where the old prelude's cold-path block ended: bash would read on from here after the extraction.
  const at = full.indexOf("|| exit\nfi\n") + "|| exit\nfi\n".length;
  assert.ok(at > 20);
  const injected = Buffer.from(full);
  injected.write("echo INJECTED; exit 9\n", at, "latin1");
  const marks = join(dir, "ow-marks");
  mkdirSync(marks);
  const wrapper = join(dir, "slow-node");
  writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ "$1" = -e ]; then : > ${marks}/started; n=0; while [ ! -e ${marks}/go ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; fi\nexec ${process.execPath} "$@"\n`,
    { mode: 0o755 },
  );
  const p = spawn("bash", [a, "x"], { env: env({ BALE_CACHE_DIR: join(dir, "c-ow"), BALE_NODE: wrapper, BALE_EXTRACTOR: "node" }), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (c: Buffer) => (stdout += c));
  p.stderr.on("data", (c: Buffer) => (stderr += c));
  const done = new Promise<number | null>((res) => p.on("close", res));
  for (let i = 0; i < 600 && !existsSync(join(marks, "started")); i++) await new Promise((r) => setTimeout(r, 50));
  writeFileSync(a, injected); // like `cat other > app`: same inode, new bytes
  writeFileSync(join(marks, "go"), "");
  const status = await done;
  assert.doesNotMatch(stdout, /INJECTED/, stderr);
  assert.equal(status, 0, stderr);
  assert.match(stdout, /Hello from a bale archive/);
});

test("item 11: prune keeps entries a running app holds, whatever the path spelling, even with a renamed process title", async () => {
  const cache = join(dir, "c-prune");
  mkdirSync(cache, { mode: 0o700 });
  symlinkSync(dir, join(dir, "plink"));
  const linked = join(dir, "plink", "c-prune"); // the same cache, through a symlinked parent
  const archives: string[] = [];
  for (const v of [1, 2, 3]) {
    const src = join(dir, `prune-src-${v}`);
    mkdirSync(src);
    writeFileSync(join(src, "package.json"), JSON.stringify({ name: "titled" }));
    writeFileSync(
      join(src, "main.js"),
      `if (process.argv[2] === "--title") process.title = "renamed";\nconsole.log("v${v} waiting");\nif (process.argv[2]) setInterval(() => {}, 1000);\n`,
    );
    const a = join(dir, `titled-${v}`);
    packOk(join(src, "main.js"), a);
    archives.push(a);
    assert.equal(run(a, [], { env: env({ BALE_CACHE_DIR: cache }) }).status, 0);
    await new Promise((r) => setTimeout(r, 5));
  }
  // v1 runs through a spelling with a trailing slash and "./"; v2 renames its process title.
  const p1 = spawn(archives[0] as string, ["--wait"], { env: env({ BALE_CACHE_DIR: `${cache}/./` }), stdio: ["ignore", "pipe", "ignore"] });
  const p2 = spawn(archives[1] as string, ["--title"], { env: env({ BALE_CACHE_DIR: linked }), stdio: ["ignore", "pipe", "ignore"] });
  try {
    await Promise.all([p1, p2].map((p) => waitForOutput(p, "waiting")));
    const cmdline = readFileSync(`/proc/${p2.pid}/cmdline`, "latin1");
    assert.doesNotMatch(cmdline, /main\.js/, "the title rename hides the entry path from the command line");
    const ids = archives.map((a) => readIndex(a).index.appId);
    const pr = bale(["cache", "prune", "--json"], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.equal(pr.status, 0, pr.stderr);
    const removed = JSON.parse(pr.stdout).removed.map((x: { appId: string }) => x.appId);
    assert.deepEqual(removed, [], "both old entries are in use");
    for (const id of ids) assert.ok(existsSync(join(cache, id.slice(0, 32))), id);
  } finally {
    p1.kill("SIGTERM");
    p2.kill("SIGTERM");
  }
});

test("item 12: BALE_CONFIG_DIR does not leak into a child archive; a value the user set wins", () => {
  const mk = (name: string, child: string | null, config: string | null): string => {
    const src = join(dir, `cfg-src-${name}`);
    mkdirSync(src, { recursive: true });
    writeFileSync(
      join(src, "main.js"),
      `const fs = require("fs"), d = process.env.BALE_CONFIG_DIR;\n` +
        `console.log("${name}:" + (d ? fs.readFileSync(d + "/who.txt", "utf8").trim() : "none"));\n` +
        (child ? `process.stdout.write(require("child_process").execFileSync(${JSON.stringify(child)}, { encoding: "utf8" }));\n` : ""),
    );
    const extra: string[] = [];
    if (config) {
      const c = join(dir, `cfg-${name}`);
      mkdirSync(c, { recursive: true });
      writeFileSync(join(c, "who.txt"), `${config}\n`);
      extra.push("--config", c);
    }
    const a = join(dir, `cfg-app-${name}`);
    packOk(join(src, "main.js"), a, extra);
    return a;
  };
  const c = mk("C", null, null);
  const b = mk("B", c, "config-of-B");
  const a = mk("A", b, "config-of-A");
  const e = env({ BALE_CACHE_DIR: join(dir, "c-cfg") });
  const r = run(a, [], { env: e });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "A:config-of-A\nB:config-of-B\nC:none\n");
  const mine = join(dir, "cfg-user");
  mkdirSync(mine);
  writeFileSync(join(mine, "who.txt"), "user\n");
  const u = run(a, [], { env: env({ BALE_CACHE_DIR: join(dir, "c-cfg"), BALE_CONFIG_DIR: mine }) });
  assert.equal(u.stdout, "A:user\nB:user\nC:user\n");
});

test("item 13: as root with another user's HOME, no directory is created in that home; the cache goes to TMPDIR/bale-<uid>", { skip: process.getuid?.() !== 0 && "needs root" }, () => {
  const home = join(dir, "alice");
  mkdirSync(home);
  chownSync(home, 65534, 65534);
  const tmpd = join(dir, "tmp-13");
  mkdirSync(tmpd);
  const vars = { HOME: home, XDG_CACHE_HOME: undefined, BALE_CACHE_DIR: undefined, TMPDIR: tmpd };
  const r = run(hello, [], { env: env(vars) });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(home), [], "nothing created in the other user's home");
  assert.equal(appDirs(join(tmpd, "bale-0")).length, 1);
  const list = bale(["cache", "list", "--json"], { env: env(vars) });
  assert.equal(JSON.parse(list.stdout).root, join(tmpd, "bale-0"));
});

test("item 15: a file deleted from a cache entry is noticed by verify and cache list --check, and repaired", () => {
  const cache = join(dir, "c-damage");
  const e = env({ BALE_CACHE_DIR: cache });
  assert.equal(run(hello, [], { env: e }).status, 0);
  const [id] = appDirs(cache);
  rmSync(join(cache, id as string, "app/data/greeting.txt"));
  const broken = run(hello, [], { env: e });
  assert.notEqual(broken.status, 0, "the app itself fails");
  const v = bale(["verify", hello], { env: e });
  assert.equal(v.status, 1);
  assert.match(v.stderr, /cache entry .* is damaged \(app\/data\/greeting\.txt is missing\)/);
  const c = bale(["cache", "list", "--check"], { env: e });
  assert.equal(c.status, 1, c.stdout);
  assert.match(c.stdout, /damaged: app\/data\/greeting\.txt is missing; removed/);
  const again = run(hello, [], { env: e });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /Hello/);
  assert.equal(bale(["cache", "list", "--check"], { env: e }).status, 0);
  // Deleting the entry file itself is seen by the warm path (one stat) and repaired on the spot.
  rmSync(join(cache, appDirs(cache)[0] as string, "app/main.js"));
  const healed = run(hello, [], { env: e });
  assert.equal(healed.status, 0, healed.stderr);
  assert.match(healed.stdout, /Hello/);
});

test("issue 10: missing node or a BALE_NODE pointing nowhere is one clear line; a changed node binary is version-checked", () => {
  const cache = join(dir, "c-node");
  const noNode = join(dir, "empty-bin");
  mkdirSync(noNode);
  for (const [vars, re] of [
    [{ PATH: noNode, BALE_NODE: undefined }, /cannot run hello: node is not on PATH\. Fix: install Node\.js >=20, or set BALE_NODE .*\[node-missing\]/],
    [{ BALE_NODE: join(dir, "nowhere/node") }, /BALE_NODE=.*nowhere\/node is not an executable file\. Fix: .*\[node-missing\]/],
  ] as const) {
    const r = spawnSync("/bin/sh", ["-c", `exec "$0"`, hello], { env: env({ BALE_CACHE_DIR: cache, ...vars }), encoding: "utf8" });
    assert.equal(r.status, 127, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
  // Packed for Node < 21: runs (and is warm) on Node 20; switching BALE_NODE to Node 22 is checked again.
  const old = join(dir, "old-node-app");
  packOk(HELLO, old, ["--node", "<21"]);
  const e = env({ BALE_CACHE_DIR: cache });
  assert.equal(run(old, [], { env: e }).status, 0);
  assert.equal(run(old, [], { env: e }).status, 0);
  const r22 = run(old, [], { env: env({ BALE_CACHE_DIR: cache, BALE_NODE: NODE22 }) });
  assert.equal(r22.status, 1, r22.stdout);
  assert.match(r22.stderr, /needs Node\.js <21, but .*node22.* is v22\..*\[node-version\]/);
  assert.equal(run(old, [], { env: e }).status, 0, "back on Node 20 it runs");
});

test("item 16: disk full, a too-long path, a lock in the way and a noexec cache are user errors naming the cache", { skip: process.getuid?.() !== 0 && "needs root (mount)" }, () => {
  const mnt = join(dir, "small");
  mkdirSync(mnt);
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m,noexec", "tmpfs", mnt]).status !== 0) return;
  try {
    const src = join(dir, "big-src");
    mkdirSync(join(src, "data"), { recursive: true });
    const blob = Buffer.alloc(3 << 20);
    for (let i = 0; i < blob.length; i += 4) blob.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    writeFileSync(join(src, "data/blob.bin"), blob);
    writeFileSync(join(src, "main.js"), `require("fs").readFileSync(require("path").join(__dirname, "data/blob.bin")); console.log("ran");\n`);
    const big = join(dir, "big");
    packOk(join(src, "main.js"), big, ["--level", "1"]);
    const full = run(big, [], { env: env({ BALE_CACHE_DIR: join(mnt, "cache") }) });
    assert.equal(full.status, 1, full.stderr);
    assert.match(full.stderr, /cannot extract main into the cache: no space left on the device \(ENOSPC\)\. Fix: free some space there, or set BALE_CACHE_DIR .*\[cache-unwritable\]/);
    assert.match(full.stderr, new RegExp(`${mnt}/cache`));
    assert.doesNotMatch(full.stderr, /bug|corrupt/);
    const x = bale(["extract", big, "-o", join(mnt, "out")]);
    assert.equal(x.status, 1, x.stderr);
    assert.match(x.stderr, /no space left on the device \(ENOSPC\).*\[extract-output-unwritable\]/);
    // A native addon (.node) in a cache on a noexec mount: said up front, not a raw dlopen error later.
    const nsrc = join(dir, "native-src");
    mkdirSync(nsrc);
    writeFileSync(join(nsrc, "addon.node"), "not really an addon");
    writeFileSync(join(nsrc, "main.js"), `console.log("ran")\n`);
    const native = join(dir, "native");
    packOk(join(nsrc, "main.js"), native, ["--include", "addon.node"]);
    const n = run(native, [], { env: env({ BALE_CACHE_DIR: join(mnt, "ncache") }) });
    assert.equal(n.status, 1, n.stderr);
    assert.match(n.stderr, /native addons .* mounted noexec.*Fix: set BALE_CACHE_DIR .*\[cache-noexec\]/);
    // The same under a mount point with a space (mountinfo spells it \040): the sh fast path must not
    // take the parent mount's options for it, and leaves it to the extractor, which says the same.
    const spaced = join(dir, "noexec mnt");
    mkdirSync(spaced);
    if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m,noexec", "tmpfs", spaced]).status === 0) {
      try {
        const s = run(native, [], { env: env({ BALE_CACHE_DIR: join(spaced, "cache") }) });
        assert.equal(s.status, 1, s.stdout + s.stderr);
        assert.match(s.stderr, /native addons .* mounted noexec.*\[cache-noexec\]/);
      } finally {
        spawnSync("umount", [spaced]);
      }
    }
  } finally {
    spawnSync("umount", [mnt]);
  }
  // ENAMETOOLONG: a cache root whose own path fits, but not the files under it.
  let deep = join(dir, "long");
  while (deep.length < 3900) deep = join(deep, "x".repeat(200));
  mkdirSync(deep, { recursive: true, mode: 0o700 });
  const r = run(hello, [], { env: env({ BALE_CACHE_DIR: deep }) });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the path is too long \(ENAMETOOLONG\)\. Fix: use a shorter path, or .*\[cache-unwritable\]/);
  // EEXIST: something that is not a lock file where the lock goes.
  const cache = join(dir, "c-eexist");
  mkdirSync(join(cache, `${readIndex(hello).index.appId}.lock`), { recursive: true });
  chmodSync(cache, 0o700);
  const l = run(hello, [], { env: env({ BALE_CACHE_DIR: cache }), timeoutMs: 20_000 });
  assert.equal(l.status, 1, l.stderr);
  assert.match(l.stderr, /the lock .* is not a file \(EISDIR\).*\[cache-unsafe\]/);
});

test("item 16: sh < archive, a cache dir starting with -, HOME unset without id, an index without build, cache root mode, bad --node-options", () => {
  // sh < archive on a cold cache: one clear line, no stack.
  const cold = join(dir, "c-stdin");
  const s = spawnSync("sh", [], { input: readFileSync(hello), env: env({ BALE_CACHE_DIR: cold }), cwd: dir, encoding: "utf8" });
  assert.equal(s.status, 1, s.stderr);
  assert.match(s.stderr, /cannot find the archive file itself \(sh\)\. Fix: run the archive as a file .*\[archive-not-a-file\]/);
  assert.doesNotMatch(s.stderr, /at .*\(node:/);
  // A relative cache dir starting with "-" is not taken for a node option.
  const dash = run(hello, ["a"], { env: env({ BALE_CACHE_DIR: "-cache" }), cwd: dir });
  assert.equal(dash.status, 0, dash.stderr);
  assert.match(dash.stdout, /Hello/);
  // HOME unset and no `id` on PATH: the uid still comes from /proc, never a shared /tmp/bale-.
  const bin = join(dir, "only-node");
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const tmpd = join(dir, "tmp-16");
  mkdirSync(tmpd);
  const h = spawnSync("/bin/sh", ["-c", `exec "$0"`, hello], { env: env({ HOME: undefined, XDG_CACHE_HOME: undefined, BALE_CACHE_DIR: undefined, PATH: bin, TMPDIR: tmpd }), encoding: "utf8" });
  assert.equal(h.status, 0, h.stderr);
  assert.deepEqual(readdirSync(tmpd), [`bale-${process.getuid?.() ?? 0}`]);
  // An index without "build" (another tool wrote it): inspect says so, exit 1, not an internal error.
  const noBuild = copyWith("no-build", (b) => {
    const { index } = readIndex(hello);
    const { build: _drop, ...rest } = index;
    void _drop;
    const json = Buffer.from(JSON.stringify(rest));
    const trailer = Buffer.alloc(16);
    trailer.writeBigUInt64LE(BigInt(json.length), 0);
    b.subarray(b.length - 8).copy(trailer, 8);
    const start = index.segments.payload.offset + index.segments.payload.length;
    return Buffer.concat([b.subarray(0, start), json, trailer]);
  });
  const i = bale(["inspect", noBuild]);
  assert.equal(i.status, 1, i.stderr);
  assert.match(i.stderr, /missing or malformed fields: build.*\[archive-corrupt\]/);
  // bale cache checks the root's mode, as the README says.
  const open = join(dir, "c-open");
  mkdirSync(open);
  chmodSync(open, 0o777);
  const c = bale(["cache", "list"], { env: env({ BALE_CACHE_DIR: open }) });
  assert.equal(c.status, 1, c.stdout);
  assert.match(c.stderr, /writable by group \(mode 777\).*\[cache-unsafe\]/);
  // --node-options with a word that is not an option would make an archive that cannot start.
  const p = bale(["pack", HELLO, "-o", join(dir, "bad-opts"), "--node-options", "--max-old-space-size 64"]);
  assert.equal(p.status, 1, p.stdout);
  assert.match(p.stderr, /--node-options holds "64", which is not a node option.*attach values with =.*\[pack-node-options\]/);
  assert.equal(existsSync(join(dir, "bad-opts")), false);
  void statSync;
});

test("verify of an archive another bale version built names that version instead of calling its prelude edited", () => {
  const { index, indexBytes, indexOffset, indexSha256 } = readIndex(hello);
  const preludeLen = index.segments.prelude.length;
  const forVersion = (v: string, name: string): string =>
    copyWith(name, (b) => {
      // The index says another bale built it (same length, so every offset holds) and the prelude pins that
      // index, as that bale's own prelude would; one byte of its comment differs, as another version's text does.
      const json = indexBytes.toString("utf8").replace(`"bale":"${VERSION}"`, `"bale":"${v}"`);
      assert.equal(json.length, indexBytes.length);
      b.write(json, indexOffset, "utf8");
      const newSha = createHash("sha256").update(json).digest("hex");
      const prelude = b.subarray(0, preludeLen).toString("latin1").replace(indexSha256, newSha).replace("# Run it like", "# run it like");
      b.write(prelude, 0, "latin1");
      return b;
    });
  const other = bale(["verify", forVersion("0.1.0", "older")]);
  assert.equal(other.status, 1, other.stderr);
  assert.match(other.stderr, /differs at byte \d+ \(line \d+\) from what bale \S+ writes for this index; the archive was built by bale 0\.1\.0: verify it with that version or rebuild it/);
  assert.doesNotMatch(other.stderr, /edited or damaged/);
  const same = bale(["verify", forVersion(VERSION, "same-version")]);
  assert.equal(same.status, 1, same.stderr);
  assert.match(same.stderr, /sh prelude is not what its index implies: it differs at byte \d+ \(line \d+\) \(edited or damaged\)/);
});
