/**
 * Config loaders, proven against each other: a config compiled by the real
 * `bale config build` loads through the generated TypeScript and Python
 * loaders to equal values, and configs that violate the schema are rejected
 * by both.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { before, test } from "node:test";
import { bale, env, tmp } from "../helpers.js";
import { FIXTURE, HERE } from "./harness.js";

let root = "";
let compiled = "";
let loaders: { loadAppConfig(path: string): unknown; ConfigError: new (...a: never[]) => Error };

function pyLoad(files: string[]): ({ value: unknown } | { error: string })[] {
  const r = spawnSync("python3", [join(HERE, "clients/py_loader.py"), join(root, "gen/python"), ...files], { env: env(), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ({ value: unknown } | { error: string })[];
}

before(async () => {
  root = join(tmp("bale-loaders-"), "project");
  cpSync(FIXTURE, root, { recursive: true });
  rmSync(join(root, "out"), { recursive: true, force: true });
  const build = bale(["config", "build", root]);
  assert.equal(build.status, 0, `bale config build failed:\n${build.stderr}${build.stdout}`);
  const gen = bale(["gen", root, "--lang", "ts,python"]);
  assert.equal(gen.status, 0, `bale gen failed:\n${gen.stderr}${gen.stdout}`);
  compiled = join(root, "out/configs/app.json");
  loaders = (await import(pathToFileURL(join(root, "gen/ts/configs.ts")).href)) as typeof loaders;
});

test("a compiled config loads to equal values in TypeScript and Python", () => {
  const raw = JSON.parse(readFileSync(compiled, "utf8")) as unknown;
  const fromTs = loaders.loadAppConfig(compiled);
  const [fromPy] = pyLoad([compiled]);
  assert.ok(fromPy && "value" in fromPy, JSON.stringify(fromPy));
  assert.deepEqual(fromTs, raw);
  assert.deepEqual(fromPy.value, raw);
  assert.deepEqual(fromPy.value, fromTs);
  // and the values are the ones the config script wrote
  assert.equal((fromTs as { name: string }).name, "conformance ✓");
  assert.equal((fromTs as { banner: unknown }).banner, null);
});

const violations: [string, (c: Record<string, unknown>) => void][] = [
  ["port below minimum", (c) => (c.port = 0)],
  ["port as string", (c) => (c.port = "8080")],
  ["port with fraction", (c) => (c.port = 80.5)],
  ["missing required field", (c) => delete c.name],
  ["unknown field", (c) => (c.extra = true)],
  ["enum value", (c) => (c.mode = "test")],
  ["empty owners (minItems)", (c) => (c.owners = [])],
  ["bad email format", (c) => (c.owners = [{ name: "x", email: "not an email" }])],
  ["map value type", (c) => (c.features = { fast: "yes" })],
  ["exclusive minimum", (c) => (c.timeoutSeconds = 0)],
  ["nullable with wrong type", (c) => (c.banner = 5)],
  ["nested ref range", (c) => (c.home = { street: "s", city: "c", geo: { lat: 100, lon: 0 } })],
  ["nested $defs length", (c) => (c.home = { street: "s", city: "c", country: "CHE" })],
  ["email format with a trailing newline", (c) => (c.owners = [{ name: "x", email: "a@example.com\n" }])],
  ["pattern with a trailing newline", (c) => (c.home = { street: "s", city: "c", zip: "12345\n" })],
];

test("configs that violate the schema are rejected by both loaders", () => {
  const base = JSON.parse(readFileSync(compiled, "utf8")) as Record<string, unknown>;
  const dir = tmp("bale-bad-configs-");
  const files = violations.map(([name, edit], i) => {
    const c = structuredClone(base);
    edit(c);
    const f = join(dir, `bad-${i}.json`);
    writeFileSync(f, JSON.stringify(c));
    return { name, f };
  });
  const notJson = join(dir, "not-json.json");
  writeFileSync(notJson, "{ port: 1 ");
  const missing = join(dir, "missing.json");
  files.push({ name: "not JSON", f: notJson }, { name: "missing file", f: missing });
  const py = pyLoad(files.map((x) => x.f));
  files.forEach(({ name, f }, i) => {
    assert.throws(() => loaders.loadAppConfig(f), (e: unknown) => e instanceof loaders.ConfigError && (e as Error).message.includes(f), `TS accepted: ${name}`);
    const r = py[i];
    assert.ok(r && "error" in r, `Python accepted: ${name}: ${JSON.stringify(r)}`);
    assert.ok(r.error.includes(f), r.error);
  });
});
