#!/usr/bin/env node
// bale's benchmark suite: bale vs plain node, Node SEA (postject), `bun build --compile`
// and caxa, on three apps (hello, an express server, tsc), plus bale's own numbers
// (zstd level, cold path per Node major, the packer's goals) and the config compiler.
//
//   npm run bench                 full run (writes bench/results.md and bench/results.svg)
//   node bench/run.mjs --quick    smoke mode: few runs, results written to a temp dir
//   node bench/run.mjs --quick --write   smoke mode that still writes bench/results.*
//   node bench/run.mjs corpus     only the real-app corpus (test/corpus, bench/corpus.mjs); writes
//                                 bench/corpus-results.{md,json} (with --quick: a temp dir unless --write)
//   --no-corpus skips the corpus part of the full run
//   --no-fleet skips the fleet bench (bench/fleet.mjs, needs etcd), --no-config the config and bindings ones,
//   --no-runtime the embedded-runtime bench (bench/runtime.mjs)
//
// Needs `npm run build` first (npm run bench does it). Contenders are installed with
// `npm ci --prefix bench/contenders` when missing; one that cannot install or run is
// skipped with its reason, never failing the whole run.
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cleanEnv, dirSize, dropCache, interleave, runCli, runHttp, stats } from "./lib/harness.mjs";
import { renderMarkdown, renderSvg } from "./lib/report.mjs";
import { corpusMarkdown, runCorpusBench } from "./corpus.mjs";

const T0 = performance.now();
const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const WRITE = !QUICK || argv.includes("--write");
const SKIP_CONFIG = argv.includes("--no-config");
const CORPUS_ONLY = argv.includes("corpus");
const SKIP_CORPUS = argv.includes("--no-corpus");

// Run counts. Cold runs of the big app are the slow ones; everything else gets >= 10 runs in full mode.
const N = QUICK
  ? { warmup: 1, warm: 3, cold: 2, coldBig: 2, build: 1, goalWarm: 6, overhead: 3 }
  : { warmup: 3, warm: 15, cold: 10, coldBig: 10, build: 3, goalWarm: 40, overhead: 15 };

const log = (msg) => process.stdout.write(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const skipped = []; // { what, reason }
function skip(what, reason) {
  skipped.push({ what, reason });
  log(`skipped: ${what}: ${reason}`);
}

const WORK = mkdtempSync(join(tmpdir(), "bale-bench-"));
process.on("exit", () => rmSync(WORK, { recursive: true, force: true }));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));
const work = (...p) => {
  const d = join(WORK, ...p);
  mkdirSync(d, { recursive: true });
  return d;
};

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, env: cleanEnv(), ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout || "").trim().slice(-500)}`);
  return r.stdout;
}

// ---------------------------------------------------------------- setup
const BALE_CLI = join(ROOT, "dist/cli/main.js");
if (!existsSync(BALE_CLI)) {
  console.error("bench: dist/ is missing; run `npm run build` first (or `npm run bench`, which does)");
  process.exit(1);
}

/** The corpus part; in the full run its section goes into results.md. */
async function corpusPart() {
  log("== real-app corpus (bench/corpus.mjs)");
  try {
    return await runCorpusBench({ work: work("corpus"), cli: BALE_CLI, quick: QUICK, log: (m) => log(`  ${m}`), zstd: spawnSync("zstd", ["--version"]).status === 0 });
  } catch (e) {
    const reason = String(e.message ?? e).split("\n")[0].slice(0, 300);
    skip("real-app corpus", reason);
    return { skipped: reason };
  }
}
if (CORPUS_ONLY) {
  const corpus = await corpusPart();
  const md = `# bale real-app corpus bench${QUICK ? " (QUICK smoke run)" : ""}\n\nGenerated ${new Date().toISOString()} by \`node bench/run.mjs corpus\` (${((performance.now() - T0) / 1000).toFixed(0)} s).\n\n${corpusMarkdown(corpus)}`;
  const dest = WRITE ? BENCH : work("results");
  writeFileSync(join(dest, "corpus-results.md"), md);
  writeFileSync(join(dest, "corpus-results.json"), JSON.stringify(corpus, (k, v) => (k === "samples" ? undefined : v), 2) + "\n");
  process.stdout.write("\n" + md + "\n");
  log(`results in ${WRITE ? "bench/corpus-results.{md,json}" : dest}`);
  process.exit(0);
}

const CONT = join(BENCH, "contenders");
const CNM = join(CONT, "node_modules");
if (!existsSync(join(CNM, ".package-lock.json"))) {
  log("installing contenders: npm ci --prefix bench/contenders");
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--prefix", CONT], { stdio: "inherit", env: cleanEnv() });
  if (r.status !== 0) log("npm ci for the contenders failed; the ones that are missing will be skipped");
}

const NODE = { "20": process.execPath };
{
  const versions = join(ROOT, "test/node-versions");
  const bin = (v) => join(versions, `node_modules/node${v}/bin/node`);
  if (!existsSync(bin(22)) || !existsSync(bin(24))) {
    log("installing Node 22/24 binaries: npm ci --prefix test/node-versions");
    spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--prefix", versions], { stdio: "inherit", env: cleanEnv() });
  }
  for (const v of ["22", "24"]) if (existsSync(bin(v))) NODE[v] = bin(v);
}
const nodeVersion = (bin) => sh(bin, ["--version"]).trim();
const HOST_NODE = nodeVersion(process.execPath);
if (!HOST_NODE.startsWith("v20.")) log(`note: the host node is ${HOST_NODE}; "Node 20" rows below mean this node`);
for (const v of ["22", "24"]) if (!NODE[v]) skip(`Node ${v} rows`, `test/node-versions/node_modules/node${v} could not be installed`);

// Contender tools.
const tools = {};
{
  const bunBin = [join(CNM, "@oven/bun-linux-x64/bin/bun"), join(CNM, "bun/bin/bun.exe")].find((p) => existsSync(p) && statSync(p).size > 1e6);
  try {
    if (!bunBin) throw new Error("the bun npm package or its platform binary (@oven/bun-linux-x64) is not installed");
    tools.bun = { bin: bunBin, version: sh(bunBin, ["--version"]).trim() };
  } catch (e) {
    skip("bun build --compile", e.message);
  }
  const postject = join(CNM, "postject/dist/cli.js");
  if (!existsSync(postject)) skip("Node SEA", "postject is not installed");
  else if (!process.config.variables.single_executable_application) skip("Node SEA", `${HOST_NODE} was built without single-executable support`);
  else tools.sea = { postject, version: JSON.parse(readFileSync(join(CNM, "postject/package.json"), "utf8")).version };
  const caxa = join(CNM, "caxa/build/index.mjs");
  if (!existsSync(caxa)) skip("caxa", "caxa is not installed");
  else tools.caxa = { cli: caxa, version: JSON.parse(readFileSync(join(CNM, "caxa/package.json"), "utf8")).version };
  const z = spawnSync("zstd", ["--version"], { encoding: "utf8" });
  tools.zstd = z.status === 0 ? `zstd CLI ${(z.stdout.match(/v\d[\d.]*/) ?? ["?"])[0]}` : null;
  if (!tools.zstd) skip("packer goal 2 baseline", "the zstd command is not on PATH");
  const hf = spawnSync("hyperfine", ["--version"], { encoding: "utf8" });
  tools.hyperfine = hf.status === 0 ? hf.stdout.trim() : null;
}
const BALE_VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

/**
 * A new empty dir for one first-run sample. `sync` first (untimed), so the writeback of the files the
 * previous sample wrote (and of the dir it removed) does not land on this one: each contender starts
 * from the same clean page-cache state.
 */
function freshDir(prefix) {
  spawnSync("sync");
  return mkdtempSync(join(WORK, prefix));
}

// ---------------------------------------------------------------- apps
/** Copies `name` and its production dependency closure from bench/contenders/node_modules into `dest`. */
function copyClosure(name, dest) {
  const seen = new Set();
  const visit = (n) => {
    if (seen.has(n)) return;
    seen.add(n);
    const src = join(CNM, n);
    if (!existsSync(src)) throw new Error(`dependency ${n} is not installed in bench/contenders`);
    cpSync(src, join(dest, n), { recursive: true });
    const pj = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
    for (const d of Object.keys(pj.dependencies ?? {})) visit(d);
  };
  visit(name);
  return seen.size;
}

const apps = [];
{
  const hello = work("apps", "hello");
  cpSync(join(BENCH, "apps/hello"), hello, { recursive: true });
  apps.push({ id: "hello", title: "hello world", dir: hello, entry: join(hello, "main.js"), baleEntry: join(hello, "main.js"), args: ["a", "b"], kind: "cli", expect: /Hello, world \(2 arguments\)/ });
}
try {
  const http = work("apps", "http");
  cpSync(join(BENCH, "apps/http"), http, { recursive: true });
  const n = copyClosure("express", join(http, "node_modules"));
  apps.push({ id: "http", title: `express server (${n} packages)`, dir: http, entry: join(http, "server.js"), baleEntry: join(http, "server.js"), args: [], kind: "http", expect: /"ok":true/ });
} catch (e) {
  skip("HTTP app", e.message);
}
{
  const ts = join(ROOT, "node_modules/typescript");
  if (existsSync(join(ts, "bin/tsc"))) {
    const v = JSON.parse(readFileSync(join(ts, "package.json"), "utf8")).version;
    // bun build skips an entry without a .js extension (bin/tsc holds only `require('../lib/tsc.js')`), so bun gets lib/tsc.js.
    apps.push({ id: "tsc", title: `tsc --version (typescript ${v})`, dir: ts, entry: join(ts, "bin/tsc"), bunEntry: join(ts, "lib/tsc.js"), baleEntry: ts, args: ["--version"], kind: "cli", expect: /Version \d/, big: true });
  } else skip("tsc app", "node_modules/typescript is missing (run npm ci at the root)");
}
for (const a of apps) {
  const s = dirSize(a.dir);
  a.inputFiles = s.files;
  a.inputBytes = s.bytes;
}
log(`apps: ${apps.map((a) => `${a.id} (${a.inputFiles} files, ${(a.inputBytes / 1e6).toFixed(2)} MB)`).join(", ")}`);

// ---------------------------------------------------------------- builders
const esbuild = await import("esbuild").catch(() => null);

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const builders = {
  async bale(app, out, level) {
    rmSync(out, { force: true });
    const args = [BALE_CLI, "pack", app.baleEntry, "-o", out];
    if (level) args.push("--level", String(level));
    return runCli(process.execPath, args, { env: cleanEnv() });
  },
  async sea(app, out) {
    if (!esbuild) throw new Error("esbuild (bale's own dependency) is not importable; run npm ci at the root");
    const dir = work("sea", app.id);
    rmSync(out, { force: true });
    return timed(async () => {
      // SEA runs one CommonJS script whose require() sees only built-ins: bundle the app first.
      await esbuild.build({ entryPoints: [app.entry], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: join(dir, "main.cjs"), logLevel: "error" });
      writeFileSync(join(dir, "sea.json"), JSON.stringify({ main: join(dir, "main.cjs"), output: join(dir, "sea.blob"), disableExperimentalSEAWarning: true }));
      await runCli(process.execPath, ["--experimental-sea-config", join(dir, "sea.json")], { env: cleanEnv() });
      copyFileSync(process.execPath, out);
      await runCli(process.execPath, [tools.sea.postject, out, "NODE_SEA_BLOB", join(dir, "sea.blob"), "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"], { env: cleanEnv() });
    });
  },
  async bun(app, out) {
    rmSync(out, { force: true });
    return runCli(tools.bun.bin, ["build", "--compile", app.bunEntry ?? app.entry, "--outfile", out], { env: cleanEnv(), cwd: work("bun", app.id) });
  },
  async caxa(app, out) {
    rmSync(out, { force: true });
    const rel = relative(app.dir, app.entry);
    // --no-dedupe: the inputs are already flat installs, and `npm dedupe` would need the registry.
    return runCli(process.execPath, [tools.caxa.cli, "--input", app.dir, "--output", out, "--no-dedupe", "--", "{{caxa}}/node_modules/.bin/node", `{{caxa}}/${rel}`], {
      env: cleanEnv({ TMPDIR: work("caxa-build") }),
    });
  },
};

const CONTENDERS = [
  { id: "node", label: "node (unpacked)" },
  { id: "bale", label: "bale" },
  { id: "sea", label: "Node SEA" },
  { id: "bun", label: "bun --compile" },
  { id: "caxa", label: "caxa" },
].filter((c) => c.id === "node" || c.id === "bale" || tools[c.id]);

// ---------------------------------------------------------------- measurements
const results = {}; // results[app][contender] = { build, size, warm, cold, error }
const bale = {}; // bale extras per app
const goals = {};

const runApp = (app, cmd, args, env) =>
  app.kind === "http" ? runHttp(cmd, args, { env, expect: app.expect }) : runCli(cmd, [...args, ...app.args], { env, expect: app.expect });

function command(app, c, out, env = {}) {
  switch (c) {
    case "node":
      return () => runApp(app, process.execPath, [app.entry], cleanEnv(env));
    case "bale":
      return () => runApp(app, out, [], cleanEnv({ BALE_CACHE_DIR: work("bale-warm", app.id), ...env }));
    case "caxa":
      return () => runApp(app, out, [], cleanEnv({ TMPDIR: work("caxa-warm", app.id), ...env }));
    default:
      return () => runApp(app, out, [], cleanEnv(env));
  }
}

for (const app of apps) {
  log(`== ${app.title}`);
  const R = (results[app.id] = {});
  const outDir = work("out", app.id);
  for (const c of CONTENDERS) {
    R[c.id] = {};
    if (c.id === "node") {
      R.node.size = app.inputBytes;
      continue;
    }
    const out = join(outDir, c.id);
    try {
      const times = [];
      for (let i = 0; i < N.build; i++) times.push(await builders[c.id](app, out));
      R[c.id].build = stats(times);
      R[c.id].size = statSync(out).size;
      R[c.id].out = out;
      await command(app, c.id, out)(); // it runs at all (and the warm caches fill)
      log(`  built ${c.id}: ${(R[c.id].size / 1e6).toFixed(2)} MB in ${Math.round(R[c.id].build.median)} ms`);
    } catch (e) {
      R[c.id].error = String(e.message).split("\n")[0].slice(0, 300);
      skip(`${c.id} on ${app.id}`, R[c.id].error);
    }
  }
  const ok = CONTENDERS.filter((c) => !R[c.id].error);

  // Warm start: every contender, interleaved.
  log(`  warm start: ${N.warmup} warm-ups + ${N.warm} runs each, interleaved`);
  const warm = await interleave(
    ok.map((c) => ({ id: c.id, run: command(app, c.id, R[c.id].out) })),
    { warmup: N.warmup, runs: N.warm, log },
  );
  for (const c of ok) R[c.id].warm = warm[c.id];

  // Cold first run: an empty cache per run for the two that have one.
  const coldRuns = app.big ? N.coldBig : N.cold;
  const cold = [];
  if (R.bale.out) {
    const out = R.bale.out;
    let dir;
    cold.push({
      id: "bale",
      before: () => (dir = freshDir("bale-cold-")),
      run: () => runApp(app, out, [], cleanEnv({ BALE_CACHE_DIR: dir })),
      after: () => dropCache(dir),
    });
  }
  if (R.caxa?.out) {
    const out = R.caxa.out;
    let dir;
    cold.push({
      id: "caxa",
      before: () => (dir = freshDir("caxa-cold-")),
      run: () => runApp(app, out, [], cleanEnv({ TMPDIR: dir })),
      after: () => rmSync(dir, { recursive: true, force: true }),
    });
  }
  log(`  cold first run (empty cache each run): 1 warm-up + ${coldRuns} runs each`);
  const coldR = await interleave(cold, { warmup: 1, runs: coldRuns, log });
  for (const [id, r] of Object.entries(coldR)) R[id].cold = r;

  if (!R.bale.out) continue;
  // bale extras: size and pack time at level 19; cold and warm per Node major; prelude overhead.
  const B = (bale[app.id] = {});
  try {
    const out19 = join(outDir, "bale-19");
    const t = await builders.bale(app, out19, 19);
    B.level19 = { size: statSync(out19).size, build: t };
  } catch (e) {
    B.level19 = { error: e.message };
  }
  const info = JSON.parse(sh(process.execPath, [BALE_CLI, "inspect", R.bale.out, "--json"]));
  B.index = info.index;
  B.size = info.size;

  const perNode = [];
  for (const [v, bin] of Object.entries(NODE)) {
    let dir;
    perNode.push({
      id: `cold${v}`,
      before: () => (dir = freshDir("bale-cold-")),
      run: () => runApp(app, R.bale.out, [], cleanEnv({ BALE_CACHE_DIR: dir, BALE_NODE: bin })),
      after: () => dropCache(dir),
    });
    // The general cold path: the node extractor, as on a host without zstd and tar.
    let xdir;
    perNode.push({
      id: `coldx${v}`,
      before: () => (xdir = freshDir("bale-cold-")),
      run: () => runApp(app, R.bale.out, [], cleanEnv({ BALE_CACHE_DIR: xdir, BALE_NODE: bin, BALE_EXTRACTOR: "node" })),
      after: () => dropCache(xdir),
    });
    perNode.push({ id: `warm${v}`, run: () => runApp(app, R.bale.out, [], cleanEnv({ BALE_CACHE_DIR: work("bale-warm-node", v, app.id), BALE_NODE: bin })) });
  }
  if (app.big && NODE["22"]) {
    let dir;
    perNode.push({
      id: "cold22nofsync",
      before: () => (dir = freshDir("bale-cold-")),
      run: () => runApp(app, R.bale.out, [], cleanEnv({ BALE_CACHE_DIR: dir, BALE_NODE: NODE["22"], BALE_NO_FSYNC: "1" })),
      after: () => dropCache(dir),
    });
  }
  log(`  bale per Node major (cold and warm): 1 warm-up + ${coldRuns} runs each`);
  B.perNode = await interleave(perNode, { warmup: 1, runs: coldRuns, log });

  // Prelude overhead: the archive's warm start vs node with the index's nodeOptions on the extracted entry.
  const extracted = join(work("bale-warm", app.id), info.index.appId, info.index.entry);
  const runs = app.id === "hello" ? N.goalWarm : N.overhead;
  log(`  bale warm vs node ${info.index.nodeOptions.join(" ")} <extracted entry>: ${runs} interleaved runs`);
  B.overhead = await interleave(
    [
      { id: "bale", run: command(app, "bale", R.bale.out) },
      { id: "nodeSameOptions", run: () => runApp(app, process.execPath, [...info.index.nodeOptions, extracted], cleanEnv()) },
      { id: "nodePlain", run: () => runApp(app, process.execPath, [extracted], cleanEnv()) },
    ],
    { warmup: N.warmup, runs, log },
  );

  if (app.big) {
    // Packer goals 2 and 3 use this app.
    const payload = join(work("goal"), "payload.tar.zst");
    const seg = info.index.segments.payload;
    const buf = Buffer.alloc(seg.length);
    {
      const fs = await import("node:fs");
      const fd = fs.openSync(R.bale.out, "r");
      fs.readSync(fd, buf, 0, seg.length, seg.offset);
      fs.closeSync(fd);
    }
    writeFileSync(payload, buf);
    if (tools.zstd && NODE["22"]) {
      let d1, d2;
      log(`  goal 2: bale cold on Node 22 vs zstd -dc | tar -x of the same payload: 1 warm-up + ${coldRuns} runs each`);
      goals.cold = await interleave(
        [
          {
            id: "bale22",
            before: () => (d1 = freshDir("bale-cold-")),
            run: () => runApp(app, R.bale.out, [], cleanEnv({ BALE_CACHE_DIR: d1, BALE_NODE: NODE["22"] })),
            after: () => dropCache(d1),
          },
          {
            id: "zstdtar",
            before: () => (d2 = freshDir("untar-")),
            // The one timed shell: the baseline is a pipeline.
            run: () => runCli("/bin/sh", ["-c", 'zstd -dc < "$1" | tar -x -C "$2"', "sh", payload, d2], { env: cleanEnv() }),
            after: () => rmSync(d2, { recursive: true, force: true }),
          },
        ],
        { warmup: 1, runs: coldRuns, log },
      );
      goals.cold.warm22 = B.perNode.warm22;
    } else if (!NODE["22"]) skip("packer goal 2", "no Node 22 binary");
    const ex = join(WORK, "goal-extract");
    sh(process.execPath, [BALE_CLI, "extract", R.bale.out, "-o", ex]);
    const tgz = join(work("goal"), "payload.tgz");
    sh("tar", ["czf", tgz, "-C", ex, "."]);
    goals.size = { archive: B.size, payload: seg.length, tgz: statSync(tgz).size, unpacked: info.index.payload.unpackedSize, files: info.index.payload.files };
    goals.bigApp = app.title;
  }
}
if (bale.hello) goals.warm = bale.hello.overhead;

// ---------------------------------------------------------------- config compiler and bindings
async function optionalBench(prefix, fnName, arg) {
  // bench/<prefix>.mjs itself (bench/fleet-one.mjs is a helper of bench/fleet.mjs, not the fleet bench).
  const file = existsSync(join(BENCH, `${prefix}.mjs`)) ? `${prefix}.mjs` : undefined;
  if (!file) return { skipped: `bench/${prefix}*.mjs does not exist yet` };
  try {
    const mod = await import(pathToFileURL(join(BENCH, file)).href);
    if (typeof mod[fnName] !== "function") return { skipped: `bench/${file} does not export ${fnName}()` };
    const t = performance.now();
    const value = await mod[fnName](arg);
    return { file, value, ms: performance.now() - t };
  } catch (e) {
    return { skipped: `bench/${file} failed: ${String(e.message ?? e).split("\n")[0].slice(0, 300)}` };
  }
}
let configBench = { skipped: "--no-config" };
let bindingsBench = { skipped: "--no-config" };
if (!SKIP_CONFIG) {
  const sizes = QUICK ? [100, 1000] : [100, 1000, 5000];
  log(`== config compiler: runConfigBench({ sizes: [${sizes}] })`);
  configBench = await optionalBench("config", "runConfigBench", { sizes, quick: QUICK });
  if (configBench.skipped) skip("config compiler bench", configBench.skipped);
  log("== bindings: runBindingsBench()");
  bindingsBench = await optionalBench("bindings", "runBindingsBench", QUICK ? { quick: true, duration: 1, rounds: 1 } : { duration: 5, rounds: 2 });
  if (bindingsBench.skipped) skip("bindings bench", bindingsBench.skipped);
}
let fleetBench = { skipped: "--no-fleet" };
if (!argv.includes("--no-fleet")) {
  log("== fleet: runFleetBench() (real etcd on loopback)");
  fleetBench = await optionalBench("fleet", "runFleetBench", { quick: QUICK });
  if (fleetBench.skipped) skip("fleet bench", fleetBench.skipped);
}

let runtimeBench = { skipped: "--no-runtime" };
if (!argv.includes("--no-runtime")) {
  log("== embedded runtime: runRuntimeBench() (bench/runtime.mjs)");
  runtimeBench = await optionalBench("runtime", "runRuntimeBench", { quick: QUICK, log: (m) => log(`  ${m}`) });
  if (runtimeBench.skipped) skip("embedded-runtime bench", runtimeBench.skipped);
}

const corpus = SKIP_CORPUS ? { skipped: "--no-corpus" } : await corpusPart();

// ---------------------------------------------------------------- report
const cpuModel = (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? "unknown";
const machine = {
  cpu: cpuModel,
  cores: cpus().length,
  ramGiB: totalmem() / 2 ** 30,
  kernel: sh("uname", ["-sr"]).trim(),
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
};
const versions = {
  node: Object.fromEntries(Object.entries(NODE).map(([v, b]) => [v, nodeVersion(b)])),
  bale: BALE_VERSION,
  bun: tools.bun?.version,
  postject: tools.sea?.postject ? tools.sea.version : undefined,
  caxa: tools.caxa?.version,
  zstd: tools.zstd,
  harness: tools.hyperfine ? `hyperfine present (${tools.hyperfine}) but the built-in harness is used for interleaving` : "built-in (hyperfine is not installed)",
};
const totalS = (performance.now() - T0) / 1000;
const data = { quick: QUICK, machine, versions, apps, contenders: CONTENDERS, N, results, bale, goals, configBench, bindingsBench, fleetBench, corpus, skipped, totalS };
const md =
  renderMarkdown(data) +
  (fleetBench.value?.markdown ? "\n" + fleetBench.value.markdown + "\n" : "") +
  (runtimeBench.value?.markdown ? "\n" + runtimeBench.value.markdown + "\n" : "");
const svg = renderSvg(data);
const dest = WRITE ? BENCH : work("results");
writeFileSync(join(dest, "results.md"), md);
writeFileSync(join(dest, "results.svg"), svg);
writeFileSync(join(dest, "results.json"), JSON.stringify(data, (k, v) => (k === "samples" ? undefined : v), 2) + "\n");
process.stdout.write("\n" + md + "\n");
log(`total bench time ${totalS.toFixed(0)} s (${(totalS / 60).toFixed(1)} min); results in ${WRITE ? "bench/results.{md,svg,json}" : "a temp dir (--quick; pass --write to keep them)"}`);
