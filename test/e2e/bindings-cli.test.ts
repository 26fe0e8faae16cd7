/** `bale gen` through the built CLI: output layout, flags, exit codes, atomic replacement. */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ROOT, bale, tmp } from "../helpers.js";

const GREETER = join(ROOT, "test/fixtures/bindings/greeter");

function project(): string {
  const root = join(tmp("bale-gen-cli-"), "greeter");
  cpSync(GREETER, root, { recursive: true });
  rmSync(join(root, "golden"), { recursive: true, force: true });
  return root;
}

test("bale gen ROOT writes ts/, python/ and openapi/ under ROOT/gen", () => {
  const root = project();
  const r = bale(["gen", root, "--lang", "ts,python"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /demo\.v1\.Greeter/);
  assert.deepEqual(readdirSync(join(root, "gen")).sort(), ["openapi", "python", "ts"]);
  assert.ok(existsSync(join(root, "gen/ts/greeter-client.ts")));
  assert.ok(existsSync(join(root, "gen/python/bale_gen/greeter.py")));
  assert.ok(existsSync(join(root, "gen/openapi/demo.v1.Greeter.json")));
  // same bytes as the golden files
  assert.equal(readFileSync(join(root, "gen/ts/types.ts"), "utf8"), readFileSync(join(GREETER, "golden/ts/types.ts"), "utf8"));
});

test("--lang accepts repeated flags, -o picks the dir, --json reports files", () => {
  const root = project();
  const out = join(tmp("bale-gen-out-"), "bindings");
  const r = bale(["gen", root, "--lang", "python", "--lang", "ts", "-o", out, "--python-package", "greeter_api", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { outDir: string; files: string[]; langs: string[]; configLoaders: string[] };
  assert.equal(j.outDir, out);
  assert.deepEqual(j.langs, ["ts", "python"]);
  assert.deepEqual(j.configLoaders, ["GreeterConfig"]);
  assert.ok(j.files.includes("python/greeter_api/__init__.py"));
  for (const f of j.files) assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(root, "gen")));
});

test("--lang ts replaces only the ts folder", () => {
  const root = project();
  assert.equal(bale(["gen", root, "--lang", "ts,python"]).status, 0);
  writeFileSync(join(root, "gen/ts/stale.ts"), "old");
  writeFileSync(join(root, "gen/python/keep.txt"), "mine");
  const r = bale(["gen", root, "--lang", "ts"]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(join(root, "gen/ts/stale.ts")), "stale files in the regenerated folder are removed");
  assert.equal(readFileSync(join(root, "gen/python/keep.txt"), "utf8"), "mine");
  assert.deepEqual(readdirSync(join(root, "gen")).sort(), ["openapi", "python", "ts"], "no temp dirs are left behind");
});

test("a failing generation leaves the previous gen dir intact", () => {
  const root = project();
  assert.equal(bale(["gen", root]).status, 0);
  const before = readFileSync(join(root, "gen/ts/types.ts"), "utf8");
  writeFileSync(join(root, "schemas/HelloRequest.schema.json"), JSON.stringify({ type: "object", properties: { a: { $ref: "Missing.schema.json" } } }));
  const r = bale(["gen", root]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /schemas\/HelloRequest\.schema\.json: \$ref "Missing\.schema\.json" does not name a schema file/);
  assert.equal(readFileSync(join(root, "gen/ts/types.ts"), "utf8"), before);
  assert.deepEqual(readdirSync(join(root, "gen")).sort(), ["openapi", "python", "ts"]);
});

test("a gen killed between a folder's two renames: the next gen, even a failing one, puts the folder back and removes the stage", () => {
  const root = project();
  assert.equal(bale(["gen", root]).status, 0);
  const before = readFileSync(join(root, "gen/ts/types.ts"), "utf8");
  // The state a kill leaves: gen/ts moved into the stage's old/, its replacement not yet renamed in.
  // (pid 2^22 + 1 is above Linux's pid_max default: a process that is gone.)
  const stage = join(root, "gen", ".bale-gen-4194305-x1y2z3");
  mkdirSync(join(stage, "old"), { recursive: true });
  mkdirSync(join(stage, "new"), { recursive: true });
  renameSync(join(root, "gen/ts"), join(stage, "old/ts"));
  writeFileSync(join(root, "schemas/HelloRequest.schema.json"), JSON.stringify({ type: "object", properties: { a: { $ref: "Missing.schema.json" } } }));
  const r = bale(["gen", root]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(readFileSync(join(root, "gen/ts/types.ts"), "utf8"), before);
  assert.deepEqual(readdirSync(join(root, "gen")).sort(), ["openapi", "python", "ts"]);
});

test("without compiled configs the error says to run bale config build first", () => {
  const root = project();
  rmSync(join(root, "out"), { recursive: true });
  const r = bale(["gen", root, "--lang", "ts"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bale-manifest\.json does not exist/);
  assert.match(r.stderr, /Fix: Run `bale config build .*greeter` first/);
  assert.match(r.stderr, /\[gen-no-manifest\]/);
});

test("--lang go is not yet supported (exit 1); unknown languages are usage errors (exit 2)", () => {
  const root = project();
  const go = bale(["gen", root, "--lang", "ts,go"]);
  assert.equal(go.status, 1);
  assert.match(go.stderr, /Go bindings are not yet supported/);
  const bad = bale(["gen", root, "--lang", "cobol"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /usage error: Invalid values:[\s\S]*cobol/);
  assert.ok(!existsSync(join(root, "gen")));
});

test("a service that names a missing schema is a user error naming the service file", () => {
  const root = project();
  const svc = join(root, "out/greeter.json");
  const def = JSON.parse(readFileSync(svc, "utf8")) as { methods: Record<string, { input: string }> };
  (def.methods.SayHello as { input: string }).input = "Nope";
  writeFileSync(svc, JSON.stringify(def));
  const r = bale(["gen", root]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /greeter\.json: method demo\.v1\.Greeter\.SayHello uses input type Nope, but schemas\/Nope\.schema\.json does not exist/);
});

test("bale gen works on a project built by the real config compiler", () => {
  const root = project();
  rmSync(join(root, "out"), { recursive: true });
  const build = bale(["config", "build", root]);
  assert.equal(build.status, 0, build.stderr);
  const r = bale(["gen", root]);
  assert.equal(r.status, 0, r.stderr);
  for (const f of ["ts/greeter-server.ts", "ts/configs.ts", "python/bale_gen/greeter.py", "openapi/demo.v1.Greeter.json"]) {
    assert.equal(readFileSync(join(root, "gen", f), "utf8"), readFileSync(join(GREETER, "golden", f), "utf8"), f);
  }
});
