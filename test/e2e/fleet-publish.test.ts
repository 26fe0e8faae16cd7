/** bale config publish/status/history/rollback/promote against a real single-node etcd. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bale, tmp } from "../helpers.js";
import { startCluster, type Cluster } from "../etcd.js";
import { writeOut, writeProject, manyValues, readLiveManifest } from "../fleet-fixtures.js";
import { EtcdClient } from "../../src/fleet/etcd.js";
import { promoteCanary, publishConfigs } from "../../src/fleet/index.js";
import { BaleError } from "../../src/errors.js";
import { compactJson, sha256Hex } from "../../src/fleet/store.js";
import { canonicalJson } from "../../src/config-compiler/canonical.js";

let etcd: Cluster;
before(async () => {
  etcd = await startCluster(1);
});
after(async () => {
  await etcd?.stop();
});

function json<T>(r: { status: number | null; stdout: string; stderr: string }): T {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const c = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    return (await c.range(prefix + "/", { prefix: true, keysOnly: true })).kvs.map((k) => k.key);
  } finally {
    c.close();
  }
}

interface Pub {
  published: boolean;
  hash: string;
  previousHash: string | null;
  revision: number;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  blobsWritten: number;
}

test("publish builds, writes only what changed, and status/history/rollback follow it", async () => {
  const root = tmp();
  writeProject(root, { a: '{ greeting: "hi", level: 1 }', b: '{ greeting: "yo", level: 2 }' });
  const prefix = "/t/basic";
  const p1 = json<Pub>(bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.deepEqual(p1.added, ["configs/a.json", "configs/b.json"]);
  assert.equal(p1.previousHash, null);
  assert.equal(p1.blobsWritten, 2);

  // Same input again: nothing written.
  const p2 = json<Pub>(bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.equal(p2.published, false);
  assert.equal(p2.hash, p1.hash);

  // One change, one removal, one addition; only the new blobs are written.
  writeProject(root, { a: '{ greeting: "hi", level: 5 }', c: '{ greeting: "new", level: 3 }' });
  const { rmSync } = await import("node:fs");
  rmSync(join(root, "configs/b.config.ts"));
  const p3 = bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", prefix]);
  assert.equal(p3.status, 0, p3.stderr);
  assert.match(p3.stdout, /1 added, 1 changed, 1 removed, 0 unchanged \(2 blobs written\)/);
  assert.match(p3.stdout, /\+ configs\/c\.json/);
  assert.match(p3.stdout, /~ configs\/a\.json/);
  assert.match(p3.stdout, /- configs\/b\.json/);

  const st = json<{ live: { hash: string; modRevision: number; artifacts: number; parent: string } }>(bale(["config", "status", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.equal(st.live.artifacts, 2);
  assert.equal(st.live.parent, p1.hash);
  const hist = json<{ hash: string }[]>(bale(["config", "history", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.equal(hist.length, 2);
  assert.equal(hist[1]?.hash, p1.hash);

  // Rollback republishes the previous manifest (same artifacts, new swap).
  const rb = json<Pub>(bale(["config", "rollback", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.deepEqual(rb.added, ["configs/b.json"]);
  assert.deepEqual(rb.removed, ["configs/c.json"]);
  assert.equal(rb.blobsWritten, 0);
  const st2 = json<{ live: { artifacts: number } }>(bale(["config", "status", root, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.equal(st2.live.artifacts, 2);
  const text = bale(["config", "history", root, "--etcd", etcd.etcd, "--prefix", prefix]);
  assert.match(text.stdout, /live rollback by /);

  const bad = bale(["config", "rollback", root, "--etcd", etcd.etcd, "--prefix", prefix, "--to", "deadbeefdeadbeef"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no manifest deadbeefdeadbeef in the history .*\[config-rollback-target\]/);
});

test("an artifact that fails validation is refused before anything is written", () => {
  const root = tmp();
  writeProject(root, { ok: '{ greeting: "hi", level: 1 }', bad: '{ greeting: "hi", level: 1000 }' });
  const r = bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", "/t/invalid"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /configs\/bad\.config\.ts.*level.*\[config-schema-violation\]/s);
  return keysUnder("/t/invalid").then((k) => assert.deepEqual(k, []));
});

test("--no-build refuses an out/ edited after the build, and writes nothing", async () => {
  const out = tmp();
  writeOut(out, { a: { greeting: "x", level: 1 } });
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(out, "configs/a.json"), '{"greeting":"x","level":999}\n');
  const r = bale(["config", "publish", "--no-build", "-o", out, "--etcd", etcd.etcd, "--prefix", "/t/edited"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /configs\/a\.json was changed after the build.*\[config-publish-modified\]/);
  assert.deepEqual(await keysUnder("/t/edited"), []);
});

test("two publishers racing from the same base: exactly one wins, the other gets config-publish-conflict with both hashes", async () => {
  const prefix = "/t/race";
  const base = tmp();
  writeOut(base, { a: { greeting: "base", level: 0 } });
  await publishConfigs({ etcd: etcd.endpoints, prefix, out: base, build: false });
  const outs = [0, 1, 2].map((i) => {
    const o = tmp();
    writeOut(o, { a: { greeting: `racer ${i}`, level: i } });
    return o;
  });
  // Hold every publisher just before its swap until all have read the same base, then let them go.
  let arrived = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const results = await Promise.allSettled(
    outs.map((out) =>
      publishConfigs({
        etcd: etcd.endpoints,
        prefix,
        out,
        build: false,
        onProgress: async (p) => {
          if (p.phase !== "swap") return;
          if (++arrived === outs.length) release();
          await gate;
        },
      }),
    ),
  );
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  assert.equal(won.length, 1);
  assert.equal(lost.length, 2);
  const winner = (won[0] as PromiseFulfilledResult<{ hash: string; previousHash: string | null }>).value;
  for (const l of lost) {
    assert.ok(l.reason instanceof BaleError, String(l.reason));
    assert.equal(l.reason.code, "config-publish-conflict");
    assert.ok(l.reason.message.includes(winner.previousHash as string) && l.reason.message.includes(winner.hash), l.reason.message);
  }
  // The CLI reports it as a one-line error with exit 1: publish from a stale base by racing a second process is
  // not deterministic, so check the CLI on a plain publish after the race instead (it sees the winner as base and wins).
  const r = bale(["config", "publish", "--no-build", "-o", outs[0] as string, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]);
  assert.equal(r.status, 0, r.stderr);
});

test("1000 configs in blob batches under etcd's limits and one swap; a one-config change writes one blob", async () => {
  const prefix = "/t/big";
  const out = tmp();
  writeOut(out, manyValues(1000, 1));
  const r = json<Pub>(bale(["config", "publish", "--no-build", "-o", out, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.equal(r.added.length, 1000);
  assert.equal(r.blobsWritten, 1000);
  const out2 = tmp();
  const v = manyValues(1000, 1);
  v["c0007"] = { greeting: "changed", level: 9 };
  writeOut(out2, v);
  const r2 = json<Pub>(bale(["config", "publish", "--no-build", "-o", out2, "--etcd", etcd.etcd, "--prefix", prefix, "--json"]));
  assert.deepEqual(r2.changed, ["configs/c0007.json"]);
  assert.equal(r2.blobsWritten, 1);
  assert.equal(r2.unchanged, 999);
});

test("bad endpoints and prefixes are usage-level user errors", () => {
  const r = bale(["config", "publish", "--etcd", "ftp://x", "--prefix", "/ok"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /only http:\/\/ endpoints.*\[config-etcd-endpoint\]/);
  const r2 = bale(["config", "status", "--etcd", etcd.etcd, "--prefix", "no-slash"]);
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /\[config-fleet-prefix\]/);
  const r3 = bale(["config", "status", "--etcd", "http://127.0.0.1:1", "--prefix", "/x"]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /cannot reach etcd.*\[config-fleet-unreachable\]/);
});

test("publish refuses a missing out/, a bad canary name and an artifact over etcd's request limit, writing nothing", async () => {
  const empty = tmp();
  const r = bale(["config", "publish", "--no-build", "-o", empty, "--etcd", etcd.etcd, "--prefix", "/t/refused"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bale-manifest\.json: cannot read the build manifest.*\[config-publish-no-output\]/);
  const out = tmp();
  writeOut(out, { small: { greeting: "x", level: 1 }, huge: { greeting: "x".repeat(1_200_000), level: 1 } });
  const r2 = bale(["config", "publish", "--no-build", "-o", out, "--etcd", etcd.etcd, "--prefix", "/t/refused"]);
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /etcd accepts requests of at most 1\.5 MiB.*\[config-publish-too-large\]/);
  const r3 = bale(["config", "publish", "--no-build", "-o", out, "--etcd", etcd.etcd, "--prefix", "/t/refused", "--canary", "no spaces"]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /"no spaces" is not a usable canary name.*\[config-fleet-canary\]/);
  assert.deepEqual(await keysUnder("/t/refused"), []);
});

test("a store written by an older bale (layout 1: the whole manifest at m/live, copied into history) is read, published over and rolled back to", async () => {
  const prefix = "/t/layout1";
  const old = canonicalJson({ greeting: "old", level: 1 });
  const oldSha = sha256Hex(old);
  const v1 = compactJson({ version: 1, artifacts: { "configs/a.json": { sha256: oldSha, schema: "Flags", kind: "config", size: old.length } }, parent: null, published: { at: "2026-01-01T00:00:00.000Z", by: "old@host", action: "publish" } });
  const h1 = sha256Hex(v1);
  const client = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    await client.txn(
      [],
      [
        { put: { key: `${prefix}/blobs/${oldSha}`, value: old } },
        { put: { key: `${prefix}/m/live`, value: v1 } },
        { put: { key: `${prefix}/history/001767225600000-${h1.slice(0, 16)}`, value: compactJson({ target: "live", hash: h1, manifest: JSON.parse(v1), added: ["configs/a.json"], changed: [], removed: [] }) } },
      ],
    );
    const args = ["--etcd", etcd.etcd, "--prefix", prefix, "--json"];
    const st = json<{ live: { hash: string; layout: number; artifacts: number } }>(bale(["config", "status", ...args]));
    assert.deepEqual([st.live.hash, st.live.layout, st.live.artifacts], [h1, 1, 1]);

    const out = tmp();
    writeOut(out, { a: { greeting: "new", level: 2 } });
    const p = json<Pub>(bale(["config", "publish", "--no-build", "-o", out, ...args]));
    assert.equal(p.previousHash, h1);
    assert.deepEqual(p.changed, ["configs/a.json"]);
    const st2 = json<{ live: { hash: string; layout: number; parent: string } }>(bale(["config", "status", ...args]));
    assert.deepEqual([st2.live.hash, st2.live.layout, st2.live.parent], [p.hash, 2, h1]);
    const hist = json<{ hash: string; published: { by: string } }[]>(bale(["config", "history", ...args]));
    assert.deepEqual(
      hist.map((h) => h.hash),
      [p.hash, h1],
    );
    assert.equal(hist[1]?.published.by, "old@host");

    // Rollback to the layout-1 manifest: its artifacts (from the old history record) go live as a layout-2 manifest.
    const rb = json<Pub>(bale(["config", "rollback", ...args]));
    assert.deepEqual(rb.changed, ["configs/a.json"]);
    const pointer = JSON.parse(((await client.get(`${prefix}/m/live`)).kv?.value ?? "").toString()) as { version: number; manifest: string; parent: string };
    assert.deepEqual([pointer.version, pointer.manifest, pointer.parent], [2, rb.hash, p.hash]);
    const m = await readLiveManifest(client, prefix);
    assert.equal(m.hash, rb.hash);
    assert.equal(m.artifacts["configs/a.json"]?.sha256, oldSha);
  } finally {
    client.close();
  }
});

test("a one-config change is one guarded transaction: the blob, one manifest shard, the root, a ~250-byte pointer and a small history record", async () => {
  const prefix = "/t/pointer";
  const out = tmp();
  writeOut(out, manyValues(1000, 1));
  await publishConfigs({ etcd: etcd.endpoints, prefix, out, build: false });
  const before = await keysUnder(prefix);
  const v = manyValues(1000, 1);
  v.c0042 = { greeting: "changed", level: 7 };
  const out2 = tmp();
  writeOut(out2, v);
  const r = await publishConfigs({ etcd: etcd.endpoints, prefix, out: out2, build: false });
  assert.deepEqual(r.changed, ["configs/c0042.json"]);
  const client = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    // Everything the publish wrote carries the swap's revision: one transaction.
    const kvs = (await client.range(`${prefix}/`, { prefix: true })).kvs.filter((kv) => !before.includes(kv.key) || kv.key === `${prefix}/m/live`);
    assert.deepEqual(
      kvs.map((kv) => kv.key.slice(prefix.length + 1).replace(/[0-9a-f]{64}$/, "H").replace(/^history\/.*/, "history/R")).sort(),
      ["blobs/H", "history/R", "m/live", "manifests/H", "manifests/H"],
    );
    assert.ok(kvs.every((kv) => kv.modRevision === r.revision));
    const size = (k: string) => kvs.filter((kv) => kv.key.startsWith(`${prefix}/${k}`)).reduce((n, kv) => n + kv.value.length, 0);
    assert.ok(size("m/live") < 400, `pointer ${size("m/live")} bytes`);
    assert.ok(size("history/") < 1000, `history record ${size("history/")} bytes`);
    // A shard (~64 of the 1000 entries) and the root (16 hashes): not the ~140 KB of the whole manifest.
    assert.ok(size("manifests/") < 16_000, `manifest values written: ${size("manifests/")} bytes`);
    assert.equal(Object.keys((await readLiveManifest(client, prefix)).artifacts).length, 1000);
  } finally {
    client.close();
  }
});

/** Every key under a prefix with its mod_revision, and the store revision: equal before and after means nothing was written. */
async function snapshot(prefix: string): Promise<{ revision: number; kvs: string[] }> {
  const c = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    const r = await c.range(`${prefix}/`, { prefix: true });
    return { revision: r.revision, kvs: r.kvs.map((kv) => `${kv.key}@${kv.modRevision}`) };
  } finally {
    c.close();
  }
}

test("promote is guarded on the canary: a canary republished between the read and the swap is not promoted unseen", async () => {
  const prefix = "/t/promote-race";
  const args = ["--etcd", etcd.etcd, "--prefix", prefix];
  const outOf = (level: number): string => {
    const o = tmp();
    writeOut(o, { a: { greeting: "a", level } });
    return o;
  };
  const live = await publishConfigs({ etcd: etcd.endpoints, prefix, out: outOf(1), build: false });
  const tested = await publishConfigs({ etcd: etcd.endpoints, prefix, out: outOf(2), build: false, canary: "host-7" });
  let republished: string | undefined;
  // The promote has read the canary (level 2); before its swap is sent, another publisher puts level 3 on the canary.
  const err = await promoteCanary({
    etcd: etcd.endpoints,
    prefix,
    canary: "host-7",
    onProgress: async () => {
      republished = (await publishConfigs({ etcd: etcd.endpoints, prefix, out: outOf(3), build: false, canary: "host-7" })).hash;
    },
  }).then(
    () => assert.fail("the promote of a canary republished under it succeeded"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BaleError, String(err));
  assert.equal(err.code, "config-promote-conflict");
  assert.ok(err.message.includes(tested.hash) && err.message.includes(republished as string), err.message);
  // Nothing of the promote landed: live is still level 1, the canary holds level 3.
  const st = json<{ live: { hash: string }; canaries: { name: string; hash: string }[] }>(bale(["config", "status", ...args, "--json"]));
  assert.equal(st.live.hash, live.hash);
  assert.deepEqual(st.canaries.map((c) => [c.name, c.hash]), [["host-7", republished]]);
  // Promoting what is there now, named by --expect, goes through.
  const p = json<Pub>(bale(["config", "promote", ...args, "--canary", "host-7", "--expect", (republished as string).slice(0, 12), "--json"]));
  assert.equal(p.hash, republished);
  assert.equal(p.previousHash, live.hash);
});

test("promote --expect refuses a canary holding another manifest, writing nothing", async () => {
  const prefix = "/t/promote-expect";
  const args = ["--etcd", etcd.etcd, "--prefix", prefix];
  const o1 = tmp();
  writeOut(o1, { a: { greeting: "a", level: 1 } });
  await publishConfigs({ etcd: etcd.endpoints, prefix, out: o1, build: false });
  const o2 = tmp();
  writeOut(o2, { a: { greeting: "a", level: 2 } });
  const tested = await publishConfigs({ etcd: etcd.endpoints, prefix, out: o2, build: false, canary: "host-7" });
  const o3 = tmp();
  writeOut(o3, { a: { greeting: "a", level: 3 } });
  const now = await publishConfigs({ etcd: etcd.endpoints, prefix, out: o3, build: false, canary: "host-7" });
  const before = await snapshot(prefix);
  const r = bale(["config", "promote", ...args, "--canary", "host-7", "--expect", tested.hash]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`holds ${now.hash}, not the expected ${tested.hash}.*\\[config-promote-conflict\\]`));
  assert.equal(r.stderr.trim().split("\n")[0]?.includes("config-promote-conflict"), true, r.stderr);
  assert.deepEqual(await snapshot(prefix), before);
  const bad = bale(["config", "promote", ...args, "--canary", "host-7", "--expect", "not-a-hash"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not "not-a-hash", which is not a manifest hash.*\[config-promote-conflict\]/);
  assert.deepEqual(await snapshot(prefix), before);
});

test("publish after a build takes what it evaluated from memory, and reads (and checks) from out/ only the outputs the store lacks", async () => {
  const root = tmp();
  writeProject(root, { a: '{ greeting: "a", level: 1 }', b: '{ greeting: "b", level: 2 }' });
  assert.equal(bale(["config", "build", root]).status, 0);
  const bBytes = readFileSync(join(root, "out/configs/b.json"));
  writeFileSync(join(root, "configs/a.config.ts"), 'import { Flags } from "bale:schemas";\nexport default Flags({ greeting: "a", level: 3 });\n');
  // b is kept from the last build, and the store (a new prefix) lacks it: read from out/ and checked.
  const p = json<Pub>(bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", "/t/frombuild", "--json"]));
  assert.deepEqual(p.added, ["configs/a.json", "configs/b.json"]);
  assert.equal(p.blobsWritten, 2);
  const c = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    const m = await readLiveManifest(c, "/t/frombuild");
    for (const f of ["a", "b"]) {
      const kv = (await c.get(`/t/frombuild/blobs/${m.artifacts[`configs/${f}.json`]?.sha256}`)).kv;
      assert.deepEqual(kv?.value, readFileSync(join(root, `out/configs/${f}.json`)));
    }
  } finally {
    c.close();
  }
  assert.deepEqual(readFileSync(join(root, "out/configs/b.json")), bBytes);
  // A kept output edited by hand since its build, which the store lacks: refused, nothing written.
  writeFileSync(join(root, "out/configs/b.json"), bBytes.toString().replace('"b"', '"B"'));
  writeFileSync(join(root, "configs/a.config.ts"), 'import { Flags } from "bale:schemas";\nexport default Flags({ greeting: "a", level: 4 });\n');
  const r = bale(["config", "publish", root, "--etcd", etcd.etcd, "--prefix", "/t/frombuild-2"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /configs\/b\.json was changed after the build.*\[config-publish-modified\]/);
  assert.deepEqual(await keysUnder("/t/frombuild-2"), []);
});
