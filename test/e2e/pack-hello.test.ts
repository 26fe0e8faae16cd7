/** The hello example packed and run as a real process: argv, exit codes, signals, stdin, caching. */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, CLI, env, packOk, ROOT, run, tmp, waitSynced } from "../helpers.js";

const HELLO = join(ROOT, "examples/hello");
let dir: string;
let archive: string;

before(() => {
  dir = tmp();
  archive = join(dir, "hello");
  packOk(HELLO, archive);
});

test("the archive is one executable file starting with a sh prelude", () => {
  const st = statSync(archive);
  assert.equal(st.mode & 0o777, 0o755);
  assert.equal(readFileSync(archive).subarray(0, 10).toString(), "#!/bin/sh\n");
});

test("args with spaces, quotes and globs pass through exactly", () => {
  const args = ["plain", "with space", "it's", 'double "quoted"', "*", "$HOME", "", "--flag=1", "ünïcode ✓", "-"];
  const r = run(archive, args, { env: env({ BALE_CACHE_DIR: join(dir, "c-args") }) });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.equal(lines[0], "Hello from a bale archive (10 arguments)");
  assert.deepEqual(JSON.parse(lines[1] as string), args);
});

test("exit code 37 comes back as 37, and 0..255 generally", () => {
  const cache = join(dir, "c-exit");
  for (const code of [37, 0, 1, 255]) {
    const r = run(archive, ["--exit", String(code)], { env: env({ BALE_CACHE_DIR: cache }) });
    assert.equal(r.status, code, r.stderr);
  }
});

test("an app killed by SIGTERM is reported as killed by SIGTERM, like node itself", async () => {
  const cache = join(dir, "c-sig");
  run(archive, [], { env: env({ BALE_CACHE_DIR: cache }) }); // warm the cache
  for (const [bin, args] of [
    [archive, ["--wait"]],
    [process.execPath, [join(cache, readdirSync(cache).find((n) => /^[0-9a-f]{32}$/.test(n)) as string, "app/main.js"), "--wait"]],
  ] as const) {
    const p = spawn(bin, args, { env: env({ BALE_CACHE_DIR: cache }), stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((res) => p.stdout.on("data", (c: Buffer) => c.toString().includes("waiting") && res()));
    p.kill("SIGTERM");
    const [code, signal] = await new Promise<[number | null, string | null]>((res) => p.on("exit", (c, s) => res([c, s])));
    assert.equal(code, null);
    assert.equal(signal, "SIGTERM", `${bin} should die by SIGTERM`);
  }
});

test("SIGINT reaches the app itself (it is node's main process, no wrapper)", async () => {
  const cache = join(dir, "c-int");
  const p = spawn(archive, ["--wait"], { env: env({ BALE_CACHE_DIR: cache }), stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((res) => p.stdout.on("data", (c: Buffer) => c.toString().includes("waiting") && res()));
  // The pid we spawned is node running the app: the sh prelude exec'd it.
  const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0");
  assert.match(cmdline[0] as string, /node$/);
  assert.ok(cmdline.some((a) => a.endsWith("/app/main.js")), cmdline.join(" "));
  p.kill("SIGINT");
  const signal = await new Promise<string | null>((res) => p.on("exit", (_c, s) => res(s)));
  assert.equal(signal, "SIGINT");
});

test("stdin is piped through to the app", () => {
  const input = "line one\nline two\nthree\n".repeat(1000);
  const r = run(archive, ["--stdin"], { input, env: env({ BALE_CACHE_DIR: join(dir, "c-stdin") }) });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`stdin: ${input.length} bytes, 3000 lines`));
});

test("first run extracts once into the cache; later runs reuse it without the extractor", () => {
  const cache = join(dir, "c-warm");
  const first = run(archive, ["x"], { env: env({ BALE_CACHE_DIR: cache, BALE_TRACE: "1" }) });
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /bale: extracted hello (\(\d+ files|with zstd and tar)/);
  const second = run(archive, ["x"], { env: env({ BALE_CACHE_DIR: cache, BALE_TRACE: "1" }) });
  assert.equal(second.status, 0);
  assert.equal(second.stderr, "", "the warm path runs no extractor");
  assert.equal(second.stdout, first.stdout);
  const names = readdirSync(cache);
  assert.equal(names.length, 2, names.join(","));
  assert.ok(names.includes("CACHEDIR.TAG"));
  // The entry is named by the first 32 hex digits of the app id (a shorter path makes node's module
  // lookups cheaper), and its marker names the whole id.
  const appId = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index.appId as string;
  assert.ok(names.includes(appId.slice(0, 32)), names.join(","));
  const entry = join(cache, appId.slice(0, 32));
  waitSynced(entry); // the marker stays .bale-ok while the test rewrites it below
  const marker = ".bale-ok";
  assert.equal(readFileSync(join(entry, marker), "utf8").split("\n")[0], appId);
  const listed = JSON.parse(bale(["cache", "list", "--json"], { env: env({ BALE_CACHE_DIR: cache }) }).stdout) as { entries: { appId: string; path: string }[] };
  assert.deepEqual(listed.entries.map((e) => [e.appId, e.path]), [[appId, join(cache, appId.slice(0, 32))]]);
  // `cache list` reports the id the marker names, and skips an entry whose marker names an id that the
  // directory's name is not the start of.
  const text = readFileSync(join(entry, marker), "utf8");
  const flip = (i: number): string => appId.slice(0, i) + (appId[i] === "0" ? "1" : "0") + appId.slice(i + 1);
  const ids = (): string[] => JSON.parse(bale(["cache", "list", "--json"], { env: env({ BALE_CACHE_DIR: cache }) }).stdout).entries.map((e: { appId: string }) => e.appId);
  writeFileSync(join(entry, marker), text.replace(appId, flip(40)));
  assert.deepEqual(ids(), [flip(40)]);
  writeFileSync(join(entry, marker), text.replace(appId, flip(5)));
  assert.deepEqual(ids(), []);
  writeFileSync(join(entry, marker), text);
  assert.deepEqual(ids(), [appId]);
  assert.equal(statSync(cache).mode & 0o777, 0o700);
  assert.match(readFileSync(join(cache, "CACHEDIR.TAG"), "utf8"), /^Signature: 8a477f597d28d172789f06886806bc55/);
});

test("the app sees BALE_ARCHIVE (absolute) and its stack traces point at the TypeScript source", () => {
  const cache = join(dir, "c-env");
  const r = run(archive, ["--throw"], { env: env({ BALE_CACHE_DIR: cache }) });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Error: thrown on purpose\n\s+at .*\/app\/main\.ts:\d+:\d+/);
  const rel = run("sh", ["-c", `cd ${dir} && ./hello`], { env: env({ BALE_CACHE_DIR: cache }) });
  assert.equal(rel.status, 0, rel.stderr);
});

test("cache location follows BALE_CACHE_DIR, then XDG_CACHE_HOME (absolute only), then HOME", () => {
  const home = join(dir, "home");
  const xdg = join(dir, "xdg");
  mkdirSync(home); // a HOME that is a directory we own (one we do not own is not used: see "another user's HOME")
  const cases: Array<[Record<string, string | undefined>, string]> = [
    [{ BALE_CACHE_DIR: join(dir, "explicit"), XDG_CACHE_HOME: xdg, HOME: home }, join(dir, "explicit")],
    [{ BALE_CACHE_DIR: undefined, XDG_CACHE_HOME: xdg, HOME: home }, join(xdg, "bale")],
    [{ BALE_CACHE_DIR: undefined, XDG_CACHE_HOME: "relative/xdg", HOME: home }, join(home, ".cache/bale")],
    [{ BALE_CACHE_DIR: undefined, XDG_CACHE_HOME: undefined, HOME: home }, join(home, ".cache/bale")],
  ];
  for (const [vars, expected] of cases) {
    const r = run(archive, [], { env: env(vars) });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(expected, "CACHEDIR.TAG")), `expected the cache at ${expected}`);
    // `bale cache list` computes the same place.
    const list = bale(["cache", "list", "--json"], { env: env(vars) });
    assert.equal(JSON.parse(list.stdout).root, expected);
  }
});

test("bale inspect, verify and extract", () => {
  const i = bale(["inspect", archive, "--json"]);
  assert.equal(i.status, 0, i.stderr);
  const info = JSON.parse(i.stdout);
  assert.equal(info.index.name, "hello");
  assert.equal(info.index.entry, "app/main.js");
  assert.deepEqual(info.index.nodeOptions, ["--enable-source-maps"]);
  const files = bale(["inspect", archive, "--files"]);
  assert.equal(files.status, 0);
  for (const p of ["app/main.js", "app/main.js.map", "app/data/greeting.txt", "app/package.json"]) assert.ok(files.stdout.includes(p), p);
  const v = bale(["verify", archive]);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /ok/);
  const out = join(dir, "extracted");
  const x = bale(["extract", archive, "-o", out]);
  assert.equal(x.status, 0, x.stderr);
  assert.equal(readFileSync(join(out, "app/data/greeting.txt"), "utf8"), "Hello from a bale archive\n");
  const again = bale(["extract", archive, "-o", out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /exists and is not empty/);
});

test("the payload reads with stock tools, as the README says: tail -c | head -c | zstd -d | tar -t", () => {
  const seg = JSON.parse(bale(["inspect", archive, "--json"]).stdout).index.segments.payload as { offset: number; length: number };
  const r = spawnSync("/bin/sh", ["-c", 'tail -c +$(($2 + 1)) "$1" | head -c "$3" | zstd -d | tar -t', "sh", archive, String(seg.offset), String(seg.length)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const listed = bale(["inspect", archive, "--files"]).stdout.split("\n").filter((l) => /^  0\d{3} /.test(l)).map((l) => l.trim().split(/\s+/).pop());
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.replace(/\/$/, "")), listed.map((l) => (l as string).replace(/\/$/, "")));
  assert.ok(listed.includes("app/main.js"));
});

test("a reader that closes the pipe early (| head) stops bale quietly: exit 0, no EPIPE stack", async () => {
  const child = spawn(process.execPath, [CLI, "inspect", archive, "--files"], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // our read end is closed before bale writes a byte
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  assert.equal(stderr, "");
  assert.equal(code, 0);
});

test("usage errors exit 2, user errors exit 1 with one clear line naming the file", () => {
  const u = bale(["pack"]);
  assert.equal(u.status, 2);
  const missing = bale(["pack", "does/not/exist.ts", "-o", join(dir, "x")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^bale: error: does\/not\/exist\.ts: the entry does not exist\. Fix: .+ \[pack-entry-missing\]\n$/);
  assert.equal(existsSync(join(dir, "x")), false);
});
