/** bale cache list|prune against real extractions and a running app. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
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
    const [id1, id2, id3] = archives.map((a) => JSON.parse(bale(["inspect", a, "--json"]).stdout).index.appId as string);
    const running = list.entries.find((x: { appId: string }) => x.appId === id1);
    assert.ok(running.inUseBy.includes(p.pid), "the running app is seen");
    const pr = bale(["cache", "prune", "--json"], { env: e });
    assert.equal(pr.status, 0, pr.stderr);
    const r = JSON.parse(pr.stdout);
    assert.deepEqual(r.removed.map((x: { appId: string }) => x.appId), [id2]);
    assert.equal(r.staleCleaned, 1);
    assert.ok(existsSync(join(cache, id1 as string)), "in use: kept");
    assert.ok(!existsSync(join(cache, id2 as string)), "old and unused: removed");
    assert.ok(existsSync(join(cache, id3 as string)), "newest: kept");
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
