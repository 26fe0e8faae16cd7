#!/usr/bin/env node
// Config compiler benchmark: N generated configs with shared modules.
//   node bench/config.mjs [--sizes 100,1000,5000] [--runs N]     (after `npm run build`)
// Measures, per size (medians):
//   cold lib      compileConfigs() with no previous output (in this process; esbuild/ajv already loaded after the first size)
//   cold cli      `node dist/cli/main.js config build` in a fresh process, no previous output
//   rebuild lib   compileConfigs() after editing one shared module used by 10 configs (incremental, from the on-disk cache)
//   rebuild cli   the same as a fresh process (Node start-up included)
//   watch         watchConfigs(): time from the edit to the onBuild callback
// Goals (issue 3): 1000 configs cold <= 5 s; rebuild after one shared-module edit <= 300 ms.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
// BALE_BENCH_DIST points at another build of bale (e.g. a snapshot of dist/), for A/B runs.
const DIST = process.env.BALE_BENCH_DIST ?? join(ROOT, "dist");
const CLI = join(DIST, "cli/main.js");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Writes a project: 3 schemas (one $ref), 20 shared modules, one "hot" module used by exactly 10 configs. */
export function generateProject(dir, n) {
  for (const d of ["schemas", "shared", "configs"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, "schemas/Endpoint.schema.json"),
    JSON.stringify({ type: "object", additionalProperties: false, required: ["host", "port"], properties: { host: { type: "string", minLength: 1 }, port: { type: "integer", minimum: 1, maximum: 65535 } } }),
  );
  writeFileSync(
    join(dir, "schemas/Service.schema.json".replace("Service", "AppService")),
    JSON.stringify({
      type: "object",
      additionalProperties: false,
      required: ["name", "listen", "replicas", "tags", "limits"],
      properties: {
        name: { type: "string", pattern: "^[a-z][a-z0-9-]*$" },
        listen: { $ref: "Endpoint.schema.json" },
        replicas: { type: "integer", minimum: 1 },
        tags: { type: "array", items: { type: "string" }, uniqueItems: true },
        limits: { type: "object", additionalProperties: { type: "integer", minimum: 0 } },
        upstreams: { type: "array", items: { $ref: "Endpoint.schema.json" } },
        hot: { type: "integer" },
      },
    }),
  );
  writeFileSync(join(dir, "schemas/Flags.schema.json"), JSON.stringify({ type: "object", additionalProperties: { type: "boolean" } }));
  writeFileSync(join(dir, "shared/base.ts"), 'export const base = { replicas: 2, tags: ["svc"], limits: { cpu: 500, memory: 512 } };\nexport const domain = "internal.example";\n');
  for (let m = 0; m < 20; m++) {
    writeFileSync(
      join(dir, `shared/team${m}.ts`),
      `import { base, domain } from "./base";\nexport const team${m} = { ...base, tags: [...base.tags, "team${m}"], limits: { ...base.limits, cpu: ${100 + m * 50} } };\nexport function host${m}(name: string): string { return \`\${name}.team${m}.\${domain}\`; }\n`,
    );
  }
  writeFileSync(join(dir, "shared/hot.ts"), "export const hot = 0;\n");
  for (let i = 0; i < n; i++) {
    const m = i % 20;
    const usesHot = i % Math.max(1, Math.floor(n / 10)) === 0 && i / Math.max(1, Math.floor(n / 10)) < 10;
    const name = `svc-${i}`;
    const body =
      i % 10 === 9
        ? `import { Flags } from "bale:schemas";\n${usesHot ? 'import { hot } from "../../shared/hot";\n' : ""}export default Flags({ a${i}: true, b: ${i % 2 === 0}${usesHot ? ", hot: hot > 0" : ""} });\n`
        : `import { AppService } from "bale:schemas";\nimport { team${m}, host${m} } from "../../shared/team${m}";\n${usesHot ? 'import { hot } from "../../shared/hot";\n' : ""}` +
          `export default AppService({\n  ...team${m},\n  name: "${name}",\n  listen: { host: host${m}("${name}"), port: ${1000 + (i % 60000)} },\n  replicas: ${1 + (i % 5)},\n  upstreams: [{ host: host${m}("db"), port: 5432 }],\n${usesHot ? "  hot,\n" : ""}});\n`;
    mkdirSync(join(dir, `configs/g${Math.floor(i / 100)}`), { recursive: true });
    writeFileSync(join(dir, `configs/g${Math.floor(i / 100)}/${name}.config.ts`), body);
  }
}

function cleanEnv() {
  const e = { ...process.env };
  delete e.NODE_EXTRA_CA_CERTS;
  delete e.NODE_OPTIONS;
  return e;
}

function cli(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: cleanEnv(), encoding: "utf8", maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`bale ${args.join(" ")} failed:\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

export async function runConfigBench({ sizes = [100, 1000, 5000], runs, quick = false } = {}) {
  const { compileConfigs, watchConfigs } = await import(pathToFileURL(join(DIST, "index.js")).href);
  const R = runs ?? (quick ? 2 : 5);
  const rows = [];
  for (const n of sizes) {
    const base = mkdtempSync(join(tmpdir(), `bale-config-bench-${n}-`));
    try {
      const root = join(base, "proj");
      generateProject(root, n);
      const out = join(root, "out");
      const reset = () => {
        rmSync(out, { recursive: true, force: true });
        rmSync(join(root, "bale-env.d.ts"), { force: true });
      };
      const runsCold = Math.max(1, n >= 5000 ? Math.min(R, 2) : Math.min(R, 3));
      // Cold, library (the first run also warms up this process's module cache).
      const coldLib = [];
      for (let k = 0; k < runsCold; k++) {
        reset();
        const t = performance.now();
        const r = await compileConfigs({ root });
        coldLib.push(performance.now() - t);
        if (r.evaluated.length !== n) throw new Error(`expected ${n} evaluated, got ${r.evaluated.length}`);
      }
      const coldCli = [];
      for (let k = 0; k < runsCold; k++) {
        reset();
        coldCli.push(cli(["config", "build", root]).ms);
      }
      // Rebuild after editing the hot module (used by 10 configs).
      let v = 1;
      const rebuildLib = [];
      const evaluatedCounts = new Set();
      for (let k = 0; k < R; k++) {
        writeFileSync(join(root, "shared/hot.ts"), `export const hot = ${v++};\n`);
        const t = performance.now();
        const r = await compileConfigs({ root });
        rebuildLib.push(performance.now() - t);
        evaluatedCounts.add(r.evaluated.length);
      }
      const rebuildCli = [];
      for (let k = 0; k < R; k++) {
        writeFileSync(join(root, "shared/hot.ts"), `export const hot = ${v++};\n`);
        const r = cli(["config", "build", root, "--json"]);
        rebuildCli.push(r.ms);
        evaluatedCounts.add(JSON.parse(r.stdout).evaluated.length);
      }
      // Watch: edit -> onBuild.
      const watchMs = [];
      let pending;
      const w = watchConfigs({ root, onBuild: (r) => pending?.(r), onError: (e) => pending?.(e) });
      await w.ready;
      for (let k = 0; k < R; k++) {
        const done = new Promise((res) => (pending = res));
        const t = performance.now();
        writeFileSync(join(root, "shared/hot.ts"), `export const hot = ${v++};\n`);
        const r = await done;
        watchMs.push(performance.now() - t);
        if (r instanceof Error) throw r;
        evaluatedCounts.add(r.evaluated.length);
        await new Promise((res) => setTimeout(res, 100));
      }
      await w.close();
      rows.push({
        configs: n,
        "cold lib ms": median(coldLib),
        "cold cli ms": median(coldCli),
        "rebuild lib ms": median(rebuildLib),
        "rebuild cli ms": median(rebuildCli),
        "watch edit->built ms": median(watchMs),
        "re-evaluated per edit": [...evaluatedCounts].join("/"),
      });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  const cols = Object.keys(rows[0] ?? {});
  const fmt = (x) => (typeof x === "number" ? x.toFixed(0) : String(x));
  const markdown = [
    `Config compiler on ${availableParallelism()} cores (medians; ${R} runs, fewer cold runs for big sizes). Goals: 1000 configs cold <= 5000 ms; rebuild after one shared-module edit (used by 10) <= 300 ms.`,
    "",
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${cols.map((c) => fmt(r[c])).join(" | ")} |`),
  ].join("\n");
  return { rows, markdown };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (opt("--sizes") ?? "100,1000,5000").split(",").map(Number);
  const runs = opt("--runs") ? Number(opt("--runs")) : undefined;
  const r = await runConfigBench({ sizes, ...(runs ? { runs } : {}) });
  process.stdout.write(r.markdown + "\n");
}
