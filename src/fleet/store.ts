/**
 * The fleet store: compiled config in etcd, under one key prefix (layout 2).
 *
 *   <prefix>/blobs/<sha256>        artifact bytes, content-addressed (written before any manifest names them)
 *   <prefix>/manifests/<sha256>    content-addressed (the key is the sha256 of the bytes): a manifest's root
 *                                  ({"shards":[hash…],"version":2}; its hash is the "manifest hash") and its
 *                                  shards ({"artifacts":{path -> artifact},"version":2}, each a slice of the
 *                                  artifacts by hash of path, ~64 per shard), so a one-config change writes
 *                                  one small shard and a new root, not the whole manifest
 *   <prefix>/m/live                the live pointer (~250 bytes): which manifest is live, its parent, who/when
 *   <prefix>/m/canary/<name>       a canary's pointer, followed by loaders started with that canary name
 *   <prefix>/history/<time>-<hash> one small record per swap (hash, parent, who, when, what changed; no manifest)
 *
 * Every swap of a pointer is one guarded transaction: it succeeds only if the pointer key still has
 * the mod_revision read before (or is still absent), so of two publishers racing from the same base
 * exactly one wins. A manifest is written before or in the transaction that points at it; blobs and
 * manifests are immutable and kept (history and rollback need them).
 *
 * Layout 1 (bale before the pointer) stored the whole manifest at m/live and a copy in every history
 * record: {"version":1,"artifacts":…,"parent":…,"published":…}. It is still read (publish over it,
 * status, history, rollback to it, loaders); a swap always writes layout 2.
 */
import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import { userInfo, hostname } from "node:os";
import type { BaleError } from "../errors.js";
import { type EtcdClient, EtcdRequestError, EtcdUnreachable, type KeyValue, type Op } from "./etcd.js";
import { diag } from "../diagnostics/create.js";

export interface FleetArtifact {
  sha256: string;
  schema: string;
  kind: "config" | "service";
  size: number;
}

export interface Published {
  at: string;
  by: string;
  action: "publish" | "rollback" | "promote";
  canary?: string;
}

/** A manifest as read (every shard merged): output path (as in out/, e.g. "configs/prod/greeter.json") -> artifact. */
export interface FleetManifest {
  version: 2;
  artifacts: Record<string, FleetArtifact>;
}

/** A stored manifest: the root (its sha256 is the manifest hash) and its shards, each compact JSON with sorted keys. */
export interface EncodedManifest {
  hash: string;
  text: string;
  shards: { hash: string; text: string }[];
}

/** The JSON stored at `<prefix>/m/live` and canary keys. */
export interface FleetPointer {
  version: 2;
  /** The manifest hash: `<prefix>/manifests/<manifest>`. */
  manifest: string;
  /** Hash of the manifest this one replaced at the same key (null for the first). */
  parent: string | null;
  published: Published;
}

/** What a pointer key (either layout) resolves to. */
export interface Head {
  kv: KeyValue;
  hash: string;
  artifacts: Record<string, FleetArtifact>;
  parent: string | null;
  published: Published;
  /** 1 when the key holds a whole manifest as older bale versions wrote it. */
  layout: 1 | 2;
  /** Layout 2: the manifest's shard hashes (already stored, so a publish need not write them again). */
  shards: string[];
}

export interface HistoryRecord {
  key: string;
  /** "live" or "canary:<name>". */
  target: string;
  hash: string;
  parent: string | null;
  published: Published;
  revision: number;
  added: string[];
  changed: string[];
  removed: string[];
}

export const keys = {
  live: (p: string) => `${p}/m/live`,
  canary: (p: string, name: string) => `${p}/m/canary/${name}`,
  canaries: (p: string) => `${p}/m/canary/`,
  manifests: (p: string) => `${p}/m/`,
  blob: (p: string, sha: string) => `${p}/blobs/${sha}`,
  manifest: (p: string, hash: string) => `${p}/manifests/${hash}`,
  blobs: (p: string) => `${p}/blobs/`,
  history: (p: string) => `${p}/history/`,
};

/** crypto.hash (Node >= 20.12): a one-shot digest without a Hash object, ~2x faster for small inputs; createHash before. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: "hex") => string }).hash;

export function sha256Hex(b: string | Buffer): string {
  return oneShot ? oneShot("sha256", b, "hex") : createHash("sha256").update(b).digest("hex");
}

/** etcd's defaults (--max-txn-ops 128, --max-request-bytes 1.5 MiB): batches stay below both. */
export const MAX_TXN_OPS = 128;
export const MAX_BATCH_BYTES = 1024 * 1024;

export function checkPrefix(prefix: string): string {
  if (!/^\/[A-Za-z0-9._\-/]*[A-Za-z0-9._-]$/.test(prefix) || prefix.includes("//")) {
    throw diag("config-fleet-prefix", { prefix: JSON.stringify(prefix) });
  }
  return prefix;
}

export function checkCanaryName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw diag("config-fleet-canary", { name: JSON.stringify(name) });
  }
  return name;
}

export function defaultBy(): string {
  let u = "unknown";
  try {
    u = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep "unknown" */
  }
  return `${u}@${hostname()}`;
}

export function unreachable(e: EtcdUnreachable, endpoints: readonly string[]): BaleError {
  return diag("config-fleet-unreachable", { endpoints: endpoints.join(","), reason: e.message }, { cause: e });
}

function parseJson(kv: KeyValue): unknown {
  try {
    return JSON.parse(kv.value.toString("utf8"));
  } catch {
    throw corrupt(kv.key, "is not JSON");
  }
}

const HASH = /^[0-9a-f]{64}$/;

function checkArtifacts(key: string, artifacts: unknown): Record<string, FleetArtifact> {
  if (typeof artifacts !== "object" || artifacts === null) throw corrupt(key, "has no artifacts");
  for (const [path, a] of Object.entries(artifacts as Record<string, unknown>)) {
    const x = a as Partial<FleetArtifact> | null;
    if (typeof x !== "object" || x === null || typeof x.sha256 !== "string" || !HASH.test(x.sha256) || typeof x.schema !== "string") throw corrupt(key, `has a bad entry for ${path}`);
  }
  return artifacts as Record<string, FleetArtifact>;
}

function checkPublished(key: string, p: unknown): Published {
  const o = p as Partial<Published> | null;
  if (typeof o !== "object" || o === null || typeof o.at !== "string" || typeof o.by !== "string" || typeof o.action !== "string") throw corrupt(key, "has no valid published record");
  return o as Published;
}

/** A pointer key's value, parsed: layout 2 names its manifest; layout 1 carries it whole. */
export type ParsedPointer = { layout: 2; pointer: FleetPointer } | { layout: 1; hash: string; artifacts: Record<string, FleetArtifact>; parent: string | null; published: Published };

export function parsePointer(kv: KeyValue): ParsedPointer {
  const o = parseJson(kv) as Record<string, unknown> | null;
  if (o === null || typeof o !== "object") throw corrupt(kv.key, "is not a bale fleet pointer");
  const parent = o.parent === null || (typeof o.parent === "string" && HASH.test(o.parent)) ? (o.parent as string | null) : undefined;
  if (o.version === 2 && typeof o.manifest === "string" && HASH.test(o.manifest) && parent !== undefined) {
    return { layout: 2, pointer: { version: 2, manifest: o.manifest, parent, published: checkPublished(kv.key, o.published) } };
  }
  if (o.version === 1 && typeof o.artifacts === "object") {
    return { layout: 1, hash: sha256Hex(kv.value), artifacts: checkArtifacts(kv.key, o.artifacts), parent: parent ?? null, published: checkPublished(kv.key, o.published) };
  }
  throw corrupt(kv.key, "is not a bale fleet pointer (layout 2) or manifest (layout 1)");
}

/** The manifest hash a pointer value names (or, for a value that is not one, the sha256 of its bytes): for messages. */
export function pointerHash(kv: KeyValue): string {
  try {
    const p = parsePointer(kv);
    return p.layout === 2 ? p.pointer.manifest : p.hash;
  } catch {
    return sha256Hex(kv.value);
  }
}

/** A stored value under manifests/, checked against the hash in its key. */
function checkStored(kv: KeyValue, hash: string): Record<string, unknown> {
  if (sha256Hex(kv.value) !== hash) throw corrupt(kv.key, "does not match its sha256 (edited in etcd?)");
  const o = parseJson(kv) as Record<string, unknown> | null;
  if (o === null || typeof o !== "object" || o.version !== 2) throw corrupt(kv.key, "is not a bale fleet manifest (version 2)");
  return o;
}

/** Artifacts per shard: a one-config change rewrites one shard of about this many entries (~9 KB). */
export const SHARD_TARGET = 64;

/** How many shards a manifest of n artifacts has: 1 up to 64 artifacts, then powers of two up to 256. */
export function shardCount(n: number): number {
  let c = 1;
  while (c < 256 && c * SHARD_TARGET < n) c *= 2;
  return c;
}

/** Which shard a path is in (stable for a given shard count). */
export function shardOf(path: string, count: number): number {
  return count === 1 ? 0 : createHash("sha256").update(path).digest().readUInt16BE(0) % count;
}

/** The bytes stored for a manifest: its shards and the root naming them. */
export function encodeManifest(artifacts: Record<string, FleetArtifact>): EncodedManifest {
  // Each shard is the same bytes as compactJson({ version: 2, artifacts: slice }) for the fields bale writes,
  // written directly: compactJson's generic key sorting costs ~20 ms for 1000 artifacts, this ~1 ms.
  const paths = Object.keys(artifacts).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const count = shardCount(paths.length);
  const parts: string[][] = Array.from({ length: count }, () => []);
  for (const p of paths) {
    const a = artifacts[p] as FleetArtifact;
    (parts[shardOf(p, count)] as string[]).push(`${JSON.stringify(p)}:{"kind":${JSON.stringify(a.kind)},"schema":${JSON.stringify(a.schema)},"sha256":${JSON.stringify(a.sha256)},"size":${JSON.stringify(a.size)}}`);
  }
  const shards = parts.map((ps) => {
    const text = `{"artifacts":{${ps.join(",")}},"version":2}`;
    return { text, hash: sha256Hex(text) };
  });
  const text = `{"shards":[${shards.map((x) => `"${x.hash}"`).join(",")}],"version":2}`;
  return { hash: sha256Hex(text), text, shards };
}

/**
 * Manifests a client has read or written, by prefix and hash. A manifest is content-addressed and bale never
 * deletes one, so a long-lived client (`publish --watch`) reads only the pointer when the manifest it names
 * is one it has seen: it skips reading and checking 1000 artifacts' worth of shards on every change.
 */
const seen = new WeakMap<EtcdClient, Map<string, FleetManifest & { shards: string[] }>>();
const SEEN_MAX = 8;

/** Remembers a manifest this client read or wrote (the newest SEEN_MAX). */
export function rememberManifest(client: EtcdClient, prefix: string, hash: string, m: FleetManifest & { shards: string[] }): void {
  let map = seen.get(client);
  if (!map) seen.set(client, (map = new Map()));
  const k = `${prefix}\n${hash}`;
  map.delete(k);
  map.set(k, m);
  if (map.size > SEEN_MAX) map.delete(map.keys().next().value as string);
}

/** Reads the manifest with this hash: its root, then its shards in one request (per 128), every value checked against its hash. */
export async function readManifest(client: EtcdClient, prefix: string, hash: string, from: string): Promise<FleetManifest & { shards: string[] }> {
  const known = seen.get(client)?.get(`${prefix}\n${hash}`);
  if (known) return known;
  const m = await fetchManifest(client, prefix, hash, from);
  rememberManifest(client, prefix, hash, m);
  return m;
}

async function fetchManifest(client: EtcdClient, prefix: string, hash: string, from: string): Promise<FleetManifest & { shards: string[] }> {
  const { kv } = await client.get(keys.manifest(prefix, hash));
  if (!kv) throw missing(prefix, hash, from);
  const root = checkStored(kv, hash);
  if (!Array.isArray(root.shards) || !root.shards.every((h) => typeof h === "string" && HASH.test(h))) throw corrupt(kv.key, "is not a bale fleet manifest root (no shard list)");
  const shards = root.shards as string[];
  const want = [...new Set(shards)];
  const artifacts: Record<string, FleetArtifact> = {};
  for (let i = 0; i < want.length; i += MAX_TXN_OPS) {
    const part = want.slice(i, i + MAX_TXN_OPS);
    const r = await client.txn([], part.map((h) => ({ range: { key: keys.manifest(prefix, h) } })));
    part.forEach((h, j) => {
      const skv = r.responses[j]?.kvs?.[0];
      if (!skv) throw missing(prefix, h, kv.key);
      Object.assign(artifacts, checkArtifacts(skv.key, checkStored(skv, h).artifacts));
    });
  }
  return { version: 2, artifacts, shards };
}

function missing(prefix: string, hash: string, from: string): BaleError {
  return diag("config-fleet-corrupt:missing-manifest", { from, hash: hash.slice(0, 12), manifests: keys.manifest(prefix, "") }, { file: from });
}

/** Reads a pointer key and the manifest it names (either layout); undefined when the key is absent. */
export async function readHead(client: EtcdClient, prefix: string, key: string): Promise<Head | undefined> {
  const { kv } = await client.get(key);
  if (!kv) return undefined;
  const p = parsePointer(kv);
  if (p.layout === 1) return { kv, hash: p.hash, artifacts: p.artifacts, parent: p.parent, published: p.published, layout: 1, shards: [] };
  const m = await readManifest(client, prefix, p.pointer.manifest, key);
  return { kv, hash: p.pointer.manifest, artifacts: m.artifacts, parent: p.pointer.parent, published: p.pointer.published, layout: 2, shards: m.shards };
}

function corrupt(key: string, what: string): BaleError {
  return diag("config-fleet-corrupt", { key, problem: what }, { file: key });
}

export interface Diff {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export function diffManifests(before: Record<string, FleetArtifact> | undefined, after: Record<string, FleetArtifact>): Diff {
  const old = before ?? {};
  const d: Diff = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const [p, a] of Object.entries(after)) {
    const o = old[p];
    if (!o) d.added.push(p);
    else if (o.sha256 !== a.sha256 || o.schema !== a.schema) d.changed.push(p);
    else d.unchanged++;
  }
  for (const p of Object.keys(old)) if (!(p in after)) d.removed.push(p);
  for (const l of [d.added, d.changed, d.removed]) l.sort();
  return d;
}

/** Compact JSON with object members sorted (stable bytes, so a stable hash): what manifests and history records are stored as. */
export function compactJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

/** A put of an immutable, content-addressed value (a blob or a manifest). */
export interface ImmutablePut {
  key: string;
  value: Buffer | string;
  /** For the too-large message. */
  what: string;
}

const encodedSize = (v: Buffer | string): number => Math.ceil((Buffer.byteLength(v) * 4) / 3) + 200;

/** The blobs that `have` does not list (shas named by manifests already in the store, whose blobs were written before them). */
export function blobPuts(prefix: string, blobs: Map<string, Buffer>, have: Set<string>): ImmutablePut[] {
  return [...blobs]
    .filter(([sha]) => !have.has(sha))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([sha, data]) => ({ key: keys.blob(prefix, sha), value: data, what: `an artifact (sha256 ${sha.slice(0, 12)})` }));
}

/** True when these puts, plus `small` more small operations, fit in one transaction within etcd's default limits. */
export function fitsOneTxn(puts: readonly ImmutablePut[], small: number): boolean {
  return puts.length + small <= MAX_TXN_OPS && puts.reduce((n, p) => n + encodedSize(p.value), small * 2000) <= MAX_BATCH_BYTES;
}

/**
 * Writes immutable values in batches within etcd's transaction limits (up to four in flight: etcd applies
 * each atomically, and order does not matter since no pointer names them yet). Returns how many were written.
 */
export async function writeImmutable(client: EtcdClient, puts: readonly ImmutablePut[], onBatch?: (written: number, total: number) => void): Promise<number> {
  const batches: Op[][] = [];
  let batch: Op[] = [];
  let bytes = 0;
  for (const p of puts) {
    const size = encodedSize(p.value);
    if (size > MAX_BATCH_BYTES) {
      throw diag("config-publish-too-large", { what: p.what, bytes: Buffer.byteLength(p.value) });
    }
    if (batch.length >= MAX_TXN_OPS || bytes + size > MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ put: { key: p.key, value: p.value } });
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  let written = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const b = batches[next++] as Op[];
      await client.txn([], b);
      written += b.length;
      onBatch?.(written, puts.length);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return written;
}

export interface SwapResult {
  revision: number;
  hash: string;
  previousHash: string | null;
  historyKey: string;
}

/**
 * The guarded swap: one transaction that points `key` at manifest `hash` if the key still has
 * `expectModRevision` (0 = absent), records history, and carries `puts` (immutable values: the manifest
 * and blobs small enough to ride along; the caller wrote the others before). On conflict throws
 * config-publish-conflict with both hashes; when the connection fails mid-transaction, re-reads the key
 * to say whether the swap landed.
 */
export async function swapPointer(
  client: EtcdClient,
  prefix: string,
  o: {
    key: string;
    target: string;
    expectModRevision: number;
    previousHash: string | null;
    hash: string;
    published: Published;
    diff: Diff;
    puts: readonly ImmutablePut[];
    extra?: Op[];
    /** A second key that must still have this mod_revision (a promote's canary); when it does not, `conflict` says why. */
    guard?: { key: string; modRevision: number; conflict: (now: KeyValue | undefined) => BaleError };
  },
): Promise<SwapResult> {
  const pointer: FleetPointer = { version: 2, manifest: o.hash, parent: o.previousHash, published: o.published };
  const text = compactJson(pointer);
  const hash = o.hash;
  const historyKey = `${keys.history(prefix)}${String(Date.parse(o.published.at)).padStart(15, "0")}-${hash.slice(0, 16)}`;
  const record = { version: 2, target: o.target, hash, parent: o.previousHash, published: o.published, added: o.diff.added, changed: o.diff.changed, removed: o.diff.removed };
  const cmp = o.expectModRevision === 0 ? { key: o.key, target: "VERSION" as const, version: 0 } : { key: o.key, target: "MOD" as const, modRevision: o.expectModRevision };
  const guard = o.guard ? [{ key: o.guard.key, target: "MOD" as const, modRevision: o.guard.modRevision }] : [];
  let r;
  try {
    r = await client.txn([cmp, ...guard], [...o.puts.map((p) => ({ put: { key: p.key, value: p.value } })), { put: { key: o.key, value: text } }, { put: { key: historyKey, value: compactJson(record) } }, ...(o.extra ?? [])], [{ range: { key: o.key } }, ...(o.guard ? [{ range: { key: o.guard.key } }] : [])]);
  } catch (e) {
    if (!(e instanceof EtcdUnreachable) && !(e instanceof EtcdRequestError)) throw e;
    // Did it land? Ask again (another endpoint may answer); say so either way. The pointer bytes carry
    // who and when, so equal bytes mean this very swap.
    let now: KeyValue | undefined;
    try {
      now = (await client.get(o.key)).kv;
    } catch {
      throw diag("config-publish-interrupted:unknown", { key: o.key, hash: hash.slice(0, 12) }, { cause: e });
    }
    if (now && now.value.toString("utf8") === text) throw diag("config-publish-interrupted:landed", { hash: hash.slice(0, 12), key: o.key }, { cause: e });
    throw diag("config-publish-interrupted", { reason: (e as Error).message, key: o.key, hash: now ? pointerHash(now).slice(0, 12) : "nothing" }, { cause: e });
  }
  if (!r.succeeded) {
    if (o.guard) {
      const now = r.responses[1]?.kvs?.[0];
      if (now?.modRevision !== o.guard.modRevision) throw o.guard.conflict(now);
    }
    const cur = r.responses[0]?.kvs?.[0];
    const curHash = cur ? pointerHash(cur) : null;
    throw diag("config-publish-conflict", { key: o.key, previous: o.previousHash ?? "empty", current: curHash ?? "empty", hash }, {
      details: [`expected: ${o.previousHash ?? "(no manifest)"}`, `found:    ${curHash ?? "(no manifest)"}`, `yours:    ${hash}`],
    });
  }
  return { revision: r.revision, hash, previousHash: o.previousHash, historyKey };
}
