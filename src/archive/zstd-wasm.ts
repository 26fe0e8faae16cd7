/**
 * zstd decoding where Node has no built-in zstd (Node 20 up to 22.14): zstd's own decompressor,
 * compiled to a 49 KB WebAssembly module with no imports (src/runtime-stub/unzstd-wasm.c, committed
 * as src/runtime-stub/unzstd.wasm; scripts/build-decoder.mjs builds it).
 *
 * Inside an archive the extractor is handed the module's bytes by the prelude's bootstrap (they
 * travel in the extractor segment); everywhere else they are read from beside the built code.
 *
 * Decoding streams: input and output go through 1 MiB buffers in the module's memory, so memory is
 * those two plus zstd's window (at most the frame's content size, and never above 2^27: zstd refuses
 * frames that need more). Each call returns to JS, which lets V8 tier the hot functions up from its
 * baseline compiler while decoding goes on: on the eslint app's 13 MB payload this took ~100 ms on
 * Node 20, where the pure-JS fzstd that bale used before took ~220-270 ms (and decoded some large
 * long-distance-matching frames wrongly).
 */
import { readFileSync } from "node:fs";

/** The part of the WebAssembly JS API used here (bale's TypeScript lib has no DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  bale_malloc(n: number): number;
  bale_stream_init(): number;
  bale_stream_step(src: number, n: number, pos: number, dst: number, cap: number): number;
  bale_in_pos(): number;
  bale_out_pos(): number;
  bale_is_error(code: number): number;
  bale_error_name(code: number): number;
}

const CHUNK = 1 << 20;

let bytes: Uint8Array | undefined;
let compiled: object | undefined;

/** Gives the decoder its module (the extractor does this with the bytes of its own segment). */
export function useWasmDecoder(b: Uint8Array): void {
  bytes = b;
  compiled = undefined;
}

function wasmModule(): object {
  compiled ??= new WA.Module(bytes ?? readFileSync(new URL("../runtime-stub/unzstd.wasm", import.meta.url)));
  return compiled;
}

/** zstd's message for an error code the module returned. */
function errorName(x: Exports, code: number): string {
  const mem = new Uint8Array(x.memory.buffer);
  const p = x.bale_error_name(code);
  let end = p;
  while (end < mem.length && mem[end] !== 0) end++;
  return Buffer.from(mem.subarray(p, end)).toString("latin1");
}

/** One zstd stream (any number of frames) decoded chunk by chunk; errors are plain Errors with zstd's message. */
export class WasmZstdDecoder {
  private readonly x: Exports;
  private readonly src: number;
  private readonly dst: number;
  /** zstd's last hint: 0 when the last frame ended and everything was flushed. */
  private last = 0;
  private started = false;

  constructor() {
    this.x = new WA.Instance(wasmModule(), {}).exports as unknown as Exports;
    const init = this.x.bale_stream_init() >>> 0;
    if (init !== 0) throw new Error(`zstd: ${errorName(this.x, init)}`);
    this.src = this.x.bale_malloc(CHUNK);
    this.dst = this.x.bale_malloc(CHUNK);
    if (this.src === 0 || this.dst === 0) throw new Error("zstd: out of memory");
  }

  /** Decodes `input`, handing each piece of output (a copy) to `emit` in order. */
  push(input: Uint8Array, emit: (out: Uint8Array) => void): void {
    const x = this.x;
    for (let off = 0; off < input.length; off += CHUNK) {
      const piece = input.subarray(off, Math.min(input.length, off + CHUNK));
      new Uint8Array(x.memory.buffer, this.src, piece.length).set(piece);
      this.started = true;
      let pos = 0;
      for (;;) {
        const r = x.bale_stream_step(this.src, piece.length, pos, this.dst, CHUNK) >>> 0;
        if (x.bale_is_error(r)) throw new Error(`zstd: ${errorName(x, r)}`);
        this.last = r;
        pos = x.bale_in_pos() >>> 0;
        const produced = x.bale_out_pos() >>> 0;
        if (produced > 0) emit(new Uint8Array(x.memory.buffer, this.dst, produced).slice());
        // Done with this piece once it is consumed and zstd did not stop for want of output room.
        if (pos === piece.length && produced < CHUNK) break;
      }
    }
  }

  /** After the last push: the stream must end at the end of a frame. */
  end(): void {
    if (!this.started) throw new Error("zstd: no data");
    if (this.last !== 0) throw new Error("zstd: the data ends inside a frame (truncated)");
  }
}
