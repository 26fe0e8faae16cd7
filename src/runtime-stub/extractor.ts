/**
 * The extractor embedded in every archive (built to one small minified file).
 *
 * The sh prelude runs it only on a cold start, as
 *   node -e <bootstrap> <archive> <cache root> <app id>
 * where the bootstrap reads these bytes by offset, checks their sha256 and
 * calls the function this file compiles to with `require`. It extracts the
 * payload into <cache root>/<app id> atomically and exits; the prelude then
 * execs node on the app. It never touches stdin or stdout.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, fsyncSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BaleError } from "../errors.js";
import { readIndexFromFd } from "../archive/format.js";
import { extractPayload, syncPath } from "../archive/extract.js";
import { acquireLock, cleanStale, ensureCacheRoot, lstatOrNull, MARKER, markerText, readMarker, uniqueSuffix } from "../archive/cache.js";
import { satisfies } from "./node-version.js";

/** With BALE_TRACE=1 the runtime says what it did on stderr. */
function trace(msg: string): void {
  if (process.env.BALE_TRACE === "1") process.stderr.write(`bale: ${msg}\n`);
}

export async function extractToCache(archive: string, root: string, expectedId: string, indexSha256: string): Promise<"extracted" | "present"> {
  const t0 = performance.now();
  const fd = openSync(archive, "r");
  try {
    const { index, indexSha256: actualIndexSha } = readIndexFromFd(fd, archive);
    if (actualIndexSha !== indexSha256) {
      throw new BaleError("archive-corrupt", "not a valid bale archive: its index does not match the hash its prelude pins (tampered or damaged)", {
        file: archive,
        fix: "copy the archive again or rebuild it with `bale pack`",
      });
    }
    if (index.appId !== expectedId) {
      throw new BaleError("archive-corrupt", "not a valid bale archive: the prelude and the index name different apps", {
        file: archive,
        fix: "copy the archive again or rebuild it with `bale pack`",
      });
    }
    if (!satisfies(process.versions.node, index.node)) {
      throw new BaleError("node-version", `${index.name} needs Node.js ${index.node}, but this is ${process.version}`, {
        file: archive,
        fix: `install a matching Node.js or point BALE_NODE at one`,
      });
    }
    ensureCacheRoot(root);
    const id = index.appId;
    if (readMarker(root, id)) return "present";
    const lock = acquireLock(
      join(root, `${id}.lock`),
      () => readMarker(root, id) !== null,
      () => process.stderr.write(`bale: waiting for another process to finish extracting ${index.name}\n`),
    );
    if (lock === null) return "present";
    try {
      if (readMarker(root, id)) return "present";
      cleanStale(root, id);
      const final = join(root, id);
      if (lstatOrNull(final) !== null) {
        // Present but incomplete or not ours to trust: move it aside and start over.
        const trash = join(root, `.trash-${id}-${uniqueSuffix()}`);
        renameSync(final, trash);
        rmSync(trash, { recursive: true, force: true });
      }
      const work = join(root, `.work-${id}-${uniqueSuffix()}`);
      mkdirSync(work, { mode: 0o700 });
      try {
        const stats = await extractPayload(fd, index, work, archive, { fsync: process.env.BALE_NO_FSYNC !== "1" });
        const m = openSync(join(work, MARKER), "wx", 0o600);
        writeSync(m, markerText({ appId: id, name: index.name, entry: index.entry, extractedAt: Date.now(), bale: index.build.bale }));
        fsyncSync(m);
        closeSync(m);
        syncPath(work);
        try {
          renameSync(work, final);
        } catch (e) {
          // Only possible if a lock was broken while its holder lived: someone else published first.
          const code = (e as NodeJS.ErrnoException).code;
          if ((code === "ENOTEMPTY" || code === "EEXIST") && readMarker(root, id)) {
            rmSync(work, { recursive: true, force: true });
            return "present";
          }
          throw e;
        }
        syncPath(root);
        trace(`extracted ${index.name} (${stats.files} files, ${stats.bytes} bytes, decoder ${stats.decoder}) into ${final} in ${Math.round(performance.now() - t0)} ms`);
      } catch (e) {
        rmSync(work, { recursive: true, force: true });
        throw e;
      }
      return "extracted";
    } finally {
      lock.release();
    }
  } finally {
    closeSync(fd);
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
if (typeof BALE_EXTRACTOR_MAIN !== "undefined" && BALE_EXTRACTOR_MAIN) {
  const [archive, root, id, indexSha] = process.argv.slice(1);
  if (!archive || !root || !id || !indexSha) {
    fail(new BaleError("extractor-usage", "the archive extractor was started without its arguments", { fix: "run the archive itself, not its extractor" }));
  } else {
    extractToCache(archive, root, id, indexSha).then((r) => r === "present" && trace(`${root}/${id} was extracted by another process`), fail);
  }
}
