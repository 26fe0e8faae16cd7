/** The text of `gen/ts/runtime.ts`: the protocol code every generated client and server shares. */
export const TS_RUNTIME = String.raw`import type { IncomingMessage, ServerResponse } from "node:http";

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
  /** Called with errors that are not ConnectErrors (they are answered as "internal"). */
  onError?: (error: unknown, context: CallContext) => void;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

function sendError(res: ServerResponse, status: number, code: ConnectCode, message: string): void {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
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

  function finish(route: Route, context: CallContext, res: ServerResponse, output: unknown): void {
    if (!route.validateOutput(output)) {
      sendError(res, 500, "internal", "the server produced an invalid response: " + describeErrors(route.validateOutput));
      return;
    }
    const body = JSON.stringify(output);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  function fail(context: CallContext, res: ServerResponse, error: unknown): void {
    if (error instanceof ConnectError) {
      sendError(res, CONNECT_STATUS[error.code], error.code, error.message);
      return;
    }
    if (onError !== undefined) onError(error, context);
    sendError(res, 500, "internal", "internal error");
  }

  function run(route: Route, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    let input: unknown;
    try {
      input = JSON.parse(body.toString("utf8"));
    } catch {
      sendError(res, 400, "invalid_argument", "the request body is not valid JSON");
      return;
    }
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
      );
    } else {
      finish(route, context, res, output);
    }
  }

  return function listener(req: IncomingMessage, res: ServerResponse): void {
    let url = req.url ?? "";
    const q = url.indexOf("?");
    if (q >= 0) url = url.slice(0, q);
    const route = routes.get(url);
    if (route === undefined) {
      req.resume();
      sendError(res, 404, "unimplemented", "no such procedure: " + url);
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      res.setHeader("allow", "POST");
      sendError(res, 405, "unimplemented", "use POST for " + url);
      return;
    }
    if (!isJsonContentType(req.headers["content-type"])) {
      req.resume();
      res.setHeader("accept-post", "application/json");
      sendError(res, 415, "invalid_argument", "send the request with content-type application/json");
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
        sendError(res, 413, "resource_exhausted", "the request body is larger than " + String(maxBody) + " bytes");
        return;
      }
      if (first === undefined) first = chunk;
      else (rest ??= [first]).push(chunk);
    });
    req.on("end", () => {
      if (tooBig) return;
      const body = rest !== undefined ? Buffer.concat(rest) : (first ?? Buffer.alloc(0));
      run(route, req, res, body);
    });
  };
}
`;
