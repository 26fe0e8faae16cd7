#!/usr/bin/env node
// Requests per second of a generated TypeScript server (bale gen) versus a hand-written
// node:http JSON handler doing the same work (route, parse, validate the same fields, respond),
// both on 127.0.0.1, measured with autocannon for a bounded time each.
//
//   npm run build && node bench/bindings.mjs [--duration 5] [--connections 10]
//
// Exports runBindingsBench() for the main bench runner.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon from "autocannon";
import * as esbuild from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PATH = "/demo.v1.Greeter/SayHello";
const BODY = JSON.stringify({ name: "Ada Lovelace", language: "fr" });

const SCHEMAS = {
  HelloRequest: {
    type: "object",
    additionalProperties: false,
    required: ["name"],
    properties: { name: { type: "string", minLength: 1, maxLength: 100 }, language: { type: "string", enum: ["en", "fr", "de", "ja"] } },
  },
  HelloReply: {
    type: "object",
    additionalProperties: false,
    required: ["message", "language"],
    properties: { message: { type: "string" }, language: { type: "string" } },
  },
};

const GENERATED_SERVER = `
import { createServer } from "node:http";
import { createGreeterHandler } from "./ts/greeter-server.js";
const GREETINGS = { en: "Hello", fr: "Bonjour", de: "Hallo", ja: "こんにちは" };
const server = createServer(createGreeterHandler({
  sayHello(req) {
    const language = req.language ?? "en";
    return { message: GREETINGS[language] + ", " + req.name + "!", language };
  },
}));
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write("PORT " + server.address().port + "\\n"));
`;

// The baseline: what a careful person writes by hand for the same endpoint and checks.
const HANDWRITTEN_SERVER = `
import { createServer } from "node:http";
const GREETINGS = { en: "Hello", fr: "Bonjour", de: "Hallo", ja: "こんにちは" };
function fail(res, status, code, message) {
  const body = JSON.stringify({ code, message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
const server = createServer((req, res) => {
  if (req.url !== ${JSON.stringify(PATH)}) { req.resume(); return fail(res, 404, "unimplemented", "no such procedure"); }
  if (req.method !== "POST") { req.resume(); return fail(res, 405, "unimplemented", "use POST"); }
  if (!String(req.headers["content-type"]).startsWith("application/json")) { req.resume(); return fail(res, 415, "invalid_argument", "use JSON"); }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    let msg;
    try { msg = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { return fail(res, 400, "invalid_argument", "bad JSON"); }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) return fail(res, 400, "invalid_argument", "not an object");
    for (const k in msg) if (k !== "name" && k !== "language") return fail(res, 400, "invalid_argument", "unknown field " + k);
    const { name, language } = msg;
    if (typeof name !== "string" || name.length < 1 || name.length > 100) return fail(res, 400, "invalid_argument", "bad name");
    if (language !== undefined && !(language in GREETINGS)) return fail(res, 400, "invalid_argument", "bad language");
    const lang = language ?? "en";
    const body = JSON.stringify({ message: GREETINGS[lang] + ", " + name + "!", language: lang });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write("PORT " + server.address().port + "\\n"));
`;

function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}
const json = (v) => JSON.stringify(canonical(v), null, 2) + "\n";

/** A minimal config project (schemas + compiled out/) with one service. */
function writeProject(dir) {
  mkdirSync(join(dir, "schemas"), { recursive: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  for (const [name, s] of Object.entries(SCHEMAS)) writeFileSync(join(dir, "schemas", `${name}.schema.json`), json(s));
  writeFileSync(join(dir, "out/greeter.json"), json({ name: "demo.v1.Greeter", methods: { SayHello: { input: "HelloRequest", output: "HelloReply" } } }));
  writeFileSync(
    join(dir, "out/bale-manifest.json"),
    json({
      version: 1,
      artifacts: [{ output: "greeter.json", source: "greeter.service.ts", kind: "service", schema: "Service", sha256: "", dependencies: ["greeter.service.ts"] }],
      schemas: {},
    }),
  );
}

function start(file) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (c) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ proc, url: `http://127.0.0.1:${m[1]}` });
    });
    proc.on("exit", (code) => reject(new Error(`${file} exited (${code})`)));
  });
}

async function measure(url, duration, connections) {
  const opts = { url: url + PATH, method: "POST", headers: { "content-type": "application/json" }, body: BODY, connections, pipelining: 1 };
  await autocannon({ ...opts, duration: 1 }); // warm-up (JIT, connections)
  const r = await autocannon({ ...opts, duration });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${url}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return { rps: r.requests.average, latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99, requests: r.requests.total };
}

/**
 * Generates bindings for a one-method service, serves them and a hand-written handler
 * (each in its own node process) and measures both with autocannon.
 * @param {{ duration?: number, connections?: number, rounds?: number }} [opts]
 */
export async function runBindingsBench(opts = {}) {
  const duration = opts.duration ?? 5;
  const connections = opts.connections ?? 10;
  const rounds = opts.rounds ?? 2;
  const { generateBindings } = await import(pathToFileURL(join(ROOT, "dist/index.js")).href);
  const dir = mkdtempSync(join(tmpdir(), "bale-bench-bindings-"));
  try {
    const project = join(dir, "project");
    writeProject(project);
    const gen = join(dir, "gen");
    generateBindings({ root: project, outDir: gen, langs: ["ts"] });
    // The generated TS is plain ESM TypeScript; transpile it file by file (no bundling) to run on Node 20.
    const run = join(dir, "run");
    await esbuild.build({
      entryPoints: readdirSync(join(gen, "ts")).filter((f) => f.endsWith(".ts")).map((f) => join(gen, "ts", f)),
      outdir: join(run, "ts"),
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "warning",
    });
    writeFileSync(join(run, "package.json"), '{"type":"module"}\n');
    writeFileSync(join(run, "generated.js"), GENERATED_SERVER);
    writeFileSync(join(run, "handwritten.js"), HANDWRITTEN_SERVER);
    const servers = { generated: await start(join(run, "generated.js")), handwritten: await start(join(run, "handwritten.js")) };
    try {
      // Alternate the two so drift (thermal, other load) hits both alike; keep each one's best round.
      const best = { generated: undefined, handwritten: undefined };
      for (let i = 0; i < rounds; i++) {
        for (const k of ["generated", "handwritten"]) {
          const m = await measure(servers[k].url, duration, connections);
          if (!best[k] || m.rps > best[k].rps) best[k] = m;
        }
      }
      return {
        duration,
        connections,
        rounds,
        generated: best.generated,
        handwritten: best.handwritten,
        ratio: best.generated.rps / best.handwritten.rps,
      };
    } finally {
      for (const s of Object.values(servers)) s.proc.kill("SIGTERM");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : def;
  };
  const r = await runBindingsBench({ duration: arg("--duration", 5), connections: arg("--connections", 10), rounds: arg("--rounds", 2) });
  const f = (n) => Math.round(n).toLocaleString("en-US");
  console.log(`bindings bench: POST ${PATH}, ${r.connections} connections, ${r.duration} s x ${r.rounds} rounds each (best round), 127.0.0.1`);
  console.log(`  generated TS server   ${f(r.generated.rps).padStart(8)} req/s   p50 ${r.generated.latencyP50Ms} ms  p99 ${r.generated.latencyP99Ms} ms`);
  console.log(`  hand-written handler  ${f(r.handwritten.rps).padStart(8)} req/s   p50 ${r.handwritten.latencyP50Ms} ms  p99 ${r.handwritten.latencyP99Ms} ms`);
  console.log(`  ratio generated / hand-written = ${r.ratio.toFixed(3)} (goal >= 0.8)`);
}
