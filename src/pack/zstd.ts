/**
 * zstd compression for payloads.
 *
 * Every archive is compressed by the same zstd library version (1.5.7) with the
 * same parameters (multithreaded mode with zstd-napi), so the output is byte-identical whichever Node packs it:
 * zstd-napi's one-shot ZSTD_compress2 when it is installed (any Node), else
 * Node's built-in zlib zstd (Node >= 22.15, same library version, streamed:
 * a few hundred bytes different, still deterministic on that Node), else the
 * wasm build (no long-distance matching). The frame always records its
 * content size; long-distance matching with a 2^27 window finds the repeats
 * that node_modules-like payloads are full of.
 */
import { createRequire } from "node:module";
import { WasmZstdDecoder } from "../archive/zstd-wasm.js";
import * as zlib from "node:zlib";
import { diag } from "../diagnostics/create.js";

const require = createRequire(import.meta.url);
export const DEFAULT_LEVEL = 12;
const WINDOW_LOG = 27;

export interface Compressed {
  data: Buffer;
  /** Which implementation compressed it (recorded nowhere in the archive; for diagnostics and benches). */
  implementation: "zstd-napi" | "node-zlib" | "zstd-wasm";
  /** The frame carries a checksum of its content (XXH64), which every zstd decoder verifies: the sh fast path relies on it. */
  checksum: boolean;
}

interface NapiBinding {
  CCtx: new () => { setParameter(p: number, v: number): void; compress2(dst: Uint8Array, src: Uint8Array): number };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  CParameter: Record<string, number>;
  compressBound(n: number): number;
}

function loadNapi(): NapiBinding | undefined {
  if (process.env.BALE_ZSTD_IMPL && process.env.BALE_ZSTD_IMPL !== "zstd-napi") return undefined;
  try {
    return require("zstd-napi/binding") as NapiBinding;
  } catch {
    return undefined;
  }
}

/** One zstd frame with its content size and a 2^27 window, by zstd-napi. */
function napiCompress(napi: NapiBinding, src: Buffer, level: number, o: { ldm: boolean; checksum: boolean }): Buffer {
  const cctx = new napi.CCtx();
  const P = napi.CParameter;
  cctx.setParameter(P.compressionLevel as number, level);
  cctx.setParameter(P.windowLog as number, WINDOW_LOG);
  cctx.setParameter(P.enableLongDistanceMatching as number, o.ldm ? 1 : 0);
  cctx.setParameter(P.checksumFlag as number, o.checksum ? 1 : 0);
  cctx.setParameter(P.contentSizeFlag as number, 1);
  // zstd's multithreaded mode: its output is the same for any worker count >= 1 (so archives stay
  // reproducible on any machine), and it compresses the eslint app's 13 MB payload in 0.5-0.6 s
  // instead of 0.8-1.3 s single-threaded, for 0.07 % more bytes.
  cctx.setParameter(P.nbWorkers as number, 2);
  const dst = Buffer.allocUnsafe(napi.compressBound(src.length));
  return Buffer.from(dst.subarray(0, cctx.compress2(dst, src)));
}

export function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > 19) {
    throw diag("pack-bad-level", { level });
  }
}

export async function compress(src: Buffer, level = DEFAULT_LEVEL): Promise<Compressed> {
  return compressWith(src, level, true);
}

async function compressWith(src: Buffer, level: number, ldm: boolean): Promise<Compressed> {
  checkLevel(level);
  const napi = loadNapi();
  if (napi) return { data: napiCompress(napi, src, level, { ldm, checksum: true }), implementation: "zstd-napi", checksum: true };
  const z = zlib as unknown as {
    zstdCompress?: (b: Buffer, o: object, cb: (e: Error | null, r: Buffer) => void) => void;
    constants: Record<string, number>;
  };
  if (typeof z.zstdCompress === "function" && process.env.BALE_ZSTD_IMPL !== "zstd-wasm") {
    const C = z.constants;
    const fn = z.zstdCompress;
    const data = await new Promise<Buffer>((resolve, reject) =>
      fn(
        src,
        {
          pledgedSrcSize: src.length,
          params: {
            [C.ZSTD_c_compressionLevel as number]: level,
            [C.ZSTD_c_windowLog as number]: WINDOW_LOG,
            [C.ZSTD_c_enableLongDistanceMatching as number]: ldm ? 1 : 0,
            [C.ZSTD_c_checksumFlag as number]: 1,
            [C.ZSTD_c_contentSizeFlag as number]: 1,
          },
        },
        (e, r) => (e ? reject(e) : resolve(r)),
      ),
    );
    return { data, implementation: "node-zlib", checksum: true };
  }
  const wasm = (await import("@bokuweb/zstd-wasm")) as unknown as {
    init(): Promise<void>;
    compress(b: Uint8Array, level: number): Uint8Array;
  };
  await wasm.init();
  // The wasm build takes no parameters: no checksum (archives packed this way extract with the node extractor only).
  return { data: Buffer.from(wasm.compress(src, level)), implementation: "zstd-wasm", checksum: false };
}

/** Level of the runtime segment: node binaries are packed once per version and cached, so smallest wins. */
export const DEFAULT_RUNTIME_LEVEL = 19;

/**
 * Compresses a Node.js binary for the runtime segment: one zstd frame with its content size (the
 * decoder maps exactly that much) and a content checksum (the decoder's last line of defence), a
 * 2^27 window with long-distance matching. zstd-napi (any Node) or node:zlib (Node >= 22.15); the
 * wasm build has no long-distance matching and would make runtimes ~15 % larger, so it is refused.
 */
export function checkRuntimeLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > 19) {
    throw diag("pack-bad-level:runtime", { level });
  }
}

export async function compressRuntime(src: Buffer, level = DEFAULT_RUNTIME_LEVEL): Promise<Buffer> {
  checkRuntimeLevel(level);
  const napi = loadNapi();
  if (napi) return napiCompress(napi, src, level, { ldm: true, checksum: true });
  const z = zlib as unknown as {
    zstdCompressSync?: (b: Buffer, o: object) => Buffer;
    constants: Record<string, number>;
  };
  if (typeof z.zstdCompressSync !== "function") {
    throw diag("pack-runtime-compressor", {});
  }
  const C = z.constants;
  return z.zstdCompressSync(src, {
    pledgedSrcSize: src.length,
    params: {
      [C.ZSTD_c_compressionLevel as number]: level,
      [C.ZSTD_c_windowLog as number]: WINDOW_LOG,
      [C.ZSTD_c_enableLongDistanceMatching as number]: 1,
      [C.ZSTD_c_checksumFlag as number]: 1,
      [C.ZSTD_c_contentSizeFlag as number]: 1,
    },
  });
}

/**
 * Decodes an embedded runtime segment (one zstd frame, 2^27 window, long-distance matching) for
 * `verify` and `extract`, into exactly `size` bytes, with the reference zstd library: zstd-napi, or
 * node:zlib (Node >= 22.15), or its WebAssembly build (archive/zstd-wasm.ts).
 * On a host the archive's own native decoder does this; no JS runs it.
 */
export function decodeRuntime(segment: Buffer, size: number): Buffer {
  const napi = loadNapi();
  if (napi) {
    const out = Buffer.allocUnsafe(size);
    const n = new napi.DCtx().decompress(out, segment);
    if (n !== size) throw new Error(`it decodes to ${n} bytes, not ${size}`);
    return out;
  }
  const z = zlib as unknown as { zstdDecompressSync?: (b: Buffer, o: object) => Buffer };
  if (typeof z.zstdDecompressSync === "function") return z.zstdDecompressSync(segment, { maxOutputLength: size });
  const out = Buffer.allocUnsafe(size);
  let n = 0;
  const d = new WasmZstdDecoder();
  d.push(segment, (c) => {
    if (n + c.length > size) throw new Error(`it decodes to more than ${size} bytes`);
    out.set(c, n);
    n += c.length;
  });
  d.end();
  if (n !== size) throw new Error(`it decodes to ${n} bytes, not ${size}`);
  return out;
}
