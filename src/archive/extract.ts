/**
 * Streams an archive's payload (zstd-compressed tar) into a directory:
 * decompress -> validate each tar entry -> write, hashing the compressed bytes
 * on the way so a tampered payload is caught before anything is published.
 *
 * Used by the embedded extractor (into a private work dir that is renamed into
 * the cache) and by `bale extract` (into a temp dir renamed to the target).
 * Decompression uses Node's built-in zstd where present (Node >= 22.15) and
 * zstd's own decoder compiled to WebAssembly otherwise (Node 20: zstd-wasm.ts).
 */
import { createHash } from "node:crypto";
import { closeSync, constants as C, mkdirSync, openSync, readSync, symlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { BaleError } from "../errors.js";
import type { ArchiveIndex } from "./format.js";
import { FILES } from "./paths.js";
import { TarReader, TarError, TreeModel, type TarEntry } from "./tar.js";
import { WasmZstdDecoder } from "./zstd-wasm.js";

export interface ExtractStats {
  entries: number;
  files: number;
  bytes: number;
  decoder: "node-zlib" | "wasm";
  /** What was written: [type, size, path] per entry (for the cache entry's file list). */
  listing: Array<[TarEntry["type"], number, string]>;
}

/** The size of the cache's file list when the payload carries it (FILES, its last member since bale 0.2), else null. */
export function carriedFileList(listing: ExtractStats["listing"]): number | null {
  return listing.find(([type, , path]) => type === "file" && path === FILES)?.[1] ?? null;
}

const READ_CHUNK = 1 << 20;
const FILE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | (C.O_NOFOLLOW ?? 0);

type ZstdStream = import("node:stream").Transform;
const zstd = zlib as unknown as {
  createZstdDecompress?: (o?: object) => ZstdStream;
  zstdDecompressSync?: (b: Buffer, o?: { chunkSize?: number; maxOutputLength?: number }) => Buffer;
};
const createZstdDecompress = zstd.createZstdDecompress;
/** Up to this much tar, decode in one call into one right-sized buffer (fastest); stream beyond it. */
const ONE_SHOT_LIMIT = 256 << 20;

/** Writes validated tar entries under `dest` (which must exist and be empty). Durability is the caller's: see syncTree (src/atomic.ts). */
class TreeWriter {
  private fd = -1;
  private dirs = new Set<string>([""]);
  private links = new Set<string>();
  private readonly model = new TreeModel();
  readonly listing: Array<[TarEntry["type"], number, string]> = [];

  constructor(
    private readonly dest: string,
    private readonly label: string,
  ) {}

  private ensureDir(rel: string): void {
    if (this.dirs.has(rel)) return;
    if (this.links.has(rel)) {
      throw new TarError("archive-hostile-entry", `refusing tar entry: it writes through the symlink ${rel}`, {
        file: this.label,
        fix: "the payload was not written by bale or was tampered with; rebuild the archive",
      });
    }
    const i = rel.lastIndexOf("/");
    this.ensureDir(i < 0 ? "" : rel.slice(0, i));
    mkdirSync(join(this.dest, rel), { mode: 0o755 });
    this.dirs.add(rel);
  }

  entry(e: TarEntry): void {
    this.model.add(e.path, e.type, e.linkTarget);
    this.listing.push([e.type, e.size, e.path]);
    const i = e.path.lastIndexOf("/");
    const parent = i < 0 ? "" : e.path.slice(0, i);
    this.ensureDir(parent);
    const abs = join(this.dest, e.path);
    if (e.type === "directory") {
      this.ensureDir(e.path);
    } else if (e.type === "symlink") {
      symlinkSync(e.linkTarget, abs);
      this.links.add(e.path);
    } else {
      this.fd = openSync(abs, FILE_FLAGS, (e.mode & 0o755) | 0o400);
    }
  }

  data(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  endEntry(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes any open file (after an error). */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Final check once everything is written: no symlink resolves outside `dest` (resolved as the
   * kernel would, over the model of what was written: nothing else is in `dest`).
   */
  finish(): void {
    this.model.checkLinks(this.label);
  }
}

function payloadError(label: string, what: string): BaleError {
  return new BaleError("archive-payload-corrupt", `the payload is corrupt: ${what}`, {
    file: label,
    fix: "copy the archive again or rebuild it with `bale pack`",
  });
}

/** Upper bound of the tar stream's size implied by the index (file data + generous per-entry header room). */
export function tarLimit(index: ArchiveIndex): number {
  return index.payload.unpackedSize + (index.payload.entries + 4) * 7168 + 10240;
}

function oversized(label: string, limit: number): BaleError {
  return new BaleError(
    "archive-payload-oversized",
    `the payload decompresses to more than its index declares (over ${limit} bytes of tar); refusing it unread (a decompression bomb, or a damaged archive)`,
    { file: label, fix: "do not run this archive; rebuild it with `bale pack`" },
  );
}

/** An errno from writing the output (disk full, permissions): the caller names the directory. */
function isWriteErrno(e: unknown): boolean {
  const x = e as NodeJS.ErrnoException | null;
  return typeof x === "object" && x !== null && typeof x.code === "string" && typeof x.syscall === "string";
}

export interface Decoded {
  decoder: ExtractStats["decoder"];
  /** sha256 (hex) of the compressed payload bytes as read. */
  sha256: string;
}

/**
 * Reads the payload segment of the archive open as `fd`, hashes it and feeds the decompressed tar to
 * `sink` in order. Decoding is bounded by what the index declares (`tarLimit`): a payload that
 * inflates past it is refused as soon as it does, with memory bounded by the limit (one-shot) or one
 * chunk (streaming). Errors from `sink` propagate as they are.
 */
export async function decodePayload(fd: number, index: ArchiveIndex, label: string, sink: (chunk: Uint8Array) => void): Promise<Decoded> {
  const hash = createHash("sha256");
  const { offset, length } = index.segments.payload;
  const limit = tarLimit(index);
  let decoder: ExtractStats["decoder"];
  const builtin = Boolean(zstd.zstdDecompressSync && createZstdDecompress) && process.env.BALE_ZSTD_DECODER !== "wasm";
  let produced = 0;
  const feed = (c: Uint8Array): void => {
    produced += c.length;
    if (produced > limit) throw oversized(label, limit);
    sink(c);
  };
  if (builtin && zstd.zstdDecompressSync && limit <= ONE_SHOT_LIMIT) {
    // One call into one buffer: fewer thread-pool round trips than streaming.
    const buf = Buffer.allocUnsafe(length);
    let pos = 0;
    while (pos < length) {
      const n = readSync(fd, buf, pos, length - pos, offset + pos);
      if (n === 0) throw payloadError(label, "it ends early (truncated)");
      pos += n;
    }
    hash.update(buf);
    let out: Uint8Array;
    decoder = "node-zlib";
    try {
      out = zstd.zstdDecompressSync(buf, { chunkSize: Math.max(64 << 10, Math.min(limit, 64 << 20)), maxOutputLength: limit });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw oversized(label, limit);
      throw e;
    }
    feed(out);
  } else if (builtin && createZstdDecompress) {
    decoder = "node-zlib";
    await new Promise<void>((resolve, reject) => {
      const z = createZstdDecompress({ chunkSize: 1 << 20 });
      z.on("data", (c: Buffer) => {
        try {
          feed(c);
        } catch (e) {
          z.destroy();
          reject(e);
        }
      });
      z.on("error", (e: Error) => reject(e));
      z.on("end", () => resolve());
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      let pos = 0;
      const pump = (): void => {
        while (pos < length) {
          const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, length - pos), offset + pos);
          if (n === 0) return void reject(payloadError(label, "it ends early (truncated)"));
          pos += n;
          const chunk = Buffer.from(buf.subarray(0, n));
          hash.update(chunk);
          if (!z.write(chunk)) return void z.once("drain", pump);
        }
        z.end();
      };
      pump();
    });
  } else {
    decoder = "wasm";
    const d = new WasmZstdDecoder();
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    let pos = 0;
    while (pos < length) {
      const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, length - pos), offset + pos);
      if (n === 0) throw payloadError(label, "it ends early (truncated)");
      pos += n;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      d.push(chunk, feed);
    }
    d.end();
  }
  return { decoder, sha256: hash.digest("hex") };
}

function limitsOf(index: ArchiveIndex): { entries: number; files: number; bytes: number } {
  return { entries: index.payload.entries, files: index.payload.files, bytes: index.payload.unpackedSize };
}

/**
 * Reads the payload's tar listing (no writes), bounded like extraction; checks its symlinks as the
 * kernel would resolve them. For verify and inspect --files.
 */
export async function listPayload(fd: number, index: ArchiveIndex, label: string): Promise<{ entries: TarEntry[]; decoder: Decoded }> {
  const entries: TarEntry[] = [];
  const model = new TreeModel();
  const tar = new TarReader(
    {
      entry: (e) => {
        entries.push(e);
        model.add(e.path, e.type, e.linkTarget);
      },
      data: () => {},
      endEntry: () => {},
    },
    label,
    limitsOf(index),
  );
  let decoded: Decoded;
  try {
    decoded = await decodePayload(fd, index, label, (c) => tar.push(c));
  } catch (e) {
    if (e instanceof BaleError) throw e;
    throw payloadError(label, `cannot decompress it (${(e as Error).message ?? String(e)})`);
  }
  if (decoded.sha256 !== index.segments.payload.sha256) throw payloadError(label, "its sha256 does not match the index (tampered or damaged)");
  tar.end();
  model.checkLinks(label);
  if (tar.files !== index.payload.files || tar.bytes !== index.payload.unpackedSize) {
    throw payloadError(label, `it holds ${tar.files} files / ${tar.bytes} bytes, the index says ${index.payload.files} / ${index.payload.unpackedSize}`);
  }
  return { entries, decoder: decoded };
}

/**
 * Extracts the payload of the archive open as `fd` into the empty directory
 * `dest`, verifying its sha256 and the counts recorded in the index.
 * On error `dest` may hold partial files: callers extract into a private
 * directory and publish it only on success.
 */
export async function extractPayload(
  fd: number,
  index: ArchiveIndex,
  dest: string,
  label: string,
): Promise<ExtractStats> {
  const writer = new TreeWriter(dest, label);
  const tar = new TarReader(writer, label, limitsOf(index));
  let decoded: Decoded;
  try {
    decoded = await decodePayload(fd, index, label, (c) => tar.push(c));
  } catch (e) {
    writer.abort();
    if (isWriteErrno(e)) throw e; // disk full, permissions: the caller names the directory
    if (e instanceof BaleError) throw e;
    // A hash mismatch explains any decoding failure better than the decoder's own message.
    throw payloadError(label, `cannot decompress it (${(e as Error).message ?? String(e)})`);
  }
  if (decoded.sha256 !== index.segments.payload.sha256) {
    writer.abort();
    throw payloadError(label, "its sha256 does not match the index (tampered or damaged)");
  }
  tar.end();
  writer.finish();
  if (tar.files !== index.payload.files || tar.bytes !== index.payload.unpackedSize) {
    throw payloadError(label, `it holds ${tar.files} files / ${tar.bytes} bytes, the index says ${index.payload.files} / ${index.payload.unpackedSize}`);
  }
  return { entries: tar.entries, files: tar.files, bytes: tar.bytes, decoder: decoded.decoder, listing: writer.listing };
}

