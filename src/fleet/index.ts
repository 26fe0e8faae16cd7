/**
 * `bale config publish|status|history|rollback|promote`: compiled config in etcd (see store.ts for the layout).
 * Library functions return data and throw BaleErrors; the CLI prints.
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { compileConfigs } from "../config-compiler/build.js";
import type { Manifest } from "../config-compiler/types.js";
import { BaleError } from "../errors.js";
import { EtcdClient, EtcdRequestError, EtcdUnreachable, parseEndpoints, type KeyValue } from "./etcd.js";
import {
  checkCanaryName,
  checkPrefix,
  defaultBy,
  diffManifests,
  keys,
  parseManifest,
  sha256Hex,
  swapManifest,
  unreachable,
  writeBlobs,
  type FleetArtifact,
  type FleetManifest,
  type HistoryRecord,
} from "./store.js";

export type { FleetArtifact, FleetManifest, HistoryRecord } from "./store.js";

export interface FleetOptions {
  /** etcd client URLs: "http://h1:2379,http://h2:2379" or an array. */
  etcd: string | readonly string[];
  /** Key prefix (default `/bale/<basename of root>`). */
  prefix?: string;
  /** Project root, used for the default prefix (default "."). */
  root?: string;
  /** Per-request time limit for etcd (ms, default 5000). */
  timeoutMs?: number;
}

export interface PublishOptions extends FleetOptions {
  /** Compiled output dir (default `<root>/out`). */
  out?: string;
  /** Compile first (default true); false publishes `out` as it is (after checking every file's sha256). */
  build?: boolean;
  /** Publish to this canary only: loaders started with this canary name follow it; `promote` makes it live. */
  canary?: string;
  /** Recorded in history as who published (default user@host). */
  by?: string;
  /** Progress: blobs written so far, then "swap" (awaited before the swap transaction is sent). */
  onProgress?: (p: { phase: "blobs"; written: number; total: number } | { phase: "swap" }) => void | Promise<void>;
}

export interface PublishResult {
  prefix: string;
  /** "live" or "canary:<name>". */
  target: string;
  /** etcd revision of the swap (the store's revision when nothing changed). */
  revision: number;
  hash: string;
  previousHash: string | null;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  /** Artifact blobs written (blobs already in the store are not rewritten). */
  blobsWritten: number;
  /** False when the store already held exactly this manifest (nothing written). */
  published: boolean;
  timings: { buildMs: number; blobsMs: number; swapMs: number; totalMs: number };
}

function setup(o: FleetOptions): { client: EtcdClient; prefix: string; endpoints: string[] } {
  const endpoints = parseEndpoints(o.etcd);
  const prefix = checkPrefix(o.prefix ?? `/bale/${basename(resolve(o.root ?? ".")).replace(/[^A-Za-z0-9._-]/g, "_")}`);
  return { client: new EtcdClient({ endpoints, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) }), prefix, endpoints };
}

async function withClient<T>(o: FleetOptions, f: (client: EtcdClient, prefix: string) => Promise<T>): Promise<T> {
  const { client, prefix, endpoints } = setup(o);
  try {
    return await f(client, prefix);
  } catch (e) {
    if (e instanceof EtcdUnreachable) throw unreachable(e, endpoints);
    throw e;
  } finally {
    client.close();
  }
}

/** Reads `out/` (manifest + artifacts), checking every file against the sha256 the build recorded. */
function readOut(out: string): { artifacts: Record<string, FleetArtifact>; blobs: Map<string, Buffer> } {
  const mpath = join(out, "bale-manifest.json");
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(mpath, "utf8")) as Manifest;
  } catch (e) {
    throw new BaleError("config-publish-no-output", `cannot read the build manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: mpath, fix: "run `bale config build` first, or publish without --no-build" });
  }
  const artifacts: Record<string, FleetArtifact> = {};
  const blobs = new Map<string, Buffer>();
  for (const a of m.artifacts) {
    const file = join(out, a.output);
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      throw new BaleError("config-publish-no-output", `the artifact ${a.output} named by bale-manifest.json is missing`, { file, fix: "rebuild with `bale config build`" });
    }
    if (sha256Hex(data) !== a.sha256) {
      throw new BaleError("config-publish-modified", `${a.output} was changed after the build (its sha256 differs from bale-manifest.json); nothing was published`, { file, fix: "rebuild with `bale config build` (or publish without --no-build)" });
    }
    artifacts[a.output] = { sha256: a.sha256, schema: a.schema, kind: a.kind, size: data.length };
    blobs.set(a.sha256, data);
  }
  return { artifacts, blobs };
}

async function readManifestAt(client: EtcdClient, key: string): Promise<{ kv: KeyValue | undefined; manifest: FleetManifest | undefined; hash: string | null }> {
  const { kv } = await client.get(key);
  if (!kv) return { kv, manifest: undefined, hash: null };
  return { kv, manifest: parseManifest(kv), hash: sha256Hex(kv.value) };
}

/** Like readManifestAt, but a damaged manifest (e.g. hand-edited) counts as empty, so a publish can repair it (still guarded on its revision). */
async function readManifestForReplace(client: EtcdClient, key: string): Promise<{ kv: KeyValue | undefined; manifest: FleetManifest | undefined; hash: string | null }> {
  try {
    return await readManifestAt(client, key);
  } catch (e) {
    if (!(e instanceof BaleError && e.code === "config-fleet-corrupt")) throw e;
    const { kv } = await client.get(key);
    return { kv, manifest: undefined, hash: kv ? sha256Hex(kv.value) : null };
  }
}

/** Builds (unless build: false) and publishes every artifact, all-or-nothing, guarded against concurrent publishers. */
export async function publishConfigs(o: PublishOptions): Promise<PublishResult> {
  const t0 = performance.now();
  const root = resolve(o.root ?? ".");
  const out = resolve(o.out ?? join(root, "out"));
  const canary = o.canary === undefined ? undefined : checkCanaryName(o.canary);
  setup(o).client.close(); // check endpoints and prefix before building
  if (o.build !== false) await compileConfigs({ root, out });
  const t1 = performance.now();
  const { artifacts, blobs } = readOut(out);
  return withClient({ ...o, root }, async (client, prefix) => {
    const key = canary === undefined ? keys.live(prefix) : keys.canary(prefix, canary);
    const cur = await readManifestForReplace(client, key);
    const base = canary === undefined ? cur.manifest : (cur.manifest ?? (await readManifestAt(client, keys.live(prefix))).manifest);
    const diff = diffManifests(base, artifacts);
    const same = cur.manifest !== undefined && diffManifests(cur.manifest, artifacts);
    if (same && same.added.length + same.changed.length + same.removed.length === 0 && cur.kv) {
      const t = performance.now();
      return { prefix, target: canary === undefined ? "live" : `canary:${canary}`, revision: cur.kv.modRevision, hash: cur.hash as string, previousHash: cur.hash, ...diff, blobsWritten: 0, published: false, timings: { buildMs: t1 - t0, blobsMs: 0, swapMs: 0, totalMs: t - t0 } };
    }
    let blobsWritten: number;
    try {
      const have = new Set([cur.manifest, base].flatMap((m) => Object.values(m?.artifacts ?? {}).map((a) => a.sha256)));
      blobsWritten = await writeBlobs(client, prefix, blobs, have, (written, total) => void o.onProgress?.({ phase: "blobs", written, total }));
    } catch (e) {
      if (!(e instanceof EtcdUnreachable || e instanceof EtcdRequestError)) throw e;
      throw new BaleError("config-publish-interrupted", `writing artifacts to etcd failed (${e.message}); the publish did not land: ${key} was not touched`, { fix: "run the publish again once etcd answers (blobs already written are reused)", cause: e });
    }
    const t2 = performance.now();
    await o.onProgress?.({ phase: "swap" });
    const manifest: FleetManifest = {
      version: 1,
      artifacts,
      parent: cur.hash,
      published: { at: new Date().toISOString(), by: o.by ?? defaultBy(), action: "publish", ...(canary !== undefined ? { canary } : {}) },
    };
    const s = await swapManifest(client, prefix, { key, target: canary === undefined ? "live" : `canary:${canary}`, expectModRevision: cur.kv?.modRevision ?? 0, previousHash: cur.hash, manifest, diff });
    const t3 = performance.now();
    return { prefix, target: canary === undefined ? "live" : `canary:${canary}`, revision: s.revision, hash: s.hash, previousHash: s.previousHash, ...diff, blobsWritten, published: true, timings: { buildMs: t1 - t0, blobsMs: t2 - t1, swapMs: t3 - t2, totalMs: t3 - t0 } };
  });
}

export interface FleetStatus {
  prefix: string;
  /** The store's current revision. */
  revision: number;
  live: ManifestStatus | null;
  canaries: (ManifestStatus & { name: string })[];
}

export interface ManifestStatus {
  hash: string;
  /** The etcd revision at which this manifest was written. */
  modRevision: number;
  artifacts: number;
  published: FleetManifest["published"];
  parent: string | null;
}

function manifestStatus(kv: KeyValue, m: FleetManifest): ManifestStatus {
  return { hash: sha256Hex(kv.value), modRevision: kv.modRevision, artifacts: Object.keys(m.artifacts).length, published: m.published, parent: m.parent };
}

/** What is live (and which canaries exist). */
export async function fleetStatus(o: FleetOptions): Promise<FleetStatus> {
  return withClient(o, async (client, prefix) => {
    const r = await client.range(keys.manifests(prefix), { prefix: true });
    let live: ManifestStatus | null = null;
    const canaries: (ManifestStatus & { name: string })[] = [];
    for (const kv of r.kvs) {
      const m = parseManifest(kv);
      if (kv.key === keys.live(prefix)) live = manifestStatus(kv, m);
      else if (kv.key.startsWith(keys.canaries(prefix))) canaries.push({ name: kv.key.slice(keys.canaries(prefix).length), ...manifestStatus(kv, m) });
    }
    return { prefix, revision: r.revision, live, canaries };
  });
}

/** The last `limit` manifest swaps, newest first. */
export async function fleetHistory(o: FleetOptions & { limit?: number }): Promise<HistoryRecord[]> {
  return withClient(o, async (client, prefix) => readHistory(client, prefix, o.limit ?? 20));
}

async function readHistory(client: EtcdClient, prefix: string, limit: number): Promise<HistoryRecord[]> {
  const r = await client.range(keys.history(prefix), { prefix: true, descending: true, ...(limit > 0 ? { limit } : {}) });
  return r.kvs.map((kv) => {
    const rec = JSON.parse(kv.value.toString("utf8")) as Omit<HistoryRecord, "key" | "revision">;
    return { key: kv.key, revision: kv.modRevision, ...rec };
  });
}

export interface RollbackOptions extends FleetOptions {
  /** The manifest hash (or a unique prefix of >= 8 hex digits) to make live again; default the one the live manifest replaced. */
  to?: string;
  by?: string;
}

/** Republishes an earlier manifest through the same guarded swap. */
export async function rollbackConfigs(o: RollbackOptions): Promise<PublishResult> {
  const t0 = performance.now();
  return withClient(o, async (client, prefix) => {
    const cur = await readManifestForReplace(client, keys.live(prefix));
    const want = o.to ?? cur.manifest?.parent ?? undefined;
    if (want === undefined || want === null) throw new BaleError("config-rollback-target", "there is no earlier manifest to roll back to", { fix: "publish first; `bale config history` lists what can be rolled back to" });
    if (!/^[0-9a-f]{8,64}$/.test(want)) throw new BaleError("config-rollback-target", `${JSON.stringify(want)} is not a manifest hash`, { fix: "pass --to with a hash (at least 8 hex digits) from `bale config history`" });
    const hits = (await readHistory(client, prefix, 0)).filter((h) => h.hash.startsWith(want));
    const hashes = new Set(hits.map((h) => h.hash));
    if (hashes.size !== 1) {
      throw new BaleError("config-rollback-target", hashes.size === 0 ? `no manifest ${want} in the history of ${prefix}` : `${want} matches ${hashes.size} manifests`, { fix: "pass --to with a (longer) hash from `bale config history`" });
    }
    const target = (hits[0] as HistoryRecord).manifest;
    return swapTo(client, prefix, cur, target.artifacts, "rollback", o.by, t0);
  });
}

export interface PromoteOptions extends FleetOptions {
  canary: string;
  by?: string;
}

/** Makes a canary's manifest live for everyone (and removes the canary key in the same transaction). */
export async function promoteCanary(o: PromoteOptions): Promise<PublishResult> {
  const t0 = performance.now();
  const name = checkCanaryName(o.canary);
  return withClient(o, async (client, prefix) => {
    const c = await readManifestAt(client, keys.canary(prefix, name));
    if (!c.manifest || !c.kv) throw new BaleError("config-canary-missing", `there is no canary ${JSON.stringify(name)} under ${prefix}`, { fix: "publish it first with `bale config publish --canary NAME`; `bale config status` lists canaries" });
    const cur = await readManifestForReplace(client, keys.live(prefix));
    return swapTo(client, prefix, cur, c.manifest.artifacts, "promote", o.by, t0, { name, modRevision: c.kv.modRevision });
  });
}

async function swapTo(
  client: EtcdClient,
  prefix: string,
  cur: { kv: KeyValue | undefined; manifest: FleetManifest | undefined; hash: string | null },
  artifacts: Record<string, FleetArtifact>,
  action: "rollback" | "promote",
  by: string | undefined,
  t0: number,
  canary?: { name: string; modRevision: number },
): Promise<PublishResult> {
  // Every blob must still be there before readers are pointed at them.
  const have = new Set((await client.range(keys.blobs(prefix), { prefix: true, keysOnly: true })).kvs.map((k) => k.key.slice(keys.blobs(prefix).length)));
  for (const [p, a] of Object.entries(artifacts)) {
    if (!have.has(a.sha256)) throw new BaleError("config-fleet-corrupt", `the blob of ${p} (${a.sha256.slice(0, 12)}) is missing from ${keys.blobs(prefix)}`, { fix: "republish from source with `bale config publish`" });
  }
  const diff = diffManifests(cur.manifest, artifacts);
  const manifest: FleetManifest = { version: 1, artifacts, parent: cur.hash, published: { at: new Date().toISOString(), by: by ?? defaultBy(), action, ...(canary ? { canary: canary.name } : {}) } };
  const t1 = performance.now();
  const s = await swapManifest(client, prefix, {
    key: keys.live(prefix),
    target: "live",
    expectModRevision: cur.kv?.modRevision ?? 0,
    previousHash: cur.hash,
    manifest,
    diff,
    ...(canary ? { extra: [{ delete: { key: keys.canary(prefix, canary.name) } }] } : {}),
  });
  const t2 = performance.now();
  return { prefix, target: "live", revision: s.revision, hash: s.hash, previousHash: s.previousHash, ...diff, blobsWritten: 0, published: true, timings: { buildMs: 0, blobsMs: t1 - t0, swapMs: t2 - t1, totalMs: t2 - t0 } };
}
