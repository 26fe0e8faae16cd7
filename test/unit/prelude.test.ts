/** The sh prelude is a golden file: any change to it is deliberate. `npm run update-goldens` accepts a change. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { renderPrelude, shQuote } from "../../src/runtime-stub/prelude.js";
import { pinnedIndexSha256 } from "../../src/archive/format.js";
import { assertGolden } from "../golden.js";
import { ROOT } from "../helpers.js";

const GOLDEN = join(ROOT, "test/fixtures/pack/prelude.golden.sh");

const opts = {
  name: "demo app",
  appId: "a".repeat(64),
  entry: "app/src/it's main.cjs",
  node: ">=20",
  nodeOptions: ["--enable-source-maps", "--max-old-space-size=64"],
  configDir: "config",
  extractorOffset: 1234,
  extractorLength: 26000,
  extractorSha256: "b".repeat(64),
  indexSha256: "c".repeat(64),
};

test("the prelude matches its golden file", () => {
  const text = renderPrelude(opts);
  assertGolden(GOLDEN, text);
});

test("the prelude is valid POSIX sh and its length does not depend on offsets", () => {
  const text = renderPrelude(opts);
  const r = spawnSync("sh", ["-n"], { input: text, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(renderPrelude({ ...opts, extractorOffset: 9, extractorLength: 1 }).length, text.length);
});

test("shQuote survives a round trip through sh", () => {
  for (const s of ["plain", "with space", "it's", "$(rm -rf /)", "a\"b", "back\\slash", "new\nline", ""]) {
    const r = spawnSync("sh", ["-c", `printf %s ${shQuote(s) || "''"}`], { encoding: "utf8" });
    assert.equal(r.stdout, s);
  }
});

test("the index hash the prelude pins is parsed back by exactly what renders it", () => {
  for (const h of ["0".repeat(64), "f".repeat(64), "0123456789abcdef".repeat(4)]) {
    assert.equal(pinnedIndexSha256(renderPrelude({ ...opts, indexSha256: h })), h);
  }
  assert.equal(pinnedIndexSha256("#!/bin/sh\necho hi\n"), null);
});
