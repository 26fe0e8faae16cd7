// The real-app corpus bench (test/corpus): for each app, bale's archive packed with no flags vs
// plain node on the installed app.
//   - identical: stdout + exit code of the archive (cold and warm, node_modules moved away) == node's
//   - warm start vs plain node (interleaved rounds, node and the archive back to back, in alternating
//     order; per app the median of the per-round ratios, which cancels the drift a round shares), median
//     over the corpus and worst
//   - first run minus warm run vs `zstd -dc | tar -x` of the archive's own payload
//   - archive size vs `tar czf` of the same files (the extracted payload)
//   - pack time of the eslint app
// Run alone: `node bench/run.mjs corpus` (or `--quick corpus`); `npm run bench` includes it.
// Every process runs without NODE_EXTRA_CA_CERTS / NODE_OPTIONS (corpusEnv).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCorpus, corpusEnv, installCorpus, loadApps, lockCorpus, runProcess, writeResults } from "../test/corpus/lib.mjs";
import { dropCache, interleave, stats } from "./lib/harness.mjs";

/** A run that must end with the exit code node gave; returns its wall time. */
async function timedRun(cmd, args, { cwd, env, input, status }) {
  const r = await runProcess(cmd, args, { cwd, env, input, timeoutMs: 180_000 });
  if (r.status !== status) throw new Error(`${cmd} exited ${r.status ?? r.signal} (expected ${status}): ${(r.stderr || r.stdout).trim().slice(-300)}`);
  return r.ms;
}

const median = (xs) => stats(xs).median;

/**
 * Runs the corpus bench. `work` is a scratch dir (removed by the caller); `cli` the built bale CLI.
 * Returns plain data for corpusMarkdown().
 */
export async function runCorpusBench(opts) {
  const corpus = installCorpus({ log: opts.log });
  const release = lockCorpus(corpus);
  try {
    return await benchLocked(corpus, opts);
  } finally {
    release();
  }
}

async function benchLocked(corpus, { work, cli, quick = false, log = () => {}, zstd = true }) {
  const N = quick ? { warmup: 1, warm: 6, cold: 2, pack: 1 } : { warmup: 1, warm: 18, cold: 3, pack: 3 };
  const apps = loadApps(corpus);
  const neutral = join(work, "corpus-neutral");
  mkdirSync(neutral, { recursive: true });
  log(`corpus: ${apps.length} apps; checking node vs archive (pack with no flags, node_modules moved away)`);
  const checked = await checkCorpus({ work: corpus, apps, cli, outDir: join(work, "corpus-out"), neutral, concurrency: 2, log: (m) => log(`  ${m}`) });
  writeResults(checked, { from: "bench/corpus.mjs" });
  const rows = [];
  const sync = () => spawnSync("sync");
  for (const app of apps) {
    const c = checked.find((r) => r.name === app.name);
    const row = { name: app.name, pass: c.pass, stage: c.stage, reason: c.reason.split("\n")[0].slice(0, 200) };
    rows.push(row);
    if (!c.pass) {
      log(`${app.name}: not timed (${c.stage}: ${row.reason})`);
      continue;
    }
    const archive = c.archive;
    const opts = { cwd: neutral, input: app.stdin, status: c.ref.status };
    // The warm cache sits where a user's would: a path as long as the default ~/.cache/bale (node's
    // module lookups cost in proportion to the length of the paths; the app's own is the installed one).
    const warmCache = mkdtempSync(join(tmpdir(), "bale-"));
    try {
      // Warm start: node on the installed app vs the archive with its cache filled, interleaved; and node
      // again, the control: how far two runs of the same command land apart on this machine.
      const nodeRun = () => timedRun(process.execPath, [app.entry, ...app.args], { ...opts, env: corpusEnv() });
      const warm = await interleave(
        [
          { id: "node", run: nodeRun },
          { id: "bale", run: () => timedRun(archive, app.args, { ...opts, env: corpusEnv({ BALE_CACHE_DIR: warmCache }) }) },
          { id: "control", run: nodeRun },
        ],
        { warmup: N.warmup, runs: N.warm, alternate: true },
      );
      row.node = warm.node;
      row.warm = warm.bale;
      // Paired: each round ran node, the archive and node again; the ratio per round, then its median.
      const paired = (x) => (x.samples && warm.node.samples ? median(x.samples.map((b, i) => b / warm.node.samples[i])) : undefined);
      row.warmPaired = paired(warm.bale);
      row.controlPaired = paired(warm.control);
      // The archive's payload segment, for the zstd | tar baseline and the size comparison.
      const info = JSON.parse(spawnSync(process.execPath, [cli, "inspect", archive, "--json"], { encoding: "utf8", env: corpusEnv(), maxBuffer: 64 << 20 }).stdout);
      const seg = info.index.segments.payload;
      const payload = join(work, "corpus-payload.tar.zst");
      const buf = Buffer.alloc(seg.length);
      const fd = openSync(archive, "r");
      readSync(fd, buf, 0, seg.length, seg.offset);
      closeSync(fd);
      writeFileSync(payload, buf);
      let d1;
      let d2;
      const cold = await interleave(
        [
          {
            id: "bale",
            before: () => {
              sync();
              d1 = mkdtempSync(join(work, "corpus-cold-"));
            },
            run: () => timedRun(archive, app.args, { ...opts, env: corpusEnv({ BALE_CACHE_DIR: d1 }) }),
            after: () => dropCache(d1),
          },
          zstd && {
            id: "untar",
            before: () => {
              sync();
              d2 = mkdtempSync(join(work, "corpus-untar-"));
            },
            run: () => timedRun("/bin/sh", ["-c", 'zstd -dc < "$1" | tar -x -C "$2"', "sh", payload, d2], { cwd: neutral, env: corpusEnv(), input: "", status: 0 }),
            after: () => rmSync(d2, { recursive: true, force: true }),
          },
        ].filter(Boolean),
        { warmup: 0, runs: N.cold },
      );
      row.cold = cold.bale;
      row.untar = cold.untar;
      // Size: the archive vs tar czf of the extracted files.
      const ex = join(work, "corpus-extract");
      rmSync(ex, { recursive: true, force: true });
      spawnSync(process.execPath, [cli, "extract", archive, "-o", ex], { env: corpusEnv() });
      const tgz = join(work, "corpus-payload.tgz");
      spawnSync("tar", ["czf", tgz, "-C", ex, "."], { env: corpusEnv() });
      row.size = statSync(archive).size;
      row.payload = seg.length;
      row.tgz = statSync(tgz).size;
      row.files = info.index.payload?.files;
      row.unpacked = info.index.payload?.unpackedSize;
      rmSync(ex, { recursive: true, force: true });
      rmSync(tgz, { force: true });
      rmSync(payload, { force: true });
      row.packMs = c.pack?.ms;
      log(
        `${app.name}: warm ${row.warm.median?.toFixed(0)} vs node ${row.node.median?.toFixed(0)} ms; cold ${row.cold.median?.toFixed(0)} ms; untar ${row.untar?.median?.toFixed(0)} ms; ${(row.size / 1e6).toFixed(2)} MB vs tgz ${(row.tgz / 1e6).toFixed(2)} MB`,
      );
    } catch (e) {
      row.error = String(e.message ?? e).split("\n")[0].slice(0, 300);
      log(`${app.name}: timing failed: ${row.error}`);
    } finally {
      dropCache(warmCache);
    }
  }
  // Pack time of the eslint app (eslint's API, the largest pure-JS closure in the corpus).
  let eslintPack = null;
  const eslint = apps.find((a) => a.name === "eslint-api");
  if (eslint) {
    const times = [];
    for (let i = 0; i < N.pack; i++) {
      const out = join(work, "corpus-eslint-pack");
      rmSync(out, { force: true });
      const r = await runProcess(process.execPath, [cli, "pack", eslint.packPath, "-o", out], { cwd: eslint.dir, env: corpusEnv() });
      if (r.status !== 0) {
        eslintPack = { error: (r.stderr || r.stdout).trim().split("\n")[0] };
        break;
      }
      times.push(r.ms);
    }
    if (!eslintPack) eslintPack = stats(times);
  }
  return { N, rows, eslintPack, summary: summarize(rows) };
}

function summarize(rows) {
  const timed = rows.filter((r) => r.pass && !r.error && r.warm?.median && r.node?.median);
  const warmRatios = timed.map((r) => ({ name: r.name, v: r.warmPaired ?? r.warm.median / r.node.median }));
  const controlRatios = timed.filter((r) => r.controlPaired !== undefined).map((r) => ({ name: r.name, v: r.controlPaired }));
  const extract = timed.filter((r) => r.cold?.median && r.untar?.median).map((r) => ({ name: r.name, v: (r.cold.median - r.warm.median) / r.untar.median }));
  const size = timed.filter((r) => r.tgz).map((r) => ({ name: r.name, v: r.size / r.tgz }));
  // The same without the fixed ~30 kB of prelude + extractor + index, which dominate tiny apps.
  const payload = timed.filter((r) => r.tgz && r.payload).map((r) => ({ name: r.name, v: r.payload / r.tgz }));
  const agg = (xs) => (xs.length ? { median: median(xs.map((x) => x.v)), worst: xs.reduce((a, b) => (b.v > a.v ? b : a)) } : null);
  return { passed: rows.filter((r) => r.pass).length, total: rows.length, warm: agg(warmRatios), control: agg(controlRatios), extract: agg(extract), size: agg(size), payload: agg(payload) };
}

const ms = (x) => (x === undefined || x === null ? "—" : `${Math.round(x)} ms`);
const mb = (x) => (x === undefined || x === null ? "—" : `${(x / 1e6).toFixed(2)} MB`);
const rx = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : "—");
const esc = (s) => String(s).replace(/\|/g, "\\|");

/** The corpus section of bench/results.md. */
export function corpusMarkdown(d) {
  const L = [];
  const s = d.summary;
  L.push("## Real-app corpus (issue 10)", "");
  if (d.skipped) return [...L, `skipped: ${esc(d.skipped)}`, ""].join("\n");
  L.push(
    `The ${s.total} apps of \`test/corpus\` (npm ci from its lockfile), each packed with \`bale pack\` and no flags. *Identical* = stdout and exit code of the archive, cold and warm, run from another directory with every node_modules of the corpus moved away, equal those of \`node <entry>\`. Warm: ${d.N.warmup} warm-up + ${d.N.warm} interleaved rounds each (node, the archive and node again back to back, the order going through all six), *× node* = the median of the per-round ratios, *control* the same for node's second run (two runs of one command: what this machine's noise alone makes of a ratio); the archive's cache is a fresh \`/tmp/bale-XXXXXX\`, as long a path as the default \`~/.cache/bale\`; first run: ${d.N.cold} runs on an empty \`BALE_CACHE_DIR\`, interleaved with \`zstd -dc | tar -x\` of the archive's own payload. Medians.`,
    "",
  );
  const goal = (label, a, target, fmt) => {
    if (!a) return L.push(`| ${label} | not measured | ${target} | — |`);
    const ok = a.median <= target && a.worst.v <= target;
    L.push(`| ${label} | median **${fmt(a.median)}**, worst ${fmt(a.worst.v)} (${a.worst.name}) | ≤ ${fmt(target)} | ${ok ? "PASS" : a.median <= target ? "median PASS, worst MISS" : "MISS"} |`);
  };
  const x = (v) => `${v.toFixed(2)}×`;
  L.push("| goal | measured | target | result |", "| --- | --- | --- | --- |");
  L.push(`| corpus identical with no flags | **${s.passed}/${s.total}** | ${s.total}/${s.total} | ${s.passed === s.total ? "PASS" : "MISS"} |`);
  goal("warm start vs plain node", s.warm, 1.03, x);
  if (s.control) L.push(`| (control: plain node vs itself, the same rounds: this machine's noise) | median ${x(s.control.median)}, worst ${x(s.control.worst.v)} (${s.control.worst.name}) | | |`);
  goal("first run − warm run vs `zstd -dc \\| tar -x` of the payload", s.extract, 1.5, x);
  goal("archive size vs `tar czf` of the same files", s.size, 0.75, x);
  goal("(payload alone, without the fixed prelude + extractor + index, vs `tar czf`)", s.payload, 0.75, x);
  if (d.eslintPack?.error) L.push(`| pack time of the eslint app | failed: ${esc(d.eslintPack.error)} | ≤ 2 s | MISS |`);
  else if (d.eslintPack) L.push(`| pack time of the eslint app (eslint-api) | **${ms(d.eslintPack.median)}** (${d.eslintPack.n} runs) | ≤ 2000 ms | ${d.eslintPack.median <= 2000 ? "PASS" : "MISS"} |`);
  L.push("");
  L.push("| app | identical | node warm | bale warm | × node | control | bale first run | first − warm | zstd \\| tar | ratio | archive | tar czf | ratio | pack |");
  L.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of d.rows) {
    if (!r.pass) {
      L.push(`| ${r.name} | **no** (${r.stage}): ${esc(r.reason.slice(0, 120))} | | | | | | | | | | | | |`);
      continue;
    }
    if (r.error) {
      L.push(`| ${r.name} | yes | timing failed: ${esc(r.error.slice(0, 100))} | | | | | | | | | | | |`);
      continue;
    }
    const extra = r.cold?.median - r.warm?.median;
    L.push(
      `| ${r.name} | yes | ${ms(r.node?.median)} | ${ms(r.warm?.median)} | ${r.warmPaired !== undefined ? `${r.warmPaired.toFixed(2)}×` : rx(r.warm?.median, r.node?.median)} | ${r.controlPaired !== undefined ? `${r.controlPaired.toFixed(2)}×` : "—"} | ${ms(r.cold?.median)} | ${ms(extra)} | ${ms(r.untar?.median)} | ${rx(extra, r.untar?.median)} | ${mb(r.size)} | ${mb(r.tgz)} | ${rx(r.size, r.tgz)} | ${ms(r.packMs)} |`,
    );
  }
  L.push("");
  return L.join("\n");
}
