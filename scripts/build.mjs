// Builds bale: type-checks and emits dist/ with tsc, then bundles the runtime
// extractor (the JS embedded in every archive) into one small minified file.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, chmodSync, existsSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { brotliCompressSync, constants as zlibConstants } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
// tsc emits even when it reports type errors; finish the build, then fail with its status.
let tscFailed = false;
try {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
    stdio: "inherit",
  });
} catch {
  tscFailed = true;
}
const extractorSrc = join(root, "src/runtime-stub/extractor.ts");
if (existsSync(extractorSrc)) {
  mkdirSync(join(root, "dist/runtime-stub"), { recursive: true });
  const outfile = join(root, "dist/runtime-stub/extractor.min.js");
  const result = await esbuild.build({
    entryPoints: [extractorSrc],
    outfile,
    bundle: true,
    minify: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // The extractor gets its WebAssembly decoder from the bootstrap, never from a file beside it.
    define: { BALE_EXTRACTOR_MAIN: "true", "import.meta.url": '"file:///bale-extractor/"' },
    legalComments: "none",
    logLevel: "warning",
    write: false,
  });
  // The bootstrap in the prelude evaluates this text and calls it with `require` and the decoder's bytes.
  const js = Buffer.from(`(function(require,baleWasm){var module={exports:{}},exports=module.exports;${result.outputFiles[0].text}})`);
  writeFileSync(outfile, js);
  // The extractor segment of every archive: brotli (node's zlib decodes it on every Node >= 20; 18 %
  // smaller than raw deflate at level 9) of <JS length, 10 digits><JS><the WebAssembly zstd decoder>.
  const wasm = readFileSync(join(root, "src/runtime-stub/unzstd.wasm"));
  copyFileSync(join(root, "src/runtime-stub/unzstd.wasm"), join(root, "dist/runtime-stub/unzstd.wasm"));
  const raw = Buffer.concat([Buffer.from(String(js.length).padStart(10, "0")), js, wasm]);
  const segment = brotliCompressSync(raw, {
    params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_LGWIN]: 24, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  writeFileSync(join(root, "dist/runtime-stub/extractor.bin"), segment);
  process.stdout.write(`extractor: ${js.length} bytes of JS + ${wasm.length} bytes of wasm, ${segment.length} bytes compressed\n`);
}
const { buildDecoders } = await import("./build-decoder.mjs");
const decoders = buildDecoders(root, join(root, "dist/runtime-stub"));
for (const [target, why] of Object.entries(decoders.missing)) {
  process.stdout.write(`runtime decoder for ${target}: not built (${why}); \`bale pack --runtime\` cannot target it\n`);
}
// The runtime files `bale gen` copies into generated code are read from the package at gen time
// (src/bindings/runtimes.ts); tsconfig.json leaves them out of the emit, so they travel as source.
const runtimeSrc = join(root, "src/bindings/runtime");
mkdirSync(join(root, "dist/bindings/runtime"), { recursive: true });
for (const f of readdirSync(runtimeSrc)) {
  // configs.ts only stands in for the generated file of that name while type-checking.
  if ((f.endsWith(".ts") || f.endsWith(".py")) && f !== "configs.ts") copyFileSync(join(runtimeSrc, f), join(root, "dist/bindings/runtime", f));
}
chmodSync(join(root, "dist/cli/main.js"), 0o755);
if (tscFailed) {
  process.stderr.write("build: type errors (above); dist/ was emitted anyway\n");
  process.exit(1);
}
