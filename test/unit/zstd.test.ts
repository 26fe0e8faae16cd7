/**
 * The payload compressor against the decoder every Node 20 host extracts with (fzstd, bundled in the
 * extractor). fzstd 0.1.1 silently decodes some large long-distance-matching frames wrongly; bale must
 * never write a payload that this decoder cannot give back byte for byte.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decompress } from "fzstd";
import { compress, compressRuntime, decodeRuntime } from "../../src/pack/zstd.js";
import { NODE22 } from "../helpers.js";

test("a large payload that fzstd decodes wrongly with long-distance matching is compressed so that it decodes right", async () => {
  // The Node 22 binary (119 MiB) is such an input: with long-distance matching, fzstd's output differs from byte ~114 MB on.
  const src = readFileSync(NODE22);
  const z = await compress(src, 3);
  assert.ok(Buffer.from(decompress(z.data)).equals(src));
});

test("an embedded runtime round-trips through the reference decoder (never fzstd)", async () => {
  const src = readFileSync(NODE22).subarray(0, 40 << 20);
  const z = await compressRuntime(Buffer.from(src), 1);
  assert.ok(decodeRuntime(z, src.length).equals(src));
  assert.throws(() => decodeRuntime(z, src.length - 1));
});
