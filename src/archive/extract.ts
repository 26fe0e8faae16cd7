/**
 * Streams an archive's payload (zstd-compressed tar) into a directory:
 * decompress -> validate each tar entry -> write, hashing the compressed bytes
 * on the way so a tampered payload is caught before anything is published.
 *
 * Used by the embedded extractor (into a private work dir that is renamed into
 * the cache) and by `bale extract` (into a temp dir renamed to the target).
 * Decompression uses Node's built-in zstd where present (Node >= 22.15) and
 * the tiny pure-JS fzstd otherwise (Node 20).
 */
import { createHash } from "node:crypto";
import {
  close,
  closeSync,
  fsync,
  constants as C,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join, relative } from "node:path";
import * as zlib from "node:zlib";
import { Decompress, decompress as fzDecompress } from "fzstd";
import { BaleError } from "../errors.js";
import { isBelow } from "../fsutil.js";
import type { ArchiveIndex } from "./format.js";
import { TarReader, TarError, type TarEntry } from "./tar.js";

export interface ExtractStats {
  entries: number;
  files: number;
  bytes: number;
  decoder: "node-zlib" | "fzstd";
}

export interface ExtractOptions {
  /** fsync every file and directory before returning (default true). */
  fsync?: boolean;
}

const READ_CHUNK = 1 << 20;
/** Files whose fsync may be in flight at once (each holds an open descriptor until it is done). */
const MAX_EARLY_SYNCS = 128;
const FILE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | (C.O_NOFOLLOW ?? 0);

type ZstdStream = import("node:stream").Transform;
const zstd = zlib as unknown as {
  createZstdDecompress?: (o?: object) => ZstdStream;
  zstdDecompressSync?: (b: Buffer, o?: object) => Buffer;
};
const createZstdDecompress = zstd.createZstdDecompress;
/** Up to this much tar, decode in one call into one right-sized buffer (fastest); stream beyond it. */
const ONE_SHOT_LIMIT = 256 << 20;

/** Writes validated tar entries under `dest` (which must exist and be empty). */
class TreeWriter {
  private fd = -1;
  private dirs = new Set<string>([""]);
  private links = new Set<string>();
  private toSync: string[] = [];
  private filesToSync: string[] = [];
  /** fsyncs already running on the thread pool while the main thread goes on decoding and writing. */
  private early: Promise<void>[] = [];
  private earlyOpen = 0;
  private earlyError: Error | null = null;
  private current = "";

  constructor(
    private readonly dest: string,
    private readonly label: string,
    private readonly doSync: boolean,
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
    if (this.doSync) this.toSync.push(rel);
  }

  entry(e: TarEntry): void {
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
      // Never group/world-writable, never setuid; keep the owner able to read and the x bits native addons need.
      this.fd = openSync(abs, FILE_FLAGS, (e.mode & 0o755) | 0o400);
      this.current = abs;
    }
  }

  data(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  endEntry(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    if (this.doSync && this.earlyOpen < MAX_EARLY_SYNCS) {
      // Hand the fsync to the thread pool now: it overlaps with decoding the rest of the payload.
      this.earlyOpen++;
      this.early.push(
        new Promise<void>((done) => {
          fsync(fd, (e1) => {
            close(fd, (e2) => {
              this.earlyOpen--;
              const e = e1 ?? e2;
              if (e && !this.earlyError) this.earlyError = e;
              done();
            });
          });
        }),
      );
      return;
    }
    closeSync(fd);
    if (this.doSync) this.filesToSync.push(this.current);
  }

  /** Closes any open file (after an error). */
  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * Final checks once everything is written: no symlink resolves outside `dest`; then every file and
   * directory is fsynced (files in parallel on the thread pool: the disk, not the calls, is the cost).
   */
  async finish(): Promise<void> {
    const root = realpathSync(this.dest);
    for (const l of this.links) {
      let real: string;
      try {
        real = realpathSync(join(this.dest, l));
      } catch {
        continue; // dangling: its target was checked lexically already
      }
      if (real !== root && !isBelow(real, root)) {
        throw new TarError("archive-hostile-entry", `refusing tar entry: symlink ${l} resolves outside the archive (${relative(root, real)})`, {
          file: this.label,
          fix: "the payload was not written by bale or was tampered with; rebuild the archive",
        });
      }
    }
    if (this.doSync) {
      await Promise.all(this.early);
      if (this.earlyError) throw this.earlyError;
      const files = this.filesToSync;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < files.length) {
          const h = await open(files[next++] as string, "r");
          try {
            await h.sync();
          } finally {
            await h.close();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
      for (const d of this.toSync.reverse()) syncPath(join(this.dest, d));
      syncPath(this.dest);
    }
  }
}

export function syncPath(p: string): void {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function payloadError(label: string, what: string): BaleError {
  return new BaleError("archive-payload-corrupt", `the payload is corrupt: ${what}`, {
    file: label,
    fix: "copy the archive again or rebuild it with `bale pack`",
  });
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
  opts: ExtractOptions = {},
): Promise<ExtractStats> {
  const writer = new TreeWriter(dest, label, opts.fsync ?? true);
  const tar = new TarReader(writer, label);
  const hash = createHash("sha256");
  const { offset, length } = index.segments.payload;
  let decoder: ExtractStats["decoder"];
  try {
    const tarEstimate = index.payload.unpackedSize + (index.payload.entries + 4) * 1536;
    const builtin = Boolean(zstd.zstdDecompressSync && createZstdDecompress) && process.env.BALE_ZSTD_DECODER !== "fzstd";
    if (tarEstimate <= ONE_SHOT_LIMIT) {
      // One call into one buffer: 3-4x faster than streaming for fzstd, and fewer thread-pool round trips for zlib.
      const buf = Buffer.allocUnsafe(length);
      let pos = 0;
      while (pos < length) {
        const n = readSync(fd, buf, pos, length - pos, offset + pos);
        if (n === 0) throw payloadError(label, "it ends early (truncated)");
        pos += n;
      }
      hash.update(buf);
      if (builtin && zstd.zstdDecompressSync) {
        decoder = "node-zlib";
        tar.push(zstd.zstdDecompressSync(buf, { chunkSize: Math.max(64 << 10, tarEstimate) }));
      } else {
        decoder = "fzstd";
        tar.push(fzDecompress(buf));
      }
    } else if (builtin && createZstdDecompress) {
      decoder = "node-zlib";
      await new Promise<void>((resolve, reject) => {
        const z = createZstdDecompress({ chunkSize: 1 << 20 });
        z.on("data", (c: Buffer) => {
          try {
            tar.push(c);
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
      decoder = "fzstd";
      const d = new Decompress((chunk) => tar.push(chunk));
      let pos = 0;
      while (pos < length) {
        // A fresh buffer per read: fzstd keeps references to input it has not decoded yet.
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, length - pos));
        const n = readSync(fd, buf, 0, buf.length, offset + pos);
        if (n === 0) throw payloadError(label, "it ends early (truncated)");
        pos += n;
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        d.push(chunk, pos === length);
      }
    }
  } catch (e) {
    writer.abort();
    if (hash.digest("hex") !== index.segments.payload.sha256 || !(e instanceof BaleError)) {
      // A hash mismatch explains any decoding failure better than the decoder's own message.
      throw e instanceof TarError ? e : payloadError(label, `cannot decompress it (${(e as Error).message ?? String(e)})`);
    }
    throw e;
  }
  const digest = hash.digest("hex");
  if (digest !== index.segments.payload.sha256) {
    writer.abort();
    throw payloadError(label, "its sha256 does not match the index (tampered or damaged)");
  }
  tar.end();
  await writer.finish();
  if (tar.files !== index.payload.files || tar.bytes !== index.payload.unpackedSize) {
    throw payloadError(label, `it holds ${tar.files} files / ${tar.bytes} bytes, the index says ${index.payload.files} / ${index.payload.unpackedSize}`);
  }
  return { entries: tar.entries, files: tar.files, bytes: tar.bytes, decoder };
}
