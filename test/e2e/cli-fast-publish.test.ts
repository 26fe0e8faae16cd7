/** `bale config publish` runs without loading yargs or the other commands; anything the fast path does not take still goes through yargs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, ROOT, env, tmp } from "../helpers.js";
import { FLAGS_SCHEMA, writeOut, writeProject } from "../fleet-fixtures.js";

/** Runs the CLI with module-load hooks (ESM imports, and CommonJS files however they are loaded: bale requires esbuild and ajv synchronously on first use); returns the result and the project-relative modules it loaded. */
function traced(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const dir = tmp();
  const log = join(dir, "loaded.txt");
  writeFileSync(join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + "\\n"); return next(url, context); }\n`);
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`);
  writeFileSync(
    join(dir, "cjs-hook.cjs"),
    `const Module = require("node:module"); const { appendFileSync } = require("node:fs"); const { pathToFileURL } = require("node:url");\nconst js = Module._extensions[".js"];\nModule._extensions[".js"] = function (m, filename) { appendFileSync(${JSON.stringify(log)}, pathToFileURL(filename).href + "\\n"); return js.call(this, m, filename); };\n`,
  );
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--require", join(dir, "cjs-hook.cjs"), "--import", pathToFileURL(join(dir, "register.mjs")).href, CLI, ...args], { env: env(), encoding: "utf8", timeout: 60_000 });
  const prefix = `${pathToFileURL(ROOT).href}/`;
  const loaded = readFileSync(log, "utf8")
    .split("\n")
    .filter((u) => u.startsWith(prefix))
    .map((u) => u.slice(prefix.length));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

test("config publish loads neither yargs nor the compiler nor the other commands (and still reports errors the same way)", () => {
  const out = tmp();
  writeOut(out, { a: { greeting: "x", level: 1 } });
  const r = traced(["config", "publish", "--no-build", "-o", out, "--etcd", "http://127.0.0.1:1", "--prefix", "/x"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /cannot reach etcd at http:\/\/127\.0\.0\.1:1.*\[config-fleet-unreachable\]/);
  assert.ok(r.loaded.includes("dist/fleet/index.js"), r.loaded.join("\n"));
  const heavy = r.loaded.filter((u) => /node_modules\/(yargs|esbuild|ajv|typescript)\/|dist\/(config-compiler|archive|pack)\//.test(u));
  assert.deepEqual(heavy, []);
});

test("config publish spellings the fast path does not take go through yargs: help, --flag=value, a missing --etcd", () => {
  const help = traced(["config", "publish", "--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /--no-build/);
  assert.ok(help.loaded.some((u) => u.startsWith("node_modules/yargs/")));
  const eq = traced(["config", "publish", "--etcd=http://127.0.0.1:1", "--prefix=/x", "--no-build", "-o", tmp()]);
  assert.equal(eq.status, 1);
  assert.match(eq.stderr, /\[config-publish-no-output\]/);
  assert.ok(eq.loaded.some((u) => u.startsWith("node_modules/yargs/")));
  const missing = traced(["config", "publish", "--prefix", "/x"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /usage error: Missing required argument: etcd/);
});

test("publish after a one-config edit loads ajv only when a schema changed: the compiled validators come from the build cache, and judge the same", () => {
  const root = tmp();
  writeProject(root, { a: '{ greeting: "hi", level: 1 }', b: '{ greeting: "yo", level: 2 }' });
  // bale.config.json is checked on every build, without ajv.
  writeFileSync(join(root, "bale.config.json"), '{ "timeoutMs": 4000 }\n');
  const publish = () => traced(["config", "publish", root, "--etcd", "http://127.0.0.1:1", "--prefix", "/x"]);
  // ajv itself, not the small runtime helpers (dist/runtime/) that compiled validators call.
  const ajv = (loaded: string[]) => loaded.filter((u) => u.startsWith("node_modules/ajv/") && !u.startsWith("node_modules/ajv/dist/runtime/"));
  const edit = (expr: string) => writeFileSync(join(root, "configs/a.config.ts"), `import { Flags } from "bale:schemas";\nexport default Flags(${expr});\n`);
  // The first build compiles the schemas with ajv (and keeps their standalone code in out/.bale-cache.json).
  const first = publish();
  assert.match(first.stderr, /\[config-fleet-unreachable\]/); // the build ran before etcd was asked
  assert.notDeepEqual(ajv(first.loaded), []);
  // A one-config edit: built without loading ajv, and the new value is in out/.
  edit('{ greeting: "hi", level: 3 }');
  const one = publish();
  assert.match(one.stderr, /\[config-fleet-unreachable\]/);
  assert.ok(one.loaded.includes("dist/config-compiler/build.js"), one.loaded.join("\n"));
  assert.deepEqual(ajv(one.loaded), []);
  assert.equal((JSON.parse(readFileSync(join(root, "out/configs/a.json"), "utf8")) as { level: number }).level, 3);
  // A value the schema refuses: the cached validators report exactly what ajv does in a build without a cache.
  edit('{ greeting: "hi", level: 500 }');
  const fresh = tmp();
  cpSync(join(root, "schemas"), join(fresh, "schemas"), { recursive: true });
  cpSync(join(root, "configs"), join(fresh, "configs"), { recursive: true });
  const bad = publish();
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\/level.*\[config-schema/);
  assert.deepEqual(ajv(bad.loaded), []);
  const cold = traced(["config", "publish", fresh, "--etcd", "http://127.0.0.1:1", "--prefix", "/x"]);
  assert.equal(cold.stderr.replaceAll(fresh, "ROOT"), bad.stderr.replaceAll(root, "ROOT"));
  // A schema change: compiled again with ajv, and judged by the new schema (level up to 1000 is fine now).
  writeFileSync(join(root, "schemas/Flags.schema.json"), JSON.stringify({ ...FLAGS_SCHEMA, properties: { ...FLAGS_SCHEMA.properties, level: { type: "integer", minimum: 0, maximum: 1000 } } }, null, 2));
  const changed = publish();
  assert.match(changed.stderr, /\[config-fleet-unreachable\]/);
  assert.notDeepEqual(ajv(changed.loaded), []);
  assert.equal((JSON.parse(readFileSync(join(root, "out/configs/a.json"), "utf8")) as { level: number }).level, 500);
  // A damaged cache entry is not trusted blindly: the build compiles again.
  const cacheFile = join(root, "out/.bale-cache.json");
  const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as { standalone: { code: string } };
  cache.standalone.code = "throw new Error('damaged')";
  writeFileSync(cacheFile, JSON.stringify(cache));
  edit('{ greeting: "hi", level: 501 }');
  const damaged = publish();
  assert.match(damaged.stderr, /\[config-fleet-unreachable\]/);
  assert.notDeepEqual(ajv(damaged.loaded), []);
  assert.equal((JSON.parse(readFileSync(join(root, "out/configs/a.json"), "utf8")) as { level: number }).level, 501);
});
