/**
 * A small etcd v3 client over etcd's JSON gateway (`POST /v3/kv/range`, `/v3/kv/txn`; the generated loaders
 * watch with `/v3/watch`, see src/bindings/runtime/watch-runtime.ts),
 * which every etcd >= 3.4 serves on its client port. Keys and values travel base64-encoded,
 * 64-bit integers as decimal strings. Requests go to one endpoint at a time; a connection
 * failure moves to the next endpoint (failover), an HTTP-level error from etcd does not.
 */
import { request as httpRequest, Agent } from "node:http";
import { diag } from "../diagnostics/create.js";

export interface KeyValue {
  key: string;
  value: Buffer;
  modRevision: number;
  createRevision: number;
  version: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** The store revision this answer reflects. */
  revision: number;
  count: number;
}

export type Compare =
  | { key: string; target: "MOD"; modRevision: number }
  | { key: string; target: "VERSION"; version: number };

export type Op =
  | { put: { key: string; value: string | Buffer } }
  | { delete: { key: string } }
  | { range: { key: string } };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** One entry per op of the branch that ran; ranges carry their kvs. */
  responses: { kvs?: KeyValue[] }[];
}

/** A connection failure (no answer from any endpoint), as opposed to an error answer from etcd. */
export class EtcdUnreachable extends Error {
  override readonly name = "EtcdUnreachable";
}

/** etcd answered with an error (e.g. too many operations in a transaction). */
export class EtcdRequestError extends Error {
  override readonly name = "EtcdRequestError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface EtcdClientOptions {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]; tried in order, the last one that answered first. */
  endpoints: readonly string[];
  /** Per-request time limit (ms). Default 5000. */
  timeoutMs?: number;
}

const b64 = (s: string | Buffer): string => (typeof s === "string" ? Buffer.from(s, "utf8") : s).toString("base64");

/** The key just past every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix, "utf8");
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] as number) < 0xff) {
      const e = b.subarray(0, i + 1);
      e[i] = (e[i] as number) + 1;
      return e.toString("latin1");
    }
  }
  return "\0";
}

function encodeRangeEnd(prefix: string): string {
  return Buffer.from(prefixEnd(prefix), "latin1").toString("base64");
}

interface RawKv {
  key?: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
  version?: string;
}

function decodeKv(r: RawKv): KeyValue {
  return {
    key: Buffer.from(r.key ?? "", "base64").toString("utf8"),
    value: Buffer.from(r.value ?? "", "base64"),
    modRevision: Number(r.mod_revision ?? 0),
    createRevision: Number(r.create_revision ?? 0),
    version: Number(r.version ?? 0),
  };
}

/** Checks and normalises an endpoint list ("http://host:port", comma-separated or an array). */
export function parseEndpoints(spec: string | readonly string[]): string[] {
  const list = (typeof spec === "string" ? spec.split(",") : [...spec]).map((s) => s.trim()).filter((s) => s !== "");
  if (list.length === 0) throw diag("config-etcd-endpoint:none", {});
  return list.map((e) => {
    let u: URL;
    try {
      u = new URL(e);
    } catch {
      throw diag("config-etcd-endpoint", { endpoint: JSON.stringify(e) });
    }
    if (u.protocol !== "http:") throw diag("config-etcd-endpoint:not-http", { endpoint: JSON.stringify(e) });
    return `http://${u.host}`;
  });
}

export class EtcdClient {
  readonly endpoints: string[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 });

  constructor(o: EtcdClientOptions) {
    this.endpoints = parseEndpoints(o.endpoints);
    this.timeoutMs = o.timeoutMs ?? 5000;
  }

  close(): void {
    this.agent.destroy();
  }

  /** POSTs to one endpoint after another until one answers; EtcdUnreachable if none does. */
  private async call(path: string, body: unknown): Promise<unknown> {
    const text = JSON.stringify(body);
    const errors: string[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const idx = (this.current + i) % this.endpoints.length;
      const ep = this.endpoints[idx] as string;
      try {
        const r = await this.post(ep, path, text);
        this.current = idx;
        return r;
      } catch (e) {
        if (e instanceof EtcdRequestError) throw e;
        errors.push(`${ep}: ${(e as Error).message}`);
      }
    }
    throw new EtcdUnreachable(`no etcd endpoint answered (${errors.join("; ")})`);
  }

  private post(endpoint: string, path: string, text: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(endpoint + path, { method: "POST", agent: this.agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            reject(new Error(`not JSON from etcd (HTTP ${res.statusCode}): ${body.slice(0, 200)}`));
            return;
          }
          if (res.statusCode !== 200) {
            const m = (json as { error?: string; message?: string }).message ?? (json as { error?: string }).error ?? body.slice(0, 200);
            // 503 = this member has no leader (or is stopping): another member may answer.
            if (res.statusCode === 503) reject(new Error(`HTTP 503: ${m}`));
            else reject(new EtcdRequestError(res.statusCode ?? 0, m));
            return;
          }
          resolve(json);
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on("error", reject);
      req.end(text);
    });
  }

  async get(key: string): Promise<{ kv: KeyValue | undefined; revision: number }> {
    const r = await this.range(key);
    return { kv: r.kvs[0], revision: r.revision };
  }

  async range(key: string, o: { prefix?: boolean; limit?: number; descending?: boolean; keysOnly?: boolean } = {}): Promise<RangeResult> {
    const body: Record<string, unknown> = { key: b64(key) };
    if (o.prefix) body.range_end = encodeRangeEnd(key);
    if (o.limit !== undefined) body.limit = String(o.limit);
    if (o.descending) {
      body.sort_order = "DESCEND";
      body.sort_target = "KEY";
    }
    if (o.keysOnly) body.keys_only = true;
    const r = (await this.call("/v3/kv/range", body)) as { header?: { revision?: string }; kvs?: RawKv[]; count?: string };
    return { kvs: (r.kvs ?? []).map(decodeKv), revision: Number(r.header?.revision ?? 0), count: Number(r.count ?? 0) };
  }

  async txn(compare: Compare[], success: Op[], failure: Op[] = []): Promise<TxnResult> {
    const cmp = compare.map((c) =>
      c.target === "MOD"
        ? { key: b64(c.key), target: "MOD", result: "EQUAL", mod_revision: String(c.modRevision) }
        : { key: b64(c.key), target: "VERSION", result: "EQUAL", version: String(c.version) },
    );
    const ops = (list: Op[]) =>
      list.map((o) => ("put" in o ? { request_put: { key: b64(o.put.key), value: b64(o.put.value) } } : "delete" in o ? { request_delete_range: { key: b64(o.delete.key) } } : { request_range: { key: b64(o.range.key) } }));
    const r = (await this.call("/v3/kv/txn", { compare: cmp, success: ops(success), failure: ops(failure) })) as {
      header?: { revision?: string };
      succeeded?: boolean;
      responses?: { response_range?: { kvs?: RawKv[] } }[];
    };
    return {
      succeeded: r.succeeded === true,
      revision: Number(r.header?.revision ?? 0),
      responses: (r.responses ?? []).map((x) => (x.response_range ? { kvs: (x.response_range.kvs ?? []).map(decodeKv) } : {})),
    };
  }
}
