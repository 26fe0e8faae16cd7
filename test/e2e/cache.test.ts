/** bale cache list|prune against real extractions and a running app. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, env, packOk, ROOT, run, tmp } from "../helpers.js";

test("prune removes what no running app holds and keeps the newest per app; list shows it all", async () => {
  const dir = tmp();
  const cache = join(dir, "cache");
  const e = env({ BALE_CACHE_DIR: cache });
  const archives: string[] = [];
  for (const v of [1, 2, 3]) {
    const src = join(dir, `src-${v}`);
    cpSync(join(ROOT, "examples/hello"), src, { recursive: true });
    writeFileSync(join(src, "data/greeting.txt"), `Hello v${v}\n`);
    const a = join(dir, `hello-${v}`);
    packOk(src, a);
    archives.push(a);
    assert.equal(run(a, [], { env: e }).status, 0);
    await new Promise((r) => setTimeout(r, 5)); // distinct extraction times
  }
  const [id1, id2, id3] = archives.map((a) => JSON.parse(bale(["inspect", a, "--json"]).stdout).index.appId as string) as [string, string, string];
  // Entries are named by the first 32 hex digits of the app id; bale 0.2 named them by the whole id,
  // and such an entry (v2's, renamed as 0.2 would have made it) is listed and pruned like the others.
  assert.deepEqual(readdirSync(cache).filter((n) => /^[0-9a-f]+$/.test(n)).sort(), [id1, id2, id3].map((i) => i.slice(0, 32)).sort());
  renameSync(join(cache, id2.slice(0, 32)), join(cache, id2));
  // v1 is running while we prune.
  const p = spawn(archives[0] as string, ["--wait"], { env: e, stdio: ["ignore", "pipe", "ignore"] });
  await new Promise<void>((res) => p.stdout.on("data", (c: Buffer) => c.toString().includes("waiting") && res()));
  // A work dir left by a process that no longer exists is cleaned too.
  const stale = join(cache, `.work-${"0".repeat(64)}-999999-x`);
  mkdirSync(stale);
  try {
    const list = JSON.parse(bale(["cache", "list", "--json"], { env: e }).stdout);
    assert.equal(list.root, cache);
    assert.equal(list.entries.length, 3);
    assert.deepEqual(
      list.entries.map((x: { appId: string; path: string }) => [x.appId, x.path]).sort(),
      [
        [id1, join(cache, id1.slice(0, 32))],
        [id2, join(cache, id2)],
        [id3, join(cache, id3.slice(0, 32))],
      ].sort(),
    );
    const running = list.entries.find((x: { appId: string }) => x.appId === id1);
    assert.ok(running.inUseBy.includes(p.pid), "the running app is seen");
    const pr = bale(["cache", "prune", "--json"], { env: e });
    assert.equal(pr.status, 0, pr.stderr);
    const r = JSON.parse(pr.stdout);
    assert.deepEqual(r.removed.map((x: { appId: string }) => x.appId), [id2]);
    assert.equal(r.staleCleaned, 1);
    assert.ok(existsSync(join(cache, id1.slice(0, 32))), "in use: kept");
    assert.ok(!existsSync(join(cache, id2)), "old and unused: removed");
    assert.ok(existsSync(join(cache, id3.slice(0, 32))), "newest: kept");
    assert.ok(!existsSync(stale));
    assert.deepEqual(readdirSync(cache).filter((n) => n.startsWith(".trash-")), []);
    // A pruned app simply extracts again on its next run.
    const again = run(archives[1] as string, [], { env: e });
    assert.equal(again.status, 0);
    assert.match(again.stdout, /Hello v2/);
    const text = bale(["cache", "list"], { env: e });
    assert.match(text.stdout, /hello .* in use \(pid \d+/);
  } finally {
    p.kill("SIGTERM");
  }
});

/** strace, by absolute path (a test below runs it with a PATH that does not have it); .ci/run installs it. */
const STRACE = run("/bin/sh", ["-c", "command -v strace"]).stdout.trim() || "strace";

/** fsync-family calls a cold start made (strace -f -c summary), by name. */
function syncCalls(archive: string, e: NodeJS.ProcessEnv): Record<string, number> {
  const out = join(tmp(), "strace.txt");
  const r = run(STRACE, ["-f", "-c", "-o", out, "-e", "trace=fsync,fdatasync,syncfs", archive], { env: e });
  assert.equal(r.status, 0, r.stderr);
  const calls: Record<string, number> = {};
  for (const line of readFileSync(out, "utf8").split("\n")) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== "total") calls[m[2] as string] = Number(m[1]);
  }
  return calls;
}

test("a cold start makes the extraction durable with one syncfs, and falls back to an fsync per file without `sync`", () => {
  const dir = tmp();
  const src = join(dir, "src");
  cpSync(join(ROOT, "examples/hello"), src, { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(src, "data", `f${i}.txt`), `file ${i}\n`);
  const a = join(dir, "hello");
  packOk(src, a);
  // Normal host: `sync -f` (syncfs) once, a handful of fsyncs (cache root, node stamp), not one per file.
  const fast = syncCalls(a, env({ BALE_CACHE_DIR: join(dir, "c1") }));
  assert.equal(fast.syncfs, 1, JSON.stringify(fast));
  assert.ok((fast.fsync ?? 0) < 10, `fsync calls: ${JSON.stringify(fast)}`);
  // No `sync` command on PATH: every file and directory is fsynced instead.
  const bin = join(dir, "bin");
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, "node"));
  const slow = syncCalls(a, env({ BALE_CACHE_DIR: join(dir, "c2"), PATH: bin }));
  assert.equal(slow.syncfs ?? 0, 0, JSON.stringify(slow));
  assert.ok((slow.fsync ?? 0) >= 40, `fsync calls: ${JSON.stringify(slow)}`);
  assert.equal(run(a, [], { env: env({ BALE_CACHE_DIR: join(dir, "c2"), PATH: bin }) }).status, 0);
});
