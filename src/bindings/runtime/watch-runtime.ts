import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, unwatchFile, watchFile, writeFileSync } from "node:fs";
import { request, type IncomingMessage } from "node:http";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError } from "./configs.js";

/** Follow a compiled config file in a directory (e.g. the out/ of "bale config build"), polled. */
export interface DirSource {
  dir: string;
  /** The artifact's path inside dir, e.g. "configs/prod/greeter.json". */
  artifact: string;
  /** Poll interval in ms (default 200). */
  pollMs?: number;
}

/** Follow a config published with "bale config publish" to etcd. */
export interface EtcdSource {
  /** etcd client URLs ("http://h1:2379,http://h2:2379" or a list); a failed member is replaced by the next. */
  etcd: string | readonly string[];
  /** The publish prefix, e.g. "/bale/greeter". */
  prefix: string;
  /** The artifact's path as published, e.g. "configs/prod/greeter.json". */
  artifact: string;
  /** Follow this canary's manifest while it exists (else the live one). */
  canary?: string;
  /** Where the last good value is kept (default $BALE_FLEET_CACHE_DIR or ~/.cache/bale-fleet, one file per prefix/canary/artifact). */
  cacheFile?: string;
}

export type WatchSource = DirSource | EtcdSource;

export interface ConfigUpdate {
  /** Where the value came from (file path, or etcd key of the manifest, or the cache file). */
  source: string;
  /** sha256 of the artifact's bytes. */
  sha256: string;
  /** etcd revision of the manifest that named this value (null for a directory). */
  revision: number | null;
  /** True while the value comes from the local cache because etcd cannot be reached. */
  stale: boolean;
}

export interface ConfigWatch<T> {
  /** The last good value, or undefined before the first one. */
  current(): T | undefined;
  /** Resolves with the first good value (fresh or stale). */
  readonly ready: Promise<T>;
  /** Stops following (the shared etcd stream closes when its last follower does). */
  close(): void;
}

type Parse<T> = (value: unknown, source: string) => T;

function sha256(b: Buffer | string): string {
  return createHash("sha256").update(b).digest("hex");
}

function asConfigError(source: string, e: unknown): ConfigError {
  return e instanceof ConfigError ? e : new ConfigError(source, e instanceof Error ? e.message : String(e));
}

interface Sub {
  artifact: string;
  canary: string | undefined;
  cacheFile: string;
  /** Validates and delivers bytes; returns false (after reporting) when they are refused. */
  offer(bytes: Buffer, update: ConfigUpdate): boolean;
  /** Delivers the current value again with a new staleness/revision. */
  refresh(update: ConfigUpdate): void;
  error(e: ConfigError): void;
  sha: string | undefined;
  stale: boolean;
  /** The last error reported (not repeated while the same). */
  lastError: string | undefined;
}

function makeWatch<T>(parse: Parse<T>, onChange: (value: T, update: ConfigUpdate) => void, onError: (e: ConfigError) => void) {
  let value: T | undefined;
  let resolveReady!: (v: T) => void;
  const ready = new Promise<T>((r) => (resolveReady = r));
  const state = {
    sha: undefined as string | undefined,
    stale: false,
    lastError: undefined as string | undefined,
    offer(bytes: Buffer, update: ConfigUpdate): boolean {
      let v: T;
      try {
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString("utf8"));
        } catch (e) {
          throw new ConfigError(update.source, "not valid JSON: " + (e instanceof Error ? e.message : String(e)));
        }
        v = parse(json, update.source);
      } catch (e) {
        state.error(asConfigError(update.source, e));
        return false;
      }
      value = v;
      state.sha = update.sha256;
      state.stale = update.stale;
      state.lastError = undefined;
      resolveReady(v);
      onChange(v, update);
      return true;
    },
    refresh(update: ConfigUpdate): void {
      if (value === undefined) return;
      state.stale = update.stale;
      onChange(value, update);
    },
    error(e: ConfigError): void {
      if (e.message === state.lastError) return;
      state.lastError = e.message;
      onError(e);
    },
  };
  return { state, ready, current: () => value };
}

/** Follows a config from a directory or etcd; used by the generated watchXConfig functions. */
export function followConfig<T>(source: WatchSource, parse: Parse<T>, onChange: (value: T, update: ConfigUpdate) => void, onError: (e: ConfigError) => void): ConfigWatch<T> {
  const w = makeWatch(parse, onChange, onError);
  if ("dir" in source) {
    const file = join(source.dir, source.artifact);
    const check = (): void => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        w.state.error(new ConfigError(file, "cannot read: " + (e instanceof Error ? e.message : String(e))));
        return;
      }
      const sha = sha256(bytes);
      if (sha === w.state.sha) return;
      w.state.offer(bytes, { source: file, sha256: sha, revision: null, stale: false });
    };
    const listener = (): void => check();
    watchFile(file, { interval: source.pollMs ?? 200, persistent: true }, listener);
    setImmediate(check);
    return { current: w.current, ready: w.ready, close: () => unwatchFile(file, listener) };
  }
  const endpoints = (typeof source.etcd === "string" ? source.etcd.split(",") : [...source.etcd]).map((s) => s.trim().replace(/\/+$/, "")).filter((s) => s !== "");
  if (endpoints.length === 0) throw new ConfigError(source.prefix, "no etcd endpoint given");
  const prefix = source.prefix.replace(/\/+$/, "");
  const cacheDir = process.env["BALE_FLEET_CACHE_DIR"] ?? join(homedir(), ".cache", "bale-fleet");
  const cacheFile = source.cacheFile ?? join(cacheDir, sha256(prefix + "\n" + (source.canary ?? "") + "\n" + source.artifact).slice(0, 24) + ".json");
  const sub: Sub = Object.assign(w.state, { artifact: source.artifact, canary: source.canary, cacheFile });
  const key = endpoints.join(",") + " " + prefix;
  let f = followers.get(key);
  if (!f) {
    f = new Follower(endpoints, prefix, () => followers.delete(key));
    followers.set(key, f);
  }
  const follower = f;
  follower.add(sub);
  return { current: w.current, ready: w.ready, close: () => follower.remove(sub) };
}

const followers = new Map<string, Follower>();

interface FleetManifest {
  artifacts: Record<string, { sha256: string } | undefined>;
}

/**
 * What a manifest key (m/live, m/canary/NAME) holds: a pointer to <prefix>/manifests/<hash> (layout 2),
 * a whole manifest (layout 1, written by older bale versions), or why it is unusable.
 */
type Head = { rev: number; m: FleetManifest | Error } | { rev: number; hash: string };

type RawKv = { key?: string; value?: string; mod_revision?: string };

/** One etcd watch stream per (endpoints, prefix) in this process, shared by every follower of a config under it. */
class Follower {
  private readonly subs = new Set<Sub>();
  /** Manifest key -> what it holds and its mod revision. */
  private readonly manifests = new Map<string, Head>();
  /** Manifests already fetched (shards merged), by root hash; content-addressed, so never stale; pruned to those still named. */
  private readonly byHash = new Map<string, FleetManifest>();
  /** The shard hashes of each manifest in byHash, and the shards themselves (a new root mostly reuses them). */
  private readonly rootShards = new Map<string, string[]>();
  private readonly shards = new Map<string, FleetManifest["artifacts"]>();
  /** The last store revision whose events have been applied (0 = read everything afresh). */
  private revision = 0;
  private current = 0;
  private closed = false;
  private connected = false;
  private stream: { destroy(): void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly endpoints: string[],
    private readonly prefix: string,
    private readonly onEmpty: () => void,
  ) {
    void this.run();
  }

  add(s: Sub): void {
    this.subs.add(s);
    if (this.connected) this.enqueue(() => this.applyOne(s));
    else if (this.revision === 0 && this.lastFailure !== undefined) this.fromCache(s, this.lastFailure);
  }

  remove(s: Sub): void {
    this.subs.delete(s);
    if (this.subs.size === 0 && !this.closed) {
      this.closed = true;
      this.onEmpty();
      this.stream?.destroy();
      if (this.timer) clearTimeout(this.timer);
    }
  }

  private lastFailure: string | undefined;

  private enqueue(f: () => Promise<void> | void): void {
    this.queue = this.queue.then(f).catch(() => undefined);
  }

  private post(path: string, body: unknown): Promise<unknown> {
    const text = JSON.stringify(body);
    const tryAt = (i: number, errors: string[]): Promise<unknown> => {
      if (i >= this.endpoints.length) return Promise.reject(new Error(errors.join("; ")));
      const idx = (this.current + i) % this.endpoints.length;
      const ep = this.endpoints[idx] as string;
      return new Promise<unknown>((resolve, reject) => {
        // One short-lived connection per request: at rest the process holds only its watch stream.
        const req = request(ep + path, { method: "POST", agent: false, headers: { "content-type": "application/json", connection: "close" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            if (res.statusCode !== 200) return reject(new Error(ep + ": HTTP " + String(res.statusCode)));
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch (e) {
              reject(e instanceof Error ? e : new Error(String(e)));
            }
          });
        });
        req.setTimeout(3000, () => req.destroy(new Error(ep + ": no answer")));
        req.on("error", reject);
        req.end(text);
      }).then(
        (r) => {
          this.current = idx;
          return r;
        },
        (e: unknown) => tryAt(i + 1, [...errors, e instanceof Error ? e.message : String(e)]),
      );
    };
    return tryAt(0, []);
  }

  private b64(s: string): string {
    return Buffer.from(s, "utf8").toString("base64");
  }

  private rangeEnd(p: string): string {
    const b = Buffer.from(p, "utf8");
    b[b.length - 1] = (b[b.length - 1] as number) + 1;
    return b.toString("base64");
  }

  private setManifest(key: string, value: Buffer | undefined, rev: number): void {
    if (value === undefined) {
      this.manifests.delete(key);
      return;
    }
    try {
      const o = JSON.parse(value.toString("utf8")) as { version?: unknown; artifacts?: unknown; manifest?: unknown };
      if (o !== null && typeof o === "object" && o.version === 2 && typeof o.manifest === "string" && /^[0-9a-f]{64}$/.test(o.manifest)) {
        this.manifests.set(key, { rev, hash: o.manifest });
        return;
      }
      if (o === null || typeof o !== "object" || o.version !== 1 || typeof o.artifacts !== "object" || o.artifacts === null) throw new Error("not a bale fleet manifest");
      this.manifests.set(key, { rev, m: o as FleetManifest });
    } catch (e) {
      this.manifests.set(key, { rev, m: new Error("the manifest at " + key + " is not valid (" + (e instanceof Error ? e.message : String(e)) + ")") });
    }
  }

  /** Reads values under <prefix>/manifests/ (one read-only transaction per 128), each checked against its hash and parsed. */
  private async fetchStored(hashes: string[], out: Map<string, Record<string, unknown> | Error>): Promise<void> {
    for (let i = 0; i < hashes.length; i += 128) {
      const part = hashes.slice(i, i + 128);
      let r: { responses?: { response_range?: { kvs?: RawKv[] } }[] };
      try {
        r = (await this.post("/v3/kv/txn", { success: part.map((h) => ({ request_range: { key: this.b64(this.prefix + "/manifests/" + h) } })) })) as typeof r;
      } catch (e) {
        for (const h of part) out.set(h, new Error("cannot fetch manifest " + h.slice(0, 12) + ": " + (e instanceof Error ? e.message : String(e))));
        continue;
      }
      part.forEach((h, j) => {
        const kv = r.responses?.[j]?.response_range?.kvs?.[0];
        const where = this.prefix + "/manifests/" + h;
        if (!kv) return out.set(h, new Error("the manifest " + where + " is missing"));
        const bytes = Buffer.from(kv.value ?? "", "base64");
        if (sha256(bytes) !== h) return out.set(h, new Error("the manifest " + where + " does not match its sha256 (edited in etcd?)"));
        try {
          const o = JSON.parse(bytes.toString("utf8")) as Record<string, unknown> | null;
          if (o === null || typeof o !== "object" || o["version"] !== 2) throw new Error("not a bale fleet manifest");
          return out.set(h, o);
        } catch (e) {
          return out.set(h, new Error("the manifest " + where + " is not valid (" + (e instanceof Error ? e.message : String(e)) + ")"));
        }
      });
    }
  }

  /**
   * Resolves pointers to manifests: the root each names, then the shards those list that are not already
   * here (a one-config change brings one new shard). Roots and shards are content-addressed, so what was
   * fetched is never stale; only what the current pointers name is kept.
   */
  private async resolve(heads: Head[]): Promise<Map<string, FleetManifest | Error>> {
    const out = new Map<string, FleetManifest | Error>();
    const roots = [...new Set(heads.flatMap((h) => ("hash" in h ? [h.hash] : [])))];
    const need = roots.filter((h) => !this.byHash.has(h));
    const got = new Map<string, Record<string, unknown> | Error>();
    await this.fetchStored(need, got);
    const shardsOf = new Map<string, string[] | Error>();
    for (const h of need) {
      const root = got.get(h) as Record<string, unknown> | Error;
      const list = root instanceof Error ? root : root["shards"];
      if (list instanceof Error) shardsOf.set(h, list);
      else if (!Array.isArray(list) || !list.every((x) => typeof x === "string" && /^[0-9a-f]{64}$/.test(x))) shardsOf.set(h, new Error("the manifest " + this.prefix + "/manifests/" + h + " is not valid (no shard list)"));
      else shardsOf.set(h, list as string[]);
    }
    const wantShards = [...new Set([...shardsOf.values()].flatMap((l) => (l instanceof Error ? [] : l)).filter((x) => !this.shards.has(x)))];
    const shardValues = new Map<string, Record<string, unknown> | Error>();
    await this.fetchStored(wantShards, shardValues);
    for (const [x, v] of shardValues) if (!(v instanceof Error) && typeof v["artifacts"] === "object" && v["artifacts"] !== null) this.shards.set(x, v["artifacts"] as FleetManifest["artifacts"]);
    for (const h of roots) {
      const known = this.byHash.get(h);
      if (known) {
        out.set(h, known);
        continue;
      }
      const list = shardsOf.get(h) as string[] | Error;
      if (list instanceof Error) {
        out.set(h, list);
        continue;
      }
      const artifacts: FleetManifest["artifacts"] = {};
      let bad: Error | undefined;
      for (const x of list) {
        const a = this.shards.get(x);
        if (a) Object.assign(artifacts, a);
        else {
          const v = shardValues.get(x);
          bad = v instanceof Error ? v : new Error("the manifest shard " + this.prefix + "/manifests/" + x + " is not valid");
          break;
        }
      }
      if (bad) out.set(h, bad);
      else {
        const m: FleetManifest = { artifacts };
        this.byHash.set(h, m);
        this.rootShards.set(h, list);
        out.set(h, m);
      }
    }
    const named = new Set([...this.manifests.values()].flatMap((h) => ("hash" in h ? [h.hash] : [])));
    for (const h of [...this.byHash.keys()]) {
      if (named.has(h) || out.has(h)) continue;
      this.byHash.delete(h);
      this.rootShards.delete(h);
    }
    const keep = new Set([...this.rootShards.values()].flat());
    for (const x of [...this.shards.keys()]) if (!keep.has(x)) this.shards.delete(x);
    return out;
  }

  private async run(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      try {
        if (this.revision === 0) {
          const mkey = this.prefix + "/m/";
          const r = (await this.post("/v3/kv/range", { key: this.b64(mkey), range_end: this.rangeEnd(mkey) })) as { header?: { revision?: string }; kvs?: RawKv[] };
          this.manifests.clear();
          for (const kv of r.kvs ?? []) this.setManifest(Buffer.from(kv.key ?? "", "base64").toString("utf8"), Buffer.from(kv.value ?? "", "base64"), Number(kv.mod_revision ?? 0));
          this.revision = Number(r.header?.revision ?? 0);
          this.up();
        }
        const why = await this.watch(this.revision + 1);
        delay = 100;
        if (why === "compacted") this.revision = 0;
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const first = this.lastFailure === undefined;
        this.lastFailure = msg;
        this.connected = false;
        if (first) for (const s of this.subs) this.enqueue(() => this.fromCache(s, msg));
      }
      if (this.closed) break;
      await new Promise<void>((r) => (this.timer = setTimeout(r, delay)));
      delay = Math.min(delay * 2, 2000);
    }
  }

  private up(): void {
    if (this.connected) return;
    this.connected = true;
    this.lastFailure = undefined;
    this.enqueue(() => this.applyAll());
  }

  /** Watches the manifest keys from rev; resolves when the stream ends, rejects when no member accepts it. */
  private watch(rev: number): Promise<"ended" | "compacted"> {
    const mkey = this.prefix + "/m/";
    const body = JSON.stringify({ create_request: { key: this.b64(mkey), range_end: this.rangeEnd(mkey), start_revision: String(rev) } });
    const open = (i: number, errors: string[]): Promise<IncomingMessage> => {
      if (i >= this.endpoints.length) return Promise.reject(new Error("no etcd member answered (" + errors.join("; ") + ")"));
      const idx = (this.current + i) % this.endpoints.length;
      const ep = this.endpoints[idx] as string;
      return new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(ep + "/v3/watch", { method: "POST", agent: false, headers: { "content-type": "application/json" } }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(ep + ": HTTP " + String(res.statusCode)));
          } else resolve(res);
        });
        this.stream = req;
        req.setTimeout(3000, () => req.destroy(new Error(ep + ": no answer")));
        req.on("error", reject);
        req.end(body);
      }).then(
        (res) => {
          this.current = idx;
          res.socket.setTimeout(0);
          return res;
        },
        (e: unknown) => tryNext(i, errors, e),
      );
    };
    const tryNext = (i: number, errors: string[], e: unknown): Promise<IncomingMessage> => open(i + 1, [...errors, e instanceof Error ? e.message : String(e)]);
    return open(0, []).then((res) => {
      this.stream = res;
      if (this.closed) res.destroy();
      this.up();
      return new Promise<"ended" | "compacted">((resolve) => {
        let buf = "";
        let done = false;
        const finish = (why: "ended" | "compacted"): void => {
          if (done) return;
          done = true;
          this.connected = false;
          res.destroy();
          // The members after the one that failed are tried first next time.
          if (why === "ended") this.current = (this.current + 1) % this.endpoints.length;
          resolve(why);
        };
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          buf += c;
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === "") continue;
            let msg: { result?: { header?: { revision?: string }; events?: { type?: string; kv?: RawKv }[]; compact_revision?: string; canceled?: boolean } };
            try {
              msg = JSON.parse(line) as typeof msg;
            } catch {
              finish("ended");
              return;
            }
            const r = msg.result;
            if (!r || r.canceled) return finish(r?.compact_revision !== undefined && r.compact_revision !== "0" ? "compacted" : "ended");
            if (r.compact_revision !== undefined && r.compact_revision !== "0") return finish("compacted");
            const events = r.events ?? [];
            if (events.length === 0) continue;
            // Every revision is applied in order (a replay after a reconnect can bring several in one message).
            for (let j = 0; j < events.length; j++) {
              const ev = events[j] as { type?: string; kv?: RawKv };
              const kv = ev.kv ?? {};
              const k = Buffer.from(kv.key ?? "", "base64").toString("utf8");
              const rev = Number(kv.mod_revision ?? 0);
              this.setManifest(k, ev.type === "DELETE" ? undefined : Buffer.from(kv.value ?? "", "base64"), rev);
              if (rev > this.revision) this.revision = rev;
              const next = events[j + 1];
              if (next === undefined || Number(next.kv?.mod_revision ?? 0) !== rev) {
                const snapshot = new Map(this.manifests);
                this.enqueue(() => this.apply([...this.subs], snapshot));
              }
            }
          }
        });
        res.on("error", () => finish("ended"));
        res.on("close", () => finish("ended"));
      });
    });
  }

  private async applyAll(): Promise<void> {
    await this.apply([...this.subs], new Map(this.manifests));
  }

  private async applyOne(s: Sub): Promise<void> {
    await this.apply([s], new Map(this.manifests));
  }

  /** Brings every sub to its manifest's value: the blobs needed are fetched together (one request per 128). */
  private async apply(subs: Sub[], manifests: Map<string, Head>): Promise<void> {
    const keyOf = (s: Sub): string => {
      const canaryKey = s.canary === undefined ? undefined : this.prefix + "/m/canary/" + s.canary;
      return canaryKey !== undefined && manifests.has(canaryKey) ? canaryKey : this.prefix + "/m/live";
    };
    const resolved = await this.resolve(subs.flatMap((s) => manifests.get(keyOf(s)) ?? []));
    const todo: { s: Sub; key: string; update: ConfigUpdate }[] = [];
    for (const s of subs) {
      if (!this.subs.has(s)) continue;
      const key = keyOf(s);
      const entry = manifests.get(key);
      if (!entry) {
        s.error(new ConfigError(key, "nothing is published here yet; keeping " + (s.sha ? "the last good value" : "no value")));
        continue;
      }
      const m = "hash" in entry ? (resolved.get(entry.hash) as FleetManifest | Error) : entry.m;
      if (m instanceof Error) {
        s.error(new ConfigError(key, m.message + "; keeping the last good value"));
        continue;
      }
      const a = m.artifacts[s.artifact];
      if (!a || typeof a.sha256 !== "string") {
        s.error(new ConfigError(key, s.artifact + " is not in the published manifest; keeping the last good value"));
        continue;
      }
      const update: ConfigUpdate = { source: key, sha256: a.sha256, revision: entry.rev, stale: false };
      if (a.sha256 === s.sha) {
        if (s.stale) s.refresh(update);
        continue;
      }
      todo.push({ s, key, update });
    }
    if (todo.length === 0) return;
    const shas = [...new Set(todo.map((t) => t.update.sha256))];
    const blobs = new Map<string, Buffer>();
    let failure: string | undefined;
    try {
      for (let i = 0; i < shas.length; i += 128) {
        const ops = shas.slice(i, i + 128).map((sha) => ({ request_range: { key: this.b64(this.prefix + "/blobs/" + sha) } }));
        const r = (await this.post("/v3/kv/txn", { success: ops })) as { responses?: { response_range?: { kvs?: RawKv[] } }[] };
        for (const resp of r.responses ?? []) {
          const kv = resp.response_range?.kvs?.[0];
          if (kv) blobs.set(Buffer.from(kv.key ?? "", "base64").toString("utf8").slice(this.prefix.length + 7), Buffer.from(kv.value ?? "", "base64"));
        }
      }
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    for (const t of todo) {
      if (!this.subs.has(t.s)) continue;
      const bkey = this.prefix + "/blobs/" + t.update.sha256;
      const bytes = blobs.get(t.update.sha256);
      if (bytes === undefined) {
        t.s.error(new ConfigError(failure === undefined ? bkey : t.key, failure === undefined ? "the artifact blob is missing" : "cannot fetch " + t.s.artifact + ": " + failure));
        continue;
      }
      if (sha256(bytes) !== t.update.sha256) {
        t.s.error(new ConfigError(bkey, "the blob does not match its sha256 (edited in etcd?)"));
        continue;
      }
      if (t.s.offer(bytes, t.update)) saveCache(t.s.cacheFile, bytes, t.update);
    }
  }

  private fromCache(s: Sub, why: string): void {
    if (s.sha !== undefined) {
      s.error(new ConfigError(this.endpoints.join(","), "etcd unreachable (" + why + "); keeping the current value and reconnecting"));
      return;
    }
    let saved: { blob?: unknown; sha256?: unknown; revision?: unknown; savedAt?: unknown };
    try {
      saved = JSON.parse(readFileSync(s.cacheFile, "utf8")) as typeof saved;
    } catch {
      s.error(new ConfigError(this.endpoints.join(","), "etcd unreachable (" + why + ") and no last good value saved at " + s.cacheFile + "; waiting for etcd"));
      return;
    }
    if (typeof saved.blob !== "string" || sha256(saved.blob) !== saved.sha256) {
      s.error(new ConfigError(s.cacheFile, "the saved last good value is damaged; waiting for etcd"));
      return;
    }
    const revision = typeof saved.revision === "number" ? saved.revision : null;
    if (s.offer(Buffer.from(saved.blob, "utf8"), { source: s.cacheFile, sha256: saved.sha256, revision, stale: true })) {
      s.lastError = undefined;
      s.error(new ConfigError(s.cacheFile, "etcd unreachable (" + why + "); running on the last good value saved " + String(saved.savedAt) + " (revision " + String(revision) + "), which may be stale"));
    }
  }
}

function saveCache(file: string, bytes: Buffer, u: ConfigUpdate): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = file + ".tmp-" + String(process.pid);
    writeFileSync(tmp, JSON.stringify({ blob: bytes.toString("utf8"), sha256: u.sha256, revision: u.revision, savedAt: new Date().toISOString() }));
    renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs the stale fallback; following the store goes on.
  }
}
