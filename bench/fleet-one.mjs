#!/usr/bin/env node
// The one-config change as a user makes it: edit one .config.ts of a 1000-config project, then run
// `bale config publish` (a fresh process: node start, the incremental build of that one script, the
// guarded swap) against a real single-node etcd on loopback. Also the same change with `--no-build`
// (out/ already built), which is what the older "one-config CLI" row measured; and the change through a
// running publisher (`publish --watch`), from the edit to its commit.
//
//   npm run build && node bench/fleet-one.mjs [--rounds 7] [--cli path/to/dist/cli/main.js ...]
//
// With several --cli, each gets its own copy of the project and prefix and the rounds alternate
// between them (to compare two builds of bale on a noisy machine). Exports measureOneConfig() for bench/fleet.mjs.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, healthy } from "../scripts/lib/etcd.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.ceil(s.length / 2) - 1] : NaN;
};

const SCHEMA = { $schema: "https://json-schema.org/draft/2020-12/schema", title: "Flags", type: "object", additionalProperties: false, required: ["greeting", "level"], properties: { greeting: { type: "string" }, level: { type: "integer" } } };
const script = (i, level) => `import { Flags } from "bale:schemas";\nexport default Flags({ greeting: ${JSON.stringify(`hello ${i} ${"x".repeat(200)}`)}, level: ${level} });\n`;

/** A project of n configs (configs/cNNNN.config.ts, schema Flags), all at level 1. */
function writeProject(dir, n) {
  mkdirSync(join(dir, "schemas"), { recursive: true });
  mkdirSync(join(dir, "configs"), { recursive: true });
  writeFileSync(join(dir, "schemas/Flags.schema.json"), `${JSON.stringify(SCHEMA, null, 2)}\n`);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `configs/c${String(i).padStart(4, "0")}.config.ts`), script(i, 1));
}

/**
 * For each CLI: a project of `n` configs built and published once, then `rounds` one-config changes
 * (edit configs/c0003.config.ts, `bale config publish`), rounds alternating between the CLIs; then the
 * same with --no-build after a `bale config build`. Returns per CLI the wall times and the publish's own timings.
 */
export async function measureOneConfig({ url, work, clis, rounds = 7, n = 1000, prefix = "/bench/one" }) {
  const run = (cli, args) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: cleanEnv() });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`bale ${args.join(" ")}: ${r.stderr}`);
    return { ms, stdout: r.stdout };
  };
  const sides = clis.map((cli, k) => {
    const proj = join(work, `one-proj-${k}`);
    writeProject(proj, n);
    return { cli, proj, prefix: `${prefix}-${k}`, build: [], buildMs: [], publishMs: [], noBuild: [] };
  });
  for (const s of sides) run(s.cli, ["config", "publish", s.proj, "--etcd", url, "--prefix", s.prefix, "--json"]);
  // As in a real repository, the files are older than the build's racy window (3 s) and a build has recorded their stat signatures.
  await new Promise((res) => setTimeout(res, 3500));
  for (const s of sides) run(s.cli, ["config", "build", s.proj]);
  let level = 100;
  const change = (s) => {
    writeFileSync(join(s.proj, "configs/c0003.config.ts"), script(3, ++level));
  };
  const check = (res) => {
    if (!res.published || res.changed.length !== 1 || res.added.length + res.removed.length !== 0) throw new Error(`not a one-config change: ${JSON.stringify(res.changed)}`);
  };
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      change(s);
      const { ms, stdout } = run(s.cli, ["config", "publish", s.proj, "--etcd", url, "--prefix", s.prefix, "--json"]);
      const res = JSON.parse(stdout);
      check(res);
      s.build.push(ms);
      s.buildMs.push(res.timings.buildMs);
      s.publishMs.push(res.timings.totalMs);
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      change(s);
      run(s.cli, ["config", "build", s.proj]);
      const { ms, stdout } = run(s.cli, ["config", "publish", s.proj, "--no-build", "--etcd", url, "--prefix", s.prefix, "--json"]);
      check(JSON.parse(stdout));
      s.noBuild.push(ms);
    }
  }
  return sides.map((s) => ({
    cli: s.cli,
    configs: n,
    rounds,
    publishMsMedian: median(s.build),
    publishMs: s.build.map(Math.round),
    inProcessMsMedian: median(s.publishMs),
    buildMsMedian: median(s.buildMs),
    noBuildMsMedian: median(s.noBuild),
    noBuildMs: s.noBuild.map(Math.round),
  }));
}

/**
 * The same one-config change through a running publisher (`bale config publish --watch --json`, its own
 * process): from the bench writing the .config.ts to the publisher's JSON line for that publish, which it
 * prints once etcd has committed the swap. Includes the publisher's debounce, the incremental build and the swap.
 */
export async function measureWatchPublish({ url, work, cli, rounds = 15, warmups = 5, n = 1000, prefix = "/bench/watch" }) {
  const proj = join(work, "watch-proj");
  writeProject(proj, n);
  const p = spawn(process.execPath, [cli, "config", "publish", proj, "--watch", "--json", "--etcd", url, "--prefix", prefix], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let buf = "";
  let stderr = "";
  const waiting = [];
  p.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
  p.stdout.setEncoding("utf8").on("data", (c) => {
    const t = performance.now();
    buf += c;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiting.shift()?.({ t, res: JSON.parse(line) });
    }
  });
  const next = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no publish within 20 s: ${stderr}`)), 20_000);
      waiting.push((v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  const ms = [];
  const first = [];
  try {
    await next(); // the first publish of the whole project
    // A project's files are not all seconds old: let them age past the build's racy window (3 s), and
    // make one change so that a build records their stat signatures; then measure.
    // What the bench wrote before (the project, the first publish's 1000 files and blobs, earlier parts
    // of the bench) is flushed first, so that its writeback does not land in the measured rounds.
    spawnSync("sync");
    await new Promise((res) => setTimeout(res, 3500));
    // A publisher runs for hours: the first changes after its start also pay for V8 compiling the build's
    // code paths. They are measured apart (`firstMs`); the rounds after them are the steady state.
    for (let w = 0; w < warmups; w++) {
      await new Promise((res) => setTimeout(res, 300));
      const got = next();
      const t0 = performance.now();
      writeFileSync(join(proj, "configs/c0003.config.ts"), script(3, 900 + w));
      const { t } = await got;
      first.push(t - t0);
    }
    for (let r = 0; r < rounds; r++) {
      await new Promise((res) => setTimeout(res, 300));
      const got = next();
      const t0 = performance.now();
      writeFileSync(join(proj, "configs/c0003.config.ts"), script(3, 1000 + r));
      const { t, res } = await got;
      if (!res.published || res.changed.length !== 1 || res.added.length + res.removed.length !== 0) throw new Error(`not a one-config change: ${JSON.stringify(res.changed)}`);
      ms.push(t - t0);
    }
  } finally {
    if (p.exitCode === null && p.signalCode === null) {
      const closed = new Promise((r) => p.on("close", r));
      p.kill("SIGTERM");
      await closed;
    }
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { configs: n, rounds, medianMs: median(ms), maxMs: sorted.at(-1), minMs: sorted[0], ms: ms.map(Math.round), firstMs: first.map(Math.round) };
}

/** A single etcd node on loopback in `work`; returns its URL and a stop function. */
export async function startEtcd(work) {
  const [cport, pport] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${cport}`;
  const proc = spawn("etcd", ["--name", "b", "--data-dir", join(work, "etcd"), "--listen-client-urls", url, "--advertise-client-urls", url, "--listen-peer-urls", `http://127.0.0.1:${pport}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${pport}`, "--initial-cluster", `b=http://127.0.0.1:${pport}`, "--log-level", "error", "--logger", "zap"], { stdio: "ignore" });
  const stop = () => proc.kill("SIGKILL");
  const end = Date.now() + 20_000;
  while (!(await healthy(url))) {
    if (Date.now() > end) {
      stop();
      throw new Error("etcd did not become healthy");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port: cport, proc, stop };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name) => process.argv.flatMap((a, i) => (a === name ? [process.argv[i + 1]] : []));
  const clis = arg("--cli");
  const work = mkdtempSync(join(tmpdir(), "bale-fleet-one-"));
  const etcd = await startEtcd(work);
  try {
    const cliList = clis.length ? clis : [join(ROOT, "dist/cli/main.js")];
    const res = await measureOneConfig({ url: etcd.url, work, clis: cliList, rounds: Number(arg("--rounds")[0] ?? 7) });
    // The running publisher (`--watch`) of the last CLI given (an older bale may not have it).
    const watch = await measureWatchPublish({ url: etcd.url, work, cli: cliList.at(-1) });
    process.stdout.write(`${JSON.stringify({ fresh: res, watch }, null, 2)}\n`);
  } finally {
    etcd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
