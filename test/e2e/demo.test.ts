/** CI proves the demo: `node scripts/demo.mjs` from a clean examples/greeter (no out/, gen/, dist/). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { env, ROOT } from "../helpers.js";

test("the demo runs the whole flow and every step checks its result", () => {
  const ex = join(ROOT, "examples/greeter");
  for (const d of ["out", "gen", "dist", "bale-env.d.ts"]) rmSync(join(ex, d), { recursive: true, force: true });
  // How long it takes is measured by the bench, not asserted here: a loaded machine is not a failure.
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/demo.mjs")], { cwd: ROOT, env: env(), encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  for (const expected of [
    /built examples\/greeter -> examples\/greeter\/out: 3 artifacts, 3 evaluated/,
    /bale gen: \d+ files in .*examples\/greeter\/gen \(ts, python, openapi\)/,
    /packed greeter -> examples\/greeter\/dist\/greeter/,
    /bale: extracted greeter (\(\d+ files|with zstd and tar)/,
    /greeter \(prod\) listening on http:\/\/127\.0\.0\.1:\d+/,
    /Bonjour, Ada! \[fr\]/,
    /HTTP 200 application\/json\n\{"message":"Hello, Grace!","language":"en"\}/,
    /HTTP 400 application\/json\n\{"code":"invalid_argument"/,
    /error not_found: no greeting for "ja" in prod/,
    /config {5}config/,
    /server stopped \(exit 0\)/,
  ]) {
    assert.match(r.stdout + r.stderr, expected);
  }
  assert.ok(existsSync(join(ex, "dist/greeter")));
});
