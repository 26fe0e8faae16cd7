/** Shared machinery of the bindings conformance suite: cases as data, servers as real processes, clients in both languages. */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, env } from "../helpers.js";

export const FIXTURE = join(ROOT, "test/fixtures/bindings/conformance");
export const HERE = join(ROOT, "test/conformance");

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface RawRpcCase {
  name: string;
  method: string;
  request?: Json;
  base?: string;
  set?: Record<string, Json>;
  delete?: string[];
  response?: Json;
  code?: string;
  status?: number;
}

export interface RpcCase {
  name: string;
  method: string;
  request: Json;
  /** Expected reply (when no error is expected). */
  response?: Json;
  /** Expected error. */
  error?: { code: string; status: number };
}

export interface HttpCase {
  name: string;
  method: string;
  path: string;
  /** undefined: application/json; null: no content type at all. */
  contentType?: string | null;
  body?: string;
  status: number;
  code?: string;
  response?: Json;
}

/** A request sent byte for byte over a socket (for what fetch cannot send: other methods, bad framing, bad bytes). */
export interface RawCase {
  name: string;
  /** Request line and headers, "\r\n"-separated, without the blank line; "Connection: close" and (unless the head has
   * Content-Length or Transfer-Encoding) Content-Length are added. */
  head: string;
  /** The body as text (UTF-8), or as base64 bytes, or the minimal Echo request with `meta` nested so that the whole body is `depth` deep. */
  body?: string;
  bodyBase64?: string;
  depth?: number;
  /** A Tree nested so that the whole body is `treeDepth` deep (each level is an object and an array). */
  treeDepth?: number;
  /** A chunked body of `count` chunks of `size` spaces. */
  chunks?: { size: number; count: number };
  status: number;
  code?: string;
  response?: Json;
}

export interface RpcResult {
  name: string;
  response?: Json;
  error?: { code: string; status: number; message?: string };
  /** Python client only: whether the request passed the dataclass's from_dict. */
  typed?: boolean;
}

const raw = JSON.parse(readFileSync(join(HERE, "cases.json"), "utf8")) as {
  bases: Record<string, Record<string, Json>>;
  rpc: RawRpcCase[];
  http: HttpCase[];
  raw: RawCase[];
};

export function rpcCases(): RpcCase[] {
  return raw.rpc.map((c) => {
    let request: Json;
    if (c.base !== undefined) {
      const base = raw.bases[c.base];
      if (!base) throw new Error(`case ${c.name}: no base ${c.base}`);
      const r: Record<string, Json> = { ...structuredClone(base), ...structuredClone(c.set ?? {}) };
      for (const k of c.delete ?? []) delete r[k];
      request = r;
    } else {
      request = c.request ?? {};
    }
    const out: RpcCase = { name: c.name, method: c.method, request };
    if (c.code !== undefined) out.error = { code: c.code, status: c.status ?? 0 };
    else out.response = c.response ?? request;
    return out;
  });
}

export function httpCases(): HttpCase[] {
  return raw.http;
}

export function rawCases(): RawCase[] {
  return raw.raw;
}

function rawBody(c: RawCase): Buffer {
  if (c.bodyBase64 !== undefined) return Buffer.from(c.bodyBase64, "base64");
  if (c.treeDepth !== undefined) {
    // {"name":"n","children":[ ... ]}: levels alternate object, array; the innermost is {"name":"leaf"}
    const pairs = Math.floor((c.treeDepth - 1) / 2);
    const leaf = c.treeDepth % 2 === 0 ? '{"name":"leaf","children":[]}' : '{"name":"leaf"}';
    return Buffer.from('{"name":"n","children":['.repeat(pairs) + leaf + "]}".repeat(pairs));
  }
  if (c.chunks !== undefined) {
    const one = Buffer.concat([Buffer.from(`${c.chunks.size.toString(16)}\r\n`), Buffer.alloc(c.chunks.size, 0x20), Buffer.from("\r\n")]);
    return Buffer.concat([...Array<Buffer>(c.chunks.count).fill(one), Buffer.from("0\r\n\r\n")]);
  }
  if (c.depth !== undefined) {
    // {"...", "meta": [[...]]}: the object is level 1, so meta holds depth - 1 arrays
    const base = JSON.stringify(raw.bases["minimal"]);
    const meta = "[".repeat(c.depth - 1) + "]".repeat(c.depth - 1);
    return Buffer.from(base.slice(0, -1) + `,"meta":${meta}}`);
  }
  return Buffer.from(c.body ?? "");
}

/** Sends one raw case over a fresh connection and reads the answer until the server closes it (5 s at most). */
export function runRawCase(url: string, c: RawCase): Promise<{ status: number; body: unknown }> {
  const { hostname, port } = new URL(url);
  const body = rawBody(c);
  let head = c.head.replace(/HOST/g, `${hostname}:${port}`);
  if (!/\r\n(content-length|transfer-encoding):/i.test(head)) head += `\r\nContent-Length: ${body.length}`;
  const request = Buffer.concat([Buffer.from(`${head}\r\nConnection: close\r\n\r\n`, "latin1"), body]);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`${c.name}: no complete answer in 5 s; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1"))}`));
    }, 5_000);
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const m = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!m) return reject(new Error(`${c.name}: not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      let parsed: unknown = m[3];
      try {
        parsed = JSON.parse(m[3] ?? "");
      } catch {
        // keep the text
      }
      resolve({ status: Number(m[1]), body: parsed });
    });
    sock.write(request);
  });
}

export interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a server process that prints "PORT <n>" once listening. */
export function startServer(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env: env(extraEnv), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let errText = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server ${cmd} ${args.join(" ")} did not start in 30 s:\n${errText}`));
    }, 30_000);
    proc.stderr.setEncoding("utf8").on("data", (c: string) => (errText += c));
    proc.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const url = `http://127.0.0.1:${m[1]}`;
        resolve({
          url,
          proc,
          stop: () =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once("exit", () => r());
              proc.kill("SIGTERM");
            }),
        });
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${cmd} exited (${code}) before listening:\n${errText}`));
    });
  });
}

export function startTsServer(gen: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  return startServer(process.execPath, ["--import", "tsx", join(HERE, "servers/ts-server.ts"), gen], extraEnv);
}

export function startPyServer(gen: string, extraEnv: Record<string, string> = {}): Promise<Server> {
  return startServer("python3", [join(HERE, "servers/py_server.py"), join(gen, "python")], extraEnv);
}

interface ConnectErrorLike {
  code: string;
  status: number;
  message: string;
}

function camel(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Runs every case through the generated TypeScript client (in this process). */
export async function runTsClient(gen: string, url: string, cases: RpcCase[]): Promise<RpcResult[]> {
  const mod = (await import(pathToFileURL(join(gen, "ts/conformance-client.ts")).href)) as {
    ConformanceClient: new (baseUrl: string) => Record<string, (req: unknown) => Promise<Json>>;
  };
  const runtime = (await import(pathToFileURL(join(gen, "ts/runtime.ts")).href)) as { ConnectError: new (...a: never[]) => Error };
  const client = new mod.ConformanceClient(url);
  const results: RpcResult[] = [];
  for (const c of cases) {
    const fn = client[camel(c.method)];
    if (typeof fn !== "function") throw new Error(`TS client has no method ${camel(c.method)}`);
    try {
      const response = await fn.call(client, c.request);
      results.push({ name: c.name, response });
    } catch (e) {
      if (!(e instanceof runtime.ConnectError)) throw e;
      const ce = e as unknown as ConnectErrorLike;
      results.push({ name: c.name, error: { code: ce.code, status: ce.status, message: ce.message } });
    }
  }
  return results;
}

/** Runs every case through the generated Python client (one python3 process). */
export function runPyClient(gen: string, url: string, cases: RpcCase[]): Promise<RpcResult[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn("python3", [join(HERE, "clients/py_client.py"), join(gen, "python"), url], { env: env(), stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let errText = "";
    proc.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    proc.stderr.setEncoding("utf8").on("data", (c: string) => (errText += c));
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`py_client failed (${code}):\n${errText}`));
      resolve(JSON.parse(out) as RpcResult[]);
    });
    proc.stdin.end(JSON.stringify(cases.map((c) => ({ name: c.name, method: c.method, request: c.request }))));
  });
}

/** Sends one raw HTTP case with fetch; returns the status and the parsed JSON body (or the text). */
export async function runHttpCase(url: string, c: HttpCase): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
  const init: RequestInit = { method: c.method, headers };
  if (c.body !== undefined) init.body = c.contentType === null ? new TextEncoder().encode(c.body) : c.body;
  const res = await fetch(url + c.path, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}
