/**
 * Library side of the admin commands: inspect, verify, extract, cache list/prune.
 * They return data or throw BaleError; the CLI prints.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { Decompress } from "fzstd";
import * as zlib from "node:zlib";
import { BaleError, userIoError } from "../errors.js";
import { type ArchiveIndex, pinnedIndexSha256, readIndexFromFd } from "./format.js";
import { extractPayload } from "./extract.js";
import { TarReader, type TarEntry } from "./tar.js";
import { acquireLock, cacheRoot, cleanStale, type Env, isAlive, lstatOrNull, readMarker, uniqueSuffix } from "./cache.js";

function openArchive(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new BaleError("archive-unreadable", `cannot open the archive (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      file,
      fix: "check the path and that you may read the file",
    });
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new BaleError("archive-unreadable", "this is a directory, not an archive", { file, fix: "pass the archive file that `bale pack` wrote" });
  }
  return fd;
}

function withArchive<T>(file: string, fn: (fd: number, index: ArchiveIndex, size: number, indexSha256: string) => T): T {
  const fd = openArchive(file);
  try {
    const { index, size, indexSha256 } = readIndexFromFd(fd, file);
    return fn(fd, index, size, indexSha256);
  } finally {
    closeSync(fd);
  }
}

export interface InspectOptions {
  archive: string;
  /** Also list every entry of the payload (decompresses it). */
  files?: boolean;
}

export interface InspectResult {
  archive: string;
  size: number;
  index: ArchiveIndex;
  files?: Array<{ path: string; type: TarEntry["type"]; size: number; mode: string; target?: string }>;
}

function readPayload(fd: number, index: ArchiveIndex, label: string): Buffer {
  const { offset, length } = index.segments.payload;
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) throw new BaleError("archive-payload-corrupt", "the payload is truncated", { file: label, fix: "copy the archive again" });
    done += n;
  }
  return buf;
}

function decompressAll(data: Buffer): Buffer {
  const z = zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer };
  if (z.zstdDecompressSync) return z.zstdDecompressSync(data);
  const chunks: Uint8Array[] = [];
  new Decompress((c) => chunks.push(c)).push(data, true);
  return Buffer.concat(chunks);
}

export function inspect(o: InspectOptions): InspectResult {
  return withArchive(o.archive, (fd, index, size) => {
    const r: InspectResult = { archive: o.archive, size, index };
    if (o.files) {
      const files: NonNullable<InspectResult["files"]> = [];
      const reader = new TarReader(
        {
          entry: (e) => {
            const f: (typeof files)[number] = { path: e.path, type: e.type, size: e.size, mode: e.mode.toString(8).padStart(4, "0") };
            if (e.type === "symlink") f.target = e.linkTarget;
            files.push(f);
          },
          data: () => {},
          endEntry: () => {},
        },
        o.archive,
      );
      let tar: Buffer;
      try {
        tar = decompressAll(readPayload(fd, index, o.archive));
      } catch (e) {
        if (e instanceof BaleError) throw e;
        throw new BaleError("archive-payload-corrupt", `the payload cannot be decompressed (${(e as Error).message})`, {
          file: o.archive,
          fix: "run `bale verify` for details; copy the archive again or rebuild it",
        });
      }
      reader.push(tar);
      reader.end();
      r.files = files;
    }
    return r;
  });
}

export interface VerifyResult {
  archive: string;
  ok: boolean;
  /** One line per problem found (empty when ok). */
  problems: string[];
  index: ArchiveIndex | null;
}

/** Full integrity check: structure, extractor hash, payload hash, and that the tar reads back cleanly. */
export function verify(o: { archive: string }): VerifyResult {
  try {
    return withArchive(o.archive, (fd, index, _size, indexSha256) => {
      const problems: string[] = [];
      const ex = index.segments.extractor;
      const exBuf = Buffer.alloc(ex.length);
      readSync(fd, exBuf, 0, ex.length, ex.offset);
      if (createHash("sha256").update(exBuf).digest("hex") !== ex.sha256) problems.push("the embedded extractor does not match its sha256 (damaged)");
      const prelude = Buffer.alloc(Math.min(index.segments.prelude.length, 1 << 16));
      readSync(fd, prelude, 0, prelude.length, 0);
      const text = prelude.toString("utf8");
      if (!text.startsWith("#!/bin/sh\n") || !text.includes(`_bale_id=${index.appId}\n`)) problems.push("the sh prelude does not match the index (damaged)");
      else if (pinnedIndexSha256(text) !== indexSha256) problems.push("the index does not match the hash its prelude pins (tampered or damaged)");
      const payload = readPayload(fd, index, o.archive);
      if (createHash("sha256").update(payload).digest("hex") !== index.segments.payload.sha256) {
        problems.push("the payload does not match its sha256 (tampered or damaged)");
      } else {
        try {
          let files = 0;
          let bytes = 0;
          const reader = new TarReader({ entry: (e) => void (e.type === "file" && (files++, (bytes += e.size))), data: () => {}, endEntry: () => {} }, o.archive);
          reader.push(decompressAll(payload));
          reader.end();
          if (files !== index.payload.files || bytes !== index.payload.unpackedSize) {
            problems.push(`the payload holds ${files} files / ${bytes} bytes, the index says ${index.payload.files} / ${index.payload.unpackedSize}`);
          }
        } catch (e) {
          problems.push(e instanceof BaleError ? e.message : `the payload cannot be decompressed (${(e as Error).message})`);
        }
      }
      return { archive: o.archive, ok: problems.length === 0, problems, index };
    });
  } catch (e) {
    if (e instanceof BaleError && e.code !== "archive-unreadable") return { archive: o.archive, ok: false, problems: [e.message], index: null };
    throw e;
  }
}

export interface ExtractOptions {
  archive: string;
  /** Directory to create; must not exist (or be empty). */
  output: string;
}

/** Extracts the payload into a new directory, atomically (temp sibling, verified, renamed). */
export async function extract(o: ExtractOptions): Promise<{ output: string; files: number; bytes: number }> {
  const out = resolve(o.output);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new BaleError("extract-output-exists", "the output directory exists and is not empty", {
      file: o.output,
      fix: "pass -o with a new directory, or remove this one",
    });
  }
  if (!existsSync(dirname(out))) {
    throw new BaleError("extract-output-parent-missing", "the output's parent directory does not exist", { file: o.output, fix: "create it first" });
  }
  const fd = openArchive(o.archive);
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${uniqueSuffix()}`);
  try {
    const { index } = readIndexFromFd(fd, o.archive);
    try {
      mkdirSync(tmp, { mode: 0o755 });
    } catch (e) {
      userIoError(e, "extract-output-unwritable", "cannot create the output directory", o.output, "pass -o with a directory in a place you may write to");
    }
    const stats = await extractPayload(fd, index, tmp, o.archive, { fsync: false });
    if (existsSync(out)) rmSync(out, { recursive: true }); // an empty dir
    renameSync(tmp, out);
    return { output: out, files: stats.files, bytes: stats.bytes };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
}

export interface CacheEntry {
  appId: string;
  name: string;
  path: string;
  bytes: number;
  extractedAt: number;
  /** PIDs of running processes whose command line points into this entry. */
  inUseBy: number[];
}

function dirSize(p: string): number {
  let n = 0;
  for (const name of readdirSync(p)) {
    const c = join(p, name);
    const st = lstatOrNull(c);
    if (!st) continue;
    if (st.isDirectory()) n += dirSize(c);
    else n += st.size;
  }
  return n;
}

/** Running processes (Linux /proc) whose argv mentions a path under `dir`. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, "utf8");
      if (cmd.includes(dir + "/")) pids.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return pids;
}

export interface CacheOptions {
  env?: Env;
}

export function cacheList(o: CacheOptions = {}): { root: string; entries: CacheEntry[] } {
  const root = cacheRoot(o.env ?? process.env);
  const entries: CacheEntry[] = [];
  if (!existsSync(root)) return { root, entries };
  for (const name of readdirSync(root).sort()) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const m = readMarker(root, name);
    if (!m) continue;
    const path = join(root, name);
    entries.push({ appId: name, name: m.name, path, bytes: dirSize(path), extractedAt: m.extractedAt, inUseBy: processesUsing(path) });
  }
  entries.sort((a, b) => a.name.localeCompare(b.name) || b.extractedAt - a.extractedAt);
  return { root, entries };
}

export interface PruneResult {
  root: string;
  removed: CacheEntry[];
  kept: CacheEntry[];
  /** Work dirs, trash and locks left by dead processes that were cleaned. */
  staleCleaned: number;
}

/**
 * Removes cache entries no running app holds, keeping the newest entry of each
 * app name. Each removal takes the entry's lock, so it never races an extraction.
 */
export function cachePrune(o: CacheOptions = {}): PruneResult {
  const { root, entries } = cacheList(o);
  const removed: CacheEntry[] = [];
  const kept: CacheEntry[] = [];
  const newest = new Set<string>();
  for (const e of entries) {
    if (!newest.has(e.name)) {
      newest.add(e.name);
      kept.push(e);
      continue;
    }
    if (e.inUseBy.length > 0) {
      kept.push(e);
      continue;
    }
    const lock = acquireLock(join(root, `${e.appId}.lock`), () => false);
    try {
      const trash = join(root, `.trash-${e.appId}-${uniqueSuffix()}`);
      renameSync(e.path, trash);
      rmSync(trash, { recursive: true, force: true });
      removed.push(e);
    } finally {
      lock?.release();
    }
  }
  let staleCleaned = existsSync(root) ? cleanStale(root) : 0;
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (!name.endsWith(".lock")) continue;
      try {
        if (!isAlive(readFileSync(join(root, name), "utf8"))) {
          rmSync(join(root, name), { force: true });
          staleCleaned++;
        }
      } catch {
        /* gone */
      }
    }
  }
  return { root, removed, kept, staleCleaned };
}
