// The conformance service implemented on the generated TypeScript server binding.
// Usage: node --import tsx ts-server.ts <gen dir>   (prints "PORT <n>" when listening on 127.0.0.1)
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

type Msg = Record<string, unknown>;
interface ServerModule {
  createConformanceHandler(impl: Record<string, (req: Msg) => unknown>): Parameters<typeof createServer>[1];
}
interface RuntimeModule {
  ConnectError: new (code: string, message: string) => Error;
}

const gen = process.argv[2];
if (!gen) throw new Error("usage: ts-server.ts <gen dir>");
const server = (await import(pathToFileURL(join(gen, "ts/conformance-server.ts")).href)) as ServerModule;
const runtime = (await import(pathToFileURL(join(gen, "ts/runtime.ts")).href)) as RuntimeModule;

const handler = server.createConformanceHandler({
  echo: (req) => req,
  add: (req) => ({ sum: (req.a as number) + (req.b as number) }),
  fail: (req) => {
    throw new runtime.ConnectError(req.code as string, req.message as string);
  },
  lookup: async (req) => {
    await new Promise((r) => setTimeout(r, 1));
    if (req.id === 1) return { id: 1, name: "one", tags: ["a", "ü"] };
    throw new runtime.ConnectError("not_found", `no item ${String(req.id)}`);
  },
  badOutput: () => ({ id: "not-a-uuid", title: "", count: -1 }),
  crash: () => {
    throw new Error("boom");
  },
});
const s = createServer(handler);
s.listen(0, "127.0.0.1", () => {
  const addr = s.address();
  process.stdout.write(`PORT ${typeof addr === "object" && addr ? addr.port : 0}\n`);
});
process.on("SIGTERM", () => s.close(() => process.exit(0)));
