/** The library API in-process: allow-listed packages, hermetic globals, error shapes, check. */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BaleErrors } from "../../src/errors.js";
import { compileConfigs, checkConfigs } from "../../src/config-compiler/index.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "bale-lib-"));
  dirs.push(root);
  for (const [f, t] of Object.entries({ "schemas/Cfg.schema.json": '{ "type": "object" }\n', ...files })) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), t);
  }
  return root;
}
async function errorsOf(p: Promise<unknown>): Promise<BaleErrors> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BaleErrors) return e;
    throw e;
  }
  throw new Error("expected BaleErrors");
}

test("allow-listed packages are bundled; their own dependencies too; others and builtins are refused", async () => {
  const files = {
    "node_modules/tiny-pad/package.json": '{ "name": "tiny-pad", "main": "index.js" }',
    "node_modules/tiny-pad/index.js": 'const rep = require("tiny-rep");\nmodule.exports = (s, n) => rep(" ", n - s.length) + s;\n',
    "node_modules/tiny-rep/package.json": '{ "name": "tiny-rep", "main": "index.js" }',
    "node_modules/tiny-rep/index.js": "module.exports = (c, n) => c.repeat(Math.max(0, n));\n",
    "a.config.ts": '// @ts-ignore\nimport pad from "tiny-pad";\nimport { Cfg } from "bale:schemas";\nexport default Cfg({ padded: pad("7", 3) });\n',
  };
  const denied = project(files);
  const e = await errorsOf(compileConfigs({ root: denied }));
  assert.equal(e.errors[0]?.code, "config-import-package");
  assert.equal(e.errors[0]?.location, "a.config.ts:2:17");
  const allowed = project({ ...files, "bale.config.json": '{ "allowPackages": ["tiny-pad"] }' });
  const r = await compileConfigs({ root: allowed });
  assert.equal(readFileSync(join(allowed, "out/a.json"), "utf8"), '{\n  "padded": "  7"\n}\n');
  assert.deepEqual(r.artifacts[0]?.status, "evaluated");
  const manifest = JSON.parse(readFileSync(join(allowed, "out/bale-manifest.json"), "utf8"));
  assert.deepEqual(manifest.artifacts[0].dependencies, ["a.config.ts", "node_modules/tiny-pad/index.js", "node_modules/tiny-rep/index.js"]);
});

test("the sandbox has no host objects: globals, constructor escapes and timers are absent; console output is captured", async () => {
  const root = project({
    "a.config.ts": [
      'import { Cfg } from "bale:schemas";',
      "const g = globalThis as Record<string, unknown>;",
      'const names = ["process", "require", "Buffer", "fetch", "setTimeout", "WeakRef", "FinalizationRegistry"].filter((n) => typeof g[n] !== "undefined");',
      'const escaped = (() => { try { return typeof (Cfg as any).constructor.constructor("return process")(); } catch (e) { return "threw"; } })();',
      'console.log("hello", { n: 1 });',
      "export default Cfg({ names, escaped, fixedDate: new Date(Date.UTC(2024, 0, 1)).toISOString() });",
      "",
    ].join("\n"),
  });
  const r = await compileConfigs({ root });
  assert.deepEqual(JSON.parse(readFileSync(join(root, "out/a.json"), "utf8")), { names: [], escaped: "threw", fixedDate: "2024-01-01T00:00:00.000Z" });
  assert.deepEqual(r.logs, [{ source: "a.config.ts", level: "log", message: 'hello {"n":1}' }]);
});

test("every error in one build is reported, each with a code, file, line and fix; nothing is written", async () => {
  const root = project({
    "a.config.ts": 'import { Cfg } from "bale:schemas";\nexport default Cfg({ t: Date.now() });\n',
    "b.config.ts": 'import { Cfg } from "bale:schemas";\nexport default Cfg({ f: () => 1 });\n',
  });
  const e = await errorsOf(compileConfigs({ root }));
  assert.deepEqual(
    e.errors.map((x) => [x.code, x.location]),
    [
      ["config-hermetic", "a.config.ts:2:30"],
      ["config-non-json", "b.config.ts:2:25"],
    ],
  );
  for (const x of e.errors) assert.ok(x.fix);
  assert.ok(!existsSync(join(root, "out")));
  assert.ok(existsSync(join(root, "bale-env.d.ts")), "bale-env.d.ts is written even when the build fails, for editors");
});

test("checkConfigs type-checks with tsc and validates; it writes no output", async () => {
  const root = project({
    "schemas/Cfg.schema.json": '{ "type": "object", "properties": { "port": { "type": "integer" } }, "required": ["port"] }\n',
    "a.config.ts": 'import { Cfg } from "bale:schemas";\nexport default Cfg({ port: 1 });\n',
  });
  const ok = await checkConfigs({ root });
  assert.deepEqual(ok.checked, ["a.config.ts"]);
  assert.deepEqual(ok.typeChecked, ["bale-env.d.ts", "a.config.ts"]);
  assert.ok(!existsSync(join(root, "out")));
  writeFileSync(join(root, "a.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ port: "x" });\n');
  const e = await errorsOf(checkConfigs({ root }));
  assert.deepEqual(
    e.errors.map((x) => [x.code, x.location]),
    [
      ["config-type-error", "a.config.ts:2:22"],
      ["config-schema-violation", "a.config.ts:2:28"],
    ],
  );
});

test("the output directory must be bale's: a non-empty foreign directory is refused", async () => {
  const root = project({ "a.config.ts": 'import { Cfg } from "bale:schemas";\nexport default Cfg({});\n' });
  mkdirSync(join(root, "mine"));
  writeFileSync(join(root, "mine/keep.txt"), "precious");
  const e = await errorsOf(compileConfigs({ root, out: join(root, "mine") }).catch((x: unknown) => {
    throw new BaleErrors([x as never]);
  }));
  assert.equal(e.errors[0]?.code, "config-output");
  assert.equal(readFileSync(join(root, "mine/keep.txt"), "utf8"), "precious");
});
