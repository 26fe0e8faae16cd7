// The conformance service implemented on the generated TypeScript server binding.
// Usage: node --import tsx ts-server.ts <gen dir>   (prints "PORT <n>" when listening on 127.0.0.1)
import type { RequestListener } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

type Msg = Record<string, unknown>;
interface ServerModule {
  createConformanceHandler(impl: Record<string, (req: Msg) => unknown>): RequestListener;
}
interface RuntimeModule {
  ConnectError: new (code: string, message: string) => Error;
  createConnectServer(listener: RequestListener, options: { headersTimeoutMs?: number; requestTimeoutMs?: number }): import("node:http").Server;
}

const gen = process.argv[2];
if (!gen) throw new Error("usage: ts-server.ts <gen dir>");
const server = (await import(pathToFileURL(join(gen, "ts/conformance-server.ts")).href)) as ServerModule;
const runtime = (await import(pathToFileURL(join(gen, "ts/runtime.ts")).href)) as RuntimeModule;

const handler = server.createConformanceHandler({
  echo: (req) => {
    // handler bugs, chosen by the title; each must be answered 500 internal, never kill the process
    switch (req.title) {
      case "!cyclic": {
        const meta: Msg = {};
        meta.self = meta;
        return { ...req, meta };
      }
      case "!not-json":
        return { ...req, meta: 1n };
      case "!tojson":
        return {
          ...req,
          meta: {
            toJSON() {
              throw new Error("toJSON failed");
            },
          },
        };
      case "!deep": {
        let meta: unknown = [];
        for (let i = 0; i < 100_000; i++) meta = [meta];
        return { ...req, meta };
      }
      default:
        return req;
    }
  },
  add: (req) => ({ sum: (req.a as number) + (req.b as number) }),
  fail: (req) => {
    if (req.message === "!bad-code") throw new runtime.ConnectError("teapot", "a code Connect does not have");
    throw new runtime.ConnectError(req.code as string, req.message as string);
  },
  lookup: async (req) => {
    await new Promise((r) => setTimeout(r, 1));
    if (req.id === 1) return { id: 1, name: "one", tags: ["a", "ü"] };
    throw new runtime.ConnectError("not_found", `no item ${String(req.id)}`);
  },
  grow: (req) => req,
  badOutput: () => ({ id: "not-a-uuid", title: "", count: -1 }),
  crash: () => {
    throw new Error("boom");
  },
});
const ms = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
const options: { headersTimeoutMs?: number; requestTimeoutMs?: number } = {};
const headersTimeoutMs = ms("BALE_CONF_HEADER_TIMEOUT_MS");
const requestTimeoutMs = ms("BALE_CONF_REQUEST_TIMEOUT_MS");
if (headersTimeoutMs !== undefined) options.headersTimeoutMs = headersTimeoutMs;
if (requestTimeoutMs !== undefined) options.requestTimeoutMs = requestTimeoutMs;
const s = runtime.createConnectServer(handler, options);
s.listen(0, "127.0.0.1", () => {
  const addr = s.address();
  process.stdout.write(`PORT ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
process.on("SIGTERM", () => s.close(() => process.exit(0)));
