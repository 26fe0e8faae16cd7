/**
 * The sh fast path of a cold start (zstd | tar in the prelude) against the node extractor: the same
 * tree, byte for byte and mode for mode, under any umask and with any tar that takes its options; and
 * wherever it declines (a tool missing, a corrupt payload, a lock, a node outside the range) the
 * extractor runs and says what it says without the fast path, with nothing left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appDirs, bale, env, packOk, run, tmp, waitSynced, waitUntil, which } from "../helpers.js";

const dir = tmp("bale-fast-");
chmodSync(dir, 0o755); // another user runs archives from here below
const HAS_TOOLS = which("zstd") && which("tar") && which("sha256sum");
const FAST = /bale: extracted \S+ with zstd and tar into /;
const NODE_PATH = /bale: extracted \S+ \(\d+ files, \d+ bytes, decoder (node-zlib|wasm)\)/;

/** An app with the shapes a tar can get wrong: nesting, exec bits, links to files and dirs, a long path, unicode, an empty file. */
function craftApp(): string {
  const src = join(dir, "src");
  const long = join(src, "data", "d".repeat(60), "e".repeat(60));
  mkdirSync(long, { recursive: true });
  mkdirSync(join(src, "bin"));
  writeFileSync(join(src, "package.json"), `{"name":"shapes","version":"1.0.0","bale":{"include":["data","bin"]}}\n`);
  writeFileSync(join(src, "main.js"), `const fs = require("fs"), p = require("path");\nconsole.log(fs.readFileSync(p.join(__dirname, "data/link-to-file"), "utf8").trim(), fs.readdirSync(p.join(__dirname, "data/link-to-dir")).length);\n`);
  writeFileSync(join(long, "f".repeat(40) + ".txt"), "deep\n");
  writeFileSync(join(src, "data", "héllo wörld.txt"), "unicode\n");
  writeFileSync(join(src, "data", "empty"), "");
  writeFileSync(join(src, "data", "target.txt"), "linked\n");
  symlinkSync("target.txt", join(src, "data", "link-to-file"));
  symlinkSync("d".repeat(60), join(src, "data", "link-to-dir"));
  writeFileSync(join(src, "bin", "tool.sh"), "#!/bin/sh\necho tool\n", { mode: 0o755 });
  const out = join(dir, "shapes");
  packOk(join(src, "main.js"), out);
  return out;
}

/** Every entry under `root`: type, mode, owner, size and sha256 of files (the marker's too), link targets. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const n of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${n}` : n;
      const abs = join(root, p);
      const st = lstatSync(abs);
      let d = `${st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : "file"} ${(st.mode & 0o7777).toString(8)} uid=${st.uid}`;
      if (st.isSymbolicLink()) d += ` -> ${readlinkSync(abs)}`;
      else if (st.isFile()) {
        d += ` ${st.size} ${createHash("sha256").update(readFileSync(abs)).digest("hex")}`;
      }
      out.set(p, d);
      if (st.isDirectory()) walk(p);
    }
  };
  walk("");
  return out;
}

/** As root, the identity checks also run as this user (tar restores modes for root unless told not to). */
const NOBODY = process.getuid?.() === 0 && which("setpriv") ? 65534 : null;

/** Runs `archive` cold into a new cache under `umask` (sh), as `uid` if given; returns the run and the cache. */
function coldRun(archive: string, name: string, extra: Record<string, string | undefined> = {}, umask = "022", uid: number | null = null): { r: ReturnType<typeof run>; cache: string } {
  const cache = join(dir, name);
  mkdirSync(cache, { mode: 0o700 });
  const sh = ["/bin/sh", "-c", `umask ${umask} && exec "$0"`, archive];
  if (uid !== null) chownSync(cache, uid, uid);
  const [cmd, ...args] = uid === null ? sh : ["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", ...sh];
  const r = run(cmd as string, args, { env: env({ BALE_CACHE_DIR: cache, BALE_TRACE: "1", HOME: cache, ...extra }) });
  return { r, cache };
}

function leftovers(cache: string): string[] {
  return readdirSync(cache).filter((n) => n.startsWith(".work-") || n.endsWith(".lock") || n.endsWith(".sha"));
}

const tars: Array<[string, string]> = [["GNU tar", "tar"]];
if (which("bsdtar")) tars.push(["bsdtar", "bsdtar"]);
if (which("busybox")) tars.push(["busybox tar", "busybox"]);

for (const [label, tarCmd] of tars) {
  test(`the fast path (${label}) publishes exactly the tree the node extractor does, under umask 022, 027 and 077, as root and not`, { skip: !HAS_TOOLS && "needs zstd, tar and sha256sum" }, () => {
    const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
    // A PATH whose `tar` is the one under test (everything else as on the host).
    const bin = join(dir, `bin-${tarCmd}`);
    if (!existsSync(bin)) {
      mkdirSync(bin);
      symlinkSync(spawnSync("sh", ["-c", `command -v ${tarCmd}`], { encoding: "utf8" }).stdout.trim(), join(bin, "tar"));
    }
    for (const [umask, uid] of [["022", null], ["077", null], ...(NOBODY === null ? [] : [["022", NOBODY], ["027", NOBODY]])] as Array<[string, number | null]>) {
      const who = `umask ${umask}${uid === null ? "" : ` as uid ${uid}`}`;
      const tag = `${tarCmd}-${umask}-${uid ?? "me"}`;
      const fast = coldRun(archive, `fast-${tag}`, { PATH: `${bin}:${process.env.PATH}` }, umask, uid);
      assert.equal(fast.r.status, 0, fast.r.stderr);
      assert.match(fast.r.stderr, FAST, "the fast path ran");
      assert.equal(fast.r.stdout, "linked 1\n");
      const slow = coldRun(archive, `node-${tag}`, { BALE_EXTRACTOR: "node" }, umask, uid);
      assert.equal(slow.r.status, 0, slow.r.stderr);
      assert.match(slow.r.stderr, NODE_PATH, "the node extractor ran");
      assert.doesNotMatch(slow.r.stderr, FAST);
      assert.equal(slow.r.stdout, fast.r.stdout);
      for (const c of [fast.cache, slow.cache]) waitSynced(join(c, appDirs(c)[0] as string));
      const [a, b] = [tree(fast.cache), tree(slow.cache)];
      assert.ok(a.size > 15, `a real tree (${a.size} entries)`);
      assert.deepEqual([...a.entries()], [...b.entries()], who);
      const id = appDirs(fast.cache)[0] as string;
      const modes = { "022": ["755", "644"], "027": ["750", "640"], "077": ["700", "600"] }[umask] as [string, string];
      assert.match(a.get(`${id}/app/bin/tool.sh`) ?? "", new RegExp(`^file ${modes[0]} uid=${uid ?? process.getuid?.()} `), who);
      assert.match(a.get(`${id}/.bale-files`) ?? "", new RegExp(`^file ${modes[0]} `), who); // packed 0755: the noexec probe
      assert.match(a.get(`${id}/.bale-ok`) ?? "", /^file 600 /);
      assert.match(a.get(`${id}/.bale-node`) ?? "", /^file 644 /);
      assert.deepEqual(leftovers(fast.cache), []);
      // The warm run after either is the same app.
      if (uid === null) assert.equal(run(archive, [], { env: env({ BALE_CACHE_DIR: fast.cache }) }).stdout, "linked 1\n");
    }
  });
}

test("no zstd on PATH, or a tar that refuses the fast path's options: the node extractor runs, same result", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const cases: Array<[string, string]> = [];
  // A PATH with everything the prelude needs but zstd.
  const nozstd = join(dir, "bin-nozstd");
  mkdirSync(nozstd);
  for (const t of ["tar", "sha256sum", "tail", "head", "mkdir", "mv", "rm", "ls", "date", "sync", "uname", "id"]) {
    const p = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
    if (p) symlinkSync(p, join(nozstd, t));
  }
  symlinkSync(process.execPath, join(nozstd, "node"));
  cases.push(["no zstd", nozstd]);
  // A tar that knows none of -m, -o, --no-same-permissions (as a minimal busybox build).
  const old = join(dir, "bin-oldtar");
  mkdirSync(old);
  writeFileSync(join(old, "tar"), `#!/bin/sh\necho "tar: unrecognized option" >&2\nexit 1\n`, { mode: 0o755 });
  cases.push(["a tar without the options", `${old}:${process.env.PATH}`]);
  for (const [what, path] of cases) {
    const c = coldRun(archive, `decline-${what.replace(/ /g, "-")}`, { PATH: path });
    assert.equal(c.r.status, 0, `${what}: ${c.r.stderr}`);
    assert.doesNotMatch(c.r.stderr, FAST, what);
    assert.match(c.r.stderr, NODE_PATH, what);
    assert.equal(c.r.stdout, "linked 1\n", what);
    assert.deepEqual(leftovers(c.cache), [], what);
  }
});

test("a corrupt payload: the fast path declines, the extractor says so, and the cache keeps nothing", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const seg = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index.segments.payload as { offset: number; length: number };
  const bytes = readFileSync(archive);
  for (const at of [seg.offset + 200, seg.offset + seg.length - 30]) {
    const bad = join(dir, `corrupt-${at}`);
    const b = Buffer.from(bytes);
    b[at] = (b[at] as number) ^ 0x5a;
    writeFileSync(bad, b, { mode: 0o755 });
    const c = coldRun(bad, `corrupt-cache-${at}`);
    assert.equal(c.r.status, 1, c.r.stderr);
    assert.match(c.r.stderr, /the payload is corrupt.*\[archive-payload-corrupt\]/);
    assert.doesNotMatch(c.r.stderr, FAST);
    assert.equal(c.r.stdout, "");
    assert.deepEqual(appDirs(c.cache), []);
    assert.deepEqual(leftovers(c.cache), []);
  }
});

test("a lock left by a dead process: the fast path stays out, the extractor breaks it and extracts", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const id = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index.appId as string;
  const cache = join(dir, "locked");
  mkdirSync(cache, { mode: 0o700 });
  writeFileSync(join(cache, `${id}.lock`), "999999 1\n");
  const r = run(archive, [], { env: env({ BALE_CACHE_DIR: cache, BALE_TRACE: "1" }) });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, FAST);
  assert.match(r.stderr, NODE_PATH);
  assert.deepEqual(leftovers(cache), []);
});

test("a node outside the app's range: the fast path declines and the extractor's node-version error is what the user sees", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const src = join(dir, "range-src");
  mkdirSync(src);
  writeFileSync(join(src, "main.js"), `console.log("ran")\n`);
  const major = Number(process.versions.node.split(".")[0]);
  const a = join(dir, "range-app");
  packOk(join(src, "main.js"), a, ["--node", `>=${major}.0.0 <${major}.0.1 || ^${major + 1}`]);
  const c = coldRun(a, "range-cache");
  assert.equal(c.r.status, 1, c.r.stderr);
  assert.match(c.r.stderr, new RegExp(`needs Node\\.js >=${major}\\.0\\.0 <${major}\\.0\\.1 \\|\\| \\^${major + 1}, but .* is v${process.versions.node.replace(/\./g, "\\.")}.*\\[node-version\\]`));
  assert.doesNotMatch(c.r.stderr, FAST);
  assert.deepEqual(appDirs(c.cache), []);
  assert.deepEqual(leftovers(c.cache), []);
  // In range: the fast path.
  const ok = join(dir, "range-ok");
  packOk(join(src, "main.js"), ok, ["--node", `^${major - 1} || >=${major}.0.0 <${major + 1}`]);
  const d = coldRun(ok, "range-ok-cache");
  assert.equal(d.r.status, 0, d.r.stderr);
  assert.match(d.r.stderr, FAST);
});

test("eight concurrent first runs (fast path and extractor racing): all run the app, one entry, nothing left over", { skip: !HAS_TOOLS && "needs zstd" }, async () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const cache = join(dir, "race");
  mkdirSync(cache, { mode: 0o700 });
  const runs = Array.from({ length: 8 }, (_, i) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
      const p = spawn(archive, [], { env: env({ BALE_CACHE_DIR: cache, ...(i % 3 === 2 ? { BALE_EXTRACTOR: "node" } : {}) }), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (c: Buffer) => (stdout += c));
      p.stderr.on("data", (c: Buffer) => (stderr += c));
      p.on("close", (status) => res({ status, stdout, stderr }));
    }),
  );
  for (const r of await Promise.all(runs)) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "linked 1\n");
  }
  assert.equal(appDirs(cache).length, 1);
  assert.deepEqual(leftovers(cache), []);
  assert.equal(readdirSync(cache).filter((n) => n.startsWith(".trash-")).length, 0);
});

test("a cold start on an intact entry with symlinks does not call it damaged (the file list types links as l)", () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  for (const extractor of ["node", "auto"]) {
    const cache = join(dir, `relink-${extractor}`);
    mkdirSync(cache, { mode: 0o700 });
    const e = env({ BALE_CACHE_DIR: cache, BALE_EXTRACTOR: extractor });
    assert.equal(run(archive, [], { env: e }).status, 0);
    const id = appDirs(cache)[0] as string;
    assert.match(readFileSync(join(cache, id, ".bale-files"), "utf8"), /^l 0 app\/data\/link-to-file$/m);
    // A newer node binary (or a removed stamp) sends the next run down the cold path over the intact entry.
    spawnSync("rm", [join(cache, id, ".bale-node")]);
    const r = run(archive, [], { env: e });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "", "nothing was damaged, nothing re-extracted");
    assert.equal(bale(["cache", "list", "--check", "--json"], { env: e }).status, 0);
  }
});

test("a node whose --version is not a plain x.y.z (a nightly) is left to the extractor, which checks the version node itself reports", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const nightly = join(dir, "node-nightly");
  writeFileSync(nightly, `#!/bin/sh\nif [ "$1" = --version ]; then echo v${process.versions.node}-nightly20261203; exit 0; fi\nexec ${process.execPath} "$@"\n`, { mode: 0o755 });
  const c = coldRun(archive, "nightly-cache", { BALE_NODE: nightly });
  assert.equal(c.r.status, 0, c.r.stderr);
  assert.doesNotMatch(c.r.stderr, FAST);
  assert.match(c.r.stderr, NODE_PATH);
  assert.equal(c.r.stdout, "linked 1\n");
  assert.deepEqual(leftovers(c.cache), []);
});

/**
 * A `sync` on PATH that blocks until the test opens its gate, then does what the gate says: "ok" runs
 * the real sync, anything else fails. (It gives up after a minute, so nothing outlives a failed test.)
 */
function gatedSync(name: string): { path: string; open: (how: "ok" | "fail") => void } {
  const bin = join(dir, `bin-${name}`);
  const gate = join(dir, `gate-${name}`);
  mkdirSync(bin);
  const real = spawnSync("sh", ["-c", "command -v sync"], { encoding: "utf8" }).stdout.trim();
  writeFileSync(
    join(bin, "sync"),
    `#!/bin/sh\nn=0\nwhile [ ! -s ${gate} ]; do sleep 0.05; n=$((n + 1)); [ $n -lt 1200 ] || exit 1; done\n[ "$(cat ${gate})" = ok ] && exec ${real} "$@"\nexit 1\n`,
    { mode: 0o755 },
  );
  return { path: `${bin}:${process.env.PATH}`, open: (how) => writeFileSync(gate, how) };
}

const BOOT = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();

test("a first run does not wait for the disk: published under this boot's marker, trusted this boot, synced in the background; a failed sync or another boot's marker means extract again", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const gate = gatedSync("sync-ok");
  try {
    const c = coldRun(archive, "unsynced", { PATH: gate.path });
    // The sync is still blocked: a run that waited for it would not have returned (old preludes did).
    assert.equal(c.r.status, 0, c.r.stderr);
    assert.match(c.r.stderr, FAST);
    assert.equal(c.r.stdout, "linked 1\n");
    const id = appDirs(c.cache)[0] as string;
    const entry = join(c.cache, id);
    const markers = (): string[] => readdirSync(entry).filter((n) => n.startsWith(".bale-ok")).sort();
    assert.deepEqual(markers(), [`.bale-ok-${BOOT}`]);
    // This boot trusts it: the next run is warm (nothing extracted), and the admin commands see it.
    const warm = run(archive, [], { env: env({ BALE_CACHE_DIR: c.cache, BALE_TRACE: "1", PATH: gate.path }) });
    assert.equal(warm.status, 0, warm.stderr);
    assert.equal(warm.stderr, "");
    assert.equal(warm.stdout, "linked 1\n");
    const list = JSON.parse(bale(["cache", "list", "--check", "--json"], { env: env({ BALE_CACHE_DIR: c.cache }) }).stdout);
    assert.deepEqual(list.entries.map((e: { path: string; damaged: unknown }) => [e.path, e.damaged]), [[entry, null]]);
    // The sync completes: the marker becomes the synced one.
    gate.open("ok");
    waitSynced(entry);
    assert.deepEqual(markers(), [".bale-ok"]);
    assert.match(lstatSync(join(entry, ".bale-ok")).mode.toString(8), /600$/);
    // What a crash before the sync leaves: the marker of a boot that is over. Never trusted: extracted again.
    const other = BOOT.replace(/^./, (ch) => (ch === "0" ? "1" : "0"));
    spawnSync("mv", [join(entry, ".bale-ok"), join(entry, `.bale-ok-${other}`)]);
    assert.deepEqual(JSON.parse(bale(["cache", "list", "--json"], { env: env({ BALE_CACHE_DIR: c.cache }) }).stdout).entries, []);
    const again = run(archive, [], { env: env({ BALE_CACHE_DIR: c.cache, BALE_TRACE: "1" }) });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, NODE_PATH, "extracted again");
    assert.equal(again.stdout, "linked 1\n");
    waitSynced(entry);
    assert.deepEqual(markers(), [".bale-ok"]);
    // Such an entry of an app that never runs again: `bale cache prune` removes it (it is listed nowhere).
    spawnSync("mv", [join(entry, ".bale-ok"), join(entry, `.bale-ok-${other}`)]);
    const pr = JSON.parse(bale(["cache", "prune", "--json"], { env: env({ BALE_CACHE_DIR: c.cache }) }).stdout);
    assert.ok(pr.staleCleaned >= 1, JSON.stringify(pr));
    assert.deepEqual(appDirs(c.cache), []);
  } finally {
    gate.open("ok");
  }
  // A sync that fails takes the marker away: the next run extracts again rather than trust unwritten data.
  const bad = gatedSync("sync-fail");
  bad.open("fail");
  const c = coldRun(archive, "sync-failed", { PATH: bad.path });
  assert.equal(c.r.status, 0, c.r.stderr);
  assert.match(c.r.stderr, FAST);
  const entry = join(c.cache, appDirs(c.cache)[0] as string);
  waitUntil(() => !readdirSync(entry).some((n) => n.startsWith(".bale-ok")));
  assert.deepEqual(readdirSync(entry).filter((n) => n.startsWith(".bale-ok")), [], "the marker is gone");
  const next = run(archive, [], { env: env({ BALE_CACHE_DIR: c.cache, BALE_TRACE: "1" }) });
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stderr, NODE_PATH);
  assert.equal(next.stdout, "linked 1\n");
});

test("a cache path with a space takes the fast path too (the noexec check is a test -x, not a mountinfo match)", { skip: !HAS_TOOLS && "needs zstd" }, () => {
  const archive = existsSync(join(dir, "shapes")) ? join(dir, "shapes") : craftApp();
  const c = coldRun(archive, "cache with space");
  assert.equal(c.r.status, 0, c.r.stderr);
  assert.match(c.r.stderr, FAST);
  assert.equal(c.r.stdout, "linked 1\n");
  assert.deepEqual(leftovers(c.cache), []);
});
