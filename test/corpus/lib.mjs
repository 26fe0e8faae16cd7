// The real-app corpus, shared by test/e2e/corpus.test.ts and bench/corpus.mjs.
//
// test/corpus is an npm workspaces project: apps/<name>/package.json declares the app's real
// dependencies (exact versions) and a "corpus" block saying how the app is run:
//   entry   "main.js" (a file of the app) or "bin:<package>/<bin name>" (a dependency's bin)
//   pack    "entry" (default: `bale pack <entry file>`) or "package" (`bale pack <package dir>`)
//   args    arguments; "{app}" stands for the app's directory
//   status  the exit code the app ends with under plain node (default 0; checked, so a broken install shows)
//   stdin   a file of the app fed to its standard input
//   stderr  true when stderr is deterministic and is compared too
// installCorpus() copies it to <tmpdir>/bale-corpus/corpus-<lockfile hash>/ (see corpusBase) and runs
// `npm ci` there once.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CORPUS_SRC = dirname(fileURLToPath(import.meta.url));
export const REPO = join(CORPUS_SRC, "..", "..");

/** The environment the corpus's processes run with: no CA certs overhead, no inherited node/bale knobs. */
export function corpusEnv(extra = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith("BALE_") || k.startsWith("npm_")) delete env[k];
  env.NO_COLOR = "1";
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function lockHash() {
  const h = createHash("sha256");
  h.update(readFileSync(join(CORPUS_SRC, "package-lock.json")));
  h.update(process.version.split(".")[0] ?? ""); // native addons are built for one Node ABI
  return h.digest("hex").slice(0, 16);
}

/** Replaces the app sources in `work` with the ones in the repo, keeping installed node_modules. */
function syncSources(work) {
  const apps = join(work, "apps");
  mkdirSync(apps, { recursive: true });
  const names = readdirSync(join(CORPUS_SRC, "apps")).sort();
  for (const name of readdirSync(apps)) if (!names.includes(name)) rmSync(join(apps, name), { recursive: true, force: true });
  for (const name of names) {
    const dest = join(apps, name);
    mkdirSync(dest, { recursive: true });
    for (const f of readdirSync(dest)) if (f !== "node_modules") rmSync(join(dest, f), { recursive: true, force: true });
    for (const f of readdirSync(join(CORPUS_SRC, "apps", name))) {
      if (f === "node_modules") continue;
      cpSync(join(CORPUS_SRC, "apps", name, f), join(dest, f), { recursive: true });
    }
  }
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(CORPUS_SRC, f), join(work, f));
  return names;
}

/**
 * Where installs live: $BALE_CORPUS_DIR, else <tmpdir>/bale-corpus. Not under the repo: node (and so
 * the packer) resolves a package that the corpus does not install (an optional peer such as
 * supports-color) from any node_modules above it, and bale's own node_modules would leak into the
 * apps' reference runs and archives. No directory above the install may hold a node_modules.
 */
export function corpusBase() {
  const base = resolve(process.env.BALE_CORPUS_DIR || join(tmpdir(), "bale-corpus"));
  for (let d = base; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) {
      throw new Error(`the corpus cannot be installed under ${base}: ${join(d, "node_modules")} would be visible to its apps; set BALE_CORPUS_DIR to a directory with no node_modules above it`);
    }
    if (dirname(d) === d) break;
  }
  return base;
}

/**
 * Installs the corpus once per lockfile (npm ci, from the npm registry) under test/.work and returns
 * its directory. Native addons that build from source (better-sqlite3) use the running node's headers
 * when they are installed beside it (no header download).
 */
export function installCorpus({ log = () => {} } = {}) {
  const base = corpusBase();
  const work = join(base, `corpus-${lockHash()}`);
  const marker = join(work, "node_modules", ".corpus-installed");
  mkdirSync(work, { recursive: true });
  // Older installs (another lockfile) are removed: they are hundreds of MB each.
  for (const d of existsSync(base) ? readdirSync(base) : []) if (d.startsWith("corpus-") && join(base, d) !== work) rmSync(join(base, d), { recursive: true, force: true });
  syncSources(work);
  if (!existsSync(marker)) {
    log(`installing the corpus: npm ci in ${work}`);
    const env = corpusEnv();
    delete env.NO_COLOR;
    const nodedir = dirname(dirname(process.execPath));
    if (existsSync(join(nodedir, "include", "node", "common.gypi"))) env.npm_config_nodedir = nodedir;
    const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: work, env, encoding: "utf8", maxBuffer: 256 << 20, timeout: 15 * 60_000 });
    if (r.status !== 0) throw new Error(`npm ci of the corpus failed (${r.status ?? r.signal}) in ${work}:\n${(r.stderr || r.stdout || String(r.error)).slice(-3000)}`);
    writeFileSync(marker, new Date().toISOString() + "\n");
  }
  return work;
}

/**
 * The corpus apps of an installed corpus: for each, the command that runs it with node (`node`: argv
 * after the node binary), the path given to `bale pack` (`packPath`) and the arguments.
 */
export function loadApps(work) {
  const apps = [];
  for (const name of readdirSync(join(work, "apps")).sort()) {
    const dir = join(work, "apps", name);
    const pj = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const c = pj.corpus;
    if (!c || typeof c.entry !== "string") throw new Error(`${dir}/package.json: no "corpus": { "entry": ... } block`);
    const args = (c.args ?? []).map((a) => a.split("{app}").join(dir));
    let entry;
    let packPath;
    if (c.entry.startsWith("bin:")) {
      const spec = c.entry.slice(4);
      const slash = spec.lastIndexOf("/");
      const pkg = spec.slice(0, slash);
      const bin = spec.slice(slash + 1);
      const req = createRequire(join(dir, "package.json"));
      const pkgJson = req.resolve(`${pkg}/package.json`);
      const meta = JSON.parse(readFileSync(pkgJson, "utf8"));
      const rel = typeof meta.bin === "string" ? meta.bin : meta.bin?.[bin];
      if (!rel) throw new Error(`${name}: ${pkg} has no bin named ${bin}`);
      entry = join(dirname(pkgJson), rel);
      packPath = c.pack === "package" ? dirname(pkgJson) : entry;
    } else {
      entry = join(dir, c.entry);
      packPath = entry;
    }
    const stdin = typeof c.stdin === "string" ? readFileSync(join(dir, c.stdin), "utf8") : "";
    apps.push({ name, dir, entry, packPath, args, stdin, status: c.status ?? 0, compareStderr: c.stderr === true, deps: pj.dependencies ?? {} });
  }
  return apps;
}

/**
 * Moves every node_modules of the installed corpus (the root's and each app's) aside, so that an
 * archive can only use what it carries; returns the function that puts them back.
 */
export function hideNodeModules(work) {
  const moved = [];
  const candidates = [join(work, "node_modules"), ...readdirSync(join(work, "apps")).map((a) => join(work, "apps", a, "node_modules"))];
  const restore = () => {
    for (const [from, to] of moved.splice(0).reverse()) renameSync(to, from);
  };
  try {
    for (const nm of candidates) {
      if (!existsSync(nm)) continue;
      const aside = `${nm}.hidden-by-corpus`;
      if (existsSync(aside)) throw new Error(`${aside} exists (an earlier run died?): move it back to ${nm}`);
      renameSync(nm, aside);
      moved.push([nm, aside]);
    }
  } catch (e) {
    restore();
    throw e;
  }
  return restore;
}

/**
 * Takes the installed corpus for this process (a test and a bench both move its node_modules aside,
 * so two runs at once would break each other's isolation). A lock left by a dead process is taken
 * over, after putting back the node_modules that process had moved. Returns the release function.
 */
export function lockCorpus(work) {
  const lock = join(work, ".corpus-lock");
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      restoreHidden(work);
      return () => rmSync(lock, { force: true });
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      const pid = Number(readFileSync(lock, "utf8"));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (k) {
        alive = k.code === "EPERM";
      }
      if (alive) throw new Error(`another corpus run (pid ${pid}) is using ${work}; wait for it to end (or remove ${lock} if that pid is not a corpus run)`);
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`could not lock ${lock}`);
}

/** Undoes a hideNodeModules() of a run that was killed before it could restore. */
export function restoreHidden(work) {
  const dirs = [work, ...(existsSync(join(work, "apps")) ? readdirSync(join(work, "apps")).map((a) => join(work, "apps", a)) : [])];
  for (const d of dirs) {
    const aside = join(d, "node_modules.hidden-by-corpus");
    if (existsSync(aside) && !existsSync(join(d, "node_modules"))) renameSync(aside, join(d, "node_modules"));
  }
}

/** Where a run of the test writes per-app results, for the bench and for people to read. */
export const RESULTS_FILE = join(REPO, "test", ".work", "corpus-results.json");

/**
 * Runs `cmd args` to completion in its own process group (killed whole on timeout) and returns
 * { status, signal, stdout, stderr, ms }.
 */
export function runProcess(cmd, args, { cwd, env, input = "", timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ status: null, signal: null, stdout, stderr: stderr + String(e), ms: 0, timedOut });
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (signal === null) killGroup(); // nothing the app left behind outlives it
      resolve({ status, signal, stdout, stderr: timedOut ? `${stderr}\n[killed after ${timeoutMs} ms]` : stderr, ms, timedOut });
    });
  });
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const clip = (s, n = 1500) => (s.length > n ? `${s.slice(0, n / 2)}\n[...]\n${s.slice(-n / 2)}` : s);

/** Where two outputs first differ, as a short human-readable note. */
export function firstDifference(want, got) {
  if (want === got) return "";
  const a = want.split("\n");
  const b = got.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: node printed ${JSON.stringify(a[i] ?? "<end>")}, the archive ${JSON.stringify(b[i] ?? "<end>")}`;
  }
  return "outputs differ";
}

/**
 * The whole end-to-end check: for each app, the reference run (`node <entry> args` from `neutral`),
 * `bale pack <packPath> -o <outDir>/<name>/app` with no flags, then with every node_modules of the
 * corpus moved away, the archive run from `neutral` with an empty BALE_CACHE_DIR (cold) and again
 * (warm). Returns one record per app: { name, pass, stage, reason, ref, pack, cold, warm, archive }.
 */
export async function checkCorpus({ work, apps, cli, outDir, neutral, concurrency = 2, log = () => {} }) {
  const rec = new Map(apps.map((a) => [a.name, { name: a.name, pass: false, stage: "reference", reason: "" }]));
  const fail = (a, stage, reason) => {
    const r = rec.get(a.name);
    if (r.stage === "done" || r.reason) return;
    Object.assign(r, { stage, reason });
  };
  await mapLimit(apps, concurrency, async (a) => {
    const ref = await runProcess(process.execPath, [a.entry, ...a.args], { cwd: neutral, env: corpusEnv(), input: a.stdin });
    rec.get(a.name).ref = { status: ref.status, stdout: ref.stdout, stderr: ref.stderr, ms: ref.ms };
    if (ref.status !== a.status) fail(a, "reference", `plain node exited ${ref.status ?? ref.signal}, the corpus says ${a.status} (is the corpus install broken?):\n${clip(ref.stderr || ref.stdout)}`);
    const archive = join(outDir, a.name, "app");
    mkdirSync(dirname(archive), { recursive: true });
    // Packed from the app's directory, as its developer would.
    const p = await runProcess(process.execPath, [cli, "pack", a.packPath, "-o", archive], { cwd: a.dir, env: corpusEnv() });
    rec.get(a.name).pack = { status: p.status, ms: p.ms, stdout: p.stdout, stderr: p.stderr };
    rec.get(a.name).archive = archive;
    if (p.status !== 0) fail(a, "pack", `bale pack exited ${p.status ?? p.signal}:\n${clip(p.stderr || p.stdout)}`);
    log(`${a.name}: node ${Math.round(ref.ms)} ms (exit ${ref.status}), pack ${Math.round(p.ms)} ms (exit ${p.status})`);
  });
  const restore = hideNodeModules(work);
  try {
    await mapLimit(apps, concurrency, async (a) => {
      const r = rec.get(a.name);
      if (r.reason) return;
      const cache = join(outDir, a.name, "cache");
      for (const kind of ["cold", "warm"]) {
        const got = await runProcess(r.archive, a.args, { cwd: neutral, env: corpusEnv({ BALE_CACHE_DIR: cache }), input: a.stdin });
        r[kind] = { status: got.status, stdout: got.stdout, stderr: got.stderr, ms: got.ms };
        const why = [];
        if (got.status !== r.ref.status) why.push(`exit ${got.status ?? got.signal} instead of ${r.ref.status}`);
        if (got.stdout !== r.ref.stdout) why.push(`stdout differs at ${firstDifference(r.ref.stdout, got.stdout)}`);
        if (a.compareStderr && got.stderr !== r.ref.stderr) why.push(`stderr differs at ${firstDifference(r.ref.stderr, got.stderr)}`);
        if (why.length) {
          fail(a, kind, `${why.join("; ")}\n--- archive stderr:\n${clip(got.stderr)}`);
          break;
        }
      }
      if (!r.reason) Object.assign(r, { pass: true, stage: "done" });
      log(`${a.name}: ${r.pass ? "identical" : `FAILED at ${r.stage}: ${r.reason.split("\n")[0]}`}`);
    });
  } finally {
    restore();
  }
  return apps.map((a) => rec.get(a.name));
}

/** Writes the per-app outcome where the bench and people can read it. */
export function writeResults(results, extra = {}) {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const slim = results.map((r) => ({
    name: r.name,
    pass: r.pass,
    stage: r.stage,
    reason: r.reason,
    nodeMs: r.ref?.ms,
    packMs: r.pack?.ms,
    coldMs: r.cold?.ms,
    warmMs: r.warm?.ms,
  }));
  writeFileSync(RESULTS_FILE, JSON.stringify({ date: new Date().toISOString(), ...extra, passed: slim.filter((r) => r.pass).length, total: slim.length, apps: slim }, null, 2) + "\n");
}
