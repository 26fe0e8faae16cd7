/** `bale verify`: a full integrity check of an archive, and of its entry (and runtime) in the cache. */
import { closeSync } from "node:fs";
import { BaleError } from "../errors.js";
import { listPayload } from "../archive/extract.js";
import { type ArchiveIndex, readIndexFromFd } from "../archive/format.js";
import { openArchive, readExactly, sha256 } from "../archive/io.js";
import { cacheRoot, entryDir, type Env } from "../archive/paths.js";
import { extractorCode } from "../pack/assemble.js";
import { entryProblem, readMarker } from "../runtime-stub/cache.js";
import { preludeForIndex, readPins } from "../runtime-stub/prelude.js";
import { VERSION } from "../version.js";
import { cachedRuntime, checkRuntimeSegments, runtimeProblem } from "./runtime.js";
import { validateOptions } from "../options.js";

export interface VerifyResult {
  archive: string;
  ok: boolean;
  /** One line per problem found (empty when ok). */
  problems: string[];
  index: ArchiveIndex | null;
  /** This archive's entry in the cache (BALE_CACHE_DIR etc.), when it was extracted there. */
  cacheEntry?: { path: string; problem: string | null };
  /** The cached runtime this archive embeds, when it was unpacked there (format 2). */
  runtimeEntry?: { path: string; problem: string | null };
}

/** The first byte at which two buffers differ (or the shorter length). */
function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Full integrity check. The sh prelude is fully determined by the index, so it is rendered again and
 * compared byte for byte; the extractor must match its hash (pinned by that prelude) and, for an
 * archive built by this bale version, be this bale's extractor byte for byte; the payload must match
 * its hash and read back as a clean tar within the sizes the index declares, its symlinks resolved as
 * the kernel would. The archive's cache entry, if there is one, must still hold every file it had.
 */
export interface VerifyOptions {
  archive: string;
  env?: Env;
}

export async function verify(o: VerifyOptions): Promise<VerifyResult> {
  validateOptions("verify", o);
  const fd = openArchive(o.archive);
  try {
    let opened: ReturnType<typeof readIndexFromFd>;
    try {
      opened = readIndexFromFd(fd, o.archive);
    } catch (e) {
      if (e instanceof BaleError) return { archive: o.archive, ok: false, problems: [e.message], index: null };
      throw e;
    }
    const { index, indexSha256, indexBytes } = opened;
    const problems: string[] = [];
    const sameBale = index.build.bale === VERSION;
    const ex = index.segments.extractor;
    const exBuf = readExactly(fd, ex.length, ex.offset);
    if (sha256(exBuf) !== ex.sha256) problems.push("the embedded extractor does not match its sha256 (damaged)");
    else if (sameBale && !exBuf.equals(extractorCode())) problems.push(`the embedded extractor is not the one bale ${VERSION} builds (modified)`);
    const pre = index.segments.prelude;
    const actual = readExactly(fd, Math.min(pre.length, 1 << 20), 0);
    const expected = Buffer.from(preludeForIndex(index, indexBytes), "utf8");
    if (!actual.equals(expected)) {
      const at = firstDifference(actual, expected);
      const line = actual.subarray(0, at).toString("latin1").split("\n").length;
      if (readPins(actual.toString("latin1")).indexSha256 !== indexSha256) problems.push("the index does not match the hash its prelude pins (tampered or damaged)");
      else if (sameBale) problems.push(`the sh prelude is not what its index implies: it differs at byte ${at} (line ${line}) (edited or damaged)`);
      else problems.push(`the sh prelude differs at byte ${at} (line ${line}) from what bale ${VERSION} writes for this index; the archive was built by bale ${index.build.bale}: verify it with that version or rebuild it`);
    }
    if (index.runtime) problems.push(...checkRuntimeSegments(fd, index, index.runtime, sameBale));
    try {
      await listPayload(fd, index, o.archive);
    } catch (e) {
      if (!(e instanceof BaleError)) throw e;
      problems.push(e.message);
    }
    const r: VerifyResult = { archive: o.archive, ok: false, problems, index };
    const root = cacheRoot(o.env ?? process.env);
    if (index.runtime) {
      const rt = cachedRuntime(root, index.runtime.sha256);
      if (rt) {
        const problem = runtimeProblem(rt, true);
        r.runtimeEntry = { path: rt.path, problem };
        if (problem) problems.push(`its runtime in the cache ${rt.path} is damaged (${problem}); \`bale cache list --check\` removes it and the next run unpacks it again`);
      }
    }
    if (readMarker(root, index.appId)) {
      const path = entryDir(root, index.appId);
      const problem = entryProblem(path);
      r.cacheEntry = { path, problem };
      if (problem) problems.push(`its cache entry ${path} is damaged (${problem}); \`bale cache list --check\` removes it and the next run extracts it again`);
    }
    r.ok = problems.length === 0;
    return r;
  } finally {
    closeSync(fd);
  }
}
