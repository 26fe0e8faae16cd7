/** The generated live loaders (TS and Python) following a real etcd: updates, hand edits, failover, restarts, stale start. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, tmp } from "../helpers.js";
import { startCluster, type Cluster } from "../etcd.js";
import { writeOut } from "../fleet-fixtures.js";
import { Watcher, connectionsTo, projectWithBindings } from "../fleet-watch-harness.js";
import { EtcdClient } from "../../src/fleet/etcd.js";
import { publishConfigs } from "../../src/fleet/index.js";
import { canonicalJson } from "../../src/config-compiler/canonical.js";

const LANGS = (process.env.BALE_FLEET_LANGS ?? "ts,python").split(",") as ("ts" | "python")[];
const clusters: Cluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop();
});

const root = tmp();
projectWithBindings(root, { a: '{ greeting: "hi", level: 0 }', b: '{ greeting: "yo", level: 0 }' });

async function publish(c: Cluster | string[], prefix: string, values: Record<string, { greeting: string; level: number }>): Promise<void> {
  const out = tmp();
  writeOut(out, values);
  await publishConfigs({ etcd: Array.isArray(c) ? c : c.endpoints, prefix, out, build: false });
}

async function put(c: Cluster, key: string, value: string): Promise<void> {
  const client = new EtcdClient({ endpoints: c.endpoints });
  try {
    await client.txn([], [{ put: { key, value } }]);
  } finally {
    client.close();
  }
}

const AB = ["configs/a.json", "configs/b.json"];

test("live loaders follow publishes, keep the last good value on hand-edited bad values, hold one connection", async () => {
  const c = await startCluster(1);
  clusters.push(c);
  const prefix = "/t/watch";
  await publish(c, prefix, { a: { greeting: "a", level: 1 }, b: { greeting: "b", level: 1 } });
  const ws = LANGS.map((lang) => new Watcher(lang, root, { source: { etcd: c.etcd, prefix, cacheFile: join(tmp(), "cache.json") }, artifacts: AB }));
  try {
    for (const w of ws) for (const a of AB) await w.waitFor(`${a} level 1`, (e) => e.event === "change" && e.artifact === a && e.value?.level === 1);
    const port = Number(new URL(c.etcd).port);
    for (const w of ws) {
      // At rest: one connection per process (the shared watch stream), however many configs it follows.
      const end = Date.now() + 5000;
      while (connectionsTo(w.proc.pid as number, port) !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      assert.equal(connectionsTo(w.proc.pid as number, port), 1);
    }
    await publish(c, prefix, { a: { greeting: "a", level: 2 }, b: { greeting: "b", level: 1 } });
    for (const w of ws) await w.waitFor("a level 2", (e) => e.event === "change" && e.artifact === "configs/a.json" && e.value?.level === 2);

    // Hand edit 1: garbage written straight over the manifest.
    await put(c, `${prefix}/m/live`, "{not json");
    for (const w of ws) for (const a of AB) await w.waitFor(`${a} reports the bad manifest`, (e) => e.event === "error" && e.artifact === a && /not valid/.test(e.message ?? ""));
    // Hand edit 2: a well-formed manifest (layout 1, as older bale versions wrote it: still followed) naming a value that fails the schema.
    const bad = canonicalJson({ greeting: "", level: 1000 });
    const sha = createHash("sha256").update(bad).digest("hex");
    await put(c, `${prefix}/blobs/${sha}`, bad);
    await put(c, `${prefix}/m/live`, canonicalJson({ version: 1, artifacts: { "configs/a.json": { sha256: sha, schema: "Flags", kind: "config", size: bad.length } }, parent: null, published: { at: "x", by: "hand", action: "publish" } }));
    for (const w of ws) await w.waitFor("a reports the invalid value", (e) => e.event === "error" && e.artifact === "configs/a.json" && /Flags/.test(e.message ?? ""));
    for (const w of ws) await w.waitFor("b reports that it is gone", (e) => e.event === "error" && e.artifact === "configs/b.json" && /not in the published manifest/.test(e.message ?? ""));
    // Hand edit 3: a pointer (layout 2) naming a manifest that is not in the store.
    const missing = "ab".repeat(32);
    await put(c, `${prefix}/m/live`, canonicalJson({ version: 2, manifest: missing, parent: null, published: { at: "x", by: "hand", action: "publish" } }));
    for (const w of ws) for (const a of AB) await w.waitFor(`${a} reports the missing manifest`, (e) => e.event === "error" && e.artifact === a && e.message?.includes(`${prefix}/manifests/${missing} is missing`) === true);

    // A real publish repairs it (guarded on the damaged manifest's revision).
    await publish(c, prefix, { a: { greeting: "a", level: 3 }, b: { greeting: "b", level: 1 } });
    for (const w of ws) await w.waitFor("a level 3", (e) => e.event === "change" && e.artifact === "configs/a.json" && e.value?.level === 3);
    for (const w of ws) {
      assert.deepEqual(w.levels("configs/a.json"), [1, 2, 3]);
      assert.deepEqual(w.levels("configs/b.json"), [1]);
    }
  } finally {
    for (const w of ws) w.stop();
  }
});

test("live loaders follow a directory: a rebuild is picked up, a bad file is refused", async () => {
  const out = tmp();
  writeOut(out, { a: { greeting: "a", level: 1 } });
  const ws = LANGS.map((lang) => new Watcher(lang, root, { source: { dir: out, pollMs: 50 }, artifacts: ["configs/a.json"] }));
  try {
    for (const w of ws) await w.waitFor("level 1", (e) => e.event === "change" && e.value?.level === 1);
    writeFileSync(join(out, "configs/a.json"), '{"greeting":"a","level":-5}\n');
    for (const w of ws) await w.waitFor("refused", (e) => e.event === "error" && /Flags/.test(e.message ?? ""));
    writeOut(out, { a: { greeting: "a", level: 2 } });
    for (const w of ws) await w.waitFor("level 2", (e) => e.event === "change" && e.value?.level === 2);
    for (const w of ws) assert.deepEqual(w.levels("configs/a.json"), [1, 2]);
  } finally {
    for (const w of ws) w.stop();
  }
});

test("3-member cluster: a killed member fails over with no missed revision; a full stop and restart resumes; a process started meanwhile runs stale on its saved value", async () => {
  const c = await startCluster(3);
  clusters.push(c);
  const prefix = "/t/cluster";
  const cacheDir = tmp();
  await publish(c, prefix, { a: { greeting: "a", level: 1 } });
  const spec = (lang: string) => ({ source: { etcd: c.etcd, prefix, cacheFile: join(cacheDir, `${lang}.json`) }, artifacts: ["configs/a.json"] });
  const ws = LANGS.map((lang) => new Watcher(lang, root, spec(lang)));
  const late: Watcher[] = [];
  try {
    for (const w of ws) await w.waitFor("level 1", (e) => e.event === "change" && e.value?.level === 1);
    // Watchers connect to the first endpoint: kill that member and publish through the others while the
    // watchers are paused (SIGSTOP), so that they resume from a replay of several revisions at once.
    for (const w of ws) w.proc.kill("SIGSTOP");
    await (c.members[0] as Cluster["members"][number]).kill();
    const others = c.endpoints.slice(1);
    for (const level of [2, 3, 4]) await publish(others, prefix, { a: { greeting: "a", level } });
    for (const w of ws) w.proc.kill("SIGCONT");
    for (const w of ws) await w.waitFor("level 4", (e) => e.event === "change" && e.value?.level === 4);
    for (const w of ws) assert.deepEqual(w.levels("configs/a.json"), [1, 2, 3, 4], "every revision, in order");

    // The whole cluster goes away; the watchers keep their value and say so.
    await c.stop();
    for (const w of ws) await w.waitFor("unreachable reported", (e) => e.event === "error" && /unreachable/.test(e.message ?? ""));
    // A process started now runs on the value its predecessor saved, and is told it is stale.
    for (const lang of LANGS) late.push(new Watcher(lang, root, spec(lang)));
    for (const w of late) {
      const e = await w.waitFor("stale value", (x) => x.event === "change" && x.value?.level === 4);
      assert.equal(e.stale, true);
      await w.waitFor("stale reported", (x) => x.event === "error" && /stale/.test(x.message ?? ""));
    }
    await c.start();
    await publish(c, prefix, { a: { greeting: "a", level: 5 } });
    for (const w of [...ws, ...late]) {
      const e = await w.waitFor("level 5", (x) => x.event === "change" && x.value?.level === 5, 20_000);
      assert.equal(e.stale, false);
    }
    for (const w of ws) assert.deepEqual(w.levels("configs/a.json"), [1, 2, 3, 4, 5]);
  } finally {
    for (const w of [...ws, ...late]) w.stop();
  }
});

test("canary: only loaders started with the canary name follow it; promote makes it live for everyone", async () => {
  const c = await startCluster(1);
  clusters.push(c);
  const prefix = "/t/canary";
  await publish(c, prefix, { a: { greeting: "a", level: 1 } });
  const canary = LANGS.map((lang) => new Watcher(lang, root, { source: { etcd: c.etcd, prefix, canary: "host-7", cacheFile: join(tmp(), "c.json") }, artifacts: ["configs/a.json"] }));
  const plain = LANGS.map((lang) => new Watcher(lang, root, { source: { etcd: c.etcd, prefix, cacheFile: join(tmp(), "p.json") }, artifacts: ["configs/a.json"] }));
  try {
    for (const w of [...canary, ...plain]) await w.waitFor("level 1", (e) => e.event === "change" && e.value?.level === 1);
    const out = tmp();
    writeOut(out, { a: { greeting: "a", level: 2 } });
    const r = bale(["config", "publish", "--no-build", "-o", out, "--etcd", c.etcd, "--prefix", prefix, "--canary", "host-7"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /canary:host-7/);
    for (const w of canary) await w.waitFor("canary level 2", (e) => e.event === "change" && e.value?.level === 2);
    const st = JSON.parse(bale(["config", "status", "--etcd", c.etcd, "--prefix", prefix, "--json"]).stdout) as { canaries: { name: string }[]; live: { hash: string } };
    assert.deepEqual(st.canaries.map((x) => x.name), ["host-7"]);
    const p = bale(["config", "promote", "--etcd", c.etcd, "--prefix", prefix, "--canary", "host-7", "--json"]);
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual((JSON.parse(p.stdout) as { changed: string[] }).changed, ["configs/a.json"]);
    for (const w of plain) await w.waitFor("level 2 after promote", (e) => e.event === "change" && e.value?.level === 2);
    const st2 = JSON.parse(bale(["config", "status", "--etcd", c.etcd, "--prefix", prefix, "--json"]).stdout) as { canaries: unknown[] };
    assert.deepEqual(st2.canaries, []);
    for (const w of plain) assert.deepEqual(w.levels("configs/a.json"), [1, 2]);
    // The canary followers fell back to live, which now holds the same value: no extra change.
    for (const w of canary) assert.deepEqual(w.levels("configs/a.json"), [1, 2]);
    const again = bale(["config", "promote", "--etcd", c.etcd, "--prefix", prefix, "--canary", "host-7"]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /no canary "host-7".*\[config-canary-missing\]/);
  } finally {
    for (const w of [...canary, ...plain]) w.stop();
  }
});

test("loaders follow configs in a sharded manifest (300 configs, 8 shards): a change in one shard reaches exactly its followers", async () => {
  const c = await startCluster(1);
  clusters.push(c);
  const prefix = "/t/sharded";
  const values = (a: number, b: number): Record<string, { greeting: string; level: number }> => {
    const v: Record<string, { greeting: string; level: number }> = { a: { greeting: "a", level: a }, b: { greeting: "b", level: b } };
    for (let i = 0; i < 298; i++) v[`c${String(i).padStart(4, "0")}`] = { greeting: `c${i}`, level: 0 };
    return v;
  };
  await publish(c, prefix, values(1, 1));
  const ws = LANGS.map((lang) => new Watcher(lang, root, { source: { etcd: c.etcd, prefix, cacheFile: join(tmp(), "cache.json") }, artifacts: AB }));
  try {
    for (const w of ws) for (const a of AB) await w.waitFor(`${a} level 1`, (e) => e.event === "change" && e.artifact === a && e.value?.level === 1);
    await publish(c, prefix, values(2, 1));
    for (const w of ws) await w.waitFor("a level 2", (e) => e.event === "change" && e.artifact === "configs/a.json" && e.value?.level === 2);
    await publish(c, prefix, values(2, 3));
    for (const w of ws) await w.waitFor("b level 3", (e) => e.event === "change" && e.artifact === "configs/b.json" && e.value?.level === 3);
    for (const w of ws) {
      assert.deepEqual(w.levels("configs/a.json"), [1, 2]);
      assert.deepEqual(w.levels("configs/b.json"), [1, 3]);
    }
  } finally {
    for (const w of ws) w.stop();
  }
});
