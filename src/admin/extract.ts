/** `bale extract`: an archive's payload (and runtime) into a new directory, atomically. */
import { closeSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { deadTempsBeside, removeAll, tempBeside } from "../atomic.js";
import { carriedFileList, extractPayload } from "../archive/extract.js";
import { type ArchiveIndex, corrupt, readIndexFromFd, type RuntimeInfo } from "../archive/format.js";
import { openArchive } from "../archive/io.js";
import { EXTRACTED_RUNTIME, FILES } from "../archive/paths.js";
import { embeddedRuntime } from "./runtime.js";
import { validateOptions } from "../options.js";
import { diag, userIo } from "../diagnostics/create.js";

export interface ExtractOptions {
  archive: string;
  /** Directory to create; must not exist (or be empty). */
  output: string;
}

/** Extracts the payload into a new directory, atomically (src/atomic.ts: a temp beside it, verified, renamed). */
export async function extract(o: ExtractOptions): Promise<{ output: string; files: number; bytes: number }> {
  validateOptions("extract", o);
  const out = resolve(o.output);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw diag("extract-output-exists", {}, { file: o.output });
  }
  if (!existsSync(dirname(out))) {
    throw diag("extract-output-parent-missing", {}, { file: o.output });
  }
  const fd = openArchive(o.archive);
  removeAll(deadTempsBeside(out, "bale-new")); // what a killed `bale extract` to the same place left
  const tmp = tempBeside(out, "bale-new");
  try {
    const { index } = readIndexFromFd(fd, o.archive);
    try {
      mkdirSync(tmp, { mode: 0o755 });
    } catch (e) {
      userIo(e, "extract-output-unwritable:create", {}, o.output);
    }
    let stats: Awaited<ReturnType<typeof extractPayload>>;
    try {
      stats = await extractPayload(fd, index, tmp, o.archive);
      // The cache's file list (the payload's last member) is not one of the app's files.
      const list = carriedFileList(stats.listing);
      if (list !== null) {
        rmSync(join(tmp, FILES));
        stats = { ...stats, files: stats.files - 1, bytes: stats.bytes - list };
      }
      if (index.runtime) writeRuntime(fd, index, index.runtime, tmp, o.archive);
      if (existsSync(out)) rmSync(out, { recursive: true }); // an empty dir
      renameSync(tmp, out); // published with one rename
    } catch (e) {
      userIo(e, "extract-output-unwritable", {}, o.output);
    }
    return { output: out, files: stats.files, bytes: stats.bytes };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
}

function writeRuntime(fd: number, index: ArchiveIndex, rt: RuntimeInfo, into: string, archive: string): void {
  const seg = index.segments.runtime;
  const r = seg ? embeddedRuntime(fd, seg, rt) : { problem: "the index names a runtime but not its segments (corrupted)" };
  if ("problem" in r) {
    throw corrupt(archive, r.problem);
  }
  mkdirSync(join(into, dirname(EXTRACTED_RUNTIME)), { mode: 0o755 });
  writeFileSync(join(into, EXTRACTED_RUNTIME), r.node, { mode: 0o755 });
}
