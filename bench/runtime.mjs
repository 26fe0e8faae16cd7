#!/usr/bin/env node
// Archives that carry their own Node.js (`bale pack --runtime`), side by side in one run with the peers
// that also ship a runtime: Node SEA (postject, on the same Node 22 binary), `bun build --compile` and
// caxa (run with the same Node 22). On hello:
//   - size of the one file,
//   - first run on an empty cache (bale: decode the runtime with bale-unzstd + extract; caxa: its own extraction),
//   - first run of a second app whose runtime is already cached, vs the same app packed with --runtime system,
//   - warm start vs the embedded node running the extracted entry directly,
//   - disk: ten apps sharing one runtime in the cache, vs ten SEA / bun files.
//
//   npm run build && node bench/runtime.mjs [--quick]     (writes bench/runtime-results.md unless --quick)
//
// Exports runRuntimeBench() for the main bench runner. NODE_EXTRA_CA_CERTS is unset for every contender.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cleanEnv, dirSize, dropCache, interleave, runCli } from "./lib/harness.mjs";

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, "..");
const CLI = join(ROOT, "dist/cli/main.js");
const NODE22 = join(ROOT, "test/node-versions/node_modules/node22/bin/node");
const CNM = join(BENCH, "contenders/node_modules");
const MB = (b) => `${(b / 1e6).toFixed(1)} MB`;
const ms = (x) => `${Math.round(x)} ms`;

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, env: cleanEnv(), ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout || "").trim().slice(-300)}`);
  return r.stdout;
}

export async function runRuntimeBench({ quick = false, log = (m) => process.stdout.write(`${m}\n`) } = {}) {
  if (!existsSync(NODE22)) throw new Error("test/node-versions/node_modules/node22 is not installed (npm ci --prefix test/node-versions)");
  const N = quick ? { cold: 2, warm: 5, second: 2 } : { cold: 7, warm: 30, second: 7 };
  const work = mkdtempSync(join(tmpdir(), "bale-rtbench-"));
  const dir = (...p) => {
    const d = join(work, ...p);
    mkdirSync(d, { recursive: true });
    return d;
  };
  try {
    const app = (name, text) => {
      const d = dir("apps", name);
      writeFileSync(join(d, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, main: "hello.js" }));
      writeFileSync(join(d, "hello.js"), `console.log(${JSON.stringify(text)});\n`);
      return d;
    };
    const hello = app("hello", "hello");
    const out = dir("out");
    const r = { versions: { node: sh(NODE22, ["--version"]).trim() }, sizes: {}, skipped: [] };

    // ---- build
    log("runtime bench: packing hello with --runtime (level 19; the first pack of a binary compresses it, ~1 min)");
    const baleFile = join(out, "bale");
    const t0 = performance.now();
    sh(process.execPath, [CLI, "pack", hello, "-o", baleFile, "--runtime", NODE22]);
    r.packMs = performance.now() - t0;
    r.sizes.bale = statSync(baleFile).size;
    const index = JSON.parse(sh(process.execPath, [CLI, "inspect", baleFile, "--json"])).index;
    r.runtimeSegment = index.segments.runtime.length;
    r.decoderSegment = index.segments.decoder.length;
    const systemFile = join(out, "bale-system");
    sh(process.execPath, [CLI, "pack", hello, "-o", systemFile]);

    const postject = join(CNM, "postject/dist/cli.js");
    if (existsSync(postject)) {
      const d = dir("sea");
      writeFileSync(join(d, "sea.json"), JSON.stringify({ main: join(hello, "hello.js"), output: join(d, "sea.blob"), disableExperimentalSEAWarning: true }));
      sh(NODE22, ["--experimental-sea-config", join(d, "sea.json")]);
      copyFileSync(NODE22, join(out, "sea"));
      sh(process.execPath, [postject, join(out, "sea"), "NODE_SEA_BLOB", join(d, "sea.blob"), "--sentinel-fuse", "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"]);
      r.sizes.sea = statSync(join(out, "sea")).size;
    } else r.skipped.push("Node SEA: postject is not installed in bench/contenders");
    const bun = [join(CNM, "@oven/bun-linux-x64/bin/bun"), join(CNM, "bun/bin/bun.exe")].find((p) => existsSync(p) && statSync(p).size > 1e6);
    if (bun) {
      sh(bun, ["build", "--compile", join(hello, "hello.js"), "--outfile", join(out, "bun")], { cwd: dir("bun") });
      r.sizes.bun = statSync(join(out, "bun")).size;
      r.versions.bun = sh(bun, ["--version"]).trim();
    } else r.skipped.push("bun: @oven/bun-linux-x64 is not installed in bench/contenders");
    const caxa = join(CNM, "caxa/build/index.mjs");
    if (existsSync(caxa)) {
      sh(NODE22, [caxa, "--input", hello, "--output", join(out, "caxa"), "--no-dedupe", "--", "{{caxa}}/node_modules/.bin/node", "{{caxa}}/hello.js"], { env: cleanEnv({ TMPDIR: dir("caxa-build") }) });
      r.sizes.caxa = statSync(join(out, "caxa")).size;
    } else r.skipped.push("caxa: not installed in bench/contenders");

    // ---- first run on an empty cache
    log(`runtime bench: first runs on an empty cache (${N.cold} each, interleaved)`);
    let cache;
    const fresh = (p) => () => {
      spawnSync("sync");
      cache = mkdtempSync(join(work, p));
    };
    const drop = () => dropCache(cache);
    const cold = [
      { id: "bale", before: fresh("c-bale-"), run: () => runCli(baleFile, [], { env: cleanEnv({ BALE_CACHE_DIR: cache, PATH: "/usr/bin:/bin" }), expect: /hello/ }), after: drop },
    ];
    if (r.sizes.caxa) cold.push({ id: "caxa", before: fresh("c-caxa-"), run: () => runCli(join(out, "caxa"), [], { env: cleanEnv({ TMPDIR: cache }), expect: /hello/ }), after: drop });
    r.cold = await interleave(cold, { warmup: 1, runs: N.cold });

    // ---- a second app on a runtime already in the cache, vs the same app on the host's node
    log(`runtime bench: first run of a second app whose runtime is cached (${N.second} each)`);
    const second = app("second", "second");
    const secondRt = join(out, "second-rt");
    const secondSys = join(out, "second-sys");
    sh(process.execPath, [CLI, "pack", second, "-o", secondRt, "--runtime", NODE22]);
    sh(process.execPath, [CLI, "pack", second, "-o", secondSys]);
    r.second = await interleave(
      [
        {
          id: "runtime",
          before: () => {
            fresh("s-rt-")();
            sh(baleFile, [], { env: cleanEnv({ BALE_CACHE_DIR: cache }) }); // the first app brings the runtime
          },
          run: () => runCli(secondRt, [], { env: cleanEnv({ BALE_CACHE_DIR: cache }), expect: /second/ }),
          after: drop,
        },
        { id: "system", before: fresh("s-sys-"), run: () => runCli(secondSys, [], { env: cleanEnv({ BALE_CACHE_DIR: cache, BALE_NODE: NODE22 }), expect: /second/ }), after: drop },
      ],
      { warmup: 1, runs: N.second },
    );

    // ---- warm start vs the embedded node on the extracted entry
    log(`runtime bench: warm start (${N.warm} each, interleaved)`);
    const warmCache = dir("warm-cache");
    sh(baleFile, [], { env: cleanEnv({ BALE_CACHE_DIR: warmCache }) });
    const cachedNode = join(warmCache, "runtimes", index.runtime.sha256, "node");
    const entry = join(warmCache, index.appId, index.entry);
    const warm = [
      { id: "bale", run: () => runCli(baleFile, [], { env: cleanEnv({ BALE_CACHE_DIR: warmCache }), expect: /hello/ }) },
      { id: "node", run: () => runCli(cachedNode, [...index.nodeOptions, entry], { env: cleanEnv(), expect: /hello/ }) },
    ];
    if (r.sizes.sea) warm.push({ id: "sea", run: () => runCli(join(out, "sea"), [], { env: cleanEnv(), expect: /hello/ }) });
    if (r.sizes.bun) warm.push({ id: "bun", run: () => runCli(join(out, "bun"), [], { env: cleanEnv(), expect: /hello/ }) });
    r.warm = await interleave(warm, { warmup: 3, runs: N.warm });

    // ---- disk: ten apps sharing one runtime
    log("runtime bench: ten apps sharing one runtime");
    const shared = dir("shared-cache");
    for (let i = 0; i < 10; i++) {
      const f = join(out, `ten-${i}`);
      sh(process.execPath, [CLI, "pack", app(`ten-${i}`, `app ${i}`), "-o", f, "--runtime", NODE22]);
      sh(f, [], { env: cleanEnv({ BALE_CACHE_DIR: shared }) });
    }
    r.tenApps = { cacheBytes: dirSize(shared).bytes, runtimes: Number(sh("sh", ["-c", `ls "${join(shared, "runtimes")}" | grep -c .`]).trim()) };
    r.markdown = runtimeMarkdown(r);
    return r;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function runtimeMarkdown(r) {
  const s = r.sizes;
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : "n/a");
  const firstGoal = r.cold.bale?.median;
  const secondRatio = r.second.runtime?.median / r.second.system?.median;
  const warmRatio = r.warm.bale?.median / r.warm.node?.median;
  const row = (label, v, goal, ok) => `| ${label} | ${v} | ${goal} | ${ok === undefined ? "" : ok ? "met" : "MISSED"} |`;
  return [
    `### Embedded runtime (hello, Node ${r.versions.node}; bench/runtime.mjs)`,
    "",
    "| contender | file size | warm start (median) | first run, empty cache (median) |",
    "|---|---:|---:|---:|",
    `| bale --runtime | ${MB(s.bale)} | ${ms(r.warm.bale.median)} | ${ms(r.cold.bale.median)} |`,
    s.sea ? `| Node SEA (same node) | ${MB(s.sea)} | ${r.warm.sea?.median ? ms(r.warm.sea.median) : "n/a"} | (no extraction) |` : "| Node SEA | skipped | | |",
    s.bun ? `| bun --compile ${r.versions.bun ?? ""} | ${MB(s.bun)} | ${r.warm.bun?.median ? ms(r.warm.bun.median) : "n/a"} | (no extraction) |` : "| bun --compile | skipped | | |",
    s.caxa ? `| caxa (same node) | ${MB(s.caxa)} | | ${r.cold.caxa?.median ? ms(r.cold.caxa.median) : "n/a"} |` : "| caxa | skipped | | |",
    "",
    "| goal (issue 13) | measured | goal | |",
    "|---|---:|---:|---|",
    row("size of hello with Node 22 embedded", `${MB(s.bale)} (runtime ${MB(r.runtimeSegment)}, decoder ${(r.decoderSegment / 1e3).toFixed(0)} KB)`, "<= 32 MB", s.bale <= 32e6),
    row("first run, empty cache", ms(firstGoal), "<= 1500 ms", firstGoal <= 1500),
    row("first run of a second app on a cached runtime / same app with --runtime system", `${ratio(r.second.runtime?.median, r.second.system?.median)} (${ms(r.second.runtime.median)} vs ${ms(r.second.system.median)})`, "<= 1.2x", secondRatio <= 1.2),
    row("warm start / the embedded node on the extracted entry", `${ratio(r.warm.bale?.median, r.warm.node?.median)} (${ms(r.warm.bale.median)} vs ${ms(r.warm.node.median)})`, "<= 1.03x", warmRatio <= 1.03),
    row("disk: ten apps sharing one runtime (cache bytes)", `${MB(r.tenApps.cacheBytes)}, ${r.tenApps.runtimes} runtime`, s.sea ? `SEA: ${MB(10 * s.sea)}` : "", undefined),
    "",
    `Packing hello with the runtime took ${(r.packMs / 1000).toFixed(1)} s (a binary's first pack compresses it at level 19; later packs reuse the packer cache).` +
      (r.skipped.length ? ` Skipped: ${r.skipped.join("; ")}.` : ""),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const quick = process.argv.includes("--quick");
  const r = await runRuntimeBench({ quick });
  process.stdout.write(`\n${r.markdown}\n`);
  if (!quick) writeFileSync(join(BENCH, "runtime-results.md"), `# bale embedded-runtime bench\n\nGenerated ${new Date().toISOString()} by \`node bench/runtime.mjs\`.\n\n${r.markdown}\n`);
}
