/**
 * The embedded Node.js runtime of a format 2 archive, for the admin commands: its segments checked
 * (verify), decoded (verify, extract), and its shared copy in the cache (verify, cache list/prune).
 */
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ArchiveIndex, RuntimeInfo, Segment } from "../archive/format.js";
import { readExactly, sha256 } from "../archive/io.js";
import { runtimeDir } from "../archive/paths.js";
import { decoderFor } from "../pack/runtime.js";
import { decodeRuntime } from "../pack/zstd.js";
import { readRuntimeMarker } from "../runtime-stub/cache.js";
import { VERSION } from "../version.js";

/**
 * The node binary the runtime segment holds, checked: the segment matches its sha256 and decodes to
 * exactly the binary the index names; else what is wrong. Shared by `verify` and `extract`.
 */
export function embeddedRuntime(fd: number, seg: Segment & { sha256: string }, rt: RuntimeInfo): { node: Buffer } | { problem: string } {
  const segBuf = readExactly(fd, seg.length, seg.offset);
  if (sha256(segBuf) !== seg.sha256) return { problem: "the embedded runtime does not match its sha256 (damaged)" };
  let node: Buffer;
  try {
    node = decodeRuntime(segBuf, rt.size);
  } catch (e) {
    return { problem: `the embedded runtime does not decode (${(e as Error).message})` };
  }
  if (node.length !== rt.size || sha256(node) !== rt.sha256) {
    return { problem: `the embedded runtime does not decode to the node binary its index names (sha256 ${rt.sha256.slice(0, 16)}…, ${rt.size} bytes)` };
  }
  return { node };
}

/**
 * The decoder and runtime segments of a format 2 archive: each must match its pinned hash, the
 * decoder must be this bale's for the platform (when built by this version), and the runtime must
 * decode to exactly the node binary the index names (size and sha256).
 */
export function checkRuntimeSegments(fd: number, index: ArchiveIndex, rt: RuntimeInfo, sameBale: boolean): string[] {
  const problems: string[] = [];
  const dec = index.segments.decoder;
  const seg = index.segments.runtime;
  if (!dec || !seg) return ["the index names a runtime but not its segments (corrupted)"];
  const decBuf = readExactly(fd, dec.length, dec.offset);
  if (sha256(decBuf) !== dec.sha256) problems.push("the embedded runtime decoder does not match its sha256 (damaged)");
  else if (sameBale) {
    let ours: Buffer | null = null;
    try {
      ours = decoderFor(rt.platform);
    } catch {
      /* this installation has no decoder for that platform: the hash above is all we can check */
    }
    if (ours && !ours.equals(decBuf)) problems.push(`the embedded runtime decoder is not the one bale ${VERSION} builds for ${rt.platform} (modified)`);
  }
  const r = embeddedRuntime(fd, seg, rt);
  if ("problem" in r) problems.push(r.problem);
  return problems;
}

export interface RuntimeEntry {
  sha256: string;
  version: string;
  platform: string;
  path: string;
  /** Bytes on disk (the node binary). */
  bytes: number;
  /** The size its marker records. */
  size: number;
  /** Apps in the cache that run on it (app ids). */
  usedBy: string[];
  /** PIDs of running processes that hold it. */
  inUseBy: number[];
  damaged?: string | null;
  repair?: "removed" | "invalidated";
}

function sizeOrZero(p: string): number {
  try {
    return lstatSync(p).size;
  } catch {
    return 0;
  }
}

/** `<root>/runtimes/<sha>` when it is complete (its marker names it) and ours; else null. */
export function cachedRuntime(root: string, sha: string): Omit<RuntimeEntry, "usedBy" | "inUseBy"> | null {
  const m = readRuntimeMarker(root, sha);
  if (m === null) return null;
  const path = runtimeDir(root, sha);
  return { sha256: sha, version: m.version, platform: m.platform, path, bytes: sizeOrZero(join(path, "node")), size: m.size };
}

/** What is wrong with a cached runtime: missing or resized node (cheap); with `hash`, its sha256 too. */
export function runtimeProblem(e: Pick<RuntimeEntry, "path" | "size" | "sha256">, hash: boolean): string | null {
  const node = join(e.path, "node");
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(node);
  } catch {
    return "node is missing";
  }
  if (!st.isFile()) return "node is missing";
  if (st.size !== e.size) return `node has changed (expected ${e.size} bytes, found ${st.size})`;
  if (hash && sha256(readFileSync(node)) !== e.sha256) return "node has changed (its sha256 differs)";
  return null;
}
