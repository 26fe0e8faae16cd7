/** `bale gen` through the built CLI: output layout, flags, exit codes, atomic replacement. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
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

test("crash recovery of gen follows the one rule of src/atomic.ts: a folder a dead gen left aside comes back, also when its pid now belongs to a younger process", async () => {
  const root = project();
  assert.equal(bale(["gen", root]).status, 0);
  const gen = join(root, "gen");
  const before = readFileSync(join(gen, "ts/types.ts"), "utf8");
  const pythonBefore = readFileSync(join(gen, "python/bale_gen/__init__.py"), "utf8");
  // A process started now stands for a pid the kernel handed out again (fresh containers reuse the same
  // pids): the gen that left these temps an hour ago had that pid and is gone.
  const younger = spawn("sleep", ["30"], { stdio: "ignore" });
  try {
    await new Promise((r) => setTimeout(r, 50));
    const pid = younger.pid as number;
    const hourAgo = new Date(Date.now() - 3600_000);
    // The layout of src/atomic.ts: ts/ swapped aside, its replacement built but not renamed in...
    renameSync(join(gen, "ts"), join(gen, `.ts.bale-old-${pid}-aaaaaa`));
    mkdirSync(join(gen, `.ts.bale-new-${pid}-bbbbbb`));
    // ...and the stage of earlier bale versions: python/ moved into old/.
    const legacy = join(gen, `.bale-gen-${pid}-x1y2z3`);
    mkdirSync(join(legacy, "old"), { recursive: true });
    renameSync(join(gen, "python"), join(legacy, "old/python"));
    for (const n of readdirSync(gen)) if (n.startsWith(".")) utimesSync(join(gen, n), hourAgo, hourAgo);
    // A live gen's temp (this process, started before its temp) is not another gen's to remove.
    const live = join(gen, `.openapi.bale-new-${process.pid}-cccccc`);
    mkdirSync(live);
    // The next gen fails (a broken schema) and still repairs first.
    writeFileSync(join(root, "schemas/HelloRequest.schema.json"), JSON.stringify({ type: "object", properties: { a: { $ref: "Missing.schema.json" } } }));
    const r = bale(["gen", root]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(readFileSync(join(gen, "ts/types.ts"), "utf8"), before);
    assert.equal(readFileSync(join(gen, "python/bale_gen/__init__.py"), "utf8"), pythonBefore);
    assert.deepEqual(readdirSync(gen).sort(), [".openapi.bale-new-" + process.pid + "-cccccc", "openapi", "python", "ts"]);
  } finally {
    younger.kill();
  }
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
