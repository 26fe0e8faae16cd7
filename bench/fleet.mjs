#!/usr/bin/env node
// The fleet's numbers against a real single-node etcd on loopback (this machine):
//   - publish of 1000 configs (library call and the CLI end to end, --no-build: compiling is the config bench's job),
//   - a one-config change as a user makes it: edit one .config.ts of a 1000-config project, then a fresh
//     `bale config publish` (node start + incremental build + publish; bench/fleet-one.mjs), and its parts
//     on their own: the library on a prebuilt out/ (no build, no process start), the CLI with --no-build,
//   - propagation: 100 watchers (4 processes x 25 configs, generated TS loaders), time from publish returning
//     to each watcher's onChange (p50/p99 over all watcher events, and of the last watcher per round),
//   - watcher cost at rest: RSS per watching process, etcd connections per process.
//
//   npm run build && node bench/fleet.mjs [--rounds 20]
//
// Exports runFleetBench() for the main bench runner. Needs `etcd` on PATH (Debian: etcd-server).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { freePort, healthy } from "../scripts/lib/etcd.mjs";
import { measureOneConfig, measureWatchPublish } from "./fleet-one.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist/cli/main.js");

function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};

/** sha256 of canonical JSON as bale writes it (2-space indent, sorted keys, final newline) for flat objects. */
function canonical(v) {
  const keys = Object.keys(v).sort();
  return "{\n" + keys.map((k, i) => `  ${JSON.stringify(k)}: ${JSON.stringify(v[k])}${i < keys.length - 1 ? "," : ""}`).join("\n") + "\n}\n";
}

function writeOut(out, values) {
  const artifacts = [];
  for (const [name, v] of Object.entries(values)) {
    const text = canonical(v);
    mkdirSync(join(out, "configs"), { recursive: true });
    writeFileSync(join(out, "configs", name + ".json"), text);
    artifacts.push({ output: `configs/${name}.json`, source: `configs/${name}.config.ts`, kind: "config", schema: "Flags", sha256: createHash("sha256").update(text).digest("hex"), dependencies: [] });
  }
  artifacts.sort((a, b) => (a.output < b.output ? -1 : 1));
  writeFileSync(join(out, "bale-manifest.json"), JSON.stringify({ version: 1, artifacts, schemas: {} }, null, 2) + "\n");
}

/** n configs at `level`; with `one`, config number one.index gets one.level instead (a one-config change against values(n, level)). */
function values(n, level, one) {
  const v = {};
  for (let i = 0; i < n; i++) v[`c${String(i).padStart(4, "0")}`] = { greeting: `hello ${i} ${"x".repeat(200)}`, level: one && i === one.index ? one.level : level };
  return v;
}

const median = (xs) => pct(xs, 50);

function connections(pid, port) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {}
  }
  let n = 0;
  for (const f of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${f}`, "utf8").split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length >= 10 && c[3] === "01" && parseInt(c[2].split(":")[1], 16) === port && inodes.has(c[9])) n++;
    }
  }
  return n;
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);

const WATCHER = `
import { watchFlags } from "./ts/index.js";
const [etcd, prefix, n] = process.argv.slice(2);
let count = 0;
for (let i = 0; i < Number(n); i++) {
  const artifact = "configs/c" + String(i).padStart(4, "0") + ".json";
  watchFlags({ etcd, prefix, artifact, cacheFile: process.env.CACHE_DIR + "/" + process.pid + "-" + i + ".json" },
    (v) => { count++; process.stdout.write(JSON.stringify({ t: performance.timeOrigin + performance.now(), i, level: v.level }) + "\\n"); },
    (e) => process.stderr.write(e.message + "\\n"));
}
`;

export async function runFleetBench(opts = {}) {
  const rounds = opts.rounds ?? (opts.quick ? 5 : 20);
  const procsN = 4;
  const perProc = 25;
  if (spawnSync("sh", ["-c", "command -v etcd"]).status !== 0) throw new Error("etcd is not installed (apt-get install etcd-server)");
  const work = mkdtempSync(join(tmpdir(), "bale-fleet-bench-"));
  const children = [];
  const killAll = () => children.forEach((c) => c.kill("SIGKILL"));
  process.on("exit", killAll);
  try {
    const [cport, pport] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${cport}`;
    const etcdProc = spawn("etcd", ["--name", "b", "--data-dir", join(work, "etcd"), "--listen-client-urls", url, "--advertise-client-urls", url, "--listen-peer-urls", `http://127.0.0.1:${pport}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${pport}`, "--initial-cluster", `b=http://127.0.0.1:${pport}`, "--log-level", "error", "--logger", "zap"], { stdio: "ignore" });
    children.push(etcdProc);
    const end = Date.now() + 20_000;
    while (!(await healthy(url))) {
      if (Date.now() > end) throw new Error("etcd did not become healthy");
      await new Promise((r) => setTimeout(r, 100));
    }
    const { publishConfigs } = await import(pathToFileURL(join(ROOT, "dist/fleet/index.js")).href);
    const prefix = "/bench/fleet";

    // Publish of 1000 configs, then a one-config change (library, in-process; then the CLI, a fresh node process).
    const out1 = join(work, "out1");
    writeOut(out1, values(1000, 1));
    const p1000 = await publishConfigs({ etcd: url, prefix, out: out1, build: false });
    // Each round changes exactly one config against what is live (checked: a bench that changed all 1000
    // while calling it a one-config change is how the first numbers of this row were wrong).
    const oneLib = [];
    const oneSplit = { readMs: [], blobsMs: [], swapMs: [] };
    for (let r = 0; r < 7; r++) {
      const o = join(work, `one-${r}`);
      writeOut(o, values(1000, 1, { index: 7, level: 10 + r }));
      const res = await publishConfigs({ etcd: url, prefix, out: o, build: false });
      if (res.changed.length !== 1 || res.added.length + res.removed.length !== 0) throw new Error(`a one-config change changed ${res.changed.length}`);
      oneLib.push(res.timings.totalMs);
      for (const k of Object.keys(oneSplit)) oneSplit[k].push(res.timings[k]);
    }
    const cliRun = (args) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: cleanEnv() });
      if (r.status !== 0) throw new Error(r.stderr);
      return { ms: performance.now() - t, stdout: r.stdout };
    };
    const cliPublish = (out, p) => {
      const r = cliRun(["config", "publish", "--no-build", "-o", out, "--etcd", url, "--prefix", p, "--json"]);
      return { ms: r.ms, result: JSON.parse(r.stdout) };
    };
    const cli1000 = cliPublish(out1, `${prefix}-cli`).ms;
    const oneCli = [];
    const oneCliLib = [];
    for (let r = 0; r < 7; r++) {
      const o = join(work, `onecli-${r}`);
      writeOut(o, values(1000, 1, { index: 3, level: 20 + r }));
      const { ms, result } = cliPublish(o, `${prefix}-cli`);
      if (result.changed.length !== 1) throw new Error(`a one-config change changed ${result.changed.length}`);
      oneCli.push(ms);
      oneCliLib.push(result.timings.totalMs);
    }
    // The one-config change as a user makes it: edit a .config.ts, run `bale config publish` (with its build).
    const [real] = await measureOneConfig({ url, work, clis: [CLI], rounds: 7, prefix: `${prefix}-real` });
    // The same change through a running publisher (`bale config publish --watch`): edit to commit.
    const watchPub = await measureWatchPublish({ url, work, cli: CLI, rounds: 15, prefix: `${prefix}-watch` });
    // Where a fresh process spends it: node itself, and the CLI's argument parsing (yargs) as `bale --version` loads it.
    const nodeStart = [];
    const cliVersion = [];
    for (let r = 0; r < 7; r++) {
      const t = performance.now();
      spawnSync(process.execPath, ["-e", "0"], { env: cleanEnv() });
      nodeStart.push(performance.now() - t);
      cliVersion.push(cliRun(["--version"]).ms);
    }

    // Propagation to 100 watchers (4 processes x 25), generated TS loaders bundled with esbuild.
    const proj = join(work, "proj");
    mkdirSync(join(proj, "schemas"), { recursive: true });
    mkdirSync(join(proj, "configs"), { recursive: true });
    writeFileSync(join(proj, "schemas/Flags.schema.json"), JSON.stringify({ type: "object", additionalProperties: false, required: ["greeting", "level"], properties: { greeting: { type: "string" }, level: { type: "integer" } } }));
    writeFileSync(join(proj, "configs/c.config.ts"), 'import { Flags } from "bale:schemas";\nexport default Flags({ greeting: "x", level: 0 });\n');
    for (const args of [["config", "build", proj], ["gen", proj, "--lang", "ts", "-o", join(proj, "gen")]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: cleanEnv() });
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const run = join(work, "run");
    await esbuild.build({ entryPoints: readdirSync(join(proj, "gen/ts")).filter((f) => f.endsWith(".ts")).map((f) => join(proj, "gen/ts", f)), outdir: join(run, "ts"), format: "esm", platform: "node", target: "node20", logLevel: "warning" });
    writeFileSync(join(run, "package.json"), '{"type":"module"}\n');
    writeFileSync(join(run, "watcher.js"), WATCHER);
    mkdirSync(join(work, "cache"));
    const events = []; // { t, level, proc }
    let waiters = [];
    const watchers = [];
    for (let p = 0; p < procsN; p++) {
      const c = spawn(process.execPath, [join(run, "watcher.js"), url, prefix, String(perProc)], { env: { ...cleanEnv(), CACHE_DIR: join(work, "cache") }, stdio: ["ignore", "pipe", "inherit"] });
      children.push(c);
      watchers.push(c);
      let buf = "";
      c.stdout.setEncoding("utf8").on("data", (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const e = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          events.push({ ...e, proc: p });
          waiters.forEach((w) => w());
          waiters = [];
        }
      });
    }
    const waitCount = async (pred, n, ms = 20_000) => {
      const end2 = Date.now() + ms;
      while (events.filter(pred).length < n) {
        if (Date.now() > end2) throw new Error(`timed out: ${events.filter(pred).length}/${n} watcher events`);
        await new Promise((r) => {
          const t = setTimeout(r, 200);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    };
    const total = procsN * perProc;
    await waitCount(() => true, total); // every watcher has its first value
    await new Promise((r) => setTimeout(r, 1500)); // settle: idle sockets close, heap settles
    const rss = watchers.map((c) => rssKiB(c.pid));
    const conns = watchers.map((c) => connections(c.pid, cport));
    const all = [];
    const lastPerRound = [];
    for (let r = 0; r < rounds; r++) {
      const level = 1000 + r * 10;
      const o = join(work, `prop-${r}`);
      const v = values(1000, 1);
      for (let i = 0; i < perProc; i++) v[`c${String(i).padStart(4, "0")}`].level = level; // the 25 followed configs change
      writeOut(o, v);
      await publishConfigs({ etcd: url, prefix, out: o, build: false });
      const tPub = performance.timeOrigin + performance.now();
      await waitCount((e) => e.level === level, total);
      const lat = events.filter((e) => e.level === level).map((e) => Math.max(0, e.t - tPub));
      all.push(...lat);
      lastPerRound.push(Math.max(...lat));
    }
    const result = {
      etcd: spawnSync("etcd", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0],
      publish1000: { libraryMs: p1000.timings.totalMs, cliMs: cli1000, blobsMs: p1000.timings.blobsMs, swapMs: p1000.timings.swapMs, blobTxns: Math.ceil(1000 / 128) },
      oneChange: {
        libraryMsMedian: median(oneLib),
        libraryMinMs: Math.min(...oneLib),
        readMsMedian: median(oneSplit.readMs),
        swapMsMedian: median(oneSplit.swapMs),
        cliMsMedian: median(oneCli),
        cliMinMs: Math.min(...oneCli),
        cliWorkMsMedian: median(oneCliLib),
        nodeStartMsMedian: median(nodeStart),
        cliVersionMsMedian: median(cliVersion),
        editPublishMsMedian: real.publishMsMedian,
        editPublishMinMs: Math.min(...real.publishMs),
        editPublishBuildMsMedian: real.buildMsMedian,
        editPublishInProcessMsMedian: real.inProcessMsMedian,
        watchMsMedian: watchPub.medianMs,
        watchMinMs: watchPub.minMs,
        watchMaxMs: watchPub.maxMs,
        watchRounds: watchPub.rounds,
        watchFirstMs: watchPub.firstMs,
      },
      propagation: { watchers: total, processes: procsN, rounds, p50: pct(all, 50), p99: pct(all, 99), lastWatcherP50: pct(lastPerRound, 50), lastWatcherP99: pct(lastPerRound, 99) },
      atRest: { rssMiBPerProcess: rss.map((k) => k / 1024), connectionsPerProcess: conns },
    };
    result.markdown = table(result);
    return result;
  } finally {
    killAll();
    process.off("exit", killAll);
    rmSync(work, { recursive: true, force: true });
  }
}

function table(r) {
  const f = (n) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : "n/a");
  return [
    `### The fleet (${r.etcd}, single node on loopback)`,
    "",
    "| measure | value | goal |",
    "|---|---|---|",
    `| publish 1000 configs, library (blobs ${f(r.publish1000.blobsMs)} ms in ${r.publish1000.blobTxns} txns + swap ${f(r.publish1000.swapMs)} ms) | ${f(r.publish1000.libraryMs)} ms | <= 2000 ms |`,
    `| publish 1000 configs, CLI end to end (node start included) | ${f(r.publish1000.cliMs)} ms | <= 2000 ms |`,
    `| one-config change as a user makes it: edit one .config.ts of 1000, then \`bale config publish\` (fresh process: node start, incremental build, publish; median of 7, min ${f(r.oneChange.editPublishMinMs)}; in the process ${f(r.oneChange.editPublishInProcessMsMedian)}, of which the build ${f(r.oneChange.editPublishBuildMsMedian)}) | ${f(r.oneChange.editPublishMsMedian)} ms | <= 100 ms |`,
    `| one-config change through a running publisher: edit one .config.ts of 1000; \`bale config publish --watch\` (its own process) debounces 20 ms, rebuilds, swaps; until its line for that commit (steady state: median of ${r.oneChange.watchRounds}, min ${f(r.oneChange.watchMinMs)}, max ${f(r.oneChange.watchMaxMs)}; the first ${r.oneChange.watchFirstMs.length} changes after its start, measured apart: ${r.oneChange.watchFirstMs.join(", ")} ms) | ${f(r.oneChange.watchMsMedian)} ms | <= 100 ms |`,
    `| part of it: the library on a prebuilt out/ (\`build: false\`, no process start; median of 7, min ${f(r.oneChange.libraryMinMs)}; read out/ + live ${f(r.oneChange.readMsMedian)}, swap txn ${f(r.oneChange.swapMsMedian)}) | ${f(r.oneChange.libraryMsMedian)} ms | |`,
    `| part of it: \`bale config publish --no-build\` on a prebuilt out/ (fresh process, no build; median of 7, min ${f(r.oneChange.cliMinMs)}; of which the publish itself ${f(r.oneChange.cliWorkMsMedian)}) | ${f(r.oneChange.cliMsMedian)} ms | |`,
    `| a fresh process: \`node -e 0\` / \`bale --version\` (node + yargs + commands) | ${f(r.oneChange.nodeStartMsMedian)} / ${f(r.oneChange.cliVersionMsMedian)} ms | |`,
    `| propagation to ${r.propagation.watchers} watchers (${r.propagation.processes} processes), all events p50 / p99 | ${f(r.propagation.p50)} / ${f(r.propagation.p99)} ms | p99 <= 200 ms |`,
    `| propagation, last watcher per round p50 / p99 (${r.propagation.rounds} rounds) | ${f(r.propagation.lastWatcherP50)} / ${f(r.propagation.lastWatcherP99)} ms | p99 <= 200 ms |`,
    `| RSS per watching process (25 configs each) | ${r.atRest.rssMiBPerProcess.map((x) => x.toFixed(1)).join(", ")} MiB | |`,
    `| etcd connections per watching process at rest | ${r.atRest.connectionsPerProcess.join(", ")} | 1 |`,
  ].join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--rounds");
  const r = await runFleetBench(i > 0 ? { rounds: Number(process.argv[i + 1]) } : {});
  process.stdout.write(r.markdown + "\n");
}
