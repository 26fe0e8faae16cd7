/**
 * Atomic output: every language folder is built completely beside its target
 * (`<outDir>/.<sub>.bale-new-<pid>-*`), then each is swapped in with src/atomic.ts's swapDir; if one
 * swap fails, those done are undone. A process killed between a folder's two renames leaves it aside as
 * `.<sub>.bale-old-<pid>-*`: the next `bale gen` (before it renders anything, so even a run that fails)
 * puts it back and removes the temps of processes that are gone (recoverSwaps: the rule the config
 * build and the cache follow too). Stages of earlier bale versions (`.bale-gen-<pid>-…/old/<sub>`)
 * are recovered the same way.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { deadTemps, recoverSwaps, swapDir, tempBeside } from "../atomic.js";
import { mkdirp } from "../fsutil.js";
import { ioDiag } from "../diagnostics/create.js";

/** The stage of bale versions before src/atomic.ts; group 1 is the pid. */
const LEGACY_STAGE = /^\.bale-gen-(\d+)-/;

/** Restores folders a killed `bale gen` left half-swapped under `outDir`, and removes its temps. */
export function recoverFolders(outDir: string): void {
  recoverSwaps(outDir);
  for (const stage of deadTemps(outDir, LEGACY_STAGE)) {
    const old = join(stage, "old");
    for (const sub of existsSync(old) ? readdirSync(old) : []) {
      if (!existsSync(join(outDir, sub))) renameSync(join(old, sub), join(outDir, sub));
    }
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * Writes `folders` (subfolder -> relative path -> text) under `outDir`. Each
 * subfolder is replaced as a whole; other subfolders of outDir are left alone.
 * If anything fails, the previous contents stay in place.
 */
export function writeFolders(outDir: string, folders: Map<string, Map<string, string>>): void {
  try {
    mkdirp(outDir);
  } catch (e) {
    throw ioDiag(e, "gen-write:create", {}, outDir) ?? e;
  }
  const built = new Map<string, string>();
  try {
    for (const [sub, files] of folders) {
      const tmp = tempBeside(join(outDir, sub), "bale-new");
      built.set(sub, tmp);
      mkdirSync(tmp);
      for (const [rel, text] of files) {
        const p = join(tmp, rel);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, text);
      }
    }
    const swapped: { target: string; old: string | null }[] = [];
    try {
      for (const [sub, tmp] of built) {
        const target = join(outDir, sub);
        swapped.push({ target, old: swapDir(tmp, target) });
      }
    } catch (e) {
      for (const { target, old } of swapped.reverse()) {
        rmSync(target, { recursive: true, force: true });
        if (old !== null) renameSync(old, target);
      }
      throw e;
    }
    for (const { old } of swapped) if (old !== null) rmSync(old, { recursive: true, force: true });
  } catch (e) {
    throw ioDiag(e, "gen-write", {}, outDir) ?? e;
  } finally {
    for (const tmp of built.values()) rmSync(tmp, { recursive: true, force: true });
  }
}
