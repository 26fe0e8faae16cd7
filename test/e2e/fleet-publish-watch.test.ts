/**
 * `bale config publish --watch` (watchPublish): a long-running publisher against a real single-node etcd.
 * Every publish goes through the guarded swap; a bad change or a lost race publishes nothing and the
 * publisher keeps watching. The CLI runs as a real process and is stopped on every path.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, bale, env, tmp } from "../helpers.js";
import { startCluster, type Cluster } from "../etcd.js";
import { readLiveManifest, writeProject } from "../fleet-fixtures.js";
import { EtcdClient } from "../../src/fleet/etcd.js";
import { publishConfigs, type PublishResult } from "../../src/fleet/index.js";
import { watchPublish } from "../../src/fleet/publisher.js";
import { BaleErrors } from "../../src/errors.js";
import { canonicalJson } from "../../src/config-compiler/canonical.js";
import { sha256Hex } from "../../src/fleet/store.js";

let etcd: Cluster;
before(async () => {
  etcd = await startCluster(1);
});
after(async () => {
  await etcd?.stop();
});

const config = (greeting: string, level: number): string => `import { Flags } from "bale:schemas";\nexport default Flags({ greeting: ${JSON.stringify(greeting)}, level: ${level} });\n`;
const shaOf = (v: unknown): string => sha256Hex(canonicalJson(v));

async function live(prefix: string): Promise<{ hash: string; artifacts: Record<string, { sha256: string }> }> {
  const c = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    return await readLiveManifest(c, prefix);
  } finally {
    c.close();
  }
}

async function waitFor(f: () => boolean | Promise<boolean>, what: string, log: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await f())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("publish --watch: publishes now and on every change; a bad change publishes nothing and keeps out/; SIGTERM exits 0", async () => {
  const root = join(tmp("bale-pubwatch-"), "proj");
  writeProject(root, { a: '{ greeting: "hi", level: 1 }', b: '{ greeting: "yo", level: 2 }' });
  const prefix = "/t/pubwatch";
  const p = spawn(process.execPath, [CLI, "config", "publish", root, "--watch", "--json", "--etcd", etcd.etcd, "--prefix", prefix], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  p.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const log = (): string => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  const results = (): PublishResult[] => stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as PublishResult);
  try {
    await waitFor(() => results().length >= 1, "the first publish", log);
    const first = results()[0] as PublishResult;
    assert.deepEqual(first.added, ["configs/a.json", "configs/b.json"]);
    assert.equal((await live(prefix)).hash, first.hash);

    writeFileSync(join(root, "configs/a.config.ts"), config("hi", 5));
    await waitFor(() => results().length >= 2, "the publish of an edit", log);
    const second = results()[1] as PublishResult;
    assert.deepEqual([second.changed, second.added, second.removed, second.previousHash], [["configs/a.json"], [], [], first.hash]);
    const m = await live(prefix);
    assert.equal(m.hash, second.hash);
    assert.equal(m.artifacts["configs/a.json"]?.sha256, shaOf({ greeting: "hi", level: 5 }));
    // out/ is replaced after the publish: it ends up holding what was published.
    await waitFor(() => readFileSync(join(root, "out/configs/a.json"), "utf8") === canonicalJson({ greeting: "hi", level: 5 }), "out/ to follow", log);

    // Invalid (level is at most 100): reported, nothing published, out/ kept, still watching.
    writeFileSync(join(root, "configs/a.config.ts"), config("hi", 1000));
    await waitFor(() => /this change was not published/.test(stderr), "the error report", log);
    assert.match(stderr, /configs\/a\.config\.ts.*\[config-/);
    assert.equal((await live(prefix)).hash, second.hash);
    assert.equal(readFileSync(join(root, "out/configs/a.json"), "utf8"), canonicalJson({ greeting: "hi", level: 5 }));
    assert.equal(results().length, 2);

    // A new config and a fix in one change: one publish.
    writeFileSync(join(root, "configs/c.config.ts"), config("new", 3));
    writeFileSync(join(root, "configs/a.config.ts"), config("hi", 6));
    await waitFor(() => results().some((r) => r.changed.includes("configs/a.json") && r.previousHash === second.hash), "the publish after the fix", log);
    const last = results().at(-1) as PublishResult;
    assert.equal((await live(prefix)).hash, last.hash);
    assert.equal((await live(prefix)).artifacts["configs/c.json"]?.sha256, shaOf({ greeting: "new", level: 3 }));
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.on("close", r));
  }
  assert.equal(p.exitCode, 0, log());
});

test("publish --watch with --no-build is a usage error", () => {
  const r = bale(["config", "publish", tmp(), "--watch", "--no-build", "--etcd", etcd.etcd]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--watch publishes what it builds/);
});

test("watchPublish: a publisher that loses the race to another one publishes nothing, keeps out/, and the next change lands on top of the winner", async () => {
  const root = join(tmp("bale-pubrace-"), "proj");
  const other = join(tmp("bale-pubrace-other-"), "proj");
  writeProject(root, { a: '{ greeting: "mine", level: 1 }' });
  writeProject(other, { a: '{ greeting: "theirs", level: 9 }' });
  const prefix = "/t/pubrace";
  const published: PublishResult[] = [];
  const errors: Error[] = [];
  let race = false;
  let winner: PublishResult | undefined;
  const w = watchPublish({
    root,
    etcd: etcd.endpoints,
    prefix,
    onPublish: (r) => published.push(r),
    onError: (e) => errors.push(e),
    // Between reading what is live and swapping, another publisher swaps first.
    onProgress: async (p) => {
      if (p.phase !== "swap" || !race) return;
      race = false;
      winner = await publishConfigs({ root: other, etcd: etcd.endpoints, prefix });
    },
  });
  try {
    await w.ready;
    assert.equal(published.length, 1);
    race = true;
    writeFileSync(join(root, "configs/a.config.ts"), config("mine", 2));
    await waitFor(() => errors.length > 0, "the lost race", () => JSON.stringify({ published, errors: errors.map(String) }));
    const e = errors[0];
    assert.ok(e instanceof BaleErrors, String(e));
    assert.equal(e.errors[0]?.code, "config-publish-conflict");
    assert.equal((await live(prefix)).hash, winner?.hash);
    // The build that lost was not written: out/ still holds what this publisher last published.
    assert.equal(readFileSync(join(root, "out/configs/a.json"), "utf8"), canonicalJson({ greeting: "mine", level: 1 }));
    writeFileSync(join(root, "configs/a.config.ts"), config("mine", 3));
    await waitFor(() => published.length >= 2, "the next publish", () => JSON.stringify({ published, errors: errors.map(String) }));
    const next = published[1] as PublishResult;
    assert.equal(next.previousHash, winner?.hash);
    assert.deepEqual(next.changed, ["configs/a.json"]);
    assert.equal((await live(prefix)).artifacts["configs/a.json"]?.sha256, shaOf({ greeting: "mine", level: 3 }));
  } finally {
    await w.close();
  }
});

test("watchPublish with etcd unreachable: the build is reported as not published and out/ is not written; the same project publishes once an etcd answers", async () => {
  const root = join(tmp("bale-pubdown-"), "proj");
  writeProject(root, { a: '{ greeting: "down", level: 1 }' });
  const prefix = "/t/pubdown";
  const errors: Error[] = [];
  const published: PublishResult[] = [];
  // Nothing listens on port 1: a publisher whose endpoints reach no etcd.
  const w = watchPublish({ root, etcd: ["http://127.0.0.1:1"], prefix, onError: (e) => errors.push(e), onPublish: (r) => published.push(r) });
  try {
    await w.ready;
    assert.equal(published.length, 0);
    const e = errors[0];
    assert.ok(e instanceof BaleErrors, String(e));
    assert.equal(e.errors[0]?.code, "config-fleet-unreachable");
    assert.match(e.errors[0]?.oneLine() ?? "", /cannot reach etcd/);
    // Nothing was published, so out/ was not written either.
    assert.throws(() => readFileSync(join(root, "out/configs/a.json")), /ENOENT/);
  } finally {
    await w.close();
  }
  // A publisher on the reachable etcd publishes the same project (nothing of the failed attempt is in the way).
  const ok = watchPublish({ root, etcd: etcd.endpoints, prefix, onPublish: (r) => published.push(r), onError: (e2) => errors.push(e2) });
  try {
    await ok.ready;
    assert.equal(published.length, 1);
    assert.deepEqual(published[0]?.added, ["configs/a.json"]);
    assert.equal((await live(prefix)).hash, published[0]?.hash);
  } finally {
    await ok.close();
  }
});

test("--watch on a root that does not exist is the build's one-line config-root-missing (exit 1), for build and publish, not an internal error", () => {
  const missing = join(tmp("bale-watch-missing-"), "nope");
  for (const args of [
    ["config", "build", missing, "--watch"],
    ["config", "publish", missing, "--watch", "--etcd", etcd.etcd, "--prefix", "/t/missing"],
  ]) {
    const r = bale(args, { timeoutMs: 20_000 });
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /nope: the project root does not exist or is not a directory\. Fix: .*\[config-root-missing\]/);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});
