/**
 * The payload compressor against the decoders archives extract with: Node's built-in zstd (Node >=
 * 22.15) and zstd's own decoder compiled to WebAssembly (Node 20), which bale ships in every archive.
 * The pure-JS fzstd that bale used before silently decoded some large long-distance-matching frames
 * wrongly (the Node 22 binary below, from byte ~114 MB on); the WebAssembly build is zstd itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WasmZstdDecoder } from "../../src/archive/zstd-wasm.js";
import { compress, compressRuntime, decodeRuntime } from "../../src/pack/zstd.js";
import { NODE22, ROOT } from "../helpers.js";

function wasmDecode(z: Uint8Array, chunk = 1 << 20): Buffer {
  const parts: Uint8Array[] = [];
  const d = new WasmZstdDecoder();
  for (let i = 0; i < z.length; i += chunk) d.push(z.subarray(i, i + chunk), (c) => parts.push(c));
  d.end();
  return Buffer.concat(parts);
}

test("a large long-distance-matching payload (the Node 22 binary) decodes back exactly with the WebAssembly decoder", async () => {
  const src = readFileSync(NODE22);
  const z = await compress(src, 3);
  assert.ok(wasmDecode(z.data).equals(src));
});

test("the WebAssembly decoder takes input in any split, reads several frames, and refuses truncated and corrupt data", async () => {
  const a = Buffer.from("first frame ".repeat(5000));
  const b = Buffer.from(readFileSync(join(ROOT, "package-lock.json")));
  const z = Buffer.concat([(await compress(a, 3)).data, (await compress(b, 19)).data]);
  for (const chunk of [1, 7, 4096, 1 << 20]) assert.ok(wasmDecode(z, chunk).equals(Buffer.concat([a, b])), `chunk ${chunk}`);
  assert.throws(() => wasmDecode(z.subarray(0, z.length - 5)), /truncated/);
  // (A flipped byte inside a block can decode to other bytes without an error: payloads carry no zstd
  // checksum, their sha256 in the index is checked before anything is published.)
  const bad = Buffer.from(z);
  bad[0] = 0;
  assert.throws(() => wasmDecode(bad), /zstd: Unknown frame descriptor/);
  assert.throws(() => wasmDecode(Buffer.from("not zstd at all")), /zstd: /);
});

test("an embedded runtime round-trips through the reference decoder", async () => {
  const src = readFileSync(NODE22).subarray(0, 40 << 20);
  const z = await compressRuntime(Buffer.from(src), 1);
  assert.ok(decodeRuntime(z, src.length).equals(src));
  assert.throws(() => decodeRuntime(z, src.length - 1));
});

test("the committed WebAssembly decoder is exactly what its sources build to", () => {
  const dir = mkdtempSync(join(tmpdir(), "bale-wasm-"));
  try {
    const out = join(dir, "unzstd.wasm");
    // scripts/build-decoder.mjs --wasm needs clang and wasm-ld (.ci/run installs them).
    execFileSync(process.execPath, ["-e", `import(${JSON.stringify(join(ROOT, "scripts/build-decoder.mjs"))}).then((m) => { const why = m.buildWasmDecoder(${JSON.stringify(ROOT)}, ${JSON.stringify(out)}); if (why) { console.error(why); process.exit(1); } })`], { stdio: ["ignore", "ignore", "inherit"] });
    assert.ok(readFileSync(out).equals(readFileSync(join(ROOT, "src/runtime-stub/unzstd.wasm"))), "rebuild src/runtime-stub/unzstd.wasm with `node scripts/build-decoder.mjs --wasm` and commit it");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
