/**
 * `bale config publish|status|history|rollback|promote`: compiled config in etcd (see store.ts for the layout).
 * Library functions return data and throw BaleErrors; the CLI prints.
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { BuildSession } from "../config-compiler/build.js";
import type { Manifest } from "../config-compiler/types.js";
import { BaleError } from "../errors.js";
import { validateOptions } from "../options.js";
import { EtcdClient, EtcdRequestError, EtcdUnreachable, parseEndpoints, type KeyValue } from "./etcd.js";
import {
  blobPuts,
  checkCanaryName,
  checkPrefix,
  defaultBy,
  diffManifests,
  encodeManifest,
  fitsOneTxn,
  keys,
  parsePointer,
  pointerHash,
  readHead,
  readManifest,
  rememberManifest,
  sha256Hex,
  swapPointer,
  unreachable,
  writeImmutable,
  type Diff,
  type FleetArtifact,
  type Head,
  type HistoryRecord,
  type ImmutablePut,
  type Published,
} from "./store.js";
import { diag } from "../diagnostics/create.js";

export type { FleetArtifact, FleetManifest, FleetPointer, HistoryRecord, Published } from "./store.js";

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
  /** buildMs: compiling (0 with build: false); readMs: reading out/ and what is live; blobsMs: values written before the swap (0 when they ride in it). */
  timings: { buildMs: number; readMs: number; blobsMs: number; swapMs: number; totalMs: number };
}

/** @internal An etcd client for the options' endpoints, and the checked prefix. */
export function setup(o: FleetOptions): { client: EtcdClient; prefix: string; endpoints: string[] } {
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

/**
 * Reads `out/` (manifest + artifacts), checking every file against the sha256 the build recorded. It yields
 * to the event loop every 64 files so that the etcd reads a publish starts alongside it make progress.
 */
async function readOut(out: string): Promise<{ artifacts: Record<string, FleetArtifact>; blobs: Map<string, Buffer> }> {
  const mpath = join(out, "bale-manifest.json");
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(mpath, "utf8")) as Manifest;
  } catch (e) {
    throw diag("config-publish-no-output:manifest", { reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { file: mpath });
  }
  const artifacts: Record<string, FleetArtifact> = {};
  const blobs = new Map<string, Buffer>();
  for (const [i, a] of m.artifacts.entries()) {
    if (i % 64 === 63) await new Promise<void>((r) => setImmediate(r));
    const data = readChecked(out, a.output, a.sha256);
    artifacts[a.output] = { sha256: a.sha256, schema: a.schema, kind: a.kind, size: data.length };
    blobs.set(a.sha256, data);
  }
  return { artifacts, blobs };
}

/** An artifact's bytes from `out/`, checked against the sha256 the build recorded. */
function readChecked(out: string, output: string, sha256: string): Buffer {
  const file = join(out, output);
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    throw diag("config-publish-no-output", { output }, { file });
  }
  if (sha256Hex(data) !== sha256) {
    throw diag("config-publish-modified", { output }, { file });
  }
  return data;
}

/**
 * What a build in this process just wrote, without reading `out/` again: the bytes of what it evaluated
 * are in memory; the rest (outputs the build kept) is read from `out/` (and checked against its sha256)
 * only when no stored manifest lists that sha256 (then the store has its bytes and size).
 */
function fromBuild(out: string, written: NonNullable<BuildSession["written"]>, known: (Head | undefined)[]): { artifacts: Record<string, FleetArtifact>; blobs: Map<string, Buffer> } {
  const sizes = new Map(known.flatMap((h) => Object.values(h?.artifacts ?? {}).map((a) => [a.sha256, a.size] as const)));
  const artifacts: Record<string, FleetArtifact> = {};
  const blobs = new Map<string, Buffer>();
  for (const a of written.manifest.artifacts) {
    const text = written.texts.get(a.output);
    let size = sizes.get(a.sha256);
    if (text !== undefined || size === undefined) {
      const data = text !== undefined ? Buffer.from(text, "utf8") : readChecked(out, a.output, a.sha256);
      blobs.set(a.sha256, data);
      size = data.length;
    }
    artifacts[a.output] = { sha256: a.sha256, schema: a.schema, kind: a.kind, size };
  }
  return { artifacts, blobs };
}

/** What a pointer key holds before a swap: its kv (for the guard), what it resolves to, and its hash for messages. */
interface Current {
  kv: KeyValue | undefined;
  head: Head | undefined;
  hash: string | null;
}

/** Like readHead, but a damaged pointer or manifest (e.g. hand-edited) counts as empty, so a swap can repair it (still guarded on its revision). */
async function readForReplace(client: EtcdClient, prefix: string, key: string): Promise<Current> {
  try {
    const head = await readHead(client, prefix, key);
    return { kv: head?.kv, head, hash: head?.hash ?? null };
  } catch (e) {
    if (!(e instanceof BaleError && e.code === "config-fleet-corrupt")) throw e;
    const { kv } = await client.get(key);
    return { kv, head: undefined, hash: kv ? pointerHash(kv) : null };
  }
}

const isEmpty = (d: Diff): boolean => d.added.length + d.changed.length + d.removed.length === 0;

/** The puts that store a manifest: its root and the shards not in `stored` (shards of manifests already in the store). */
const manifestPuts = (prefix: string, artifacts: Record<string, FleetArtifact>, stored: ReadonlySet<string>): { hash: string; puts: ImmutablePut[]; shards: string[] } => {
  const m = encodeManifest(artifacts);
  const shards = new Map(m.shards.filter((x) => !stored.has(x.hash)).map((x) => [x.hash, x.text]));
  const puts = [...shards].map(([hash, text]) => ({ key: keys.manifest(prefix, hash), value: text, what: `a manifest shard (${hash.slice(0, 12)})` }));
  puts.push({ key: keys.manifest(prefix, m.hash), value: m.text, what: "the manifest root" });
  return { hash: m.hash, puts, shards: m.shards.map((x) => x.hash) };
};

/** Builds (unless build: false) and publishes every artifact, all-or-nothing, guarded against concurrent publishers. */
export async function publishConfigs(o: PublishOptions): Promise<PublishResult> {
  validateOptions("publishConfigs", o);
  const t0 = performance.now();
  const where = publishTarget(o);
  setup(o).client.close(); // check endpoints and prefix before building
  return withClient({ ...o, root: where.root }, (client, prefix) =>
    publishWith(client, prefix, where, o, t0, async (session) => {
      if (o.build === false) return;
      // The compiler (esbuild, ajv, typescript) is loaded only when there is something to build.
      const { build, prepare } = await import("../config-compiler/build.js");
      await build(prepare({ root: where.root, out: where.out }), session, true);
    }),
  );
}

/** Where a publish reads from and writes to. */
export interface PublishTarget {
  root: string;
  out: string;
  canary: string | undefined;
  /** "live" or "canary:<name>". */
  target: string;
}

/** @internal */
export function publishTarget(o: Pick<PublishOptions, "root" | "out" | "canary">): PublishTarget {
  const root = resolve(o.root ?? ".");
  const canary = o.canary === undefined ? undefined : checkCanaryName(o.canary);
  return { root, out: resolve(o.out ?? join(root, "out")), canary, target: canary === undefined ? "live" : `canary:${canary}` };
}

/**
 * One guarded publish on an open client: what is live is read while `buildStep` runs (it fills the
 * session, or leaves it empty and out/ is read); then blobs, manifest and pointer swap. @internal
 */
export async function publishWith(client: EtcdClient, prefix: string, w: PublishTarget, o: Pick<PublishOptions, "by" | "onProgress">, t0: number, buildStep: (session: BuildSession) => Promise<void>, session: BuildSession = {}): Promise<PublishResult> {
  const { out, canary, target } = w;
  const key = canary === undefined ? keys.live(prefix) : keys.canary(prefix, canary);
  // What is live is read while the build runs, or out/ is read and hashed (one waits on etcd, the other
  // on the disk and CPU); the build's and out/'s own errors still come first. The swap is guarded on the
  // revision read here, however long the build takes.
  const live = (async () => {
    const cur = await readForReplace(client, prefix, key);
    return { cur, base: canary === undefined ? cur.head : (cur.head ?? (await readHead(client, prefix, keys.live(prefix)))) };
  })();
  live.catch(() => undefined);
  await buildStep(session);
  const written = session.written;
  const t1 = performance.now();
  const read = written ? undefined : await readOut(out);
  const { cur, base } = await live;
  const { artifacts, blobs } = read ?? fromBuild(out, written as NonNullable<typeof written>, [cur.head, base]);
  const diff = diffManifests(base?.artifacts, artifacts);
  const t2 = performance.now();
  if (cur.head && isEmpty(base === cur.head ? diff : diffManifests(cur.head.artifacts, artifacts))) {
    return { prefix, target, revision: cur.head.kv.modRevision, hash: cur.head.hash, previousHash: cur.head.hash, ...diff, blobsWritten: 0, published: false, timings: { buildMs: t1 - t0, readMs: t2 - t1, blobsMs: 0, swapMs: 0, totalMs: t2 - t0 } };
  }
  const have = new Set([cur.head, base].flatMap((h) => Object.values(h?.artifacts ?? {}).map((a) => a.sha256)));
  for (const [output, a] of Object.entries(artifacts)) if (!have.has(a.sha256) && !blobs.has(a.sha256)) blobs.set(a.sha256, readChecked(out, output, a.sha256));
  const todo = blobPuts(prefix, blobs, have);
  const manifest = manifestPuts(prefix, artifacts, new Set([...(cur.head?.shards ?? []), ...(base?.shards ?? [])]));
  // A small change rides whole in the guarded transaction (blobs + changed shards + root + pointer +
  // history: one request, one fsync); a big one writes its blobs first, in batches, and the manifest too if it must.
  let inline: ImmutablePut[];
  if (fitsOneTxn([...todo, ...manifest.puts], 2)) inline = [...todo, ...manifest.puts];
  else {
    const alongside = fitsOneTxn(manifest.puts, 2);
    const first = alongside ? todo : [...todo, ...manifest.puts];
    inline = alongside ? manifest.puts : [];
    try {
      await writeImmutable(client, first, (written, total) => void o.onProgress?.({ phase: "blobs", written, total }));
    } catch (e) {
      if (!(e instanceof EtcdUnreachable || e instanceof EtcdRequestError)) throw e;
      throw diag("config-publish-interrupted:artifacts", { reason: e.message, key }, { cause: e });
    }
  }
  const t3 = performance.now();
  await o.onProgress?.({ phase: "swap" });
  const published: Published = { at: new Date().toISOString(), by: o.by ?? defaultBy(), action: "publish", ...(canary !== undefined ? { canary } : {}) };
  const s = await swapPointer(client, prefix, { key, target, expectModRevision: cur.kv?.modRevision ?? 0, previousHash: cur.hash, hash: manifest.hash, published, diff, puts: inline });
  rememberManifest(client, prefix, manifest.hash, { version: 2, artifacts, shards: manifest.shards });
  const t4 = performance.now();
  return { prefix, target, revision: s.revision, hash: s.hash, previousHash: s.previousHash, ...diff, blobsWritten: todo.length, published: true, timings: { buildMs: t1 - t0, readMs: t2 - t1, blobsMs: t3 - t2, swapMs: t4 - t3, totalMs: t4 - t0 } };
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
  /** The etcd revision at which this pointer was written. */
  modRevision: number;
  artifacts: number;
  published: Published;
  parent: string | null;
  /** 2, or 1 for a whole manifest written by an older bale (still read; the next swap writes layout 2). */
  layout: 1 | 2;
}

/** What is live (and which canaries exist). */
export async function fleetStatus(o: FleetOptions): Promise<FleetStatus> {
  validateOptions("fleetStatus", o);
  return withClient(o, async (client, prefix) => {
    const r = await client.range(keys.manifests(prefix), { prefix: true });
    let live: ManifestStatus | null = null;
    const canaries: (ManifestStatus & { name: string })[] = [];
    const counts = new Map<string, number>();
    for (const kv of r.kvs) {
      const p = parsePointer(kv);
      let st: ManifestStatus;
      if (p.layout === 1) st = { hash: p.hash, modRevision: kv.modRevision, artifacts: Object.keys(p.artifacts).length, published: p.published, parent: p.parent, layout: 1 };
      else {
        const h = p.pointer.manifest;
        let n = counts.get(h);
        if (n === undefined) counts.set(h, (n = Object.keys((await readManifest(client, prefix, h, kv.key)).artifacts).length));
        st = { hash: h, modRevision: kv.modRevision, artifacts: n, published: p.pointer.published, parent: p.pointer.parent, layout: 2 };
      }
      if (kv.key === keys.live(prefix)) live = st;
      else if (kv.key.startsWith(keys.canaries(prefix))) canaries.push({ name: kv.key.slice(keys.canaries(prefix).length), ...st });
    }
    return { prefix, revision: r.revision, live, canaries };
  });
}

/** The last `limit` manifest swaps, newest first. */
export async function fleetHistory(o: FleetOptions & { limit?: number }): Promise<HistoryRecord[]> {
  validateOptions("fleetHistory", o);
  return withClient(o, async (client, prefix) => (await readHistory(client, prefix, o.limit ?? 20)).map((h) => h.record));
}

/** History records of both layouts; a layout-1 record carries its whole manifest (kept for rollback). */
async function readHistory(client: EtcdClient, prefix: string, limit: number): Promise<{ record: HistoryRecord; artifacts?: Record<string, FleetArtifact> }[]> {
  const r = await client.range(keys.history(prefix), { prefix: true, descending: true, ...(limit > 0 ? { limit } : {}) });
  return r.kvs.map((kv) => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(kv.value.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw diag("config-fleet-corrupt:history", { key: kv.key }, { file: kv.key });
    }
    const legacy = rec.version === undefined ? (rec.manifest as { artifacts?: Record<string, FleetArtifact>; parent?: string | null; published?: Published } | undefined) : undefined;
    const record: HistoryRecord = {
      key: kv.key,
      target: String(rec.target),
      hash: String(rec.hash),
      parent: (legacy ? legacy.parent : (rec.parent as string | null | undefined)) ?? null,
      published: (legacy ? legacy.published : (rec.published as Published | undefined)) ?? { at: "?", by: "?", action: "publish" },
      revision: kv.modRevision,
      added: (rec.added as string[] | undefined) ?? [],
      changed: (rec.changed as string[] | undefined) ?? [],
      removed: (rec.removed as string[] | undefined) ?? [],
    };
    return legacy?.artifacts ? { record, artifacts: legacy.artifacts } : { record };
  });
}

export interface RollbackOptions extends FleetOptions {
  /** The manifest hash (or a unique prefix of >= 8 hex digits) to make live again; default the one the live manifest replaced. */
  to?: string;
  by?: string;
}

/** Republishes an earlier manifest through the same guarded swap. */
export async function rollbackConfigs(o: RollbackOptions): Promise<PublishResult> {
  validateOptions("rollbackConfigs", o);
  const t0 = performance.now();
  return withClient(o, async (client, prefix) => {
    const cur = await readForReplace(client, prefix, keys.live(prefix));
    const want = o.to ?? cur.head?.parent ?? undefined;
    if (want === undefined || want === null) throw diag("config-rollback-target:none", {});
    if (!/^[0-9a-f]{8,64}$/.test(want)) throw diag("config-rollback-target:not-hash", { hash: JSON.stringify(want) });
    const hits = (await readHistory(client, prefix, 0)).filter((h) => h.record.hash.startsWith(want));
    const hashes = new Set(hits.map((h) => h.record.hash));
    if (hashes.size !== 1) {
      throw hashes.size === 0 ? diag("config-rollback-target", { hash: want, prefix }) : diag("config-rollback-target:ambiguous", { hash: want, count: hashes.size });
    }
    const hit = hits[0] as (typeof hits)[number];
    const artifacts = hit.artifacts ?? (await readManifest(client, prefix, hit.record.hash, hit.record.key)).artifacts;
    return swapTo(client, prefix, cur, artifacts, "rollback", o.by, t0);
  });
}

export interface PromoteOptions extends FleetOptions {
  canary: string;
  /** The manifest hash (or a prefix of >= 8 hex digits) the canary must hold: the one you tested. Anything else is refused (`config-promote-conflict`). */
  expect?: string;
  by?: string;
  /** Called (and awaited) just before the swap transaction is sent. */
  onProgress?: (p: { phase: "swap" }) => void | Promise<void>;
}

/** Makes a canary's manifest live for everyone (and removes the canary key in the same transaction). */
export async function promoteCanary(o: PromoteOptions): Promise<PublishResult> {
  validateOptions("promoteCanary", o);
  const t0 = performance.now();
  const name = checkCanaryName(o.canary);
  return withClient(o, async (client, prefix) => {
    const c = await readHead(client, prefix, keys.canary(prefix, name));
    if (!c) throw diag("config-canary-missing", { name: JSON.stringify(name), prefix });
    if (o.expect !== undefined && !(/^[0-9a-f]{8,64}$/.test(o.expect) && c.hash.startsWith(o.expect))) {
      const what = /^[0-9a-f]{8,64}$/.test(o.expect) ? `the expected ${o.expect}` : `${JSON.stringify(o.expect)}, which is not a manifest hash (8 to 64 hex digits)`;
      throw diag("config-promote-conflict:expect", { name: JSON.stringify(name), found: c.hash, expected: what }, { details: [`expected: ${o.expect}`, `found:    ${c.hash}`] });
    }
    const cur = await readForReplace(client, prefix, keys.live(prefix));
    return swapTo(client, prefix, cur, c.artifacts, "promote", o.by, t0, { name, modRevision: c.kv.modRevision, hash: c.hash }, o.onProgress);
  });
}

async function swapTo(
  client: EtcdClient,
  prefix: string,
  cur: Current,
  artifacts: Record<string, FleetArtifact>,
  action: "rollback" | "promote",
  by: string | undefined,
  t0: number,
  canary?: { name: string; modRevision: number; hash: string },
  onProgress?: (p: { phase: "swap" }) => void | Promise<void>,
): Promise<PublishResult> {
  // Every blob must still be there before readers are pointed at them.
  const have = new Set((await client.range(keys.blobs(prefix), { prefix: true, keysOnly: true })).kvs.map((k) => k.key.slice(keys.blobs(prefix).length)));
  for (const [p, a] of Object.entries(artifacts)) {
    if (!have.has(a.sha256)) throw diag("config-fleet-corrupt:missing-blob", { path: p, hash: a.sha256.slice(0, 12), blobs: keys.blobs(prefix) });
  }
  const diff = diffManifests(cur.head?.artifacts, artifacts);
  // The manifest is written again (same bytes under the same keys) so that a target read from a layout-1 record exists in layout 2.
  const manifest = manifestPuts(prefix, artifacts, new Set());
  const inline = fitsOneTxn(manifest.puts, 3) ? manifest.puts : [];
  if (inline.length === 0) await writeImmutable(client, manifest.puts);
  const published: Published = { at: new Date().toISOString(), by: by ?? defaultBy(), action, ...(canary ? { canary: canary.name } : {}) };
  const t1 = performance.now();
  await onProgress?.({ phase: "swap" });
  const s = await swapPointer(client, prefix, {
    key: keys.live(prefix),
    target: "live",
    expectModRevision: cur.kv?.modRevision ?? 0,
    previousHash: cur.hash,
    hash: manifest.hash,
    published,
    diff,
    puts: inline,
    // A promote is guarded on the canary too: what goes live is the manifest read (and checked against
    // --expect) above, not one republished to the canary since.
    ...(canary ? { extra: [{ delete: { key: keys.canary(prefix, canary.name) } }], guard: promoteGuard(prefix, canary) } : {}),
  });
  const t2 = performance.now();
  return { prefix, target: "live", revision: s.revision, hash: s.hash, previousHash: s.previousHash, ...diff, blobsWritten: 0, published: true, timings: { buildMs: 0, readMs: t1 - t0, blobsMs: 0, swapMs: t2 - t1, totalMs: t2 - t0 } };
}

function promoteGuard(prefix: string, canary: { name: string; modRevision: number; hash: string }): { key: string; modRevision: number; conflict: (now: KeyValue | undefined) => BaleError } {
  const key = keys.canary(prefix, canary.name);
  return {
    key,
    modRevision: canary.modRevision,
    conflict: (now) => {
      const found = now ? pointerHash(now) : null;
      const details = [`read:  ${canary.hash}`, `found: ${found ?? "(no canary)"}`];
      const name = JSON.stringify(canary.name);
      return found ? diag("config-promote-conflict", { name, read: canary.hash, found }, { details }) : diag("config-promote-conflict:gone", { name, read: canary.hash }, { details });
    },
  };
}
