import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** Connect error codes (https://connectrpc.com/docs/protocol#error-codes). */
export type ConnectCode =
  | "canceled"
  | "unknown"
  | "invalid_argument"
  | "deadline_exceeded"
  | "not_found"
  | "already_exists"
  | "permission_denied"
  | "resource_exhausted"
  | "failed_precondition"
  | "aborted"
  | "out_of_range"
  | "unimplemented"
  | "internal"
  | "unavailable"
  | "data_loss"
  | "unauthenticated";

/** The HTTP status a server sends for each code. */
export const CONNECT_STATUS: Readonly<Record<ConnectCode, number>> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
  unauthenticated: 401,
};

export function isConnectCode(value: unknown): value is ConnectCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(CONNECT_STATUS, value);
}

/** The code a client reports for a non-200 response without a Connect error body. */
export function codeFromHttpStatus(status: number): ConnectCode {
  switch (status) {
    case 400:
      return "internal";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "unimplemented";
    case 429:
    case 502:
    case 503:
    case 504:
      return "unavailable";
    default:
      return "unknown";
  }
}

/** An RPC error: thrown by clients, and thrown by server implementations to choose the code. */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
  readonly code: ConnectCode;
  /** The HTTP status (received by a client, or the one a server will send). */
  readonly status: number;

  constructor(code: ConnectCode, message: string, status?: number) {
    super(message);
    this.code = code;
    this.status = status ?? CONNECT_STATUS[code];
  }
}

/** One problem ajv found (the fields bale uses). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string | undefined;
  params?: Record<string, unknown> | undefined;
}

/** A precompiled validator: returns whether data is valid; its errors describe the last failure. */
export type Validator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null | undefined };

/** The last failure of a validator as one sentence, e.g. "/name must NOT have fewer than 1 characters". */
export function describeErrors(validate: Validator): string {
  const e = validate.errors?.[0];
  if (e === undefined) return "is invalid";
  let where = e.instancePath === "" ? "(root)" : e.instancePath;
  const extra = e.params?.["additionalProperty"];
  if (typeof extra === "string") where += "/" + extra;
  return where + " " + (e.message ?? "is invalid");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---- client ----

/** The part of fetch() clients use; pass your own to add retries, tracing or a different transport. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface ClientOptions {
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Sent with every call. */
  headers?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** One unary Connect call: POST the JSON message, return the parsed reply or throw a ConnectError. */
export async function unaryCall(
  baseUrl: string,
  path: string,
  input: unknown,
  options: ClientOptions,
  call: CallOptions | undefined,
): Promise<unknown> {
  // Called through globalThis so browsers do not throw "Illegal invocation" on a detached fetch.
  const doFetch: FetchLike = options.fetch ?? ((url, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(url, init));
  const init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal } = {
    method: "POST",
    headers: { ...options.headers, ...call?.headers, "content-type": "application/json" },
    body: JSON.stringify(input),
  };
  if (call?.signal !== undefined) init.signal = call.signal;
  let status: number;
  let text: string;
  try {
    const res = await doFetch(baseUrl.replace(/\/+$/, "") + path, init);
    status = res.status;
    text = await res.text();
  } catch (e) {
    if (e instanceof ConnectError) throw e;
    const aborted = e instanceof Error && e.name === "AbortError";
    throw new ConnectError(aborted ? "canceled" : "unavailable", e instanceof Error ? e.message : String(e), 0);
  }
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status === 200) {
    if (!isObject(body)) throw new ConnectError("internal", "the server sent a response that is not a JSON object", status);
    return body;
  }
  let code = codeFromHttpStatus(status);
  let message = "HTTP " + String(status);
  if (isObject(body)) {
    if (isConnectCode(body["code"])) code = body["code"];
    if (typeof body["message"] === "string") message = body["message"];
  }
  throw new ConnectError(code, message, status);
}

// ---- server ----

/**
 * The deepest nesting of arrays and objects a request body may have (the top-level object is 1).
 * Deeper bodies get 400 invalid_argument before they are parsed or validated; every bale server
 * (TypeScript and Python) uses the same limit.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether a JSON text nests arrays/objects deeper than limit (strings are skipped; the text need not be valid). */
export function jsonDepthExceeds(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function finiteNumbers(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) throw new RangeError("a number is out of range");
  return value;
}

/** The request body as JSON, or the reason it is not acceptable. */
export function parseRequestBody(body: Uint8Array): { ok: true; value: unknown } | { ok: false; message: string } {
  if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
    return { ok: false, message: "the request body nests arrays and objects deeper than " + String(MAX_JSON_DEPTH) + " levels" };
  }
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return { ok: false, message: "the request body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text, finiteNumbers) };
  } catch (e) {
    const tooBig = e instanceof RangeError && e.message === "a number is out of range";
    return { ok: false, message: tooBig ? "the request body has a number out of range" : "the request body is not valid JSON" };
  }
}

export interface CallContext {
  /** "<package>.<Service>/<Method>" */
  readonly procedure: string;
  readonly request: IncomingMessage;
}

export interface Route {
  readonly procedure: string;
  readonly validateInput: Validator;
  readonly validateOutput: Validator;
  readonly invoke: (input: unknown, context: CallContext) => unknown;
}

export interface HandlerOptions {
  /** Largest request body accepted (default 4 MiB); larger ones get 413 resource_exhausted. */
  maxBodyBytes?: number;
  /** Called with errors that are not ConnectErrors with a Connect code (they are answered as "internal"). */
  onError?: (error: unknown, context: CallContext) => void;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

function errorBody(code: ConnectCode, message: string): string {
  return JSON.stringify({ code, message });
}

function sendError(res: ServerResponse, status: number, code: ConnectCode, message: string, close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message);
  const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
  if (close) headers["connection"] = "close";
  res.writeHead(status, headers);
  res.end(body);
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === "application/json";
}

/** A node:http request listener serving the given routes (keyed by "/<procedure>"). */
export function createRouter(routes: ReadonlyMap<string, Route>, options: HandlerOptions = {}): RequestListener {
  const maxBody = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const onError = options.onError;

  function report(error: unknown, context: CallContext): void {
    try {
      onError?.(error, context);
    } catch {
      // an error reporter that throws must not take the server down
    }
  }

  function finish(route: Route, context: CallContext, res: ServerResponse, output: unknown): void {
    let body: string;
    try {
      if (!route.validateOutput(output)) {
        sendError(res, 500, "internal", "the server produced an invalid response: " + describeErrors(route.validateOutput));
        return;
      }
      body = JSON.stringify(output);
      if (typeof body !== "string") throw new TypeError("the reply does not serialize to JSON");
    } catch (e) {
      // a cyclic or too deep reply, a BigInt, a throwing toJSON
      report(e, context);
      sendError(res, 500, "internal", "internal error");
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  function fail(context: CallContext, res: ServerResponse, error: unknown): void {
    if (error instanceof ConnectError && isConnectCode(error.code)) {
      sendError(res, CONNECT_STATUS[error.code], error.code, typeof error.message === "string" ? error.message : "");
      return;
    }
    report(error, context);
    sendError(res, 500, "internal", "internal error");
  }

  function run(route: Route, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const parsed = parseRequestBody(body);
    if (!parsed.ok) {
      sendError(res, 400, "invalid_argument", parsed.message);
      return;
    }
    const input = parsed.value;
    if (!route.validateInput(input)) {
      sendError(res, 400, "invalid_argument", describeErrors(route.validateInput));
      return;
    }
    const context: CallContext = { procedure: route.procedure, request: req };
    let output: unknown;
    try {
      output = route.invoke(input, context);
    } catch (e) {
      fail(context, res, e);
      return;
    }
    if (output instanceof Promise) {
      output.then(
        (value: unknown) => finish(route, context, res, value),
        (e: unknown) => fail(context, res, e),
      ).catch(() => res.destroy());
    } else {
      finish(route, context, res, output);
    }
  }

  function listen(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const path = q >= 0 ? url.slice(0, q) : url;
    const route = routes.get(path);
    if (route === undefined) {
      req.resume();
      sendError(res, 404, "unimplemented", "no such procedure: " + path);
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      res.setHeader("allow", "POST");
      sendError(res, 405, "unimplemented", "use POST for " + path);
      return;
    }
    if (!isJsonContentType(req.headers["content-type"])) {
      req.resume();
      res.setHeader("accept-post", "application/json");
      sendError(res, 415, "invalid_argument", "send the request with content-type application/json");
      return;
    }
    const tooBigMessage = "the request body is larger than " + String(maxBody) + " bytes";
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > maxBody) {
      sendError(res, 413, "resource_exhausted", tooBigMessage, true);
      return;
    }
    let first: Buffer | undefined;
    let rest: Buffer[] | undefined;
    let size = 0;
    let tooBig = false;
    req.on("data", (chunk: Buffer) => {
      if (tooBig) return;
      size += chunk.length;
      if (size > maxBody) {
        tooBig = true;
        first = undefined;
        rest = undefined;
        sendError(res, 413, "resource_exhausted", tooBigMessage, true);
        return;
      }
      if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    req.on("end", () => {
      if (tooBig) return;
      const body = rest !== undefined ? Buffer.concat(rest) : (first ?? Buffer.alloc(0));
      try {
        run(route, req, res, body);
      } catch (e) {
        // a validator or anything else that throws (e.g. RangeError: Maximum call stack size exceeded)
        report(e, { procedure: route.procedure, request: req });
        sendError(res, 500, "internal", "internal error");
      }
    });
  }

  return function listener(req: IncomingMessage, res: ServerResponse): void {
    try {
      listen(req, res);
    } catch {
      res.destroy();
    }
  };
}

export interface ServerOptions {
  /** Time to receive a request's headers (default 10 s); then 408 deadline_exceeded and the connection is closed. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, headers and body (default 30 s); then 408 deadline_exceeded and close. */
  requestTimeoutMs?: number;
  /** How long an idle kept-alive connection stays open (default 5 s). */
  keepAliveTimeoutMs?: number;
}

function rawError(status: number, reason: string, code: ConnectCode, message: string): string {
  const body = errorBody(code, message);
  return "HTTP/1.1 " + String(status) + " " + reason + "\r\ncontent-type: application/json\r\ncontent-length: " + String(Buffer.byteLength(body)) + "\r\nconnection: close\r\n\r\n" + body;
}

/**
 * An http.Server for a request listener with bale's limits: header and request timeouts
 * (slow clients get 408 deadline_exceeded), and malformed HTTP (a bad Content-Length, a bad
 * chunk size, Content-Length with Transfer-Encoding) answered 400 invalid_argument with a
 * Connect error body, then the connection closed. Call listen() on it.
 */
export function createConnectServer(listener: RequestListener, options: ServerOptions = {}): Server {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const server = createServer(
    { headersTimeout, requestTimeout, keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000, connectionsCheckingInterval: Math.min(1_000, headersTimeout) },
    listener,
  );
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === "ECONNRESET" || !socket.writable || (pending !== undefined && pending !== null && pending.headersSent)) {
      socket.destroy();
      return;
    }
    let raw: string;
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") raw = rawError(408, "Request Timeout", "deadline_exceeded", "the request was not received in time");
    else if (err.code === "HPE_HEADER_OVERFLOW") raw = rawError(431, "Request Header Fields Too Large", "resource_exhausted", "the request headers are too large");
    else raw = rawError(400, "Bad Request", "invalid_argument", "malformed HTTP request");
    socket.end(raw);
  });
  return server;
}
