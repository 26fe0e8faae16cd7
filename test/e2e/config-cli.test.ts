/** CLI contract of `bale config`: exit codes, usage errors, defaults, --json. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, bale, tmp } from "../helpers.js";

test("usage errors exit 2; a missing root exits 1 with a coded error", () => {
  const none = bale(["config"]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^bale: usage error: /);
  const bogus = bale(["config", "build", "--bogus"]);
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /Unknown argument: bogus/);
  const missing = bale(["config", "build", "/nonexistent/bale-root"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^bale: error: \/nonexistent\/bale-root: the project root does not exist .*\[config-root-missing\]\n/);
});

test("defaults: ROOT is the working directory and DIR is <ROOT>/out; --json prints the build report", () => {
  const dir = tmp("bale-cli-");
  cpSync(join(ROOT, "test/fixtures/config/project"), dir, { recursive: true });
  const r = bale(["config", "build", "--json"], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { root: string; out: string; evaluated: string[]; artifacts: { output: string; status: string; changed: boolean }[]; timings: Record<string, number> };
  assert.equal(report.out, join(dir, "out"));
  assert.equal(report.evaluated.length, 6);
  assert.deepEqual(
    report.artifacts.map((a) => a.output),
    ["configs/dev/api.json", "configs/features.json", "configs/odd.json", "configs/prod/api.json", "configs/prod/worker.json", "services/pinger.json"],
  );
  assert.ok(report.artifacts.every((a) => a.status === "evaluated" && a.changed));
  for (const k of ["discoverMs", "hashMs", "schemasMs", "bundleMs", "evaluateMs", "writeMs", "totalMs"]) assert.equal(typeof report.timings[k], "number");
  assert.ok(existsSync(join(dir, "out/bale-manifest.json")));
  const service = JSON.parse(readFileSync(join(dir, "out/services/pinger.json"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(service), ["description", "methods", "name"]);
});
