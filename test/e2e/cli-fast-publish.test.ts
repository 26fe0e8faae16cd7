/** `bale config publish` runs without loading yargs or the other commands; anything the fast path does not take still goes through yargs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI, ROOT, env, tmp } from "../helpers.js";
import { writeOut } from "../fleet-fixtures.js";

/** Runs the CLI with a module-load hook; returns the result and the project-relative modules it loaded. */
function traced(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const dir = tmp();
  const log = join(dir, "loaded.txt");
  writeFileSync(join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + "\\n"); return next(url, context); }\n`);
  writeFileSync(join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});\n`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(dir, "register.mjs")).href, CLI, ...args], { env: env(), encoding: "utf8", timeout: 60_000 });
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
