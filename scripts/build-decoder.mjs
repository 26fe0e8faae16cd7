// Builds bale-unzstd (src/runtime-stub/unzstd.c), the runtime decoder embedded in archives that carry
// their own Node.js, for every target a C compiler is present for: a static, freestanding ELF per
// architecture, from zstd's decompressor sources as shipped in the zstd-napi package.
//
//   dist/runtime-stub/unzstd-linux-x64     (gcc on x86-64, or x86_64-linux-gnu-gcc)
//   dist/runtime-stub/unzstd-linux-arm64   (aarch64-linux-gnu-gcc: Debian's gcc-aarch64-linux-gnu, or gcc on arm64)
//
// Builds are cached by the hash of their inputs (sources, flags, compiler version) in
// node_modules/.cache/bale-unzstd, so a rebuild of bale costs nothing here.
//
// Also the payload decoder for Node without a built-in zstd (src/runtime-stub/unzstd-wasm.c, to
// WebAssembly with clang and wasm-ld). Its output is committed as src/runtime-stub/unzstd.wasm, so
// building bale needs no clang; `node scripts/build-decoder.mjs --wasm` rebuilds it, and a test
// rebuilds it wherever clang is present and checks the committed bytes are exactly what the sources give.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { arch } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const TARGETS = {
  "linux-x64": { machine: "x86_64", compilers: ["x86_64-linux-gnu-gcc", ...(arch() === "x64" ? ["gcc", "cc"] : [])] },
  "linux-arm64": { machine: "aarch64", compilers: ["aarch64-linux-gnu-gcc", ...(arch() === "arm64" ? ["gcc", "cc"] : [])] },
};
const FLAGS = [
  "-static", "-nostdlib", "-ffreestanding", "-fno-stack-protector", "-fno-tree-loop-distribute-patterns", "-fno-asynchronous-unwind-tables",
  "-no-pie", "-O2", "-s", "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections", "-Wl,--build-id=none",
  "-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0", "-DDEBUGLEVEL=0", "-DZSTD_NO_TRACE", "-Wall", "-Wextra",
];
const ZSTD_SOURCES = [
  "common/entropy_common.c", "common/error_private.c", "common/fse_decompress.c", "common/zstd_common.c", "common/xxhash.c",
  "decompress/huf_decompress.c", "decompress/zstd_decompress.c", "decompress/zstd_decompress_block.c", "decompress/zstd_ddict.c",
];

/** clang flags of the WebAssembly decoder: a single-X1-Huffman, short-sequences decoder (49 KB). */
const WASM_FLAGS = [
  "--target=wasm32", "-nostdlib", "-O2", "-mbulk-memory", "-flto", "-Wl,--no-entry", "-Wl,--strip-all", "-Wl,--gc-sections",
  "-Wl,-z,stack-size=262144", "-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0", "-DDEBUGLEVEL=0", "-DZSTD_NO_TRACE",
  "-DXXH_NAMESPACE=ZSTD_", "-DHUF_FORCE_DECOMPRESS_X1", "-DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT", "-Wall",
];
export const WASM_DECODER = "src/runtime-stub/unzstd.wasm";

/** Builds the WebAssembly decoder into `out`; returns null, or why it cannot (no clang / wasm-ld / zstd sources). */
export function buildWasmDecoder(root, out) {
  const lib = zstdLib(root);
  if (!lib) return "the zstd-napi package (its zstd sources) is not installed";
  if (compilerVersion("clang") === null) return "clang is not installed (Debian: clang lld)";
  if (compilerVersion("wasm-ld") === null) return "wasm-ld is not installed (Debian: lld)";
  const src = join(root, "src/runtime-stub");
  const tmp = `${out}.tmp-${process.pid}`;
  execFileSync("clang", [...WASM_FLAGS, `-I${join(src, "wasm-libc")}`, `-I${lib}`, `-I${join(lib, "common")}`, "-o", tmp, join(src, "unzstd-wasm.c"), ...ZSTD_SOURCES.map((s) => join(lib, s))], {
    stdio: "inherit",
  });
  renameSync(tmp, out);
  return null;
}

function zstdLib(root) {
  try {
    const pkg = createRequire(join(root, "package.json")).resolve("zstd-napi/package.json");
    const lib = join(dirname(pkg), "deps/zstd/lib");
    if (existsSync(join(lib, "zstd.h"))) return lib;
  } catch {
    /* not installed */
  }
  return null;
}

function compilerVersion(cc) {
  try {
    return execFileSync(cc, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0];
  } catch {
    return null;
  }
}

/** Builds what it can; returns { built: [...targets], missing: { target: reason } }. */
export function buildDecoders(root, outDir) {
  const built = [];
  const missing = {};
  const lib = zstdLib(root);
  if (!lib) {
    for (const t of Object.keys(TARGETS)) missing[t] = "the zstd-napi package (its zstd sources) is not installed";
    return { built, missing };
  }
  const own = ["src/runtime-stub/unzstd.c", "src/runtime-stub/unzstd-sys.h"].map((p) => join(root, p));
  const sources = [own[0], ...ZSTD_SOURCES.map((s) => join(lib, s))];
  const inputs = createHash("sha256");
  for (const f of [...own, ...sources.slice(1), join(lib, "zstd.h")]) inputs.update(readFileSync(f));
  inputs.update(FLAGS.join(" "));
  const cacheDir = join(root, "node_modules/.cache/bale-unzstd");
  mkdirSync(outDir, { recursive: true });
  for (const [target, { machine, compilers }] of Object.entries(TARGETS)) {
    const cc = compilers.find((c) => compilerVersion(c) !== null);
    if (!cc) {
      missing[target] = `no C compiler for ${machine} (${compilers.join(" or ")})`;
      continue;
    }
    const key = createHash("sha256").update(inputs.copy().digest("hex")).update(target).update(compilerVersion(cc)).digest("hex").slice(0, 16);
    const cached = join(cacheDir, `unzstd-${target}-${key}`);
    if (!existsSync(cached)) {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${cached}.tmp-${process.pid}`;
      execFileSync(cc, [...FLAGS, `-I${lib}`, `-I${join(lib, "common")}`, "-o", tmp, ...sources], { stdio: "inherit" });
      renameSync(tmp, cached);
    }
    copyFileSync(cached, join(outDir, `unzstd-${target}`));
    built.push(target);
  }
  return { built, missing };
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}` && process.argv.includes("--wasm")) {
  const root = join(dirname(new URL(import.meta.url).pathname), "..");
  const why = buildWasmDecoder(root, join(root, WASM_DECODER));
  if (why) {
    process.stderr.write(`cannot build ${WASM_DECODER}: ${why}\n`);
    process.exit(1);
  }
  process.stdout.write(`${WASM_DECODER}: ${readFileSync(join(root, WASM_DECODER)).length} bytes\n`);
}
