/**
 * Bounds of the generated servers under slow and many clients: header and request
 * timeouts (slowloris), the Python server's bounded thread count, and both still
 * answering afterwards. Servers are real processes on 127.0.0.1 with the timeouts
 * shortened for the test (header 1 s, request 2 s, Python max 8 threads).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { generateBindings } from "../../src/bindings/index.js";
import { tmp } from "../helpers.js";
import { FIXTURE, runHttpCase, startPyServer, startTsServer, type Server } from "./harness.js";

const HEADER_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const MAX_THREADS = 8;
const CONNECTIONS = 50;
const LIMITS = {
  BALE_CONF_HEADER_TIMEOUT_MS: String(HEADER_TIMEOUT_MS),
  BALE_CONF_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  BALE_CONF_MAX_THREADS: String(MAX_THREADS),
};

let gen = "";
const servers: Record<"ts" | "python", Server | undefined> = { ts: undefined, python: undefined };

before(async () => {
  gen = tmp("bale-limits-");
  generateBindings({ root: FIXTURE, outDir: gen, langs: ["ts", "python"] });
  const [ts, py] = await Promise.all([startTsServer(gen, LIMITS), startPyServer(gen, LIMITS)]);
  servers.ts = ts;
  servers.python = py;
});

after(async () => {
  await Promise.all([servers.ts?.stop(), servers.python?.stop()]);
});

function server(which: "ts" | "python"): Server {
  const s = servers[which];
  if (!s) throw new Error(`${which} server is not running`);
  return s;
}

interface Slow {
  sock: Socket;
  /** Resolves with what the server sent and when it closed (ms after the start). */
  closed: Promise<{ data: string; at: number }>;
}

/** Opens a connection, sends `first`, then optionally one more byte every `dripMs` (never finishing). */
function slowClient(url: string, first: string, start: number, dripMs?: number): Slow {
  const { hostname, port } = new URL(url);
  const sock = connect(Number(port), hostname);
  let data = "";
  let drip: NodeJS.Timeout | undefined;
  const closed = new Promise<{ data: string; at: number }>((resolve) => {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => (data += d));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      if (drip) clearInterval(drip);
      resolve({ data, at: Date.now() - start });
    });
  });
  sock.on("connect", () => {
    sock.write(first);
    if (dripMs !== undefined) drip = setInterval(() => sock.write(" "), dripMs);
  });
  return { sock, closed };
}

function threadsOf(pid: number | undefined): number {
  const m = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${String(pid)}/status`, "utf8"));
  return Number(m?.[1]);
}

async function alive(which: "ts" | "python"): Promise<void> {
  const r = await runHttpCase(server(which).url, { name: "alive", method: "POST", path: "/conformance.v1.Conformance/Add", body: '{"a":1,"b":2}', status: 200 });
  assert.deepEqual(r, { status: 200, body: { sum: 3 } });
}

for (const which of ["ts", "python"] as const) {
  describe(`${which} server limits`, () => {
    test(`${CONNECTIONS} slowloris connections (half a header) are all closed soon after the header timeout`, async () => {
      const start = Date.now();
      const clients = Array.from({ length: CONNECTIONS }, () => slowClient(server(which).url, "POST /conformance.v1.Conformance/Add HTTP/1.1\r\nHost: x\r\n", start));
      try {
        await new Promise((r) => setTimeout(r, HEADER_TIMEOUT_MS / 2));
        if (which === "python") {
          const threads = threadsOf(server(which).proc.pid);
          // workers + the main thread + the deadline watcher
          assert.ok(threads <= MAX_THREADS + 2, `the Python server runs ${threads} threads for ${CONNECTIONS} connections (max ${MAX_THREADS} workers)`);
        }
        const results = await Promise.race([
          Promise.all(clients.map((c) => c.closed)),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("connections still open 4 s after the header timeout")), HEADER_TIMEOUT_MS + 4_000)),
        ]);
        for (const r of results) {
          // 408 when the deadline closed it; 503 when the Python server had no free worker
          assert.match(r.data, /^HTTP\/1\.1 (408|503) /, r.data);
          assert.match(r.data, /"code":"(deadline_exceeded|unavailable)"/);
        }
        assert.ok(results.some((r) => r.data.startsWith("HTTP/1.1 408")), "no connection got 408");
      } finally {
        for (const c of clients) c.sock.destroy();
      }
      await alive(which);
    });

    test("a body that trickles in is cut off by the request timeout with 408", async () => {
      const start = Date.now();
      const c = slowClient(
        server(which).url,
        "POST /conformance.v1.Conformance/Add HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        start,
        200,
      );
      try {
        const r = await Promise.race([
          c.closed,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("still open 4 s after the request timeout")), REQUEST_TIMEOUT_MS + 4_000)),
        ]);
        assert.match(r.data, /^HTTP\/1\.1 408 /, r.data);
        assert.match(r.data, /"code":"deadline_exceeded"/);
        assert.ok(r.at >= REQUEST_TIMEOUT_MS - 200, `closed after ${r.at} ms, before the request timeout`);
      } finally {
        c.sock.destroy();
      }
      await alive(which);
    });
  });
}
