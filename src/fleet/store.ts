/**
 * The fleet store: compiled config in etcd, under one key prefix.
 *
 *   <prefix>/blobs/<sha256>        artifact bytes, content-addressed (written before any manifest names them)
 *   <prefix>/m/live                the live fleet manifest: artifact path -> sha256 (readers follow only this)
 *   <prefix>/m/canary/<name>       a canary's manifest, followed by loaders started with that canary name
 *   <prefix>/history/<time>-<hash> one record per manifest swap (the manifest itself, who, when, what changed)
 *
 * Every swap of a manifest is one guarded transaction: it succeeds only if the manifest key still has
 * the mod_revision read before (or is still absent), so of two publishers racing from the same base
 * exactly one wins. Blobs are immutable and kept (history and rollback need them).
 */
import { createHash } from "node:crypto";
import { userInfo, hostname } from "node:os";
import { BaleError } from "../errors.js";
import { EtcdClient, EtcdRequestError, EtcdUnreachable, type KeyValue, type Op } from "./etcd.js";

export interface FleetArtifact {
  sha256: string;
  schema: string;
  kind: "config" | "service";
  size: number;
}

/** The JSON stored at `<prefix>/m/live` (and canary keys), canonical JSON. */
export interface FleetManifest {
  version: 1;
  /** Output path (as in out/, e.g. "configs/prod/greeter.json") -> artifact. */
  artifacts: Record<string, FleetArtifact>;
  /** Hash of the manifest this one replaced at the same key (null for the first). */
  parent: string | null;
  published: { at: string; by: string; action: "publish" | "rollback" | "promote"; canary?: string };
}

export interface HistoryRecord {
  key: string;
  /** "live" or "canary:<name>". */
  target: string;
  hash: string;
  revision: number;
  manifest: FleetManifest;
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
  blobs: (p: string) => `${p}/blobs/`,
  history: (p: string) => `${p}/history/`,
};

export function sha256Hex(b: string | Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/** etcd's defaults (--max-txn-ops 128, --max-request-bytes 1.5 MiB): batches stay below both. */
export const MAX_TXN_OPS = 128;
export const MAX_BATCH_BYTES = 1024 * 1024;

export function checkPrefix(prefix: string): string {
  if (!/^\/[A-Za-z0-9._\-/]*[A-Za-z0-9._-]$/.test(prefix) || prefix.includes("//")) {
    throw new BaleError("config-fleet-prefix", `${JSON.stringify(prefix)} is not a usable key prefix`, { fix: "use a path like /bale/myproject (letters, digits, . _ - and /; no trailing /)" });
  }
  return prefix;
}

export function checkCanaryName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new BaleError("config-fleet-canary", `${JSON.stringify(name)} is not a usable canary name`, { fix: "use letters, digits, . _ - (e.g. --canary host-7)" });
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
  return new BaleError("config-fleet-unreachable", `cannot reach etcd at ${endpoints.join(",")}: ${e.message}`, {
    fix: "check that etcd runs and that --etcd names its client URLs",
    cause: e,
  });
}

/** Parses a stored manifest; a value that is not one is reported, never trusted. */
export function parseManifest(kv: KeyValue): FleetManifest {
  let m: unknown;
  try {
    m = JSON.parse(kv.value.toString("utf8"));
  } catch {
    throw corrupt(kv.key, "is not JSON");
  }
  const o = m as Partial<FleetManifest> | null;
  if (o === null || typeof o !== "object" || o.version !== 1 || typeof o.artifacts !== "object" || o.artifacts === null) throw corrupt(kv.key, "is not a bale fleet manifest (version 1)");
  for (const [path, a] of Object.entries(o.artifacts)) {
    if (typeof a !== "object" || a === null || typeof a.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(a.sha256) || typeof a.schema !== "string") throw corrupt(kv.key, `has a bad entry for ${path}`);
  }
  return o as FleetManifest;
}

function corrupt(key: string, what: string): BaleError {
  return new BaleError("config-fleet-corrupt", `the value at ${key} ${what}`, { file: key, fix: "republish (bale config publish) or roll back (bale config rollback --to HASH); bale never writes such a value" });
}

export interface Diff {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export function diffManifests(before: FleetManifest | undefined, after: Record<string, FleetArtifact>): Diff {
  const old = before?.artifacts ?? {};
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

/**
 * Writes the blobs that `have` does not list (the shas named by manifests already in the store, whose blobs
 * were written before them), in batches within etcd's transaction limits. Returns how many were written.
 */
export async function writeBlobs(client: EtcdClient, prefix: string, blobs: Map<string, Buffer>, have: Set<string>, onBatch?: (written: number, total: number) => void): Promise<number> {
  const todo = [...blobs].filter(([sha]) => !have.has(sha)).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const batches: Op[][] = [];
  let batch: Op[] = [];
  let bytes = 0;
  for (const [sha, data] of todo) {
    const size = Math.ceil((data.length * 4) / 3) + 200;
    if (size > MAX_BATCH_BYTES) {
      throw new BaleError("config-publish-too-large", `an artifact (sha256 ${sha.slice(0, 12)}) is ${data.length} bytes; etcd accepts requests of at most 1.5 MiB`, {
        fix: "keep each compiled config under 1 MiB (or raise etcd's --max-request-bytes and split the config)",
      });
    }
    if (batch.length >= MAX_TXN_OPS || bytes + size > MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ put: { key: keys.blob(prefix, sha), value: data } });
    bytes += size;
  }
  if (batch.length) batches.push(batch);
  let written = 0;
  // Up to four batches in flight: etcd applies each atomically; order does not matter (no manifest names them yet).
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const b = batches[next++] as Op[];
      await client.txn([], b);
      written += b.length;
      onBatch?.(written, todo.length);
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
 * The guarded swap: one transaction that replaces the manifest at `key` if it still has `expectModRevision`
 * (0 = absent), and records history. On conflict throws config-publish-conflict with both hashes; when the
 * connection fails mid-transaction, re-reads the key to say whether the swap landed.
 */
export async function swapManifest(
  client: EtcdClient,
  prefix: string,
  o: { key: string; target: string; expectModRevision: number; previousHash: string | null; manifest: FleetManifest; diff: Diff; extra?: Op[] },
): Promise<SwapResult> {
  const text = compactJson(o.manifest);
  const hash = sha256Hex(text);
  const at = Date.now();
  const historyKey = `${keys.history(prefix)}${String(at).padStart(15, "0")}-${hash.slice(0, 16)}`;
  const record = { target: o.target, hash, manifest: o.manifest, added: o.diff.added, changed: o.diff.changed, removed: o.diff.removed };
  const cmp = o.expectModRevision === 0 ? { key: o.key, target: "VERSION" as const, version: 0 } : { key: o.key, target: "MOD" as const, modRevision: o.expectModRevision };
  let r;
  try {
    r = await client.txn([cmp], [{ put: { key: o.key, value: text } }, { put: { key: historyKey, value: compactJson(record) } }, ...(o.extra ?? [])], [{ range: { key: o.key } }]);
  } catch (e) {
    if (!(e instanceof EtcdUnreachable) && !(e instanceof EtcdRequestError)) throw e;
    // Did it land? Ask again (another endpoint may answer); say so either way.
    let now: KeyValue | undefined;
    try {
      now = (await client.get(o.key)).kv;
    } catch {
      throw new BaleError("config-publish-interrupted", `etcd went away during the manifest swap of ${o.key}; it is unknown whether the publish landed (new manifest ${hash.slice(0, 12)})`, {
        fix: "run `bale config status` once etcd is back: it shows which manifest is live (the store holds the old or the new one, never a mix)",
        cause: e,
      });
    }
    const nowHash = now ? sha256Hex(now.value) : null;
    if (nowHash === hash) throw new BaleError("config-publish-interrupted", `the connection failed after the swap: the publish landed (manifest ${hash.slice(0, 12)} is live at ${o.key}), but no confirmation came back`, { fix: "nothing to do; `bale config status` shows it", cause: e });
    throw new BaleError("config-publish-interrupted", `the manifest swap failed (${(e as Error).message}); the publish did not land: ${o.key} still holds ${nowHash?.slice(0, 12) ?? "nothing"}`, { fix: "run the publish again", cause: e });
  }
  if (!r.succeeded) {
    const cur = r.responses[0]?.kvs?.[0];
    const curHash = cur ? sha256Hex(cur.value) : null;
    throw new BaleError("config-publish-conflict", `someone else changed ${o.key} since it was read: it was ${o.previousHash ?? "empty"} and is now ${curHash ?? "empty"}; this publish (${hash}) was not applied`, {
      fix: "look at `bale config status`/`history`, rebuild on top of what is live and publish again",
      details: [`expected: ${o.previousHash ?? "(no manifest)"}`, `found:    ${curHash ?? "(no manifest)"}`, `yours:    ${hash}`],
    });
  }
  return { revision: r.revision, hash, previousHash: o.previousHash, historyKey };
}
