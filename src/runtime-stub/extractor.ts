/**
 * The extractor embedded in every archive (built to one small minified file).
 *
 * The sh prelude runs it only on a cold start, as
 *   node -e <bootstrap> -- <archive> <cache root> <app id> <index sha256> <node path>
 * where the bootstrap reads the extractor segment by offset, checks its sha256, decompresses it (brotli) and
 * calls the function this file compiles to with `require` and the WebAssembly zstd decoder's bytes
 * (both travel in the segment). It extracts the
 * payload into <cache root>/<app id> atomically and exits; the prelude then
 * execs node on the app. It never touches stdin or stdout.
 */
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BaleError } from "../errors.js";
import { discardDir, ioErrorToUser, publishDir, syncPath, syncTree, tempIn, userIoError, writeFileAtomic } from "../atomic.js";
import { type ArchiveIndex, corrupt, readIndexFromFd } from "../archive/format.js";
import { carriedFileList, extractPayload } from "../archive/extract.js";
import { entryDir, FILES, lockPath, MARKER, NODE_STAMP, trashPrefix, workPrefix } from "../archive/paths.js";
import { acquireLock, cleanStale, ensureCacheRoot, entryProblem, filesText, lstatOrNull, markerText, readMarker } from "./cache.js";
import { satisfies } from "./node-version.js";
import { useWasmDecoder } from "../archive/zstd-wasm.js";

/** With BALE_TRACE=1 the runtime says what it did on stderr. */
function trace(msg: string): void {
  if (process.env.BALE_TRACE === "1") process.stderr.write(`bale: ${msg}\n`);
}

export async function extractToCache(
  archive: string,
  root: string,
  expectedId: string,
  indexSha256: string,
  nodePath?: string,
): Promise<"extracted" | "present" | "repaired"> {
  const t0 = performance.now();
  let fd: number;
  try {
    fd = openSync(archive, "r");
  } catch (e) {
    userIoError(e, "archive-unreadable", "cannot read the archive itself", archive, "run the archive as a file (./app or sh ./app), not from standard input, and check you may read it");
  }
  try {
    const { index, indexSha256: actualIndexSha } = readIndexFromFd(fd, archive);
    if (actualIndexSha !== indexSha256) {
      throw corrupt(archive, "its index does not match the hash its prelude pins (tampered or damaged)");
    }
    if (index.appId !== expectedId) {
      throw corrupt(archive, "the prelude and the index name different apps");
    }
    if (!satisfies(process.versions.node, index.node)) {
      throw new BaleError("node-version", `${index.name} needs Node.js ${index.node}, but ${nodePath ?? "node"} is ${process.version}`, {
        file: archive,
        fix: `install a matching Node.js or point BALE_NODE at one`,
      });
    }
    try {
      const r = await intoCache(fd, index, archive, root, t0);
      // The warm path runs without a version check while this stamp names the node binary and is not older than it.
      if (nodePath) writeFileAtomic(join(entryDir(root, index.appId), NODE_STAMP), `${nodePath}\n`);
      return r;
    } catch (e) {
      throw ioErrorToUser(e, "cache-unwritable", `cannot extract ${index.name} into the cache`, root, "set BALE_CACHE_DIR to a directory on a file system with room that you can write") ?? e;
    }
  } finally {
    closeSync(fd);
  }
}

/** A complete entry whose files are all there (a cold start re-checks: this is how damage gets repaired). */
function intact(root: string, index: ArchiveIndex): boolean {
  const dir = entryDir(root, index.appId);
  return readMarker(root, index.appId) !== null && lstatOrNull(join(dir, index.entry)) !== null && entryProblem(dir) === null;
}

async function intoCache(fd: number, index: ArchiveIndex, archive: string, root: string, t0: number): Promise<"extracted" | "present" | "repaired"> {
  ensureCacheRoot(root);
  const id = index.appId;
  if (intact(root, index)) return "present";
  const lock = acquireLock(
    lockPath(root, id),
    () => readMarker(root, id) !== null,
    () => process.stderr.write(`bale: waiting for another process to finish extracting ${index.name}\n`),
  );
  if (lock === null && intact(root, index)) return "present";
  try {
    if (intact(root, index)) return "present";
    cleanStale(root, id);
    const final = entryDir(root, id);
    let repaired = false;
    if (lstatOrNull(final) !== null) {
      // Present but incomplete, damaged or not ours to trust: move it aside and start over.
      const problem = readMarker(root, id) ? entryProblem(final) : null;
      if (problem) {
        repaired = true;
        process.stderr.write(`bale: the cache entry of ${index.name} was damaged (${problem}); extracting it again\n`);
      }
      discardDir(final, trashPrefix(id));
    }
    const work = tempIn(root, workPrefix(id));
    mkdirSync(work, { mode: 0o700 });
    try {
      const stats = await extractPayload(fd, index, work, archive);
      if (stats.listing.some(([type, , path]) => type === "file" && path.endsWith(".node"))) checkExecMount(work, root, index.name);
      // Archives since bale 0.2 carry the list as their last payload member; older ones get it written here.
      if (carriedFileList(stats.listing) === null) {
        writeFileSync(join(work, FILES), filesText(stats.listing), { mode: 0o644, flag: "wx" });
      }
      const marker: Parameters<typeof markerText>[0] = { appId: id, name: index.name, entry: index.entry, bale: index.build.bale };
      if (index.runtime) marker.runtime = index.runtime.sha256; // `bale cache prune` keeps the runtime while this app is cached
      writeFileSync(join(work, MARKER), markerText(marker), { mode: 0o600, flag: "wx" });
      // Everything in the work dir is on disk before the rename publishes it (the marker says "complete").
      if (process.env.BALE_NO_FSYNC !== "1") await syncTree(work, [...stats.listing.map(([, , p]) => p), FILES, MARKER]);
      // Refused only if a lock was broken while its holder lived: someone else published first.
      if (!publishDir(work, final, () => readMarker(root, id) !== null)) return "present";
      syncPath(root);
      trace(`extracted ${index.name} (${stats.files} files, ${stats.bytes} bytes, decoder ${stats.decoder}) into ${final} in ${Math.round(performance.now() - t0)} ms`);
      return repaired ? "repaired" : "extracted";
    } catch (e) {
      rmSync(work, { recursive: true, force: true });
      throw e;
    }
  } finally {
    lock?.release();
  }
}

/**
 * Native addons load with dlopen, which a `noexec` mount refuses with a raw "failed to map segment"
 * from inside the app. access(X_OK) on a regular file says the same thing up front (EACCES on noexec).
 */
function checkExecMount(work: string, root: string, name: string): void {
  const probe = join(work, ".bale-exec-probe");
  const fd = openSync(probe, "wx", 0o700);
  closeSync(fd);
  try {
    accessSync(probe, fsConstants.X_OK);
  } catch {
    throw new BaleError("cache-noexec", `${name} has native addons (.node files), and the cache is on a file system mounted noexec, where they cannot load`, {
      file: root,
      fix: "set BALE_CACHE_DIR to a directory on a file system that allows executables (not a noexec mount)",
    });
  } finally {
    rmSync(probe, { force: true });
  }
}

function fail(e: unknown): void {
  if (e instanceof BaleError) {
    process.stderr.write(`bale: ${e.oneLine()}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`bale: internal error in the archive extractor: ${(e as Error)?.stack ?? String(e)}\n`);
    process.stderr.write("This is a bug in bale; please report it with the output above.\n");
    process.exitCode = 70;
  }
}

// When bundled as the embedded extractor, BALE_EXTRACTOR_MAIN is defined true and this runs.
declare const BALE_EXTRACTOR_MAIN: boolean;
/** The WebAssembly zstd decoder's bytes, which the bootstrap passes in from the extractor segment. */
declare const baleWasm: Uint8Array | undefined;
if (typeof BALE_EXTRACTOR_MAIN !== "undefined" && BALE_EXTRACTOR_MAIN) {
  if (typeof baleWasm !== "undefined") useWasmDecoder(baleWasm);
  const [archive, root, id, indexSha, nodePath] = process.argv.slice(1);
  if (!archive || !root || !id || !indexSha) {
    fail(new BaleError("extractor-usage", "the archive extractor was started without its arguments", { fix: "run the archive itself, not its extractor" }));
  } else {
    extractToCache(archive, root, id, indexSha, nodePath).then((r) => r === "present" && trace(`${root}/${id} was already extracted`), fail);
  }
}
