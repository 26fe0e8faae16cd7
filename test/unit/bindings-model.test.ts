import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BaleError } from "../../src/errors.js";
import { generateBindings, renderBindings } from "../../src/bindings/index.js";
import { loadModel } from "../../src/bindings/model.js";
import { ROOT, tmp } from "../helpers.js";

const GREETER = join(ROOT, "test/fixtures/bindings/greeter");

function copy(): string {
  const root = join(tmp("bale-model-"), "p");
  cpSync(GREETER, root, { recursive: true });
  rmSync(join(root, "golden"), { recursive: true, force: true });
  return root;
}

function throwsCode(fn: () => unknown, code: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BaleError, String(e));
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.oneLine(), re);
    assert.ok(e.fix === undefined || e.fix.length > 0);
    return true;
  });
}

test("the model reads schemas, services and picks config loaders", () => {
  const m = loadModel({ root: GREETER });
  assert.deepEqual(m.schemas.map((s) => s.name), ["GreeterConfig", "HelloReply", "HelloRequest"]);
  assert.equal(m.services.length, 1);
  assert.deepEqual(
    { ...m.services[0], methods: m.services[0]?.methods.map((x) => x.name) },
    { fullName: "demo.v1.Greeter", packageName: "demo.v1", shortName: "Greeter", description: "Says hello in the caller's language.", methods: ["SayHello"], output: "greeter.json" },
  );
  // RPC messages get no loaders; config schemas do
  assert.deepEqual(m.configSchemas, ["GreeterConfig"]);
});

test("errors: missing root, missing manifest, bad service definitions", () => {
  throwsCode(() => loadModel({ root: join(ROOT, "no/such/dir") }), "gen-root");
  const root = copy();
  throwsCode(() => loadModel({ root, configOut: "elsewhere" }), "gen-no-manifest", /bale config build/);

  const svc = join(root, "out/greeter.json");
  const good = readFileSync(svc, "utf8");
  writeFileSync(svc, JSON.stringify({ name: "demo.v1.Greeter", methods: { "say-hello": { input: "HelloRequest", output: "HelloReply" } } }));
  throwsCode(() => loadModel({ root }), "gen-method-name");
  writeFileSync(svc, JSON.stringify({ name: "demo..Greeter", methods: {} }));
  throwsCode(() => loadModel({ root }), "gen-service-name");
  writeFileSync(svc, "{ nope");
  throwsCode(() => loadModel({ root }), "gen-json", /greeter\.json/);
  writeFileSync(svc, good);

  writeFileSync(join(root, "schemas/HelloReply.schema.json"), JSON.stringify({ type: "string" }));
  throwsCode(() => loadModel({ root }), "gen-method-type", /not an object schema/);
});

test("schema file names must make type names", () => {
  const root = copy();
  writeFileSync(join(root, "schemas/bad-name.schema.json"), "{}");
  throwsCode(() => loadModel({ root }), "gen-schema-name", /bad-name\.schema\.json/);
});

test("gen accepts exactly the schema names config build accepts: not lower-case, not reserved", () => {
  for (const name of ["helloRequest", "Service", "SchemaName"]) {
    const root = copy();
    writeFileSync(join(root, `schemas/${name}.schema.json`), '{"type": "object"}');
    throwsCode(() => loadModel({ root }), "gen-schema-name", new RegExp(`${name}\\.schema\\.json`));
  }
});

test("languages: go is not yet supported, unknown ones are rejected, duplicates collapse", () => {
  throwsCode(() => renderBindings({ root: GREETER, langs: ["go"] }), "gen-lang-unsupported");
  throwsCode(() => renderBindings({ root: GREETER, langs: ["rust"] }), "gen-lang");
  throwsCode(() => renderBindings({ root: GREETER, langs: [] }), "gen-lang");
  throwsCode(() => renderBindings({ root: GREETER, langs: ["python"], pythonPackage: "class" }), "gen-python-package");
  const r = renderBindings({ root: GREETER, langs: ["python", "ts", "python"] });
  assert.deepEqual(r.langs, ["ts", "python"]);
  assert.deepEqual([...r.folders.keys()], ["ts", "python", "openapi"]);
});

test("generateBindings reports the files it wrote", () => {
  const root = copy();
  const out = join(tmp("bale-model-out-"), "x");
  mkdirSync(out);
  const r = generateBindings({ root, outDir: out, langs: ["python"], pythonPackage: "greeter_api" });
  assert.equal(r.outDir, out);
  assert.ok(r.files.includes("python/greeter_api/models.py"));
  assert.ok(r.files.includes("openapi/demo.v1.Greeter.json"));
  assert.ok(!r.files.some((f) => f.startsWith("ts/")));
});

test("two services with the same short name (or one differing only in case/separators) are refused by every language", () => {
  for (const [a, b] of [
    ["demo.v1.Greeter", "other.v2.Greeter"],
    ["demo.v1.FooBar", "demo.v1.Foo_Bar"],
  ] as const) {
    const root = copy();
    const manifestPath = join(root, "out/bale-manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { artifacts: Record<string, unknown>[] };
    const def = JSON.parse(readFileSync(join(root, "out/greeter.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(root, "out/greeter.json"), JSON.stringify({ ...def, name: a }));
    writeFileSync(join(root, "out/greeter2.json"), JSON.stringify({ ...def, name: b }));
    manifest.artifacts.push({ kind: "service", output: "greeter2.json", schema: "Service", source: "greeter2.service.ts", dependencies: [] });
    writeFileSync(manifestPath, JSON.stringify(manifest));
    throwsCode(() => loadModel({ root }), "gen-service-clash", new RegExp(`${a.replace(/\./g, "\\.")} and ${b.replace(/\./g, "\\.")}`));
    for (const lang of ["python", "ts"] as const) {
      throwsCode(() => renderBindings({ root, langs: [lang] }), "gen-service-clash");
    }
  }
});

test("methods of one service whose names differ only in case/separators are refused by every language", () => {
  for (const [a, b] of [["SayHello", "sayHello"], ["Say_Hello", "SayHello"]] as const) {
    const root = copy();
    const m = { input: "HelloRequest", output: "HelloReply" };
    writeFileSync(join(root, "out/greeter.json"), JSON.stringify({ name: "demo.v1.Greeter", methods: { [a]: m, [b]: m } }));
    const [x, y] = [a, b].sort();
    throwsCode(() => loadModel({ root }), "gen-method-clash", new RegExp(`methods ${x} and ${y} of demo\\.v1\\.Greeter`));
    for (const lang of ["python", "ts"] as const) throwsCode(() => renderBindings({ root, langs: [lang] }), "gen-method-clash");
  }
});

test("config schemas whose names differ only in case/separators (one Python loader name) are refused", () => {
  const root = copy();
  writeFileSync(join(root, "schemas/Greeter_Config.schema.json"), '{"type": "object"}');
  throwsCode(() => loadModel({ root }), "gen-schema-clash", /schemas GreeterConfig and Greeter_Config/);
  for (const lang of ["python", "ts"] as const) throwsCode(() => renderBindings({ root, langs: [lang] }), "gen-schema-clash");
});
