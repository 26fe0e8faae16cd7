/** The fleet store's encodings (layout 2 and the layout-1 values older bale versions wrote) and the CLI's publish fast path. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compactJson, encodeManifest, parsePointer, pointerHash, sha256Hex, shardCount, type FleetArtifact } from "../../src/fleet/store.js";
import type { KeyValue } from "../../src/fleet/etcd.js";
import { BaleError } from "../../src/errors.js";
import { fastPublishArgs } from "../../src/cli/fast.js";

const kv = (value: string): KeyValue => ({ key: "/p/m/live", value: Buffer.from(value), modRevision: 5, createRevision: 1, version: 1 });
const art = (n: number): FleetArtifact => ({ sha256: sha256Hex(String(n)), schema: "Flags", kind: "config", size: n });

test("encodeManifest writes exactly compactJson's bytes (sorted paths, sorted fields), so the hash is of canonical bytes", () => {
  const artifacts: Record<string, FleetArtifact> = { "configs/z.json": art(1), "configs/a b.json": art(2), "configs/\u00e9\"q.json": art(3), "configs/A.json": art(4) };
  const e = encodeManifest(artifacts);
  assert.equal(e.shards.length, 1);
  assert.equal(e.shards[0]?.text, compactJson({ version: 2, artifacts }));
  assert.equal(e.text, compactJson({ version: 2, shards: [e.shards[0]?.hash] }));
  assert.equal(e.hash, sha256Hex(e.text));
  assert.equal(encodeManifest(Object.fromEntries(Object.entries(artifacts).reverse())).hash, e.hash);
});

test("a big manifest is sharded by path: every artifact in exactly one shard, and a one-config change rewrites one shard", () => {
  const artifacts: Record<string, FleetArtifact> = {};
  for (let i = 0; i < 1000; i++) artifacts[`configs/c${i}.json`] = art(i);
  assert.equal(shardCount(1000), 16);
  assert.deepEqual([shardCount(0), shardCount(64), shardCount(65), shardCount(1e7)], [1, 1, 2, 256]);
  const e = encodeManifest(artifacts);
  assert.equal(e.shards.length, 16);
  const seen = e.shards.flatMap((x) => Object.keys((JSON.parse(x.text) as { artifacts: object }).artifacts));
  assert.deepEqual(seen.sort(), Object.keys(artifacts).sort());
  for (const x of e.shards) assert.ok(Object.keys((JSON.parse(x.text) as { artifacts: object }).artifacts).length < 100);
  const e2 = encodeManifest({ ...artifacts, "configs/c7.json": art(5000) });
  const before = new Set(e.shards.map((x) => x.hash));
  assert.equal(e2.shards.filter((x) => !before.has(x.hash)).length, 1);
  assert.notEqual(e2.hash, e.hash);
});

test("parsePointer reads layout 2 pointers and layout 1 manifests, and names the key of anything else", () => {
  const h = "a".repeat(64);
  const published = { at: "2026-01-01T00:00:00.000Z", by: "u@h", action: "publish" };
  const p2 = parsePointer(kv(compactJson({ version: 2, manifest: h, parent: null, published })));
  assert.equal(p2.layout, 2);
  assert.equal(p2.layout === 2 && p2.pointer.manifest, h);
  const v1 = compactJson({ version: 1, artifacts: { "configs/a.json": art(1) }, parent: h, published });
  const p1 = parsePointer(kv(v1));
  assert.equal(p1.layout, 1);
  assert.equal(p1.layout === 1 && p1.hash, sha256Hex(v1));
  assert.equal(p1.layout === 1 && p1.parent, h);
  assert.equal(pointerHash(kv(v1)), sha256Hex(v1));
  for (const bad of ["{not json", "null", compactJson({ version: 2, manifest: "short", parent: null, published }), compactJson({ version: 3 })]) {
    assert.throws(
      () => parsePointer(kv(bad)),
      (e: unknown) => e instanceof BaleError && e.code === "config-fleet-corrupt" && e.message.includes("/p/m/live"),
    );
    assert.equal(pointerHash(kv(bad)), sha256Hex(bad));
  }
});

test("the CLI's publish fast path takes only the plain spellings and leaves everything else to yargs", () => {
  assert.deepEqual(fastPublishArgs(["config", "publish", "proj", "--etcd", "http://a:1,http://b:2", "--prefix", "/p", "-o", "out", "--no-build", "--json", "--canary", "c1"]), {
    root: "proj",
    etcd: "http://a:1,http://b:2",
    prefix: "/p",
    output: "out",
    build: false,
    json: true,
    canary: "c1",
  });
  assert.deepEqual(fastPublishArgs(["config", "publish", "--etcd", "http://a:1"]), { root: ".", etcd: "http://a:1", build: true, json: false });
  for (const argv of [
    ["config", "publish", "--help"],
    ["config", "publish", "--etcd=http://a:1"],
    ["config", "publish", "--prefix", "/p"],
    ["config", "publish", "--etcd", "http://a:1", "--etcd", "http://b:1"],
    ["config", "publish", "--etcd", "http://a:1", "--unknown"],
    ["config", "publish", "--etcd", "--json"],
    ["config", "publish", "a", "b", "--etcd", "http://a:1"],
    ["config", "status", "--etcd", "http://a:1"],
    ["config", "publish", "--etcd", "http://a:1", "--json", "--json"],
    ["config", "publish", "--etcd", "http://a:1", "--toString", "x"],
  ]) {
    assert.equal(fastPublishArgs(argv), undefined, argv.join(" "));
  }
});
