/**
 * Robustness of archives as real processes: reproducible output, 32 concurrent
 * first runs, SIGKILL during extraction, tampering, hostile tar entries,
 * unsafe cache directories, and the runtime on Node 20, 22 and 24.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { appDirs, bale, env, NODE22, NODE24, packOk, ROOT, run, runAsync, tmp } from "../helpers.js";
import { craftArchive, tarFile, tarHeader } from "../craft.js";
import { readIndex } from "../../src/archive/format.js";

const HELLO = join(ROOT, "examples/hello");
let dir: string;
let hello: string;

before(() => {
  dir = tmp();
  hello = join(dir, "hello");
  packOk(HELLO, hello);
});

const leftovers = (cache: string): string[] => (existsSync(cache) ? readdirSync(cache).filter((n) => n.startsWith(".work-") || n.endsWith(".lock")) : []);

test("reproducible: packing copies with different mtimes and paths gives byte-identical archives", () => {
  const a = join(dir, "repro-a/hello");
  const b = join(dir, "repro-b/deeper/hello");
  cpSync(HELLO, a, { recursive: true });
  cpSync(HELLO, b, { recursive: true });
  utimesSync(join(b, "main.ts"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  utimesSync(join(b, "data/greeting.txt"), new Date(2011, 1, 1), new Date(2011, 1, 1));
  packOk(a, join(dir, "out-a"));
  packOk(b, join(dir, "out-b"), [], { cwd: dir });
  const x = readFileSync(join(dir, "out-a"));
  const y = readFileSync(join(dir, "out-b"));
  assert.ok(x.equals(y), "archives differ");
  // Packing with Node 22 (same zstd library and parameters) gives the same bytes too.
  packOk(a, join(dir, "out-22"), [], { node: NODE22 });
  assert.ok(readFileSync(join(dir, "out-22")).equals(x), "Node 22 packs different bytes");
  // SOURCE_DATE_EPOCH changes the recorded mtimes, hence the bytes.
  packOk(a, join(dir, "out-epoch"), [], { env: env({ SOURCE_DATE_EPOCH: "1700000000" }) });
  assert.equal(readIndex(join(dir, "out-epoch")).index.build.sourceDateEpoch, 1700000000);
  assert.ok(!readFileSync(join(dir, "out-epoch")).equals(x));
});

test("32 simultaneous first runs on an empty cache all succeed; exactly one extraction is published", async () => {
  const cache = join(dir, "c-concurrent");
  const runs = await Promise.all(
    Array.from({ length: 32 }, (_, i) => runAsync(hello, [`run-${i}`], { env: env({ BALE_CACHE_DIR: cache, BALE_TRACE: "1" }) })),
  );
  let extracted = 0;
  runs.forEach((r, i) => {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `Hello from a bale archive (1 argument)\n["run-${i}"]\n`);
    extracted += (r.stderr.match(/bale: extracted hello/g) ?? []).length;
  });
  assert.equal(extracted, 1);
  assert.equal(appDirs(cache).length, 1);
  assert.deepEqual(leftovers(cache), []);
});

test("SIGKILL at random moments during first runs (20 trials): every next run succeeds on complete files", async () => {
  const app = join(dir, "blob-app");
  mkdirSync(join(app, "data"), { recursive: true });
  const blob = randomBytes(12 << 20); // incompressible: extraction takes a while
  writeFileSync(join(app, "data/blob.bin"), blob);
  writeFileSync(
    join(app, "main.js"),
    `const fs = require("fs"), path = require("path");\n` +
      `const b = fs.readFileSync(path.join(__dirname, "data/blob.bin"));\n` +
      `console.log(require("crypto").createHash("sha256").update(b).digest("hex"));\n`,
  );
  const archive = join(dir, "blob");
  packOk(join(app, "main.js"), archive, ["--level", "1"]);
  const expected = createHash("sha256").update(blob).digest("hex") + "\n";
  // How long a cold run takes, to spread the kills over it.
  const t0 = performance.now();
  const probe = run(archive, [], { env: env({ BALE_CACHE_DIR: join(dir, "c-probe") }) });
  const cold = performance.now() - t0;
  assert.equal(probe.stdout, expected);
  let killedDuringExtraction = 0;
  for (let trial = 0; trial < 20; trial++) {
    const cache = join(dir, `c-kill-${trial}`);
    const p = spawn(archive, [], { env: env({ BALE_CACHE_DIR: cache }), detached: true, stdio: "ignore" });
    const exited = new Promise((r) => p.on("exit", r));
    await new Promise((r) => setTimeout(r, Math.random() * cold));
    try {
      process.kill(-(p.pid as number), "SIGKILL"); // sh, the extractor, or the app: whatever runs now
    } catch {
      /* already done */
    }
    await exited;
    if (appDirs(cache).length === 0) killedDuringExtraction++;
    const next = run(archive, [], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.equal(next.status, 0, `trial ${trial}: ${next.stderr}`);
    assert.equal(next.stdout, expected, `trial ${trial}`);
    assert.equal(appDirs(cache).length, 1);
    assert.deepEqual(
      readdirSync(cache).filter((n) => n.startsWith(".work-")),
      [],
      "the next cold run cleans work dirs left by the killed one",
    );
  }
  assert.ok(killedDuringExtraction >= 3, `only ${killedDuringExtraction} of 20 kills landed before publication`);
});

function damaged(name: string, mutate: (buf: Buffer, index: ReturnType<typeof readIndex>["index"]) => Buffer): string {
  const file = join(dir, name);
  const { index } = readIndex(hello);
  writeFileSync(file, mutate(Buffer.from(readFileSync(hello)), index), { mode: 0o755 });
  return file;
}

test("tampering: a flipped payload byte, truncation, a corrupt index or extractor fail the first run and verify, and no app code runs", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      damaged("flip-payload", (b, i) => {
        const at = i.segments.payload.offset + Math.floor(i.segments.payload.length / 2);
        b[at] = (b[at] as number) ^ 0x5a;
        return b;
      }),
      "payload",
      /payload is corrupt|refusing tar entry/,
    ],
    [damaged("truncated", (b) => b.subarray(0, b.length - 1000)), "truncated", /truncated|not a valid bale archive/],
    [
      damaged("bad-index", (b) => {
        const s = b.toString("latin1");
        const at = s.lastIndexOf('"entry":"app/');
        b.write('"entry":"xpp/', at, "latin1");
        return b;
      }),
      "index",
      /not a valid bale archive|corrupt/,
    ],
    [
      damaged("bad-index-json", (b) => {
        b[b.length - 20] = 0x7b;
        return b;
      }),
      "index json",
      /not a valid bale archive/,
    ],
    [
      damaged("flip-extractor", (b, i) => {
        const at = i.segments.extractor.offset + 100;
        b[at] = (b[at] as number) ^ 0x01;
        return b;
      }),
      "extractor",
      /extractor is damaged/,
    ],
  ];
  for (const [file, what, re] of cases) {
    const cache = join(dir, `c-tamper-${what.replace(/ /g, "-")}`);
    const r = run(file, ["x"], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.notEqual(r.status, 0, `${what}: the run should fail`);
    assert.equal(r.stdout, "", `${what}: no app code may run`);
    assert.match(r.stderr, re, what);
    assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line, got ${r.stderr}`);
    assert.match(r.stderr, /Fix: /, what);
    assert.deepEqual(appDirs(cache), [], `${what}: nothing published`);
    assert.deepEqual(leftovers(cache), [], `${what}: no leftovers`);
    const v = bale(["verify", file]);
    assert.equal(v.status, 1, `${what}: verify must fail`);
    assert.match(v.stderr, /damaged/);
  }
});

// ---- hostile tar entries, crafted by hand (test/craft.ts) and wrapped in a well-formed archive ----

test("hostile tar entries are refused at extract (run and bale extract), nothing is published", async () => {
  const cases: Array<[string, Buffer[], RegExp]> = [
    ["absolute", [tarFile("/tmp/evil.txt", "x")], /absolute path/],
    ["dotdot", [tarFile("app/../../evil.txt", "x")], /climbs out/],
    ["escaping-symlink", [tarHeader("app/link", "2", { linkname: "../../../etc" })], /escapes the archive root/],
    ["absolute-symlink", [tarHeader("app/link", "2", { linkname: "/etc/passwd" })], /absolute path/],
    ["write-through-symlink", [tarHeader("app/d", "2", { linkname: "." }), tarFile("app/d/x.txt", "x")], /writes through the symlink/],
    ["hardlink", [tarHeader("app/hard", "1", { linkname: "app/main.js" })], /hard link/],
    ["char-device", [tarHeader("app/dev", "3")], /device node/],
    ["fifo", [tarHeader("app/fifo", "6")], /FIFO/],
  ];
  for (const [name, entries, re] of cases) {
    const file = await craftArchive(dir, `hostile-${name}`, entries);
    const cache = join(dir, `c-hostile-${name}`);
    const r = run(file, [], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.equal(r.status, 1, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, "", `${name}: the app must not run`);
    assert.match(r.stderr, re, name);
    assert.match(r.stderr, /\[archive-hostile-entry\]/, name);
    assert.deepEqual(appDirs(cache), [], name);
    assert.deepEqual(leftovers(cache), [], name);
    const out = join(dir, `x-hostile-${name}`);
    const x = bale(["extract", file, "-o", out]);
    assert.equal(x.status, 1, name);
    assert.match(x.stderr, re, name);
    assert.equal(existsSync(out), false, `${name}: no partial output`);
  }
  assert.equal(existsSync("/tmp/evil.txt"), false);
});

test("unsafe cache directories are refused with a clear message, and the app does not run", () => {
  const base = join(dir, "unsafe");
  mkdirSync(base);
  const real = join(base, "real");
  mkdirSync(real, { mode: 0o700 });
  const link = join(base, "link");
  symlinkSync(real, link);
  const other = join(base, "other");
  mkdirSync(other, { mode: 0o700 });
  chownSync(other, 65534, 65534);
  const open = join(base, "open");
  mkdirSync(open);
  chmodSync(open, 0o777);
  const cases: Array<[string, RegExp]> = [
    [link, /is a symlink/],
    [other, /owned by uid 65534/],
    [open, /writable by group \(mode 777\)/],
  ];
  for (const [cache, re] of cases) {
    const r = run(hello, [], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.equal(r.status, 1, cache);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, re);
    assert.match(r.stderr, /refusing to use the cache directory.*Fix: .*\[cache-unsafe\]/);
    assert.deepEqual(appDirs(real), []);
  }
  // An entry in a good cache that is a symlink is not trusted by the warm path: it is replaced.
  const good = join(base, "good");
  const r1 = run(hello, [], { env: env({ BALE_CACHE_DIR: good }) });
  assert.equal(r1.status, 0, r1.stderr);
});

test("the runtime works under Node 20, 22 and 24 (built-in zstd on 22/24, the WebAssembly zstd on 20 and when asked for)", () => {
  for (const [n, node, decoder, force] of [
    [20, process.execPath, "wasm", false],
    [22, NODE22, "node-zlib", false],
    [24, NODE24, "node-zlib", false],
    [24, NODE24, "wasm", true],
  ] as const) {
    const cache = join(dir, `c-node-${n}-${decoder}`);
    // The node extractor (as where the host has no zstd), then the sh fast path on a second cache.
    const e = env({ BALE_CACHE_DIR: cache, BALE_NODE: node, BALE_TRACE: "1", BALE_EXTRACTOR: "node", ...(force ? { BALE_ZSTD_DECODER: "wasm" } : {}) });
    const r = run(hello, ["a b"], { env: e });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`decoder ${decoder}\\)`), node);
    const fast = run(hello, ["a b"], { env: env({ BALE_CACHE_DIR: `${cache}-fast`, BALE_NODE: node, BALE_TRACE: "1" }) });
    assert.equal(fast.status, 0, fast.stderr);
    assert.match(fast.stderr, /bale: extracted hello with zstd and tar into /, `${node}: the fast path reads its version`);
    assert.equal(fast.stdout, r.stdout);
    assert.equal(r.stdout, 'Hello from a bale archive (1 argument)\n["a b"]\n');
    const v = run(hello, ["--exit", "0"], { env: env({ BALE_CACHE_DIR: cache, BALE_NODE: node }) });
    assert.equal(v.status, 0);
    const info = run(hello, ["--throw"], { env: e });
    assert.match(info.stderr, new RegExp(`Node.js v${n}\\.`));
  }
});
