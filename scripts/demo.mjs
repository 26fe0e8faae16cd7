// `npm run demo` (after `npm run build`): the whole of bale on examples/greeter.
//   1. bale config build   typed config scripts -> validated canonical JSON
//   2. bale gen            TypeScript + Python bindings from the schemas and the service
//   3. bale pack           the TS server + its prod config -> ONE executable file
//   4. run it              on a free loopback port; call it from the generated Python client
//                          and with raw HTTP; show a request the server rejects
//   5. bale inspect        what is inside; then stop the server
// Every step is a real process; the first failure exits non-zero.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const cli = join(root, "dist/cli/main.js");
const ex = "examples/greeter";
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // costs ~60 ms per node start on some machines
const cache = mkdtempSync(join(tmpdir(), "bale-demo-cache-"));
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
let server;

function fail(msg) {
  process.stderr.write(`demo: FAILED: ${msg}\n`);
  process.exitCode = 1;
  throw new Error(msg);
}

function show(cmd, args, title, opts = {}) {
  const shown = cmd === process.execPath && args[0] === cli ? ["bale", ...args.slice(1)] : [cmd.replace(root + "/", ""), ...args];
  process.stdout.write(`\n${bold("$ " + shown.join(" "))}   # ${title}\n`);
  const r = spawnSync(cmd, args, { cwd: root, env: { ...env, ...opts.env }, encoding: "utf8" });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== (opts.status ?? 0)) fail(`${title} (exit ${r.status ?? r.signal})`);
  return r.stdout;
}

const bale = (args, title, opts) => show(process.execPath, [cli, ...args], title, opts);

async function rawPost(url, body, title) {
  process.stdout.write(`\n${bold(`$ curl -X POST -H 'Content-Type: application/json' -d '${body}' ${url}`)}   # ${title}\n`);
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  const text = await res.text();
  process.stdout.write(`HTTP ${res.status} ${res.headers.get("content-type")}\n${text}\n`);
  return { status: res.status, json: JSON.parse(text) };
}

try {
  const t0 = performance.now();
  bale(["config", "build", ex], "evaluate configs/{dev,prod}/greeter.config.ts and greeter.service.ts hermetically");
  bale(["gen", ex, "--lang", "ts,python"], "generate typed clients, servers and config loaders");
  mkdirSync(join(root, ex, "dist"), { recursive: true });
  const archive = join(root, ex, "dist/greeter");
  bale(["pack", `${ex}/server/main.ts`, "--config", `${ex}/out/configs/prod`, "--name", "greeter", "-o", archive], "one executable: server + prod config");

  process.stdout.write(`\n${bold(`$ ${ex}/dist/greeter --port 0 &`)}   # start it (first run extracts into the cache)\n`);
  server = spawn(archive, ["--port", "0"], { env: { ...env, BALE_CACHE_DIR: cache, BALE_TRACE: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  server.stderr.on("data", (c) => process.stdout.write(c));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 15 s")), 15000);
    let out = "";
    server.stdout.on("data", (c) => {
      out += c;
      process.stdout.write(c);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`the server exited early (${code})`)));
  });

  const py = show("python3", [`${ex}/client/client.py`, url, "Ada", "fr"], "the generated Python client calls the TS server");
  if (!py.includes("Bonjour, Ada! [fr]")) fail("unexpected reply to the Python client");
  const ok = await rawPost(`${url}/demo.v1.Greeter/SayHello`, '{"name":"Grace"}', "raw HTTP: Connect unary JSON");
  if (ok.status !== 200 || ok.json.message !== "Hello, Grace!") fail("unexpected raw HTTP reply");
  const bad = await rawPost(`${url}/demo.v1.Greeter/SayHello`, '{"name":""}', "an invalid request is rejected by the schema");
  if (bad.status !== 400 || bad.json.code !== "invalid_argument") fail("the invalid request was not rejected with invalid_argument/400");
  const nf = show("python3", [`${ex}/client/client.py`, url, "Ada", "ja"], "prod has no Japanese greeting: a typed error", { status: 3 });
  if (!nf.includes("error not_found")) fail("expected not_found from the server");

  bale(["inspect", archive], "what is inside the one file");
  server.kill("SIGTERM");
  const code = await new Promise((r) => server.on("exit", (c) => r(c)));
  process.stdout.write(`\nserver stopped (exit ${code}). demo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (code !== 0) fail(`the server exited with ${code} on SIGTERM`);
} catch (e) {
  if (!process.exitCode) {
    process.stderr.write(`demo: FAILED: ${e.message}\n`);
    process.exitCode = 1;
  }
} finally {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  rmSync(cache, { recursive: true, force: true });
}
