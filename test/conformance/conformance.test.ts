/**
 * The bindings conformance suite: every case in cases.json runs for all four
 * pairs of generated clients and servers (TypeScript, Python), and the raw
 * HTTP cases run with fetch against both servers. Servers are real processes
 * on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateBindings } from "../../src/bindings/index.js";
import { tmp } from "../helpers.js";
import {
  FIXTURE,
  httpCases,
  rpcCases,
  rawCases,
  runHttpCase,
  runRawCase,
  runPyClient,
  runTsClient,
  startPyServer,
  startTsServer,
  type RpcCase,
  type RpcResult,
  type Server,
} from "./harness.js";

const cases = rpcCases();
let gen = "";
const servers: Record<"ts" | "python", Server | undefined> = { ts: undefined, python: undefined };

before(async () => {
  gen = tmp("bale-conf-");
  generateBindings({ root: FIXTURE, outDir: gen, langs: ["ts", "python"] });
  const [ts, py] = await Promise.all([startTsServer(gen), startPyServer(gen)]);
  servers.ts = ts;
  servers.python = py;
});

after(async () => {
  await Promise.all([servers.ts?.stop(), servers.python?.stop()]);
});

function url(which: "ts" | "python"): string {
  const s = servers[which];
  if (!s) throw new Error(`${which} server is not running`);
  return s.url;
}

function check(c: RpcCase, r: RpcResult | undefined): void {
  assert.ok(r, `no result for ${c.name}`);
  assert.equal(r.name, c.name);
  if (c.error) {
    assert.ok(r.error, `expected ${c.error.code}, got response ${JSON.stringify(r.response)}`);
    assert.deepEqual({ code: r.error.code, status: r.error.status }, c.error, r.error.message);
  } else {
    assert.equal(r.error, undefined, `unexpected error ${JSON.stringify(r.error)}`);
    assert.deepEqual(r.response, c.response);
  }
}

const pairs = [
  ["ts", "ts"],
  ["ts", "python"],
  ["python", "ts"],
  ["python", "python"],
] as const;

for (const [client, server] of pairs) {
  describe(`${client} client x ${server} server`, () => {
    let results: RpcResult[] = [];
    before(async () => {
      results = client === "ts" ? await runTsClient(gen, url(server), cases) : await runPyClient(gen, url(server), cases);
    });
    test("answers every case", () => assert.equal(results.length, cases.length));
    cases.forEach((c, i) => {
      test(c.name, () => {
        check(c, results[i]);
        if (client === "python") {
          // The Python dataclasses agree with ajv: exactly the invalid requests fail from_dict on the client side.
          assert.equal(results[i]?.typed, !c.name.startsWith("invalid:"), "Python from_dict verdict differs from the server's");
        }
      });
    });
  });
}

for (const server of ["ts", "python"] as const) {
  describe(`raw HTTP (fetch) x ${server} server`, () => {
    for (const c of httpCases()) {
      test(c.name, async () => {
        const r = await runHttpCase(url(server), c);
        assert.equal(r.status, c.status, JSON.stringify(r.body));
        if (c.code !== undefined) {
          assert.equal((r.body as { code?: unknown }).code, c.code);
          assert.equal(typeof (r.body as { message?: unknown }).message, "string");
        }
        if (c.response !== undefined) assert.deepEqual(r.body, c.response);
      });
    }
  });
}

for (const server of ["ts", "python"] as const) {
  describe(`raw HTTP (socket) x ${server} server`, () => {
    for (const c of rawCases()) {
      test(c.name, async () => {
        const r = await runRawCase(url(server), c);
        assert.equal(r.status, c.status, JSON.stringify(r.body));
        if (c.code !== undefined) {
          assert.equal((r.body as { code?: unknown }).code, c.code, JSON.stringify(r.body));
          assert.equal(typeof (r.body as { message?: unknown }).message, "string");
        }
        if (c.response !== undefined) assert.deepEqual(r.body, c.response);
      });
    }
    test("the server is still alive and answering after every raw case", async () => {
      const r = await runHttpCase(url(server), { name: "alive", method: "POST", path: "/conformance.v1.Conformance/Add", body: '{"a":1,"b":2}', status: 200 });
      assert.deepEqual(r, { status: 200, body: { sum: 3 } });
    });
  });
}
