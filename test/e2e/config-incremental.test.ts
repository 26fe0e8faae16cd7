/**
 * Incremental rebuilds across processes (the cache in <out>), determinism, and --watch.
 * Assertions are on the build report (--json), never on timing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { CLI, bale, env, tmp } from "../helpers.js";

interface Report {
  evaluated: string[];
  unchanged: string[];
  removed: string[];
  changed: string[];
  wrote: boolean;
  artifacts: { source: string; status: string }[];
}

const SPECIAL = new Set([5, 17, 33]);
const name = (i: number): string => `configs/c${String(i).padStart(2, "0")}.config.ts`;

function makeProject(dir: string, n = 50): void {
  mkdirSync(join(dir, "schemas"), { recursive: true });
  mkdirSync(join(dir, "shared"), { recursive: true });
  mkdirSync(join(dir, "configs"), { recursive: true });
  writeFileSync(
    join(dir, "schemas/Cfg.schema.json"),
    JSON.stringify({ type: "object", required: ["id", "level"], properties: { id: { type: "integer" }, level: { type: "string" }, extra: { type: "integer" } }, additionalProperties: false }, null, 2),
  );
  writeFileSync(join(dir, "shared/common.ts"), 'export const level = "info";\n');
  writeFileSync(join(dir, "shared/special.ts"), "export const extra = 1;\n");
  for (let i = 0; i < n; i++) {
    const special = SPECIAL.has(i);
    writeFileSync(
      join(dir, name(i)),
      [
        'import { Cfg } from "bale:schemas";',
        'import { level } from "../shared/common";',
        special ? 'import { extra } from "../shared/special";' : "",
        `export default Cfg({ id: ${i}, level${special ? ", extra" : ""} });`,
        "",
      ].join("\n"),
    );
  }
}

function build(root: string, extra: string[] = []): Report {
  const r = bale(["config", "build", root, "--json", ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

test("incremental: editing a shared module used by 3 of 50 configs re-evaluates exactly those 3", () => {
  const root = join(tmp("bale-incr-"), "proj");
  makeProject(root);
  const first = build(root);
  assert.equal(first.evaluated.length, 50);
  assert.equal(first.wrote, true);

  const again = build(root);
  assert.deepEqual(again.evaluated, [], "nothing changed: nothing evaluated");
  assert.equal(again.unchanged.length, 50);
  assert.equal(again.wrote, false);

  writeFileSync(join(root, "shared/special.ts"), "export const extra = 2;\n");
  const edited = build(root);
  const specials = [...SPECIAL].map(name).sort();
  assert.deepEqual(edited.evaluated.sort(), specials);
  assert.deepEqual(edited.changed.sort(), specials.map((s) => s.replace(".config.ts", ".json")));
  assert.equal(edited.unchanged.length, 47);
  assert.equal(JSON.parse(readFileSync(join(root, "out/configs/c17.json"), "utf8")).extra, 2);

  // Same bytes, new comment: re-evaluated (content hash differs) but no output changes.
  writeFileSync(join(root, "shared/special.ts"), "// a comment\nexport const extra = 2;\n");
  const comment = build(root);
  assert.deepEqual(comment.evaluated.sort(), specials);
  assert.deepEqual(comment.changed, []);
  assert.equal(comment.wrote, false);

  // mtime alone is not a change.
  const t = new Date(Date.now() + 60_000);
  utimesSync(join(root, "shared/common.ts"), t, t);
  assert.deepEqual(build(root).evaluated, []);
});

test("incremental: an input is trusted by its stat signature only when it is old enough, and a same-size edit with its mtime restored (tar, cp -p) is still seen", async () => {
  const root = join(tmp("bale-incr-sig-"), "proj");
  makeProject(root, 4);
  const cacheStats = (): Record<string, string> => (JSON.parse(readFileSync(join(root, "out/.bale-cache.json"), "utf8")) as { stats?: Record<string, string> }).stats ?? {};
  build(root);
  // Everything was written just now: a second write in the same timestamp tick could keep the
  // signature, so no signature is recorded for any of it yet.
  assert.equal(cacheStats()[name(1)], undefined);
  // Once the files are older than the racy window, the next build records their signatures.
  await new Promise((r) => setTimeout(r, 3200));
  assert.deepEqual(build(root).evaluated, []);
  const sig = cacheStats()[name(1)];
  assert.ok(sig !== undefined, "an old file gets a signature");
  assert.match(sig, /^\d+:\d+:\d+:\d+ [0-9a-f]{64}$/);
  // Same size, content changed, mtime put back (what tar and cp -p do): the ctime still moves.
  const file = join(root, name(1));
  const ref = join(root, "..", "times-of-c01");
  execFileSync("cp", ["-p", file, ref]); // keeps its timestamps to the nanosecond
  const before = statSync(file, { bigint: true });
  const text = readFileSync(file, "utf8");
  const edited = text.replace("id: 1 ", "id: 7 ").replace("id: 1,", "id: 7,");
  assert.equal(edited.length, text.length);
  assert.notEqual(edited, text);
  writeFileSync(file, edited);
  execFileSync("touch", ["-m", "-r", ref, file]);
  assert.equal(statSync(file, { bigint: true }).mtimeNs, before.mtimeNs);
  assert.equal(statSync(file).size, Number(before.size));
  assert.deepEqual(build(root).evaluated, [name(1)]);
  assert.equal(JSON.parse(readFileSync(join(root, "out/configs/c01.json"), "utf8")).id, 7);
  // The file just written has no signature again until it is old enough.
  assert.equal(cacheStats()[name(1)], undefined);
  assert.ok(cacheStats()[name(2)] !== undefined);
});

test("incremental: schema, validator, deletion and new scripts", () => {
  const root = join(tmp("bale-incr2-"), "proj");
  makeProject(root, 10);
  build(root);
  // A schema change re-evaluates every artifact validated against it.
  const schema = JSON.parse(readFileSync(join(root, "schemas/Cfg.schema.json"), "utf8"));
  schema.properties.note = { type: "string" };
  writeFileSync(join(root, "schemas/Cfg.schema.json"), JSON.stringify(schema, null, 2));
  assert.equal(build(root).evaluated.length, 10);
  // So does adding a validator module, and editing it.
  writeFileSync(join(root, "schemas/Cfg.validate.ts"), "export default (v: { id: number }) => (v.id > 100 ? [\"/id: too big\"] : []);\n");
  assert.equal(build(root).evaluated.length, 10);
  writeFileSync(join(root, "schemas/Cfg.validate.ts"), "export default (v: { id: number }) => (v.id > 99 ? [\"/id: too big\"] : []);\n");
  assert.equal(build(root).evaluated.length, 10);
  // A deleted script's output is removed; a new script is evaluated alone.
  rmSync(join(root, name(9)));
  writeFileSync(join(root, "configs/new.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 99, level: "x" });\n');
  const r = build(root);
  assert.deepEqual(r.evaluated, ["configs/new.config.ts"]);
  assert.deepEqual(r.removed, ["configs/c09.json"]);
  assert.ok(!existsSync(join(root, "out/configs/c09.json")));
  assert.ok(existsSync(join(root, "out/configs/new.json")));
  const manifest = JSON.parse(readFileSync(join(root, "out/bale-manifest.json"), "utf8")) as { artifacts: { output: string }[] };
  assert.ok(!manifest.artifacts.some((a) => a.output === "configs/c09.json"));
  // A failing rebuild keeps the previous output and cache; fixing it builds only what changed.
  const before = tree(join(root, "out"));
  writeFileSync(join(root, "configs/new.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 100, level: "x" });\n');
  assert.equal(bale(["config", "build", root]).status, 1);
  assert.deepEqual(tree(join(root, "out")), before);
  writeFileSync(join(root, "configs/new.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 98, level: "x" });\n');
  assert.deepEqual(build(root).evaluated, ["configs/new.config.ts"]);
});

test("determinism: two builds of the same input (different paths) give identical bytes and manifest", () => {
  const a = join(tmp("bale-det-a-"), "proj");
  const b = join(tmp("bale-det-b-"), "somewhere/else");
  makeProject(a, 20);
  cpSync(a, b, { recursive: true });
  build(a);
  build(b);
  const ta = tree(join(a, "out"));
  const tb = tree(join(b, "out"));
  assert.deepEqual(Object.keys(ta), Object.keys(tb));
  for (const k of Object.keys(ta)) assert.equal(ta[k], tb[k], `${k} differs`);
  assert.equal(readFileSync(join(a, "bale-env.d.ts"), "utf8"), readFileSync(join(b, "bale-env.d.ts"), "utf8"));
  // An incremental build after edits equals a clean build of the edited input.
  writeFileSync(join(a, "shared/special.ts"), "export const extra = 7;\n");
  build(a);
  const clean = join(tmp("bale-det-c-"), "proj");
  cpSync(a, clean, { recursive: true, filter: (s) => !s.includes("/out") });
  build(clean);
  assert.deepEqual(tree(join(a, "out")), tree(join(clean, "out")));
});

test("--watch rebuilds on change, prints the changed artifacts, and survives errors", async () => {
  const root = join(tmp("bale-watch-"), "proj");
  makeProject(root, 6);
  const p = spawn(process.execPath, [CLI, "config", "build", root, "--watch"], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  p.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const waitFor = async (f: () => boolean, what: string): Promise<void> => {
    const until = Date.now() + 20_000;
    while (!f()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  try {
    await waitFor(() => /6 evaluated/.test(stdout), "the first build");
    writeFileSync(join(root, "shared/special.ts"), "export const extra = 3;\n");
    await waitFor(() => /changed: configs\/c05\.json/.test(stdout), "the rebuild");
    assert.match(stdout, /1 evaluated, 5 unchanged in \d+ ms; changed: configs\/c05\.json\n/);
    writeFileSync(join(root, "shared/special.ts"), "export const extra = ;\n");
    await waitFor(() => /previous output was kept/.test(stderr), "the error report");
    assert.match(stderr, /shared\/special\.ts:1:\d+: .*\[config-syntax\]/);
    writeFileSync(join(root, "shared/special.ts"), "export const extra = 4;\n");
    await waitFor(() => (stdout.match(/changed: configs\/c05\.json/g) ?? []).length >= 2, "the recovery");
    assert.equal(JSON.parse(readFileSync(join(root, "out/configs/c05.json"), "utf8")).extra, 4);
    // A top-level directory made after the watch started is watched too, even when it is made
    // empty first and filled afterwards (as editors and git do).
    mkdirSync(join(root, "late"));
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(join(root, "late/x.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 100, level: "late" });\n');
    await waitFor(() => /changed: late\/x\.json/.test(stdout), "the new directory's config");
    writeFileSync(join(root, "late/x.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 101, level: "later" });\n');
    await waitFor(() => (stdout.match(/changed: late\/x\.json/g) ?? []).length >= 2, "an edit in the new directory");
    assert.equal(JSON.parse(readFileSync(join(root, "out/late/x.json"), "utf8")).id, 101);
    // Removing it removes its output; a directory re-made under the same name is watched again.
    rmSync(join(root, "late"), { recursive: true });
    await waitFor(() => !existsSync(join(root, "out/late/x.json")), "the removal");
    mkdirSync(join(root, "late"));
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(join(root, "late/y.config.ts"), 'import { Cfg } from "bale:schemas";\nexport default Cfg({ id: 102, level: "again" });\n');
    await waitFor(() => existsSync(join(root, "out/late/y.json")), "the re-made directory's config");
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.on("close", r));
  }
  assert.equal(p.exitCode, 0, stderr);
});

test("crash recovery touches only what a dead build left: a half-swapped out/ comes back, a running build's tree is kept", () => {
  const root = tmp("bale-cfg-recover-");
  makeProject(root, 5);
  build(root);
  const out = join(root, "out");
  const before = tree(out);
  // A build killed between its two renames (pid 2^22 + 1: above Linux's pid_max, a process that is gone)...
  renameSync(out, join(root, ".out.bale-old-4194305-aaaaaa"));
  mkdirSync(join(root, ".out.bale-new-4194305-bbbbbb"));
  // ...and a build running right now (this process) with its new tree half written.
  const live = join(root, `.out.bale-new-${process.pid}-cccccc`);
  mkdirSync(live);
  writeFileSync(join(live, "half.json"), "{}\n");
  // The next build fails, and still repairs first.
  writeFileSync(join(root, name(1)), "export default (;\n");
  const r = bale(["config", "build", root]);
  assert.equal(r.status, 1, r.stdout);
  assert.deepEqual(tree(out), before, "the dead build's out/ is back, unchanged");
  assert.ok(!existsSync(join(root, ".out.bale-new-4194305-bbbbbb")));
  assert.ok(!existsSync(join(root, ".out.bale-old-4194305-aaaaaa")));
  assert.equal(readFileSync(join(live, "half.json"), "utf8"), "{}\n", "a live build's tree is not another build's to remove");
});
