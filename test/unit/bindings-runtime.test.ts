/**
 * The runtime files `bale gen` copies (src/bindings/runtime/) are real source: pyright --strict
 * accepts the Python ones (tsc and biome check the TypeScript ones with the rest of src/), gen
 * writes them verbatim after its header, and the built package carries them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderBindings } from "../../src/bindings/index.js";
import { PY_HEADER, TS_HEADER } from "../../src/bindings/printer.js";
import { RUNTIME_FILES } from "../../src/bindings/runtimes.js";
import { ROOT, env } from "../helpers.js";

const SRC = join(ROOT, "src/bindings/runtime");
const GREETER = join(ROOT, "test/fixtures/bindings/greeter");

test("the Python runtime files pass pyright --strict as source", () => {
  const r = spawnSync(join(ROOT, "node_modules/.bin/pyright"), ["--outputjson", "-p", SRC], { encoding: "utf8", env: env(), cwd: SRC });
  const report = JSON.parse(r.stdout) as { summary: { errorCount: number; warningCount: number; filesAnalyzed: number }; generalDiagnostics: unknown[] };
  assert.equal(report.summary.errorCount, 0, JSON.stringify(report.generalDiagnostics, null, 2));
  assert.equal(report.summary.warningCount, 0, JSON.stringify(report.generalDiagnostics, null, 2));
  assert.equal(report.summary.filesAnalyzed, RUNTIME_FILES.filter((f) => f.endsWith(".py")).length);
});

test("gen writes each runtime file verbatim after the @generated header", () => {
  const out = renderBindings({ root: GREETER, langs: ["ts", "python"] }).folders;
  const where: Record<string, [string, string]> = {
    "runtime.ts": ["ts", "runtime.ts"],
    "runtime.py": ["python", "bale_gen/runtime.py"],
    "watch-runtime.ts": ["ts", "watch-runtime.ts"],
    "watch.py": ["python", "bale_gen/watch.py"],
  };
  for (const f of RUNTIME_FILES) {
    const [folder, path] = where[f] ?? ["", ""];
    const text = out.get(folder)?.get(path);
    assert.ok(text !== undefined, `gen wrote no ${folder}/${path}`);
    const src = readFileSync(join(SRC, f), "utf8");
    assert.ok(text.startsWith(f.endsWith(".py") ? PY_HEADER : TS_HEADER), `${path} lacks the header`);
    assert.ok(text.endsWith(`\n${src}`), `${folder}/${path} is not ${f} after a header`);
  }
});

test("the build copies the runtime files into dist/ and the npm tarball carries them", () => {
  for (const f of RUNTIME_FILES) {
    const built = join(ROOT, "dist/bindings/runtime", f);
    assert.ok(existsSync(built), `${built} is missing: run npm run build`);
    assert.equal(readFileSync(built, "utf8"), readFileSync(join(SRC, f), "utf8"), `dist/bindings/runtime/${f} is stale: run npm run build`);
  }
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", env: env() });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]?.files.map((x) => x.path));
  for (const f of RUNTIME_FILES) assert.ok(files.has(`dist/bindings/runtime/${f}`), `the tarball lacks dist/bindings/runtime/${f}`);
});

test("the configs.ts stand-in declares ConfigError exactly as gen emits it", () => {
  const stub = readFileSync(join(SRC, "configs.ts"), "utf8");
  const decl = stub.slice(stub.indexOf("/** A config file"));
  assert.ok(decl.startsWith("/** A config file") && decl.includes("export class ConfigError"));
  const configs = renderBindings({ root: GREETER, langs: ["ts"] }).folders.get("ts")?.get("configs.ts") ?? "";
  assert.ok(configs.includes(decl), `gen/ts/configs.ts no longer declares ConfigError as src/bindings/runtime/configs.ts does:\n${configs}`);
});
