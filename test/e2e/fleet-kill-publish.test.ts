/** Killing etcd during a publish: the store holds the old or the new manifest, never a mix, and bale says whether it landed. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { CLI, env, tmp } from "../helpers.js";
import { startCluster, type Cluster } from "../etcd.js";
import { writeOut, manyValues, readLiveManifest } from "../fleet-fixtures.js";
import { EtcdClient } from "../../src/fleet/etcd.js";
import { publishConfigs } from "../../src/fleet/index.js";

const clusters: Cluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop();
});

/** Runs the CLI publish; calls `kill` when a stderr line matches `at`. */
function publishAndKill(args: string[], at: RegExp, kill: () => Promise<void>): Promise<{ status: number | null; stderr: string; stdout: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    let stderr = "";
    let stdout = "";
    let killed = false;
    p.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    p.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
      if (!killed && at.test(stderr)) {
        killed = true;
        void kill();
      }
    });
    p.on("error", reject);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, stdout, killed });
    });
  });
}

/** The live manifest's hash (named by the m/live pointer), after checking that every blob it names is present and intact. */
async function liveConsistent(c: Cluster, prefix: string): Promise<string> {
  const client = new EtcdClient({ endpoints: c.endpoints });
  try {
    const m = await readLiveManifest(client, prefix);
    const blobs = new Map((await client.range(`${prefix}/blobs/`, { prefix: true })).kvs.map((k) => [k.key.slice(prefix.length + 7), k.value]));
    for (const [p, a] of Object.entries(m.artifacts)) {
      const b = blobs.get(a.sha256);
      assert.ok(b, `blob of ${p} present`);
      assert.equal(createHash("sha256").update(b).digest("hex"), a.sha256);
    }
    return m.hash;
  } finally {
    client.close();
  }
}

for (const phase of ["blobs", "swap"] as const) {
  test(`etcd killed during the ${phase} phase of a 1000-config publish`, async () => {
    const c = await startCluster(1);
    clusters.push(c);
    const prefix = `/t/kill-${phase}`;
    const base = tmp();
    writeOut(base, manyValues(50, 1));
    const old = await publishConfigs({ etcd: c.endpoints, prefix, out: base, build: false });
    const next = tmp();
    writeOut(next, manyValues(1000, 2));
    const r = await publishAndKill(["config", "publish", "--no-build", "-o", next, "--etcd", c.etcd, "--prefix", prefix], phase === "blobs" ? /wrote \d+\/1000 blobs/ : /swapping the manifest/, () => (c.members[0] as Cluster["members"][number]).kill());
    assert.ok(r.killed, r.stderr);
    await c.start();
    const now = await liveConsistent(c, prefix);
    if (phase === "blobs") {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /the publish did not land.*\[config-publish-interrupted\]/);
      assert.equal(now, old.hash);
      return;
    }
    // The kill races the swap transaction: every outcome must be one of these, and said so.
    if (r.status === 0) {
      assert.notEqual(now, old.hash, "exit 0 means the new manifest is live: " + r.stdout + r.stderr);
    } else {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /(did not land|landed|unknown whether the publish landed|cannot reach etcd).*\[config-(publish-interrupted|fleet-unreachable)\]/);
      if (/did not land/.test(r.stderr)) assert.equal(now, old.hash);
      else if (/failed after the swap: the publish landed/.test(r.stderr)) assert.notEqual(now, old.hash);
      else assert.match(r.stderr, /unknown whether the publish landed.*run `bale config status`/);
    }
  });
}
