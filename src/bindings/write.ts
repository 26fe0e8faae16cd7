/**
 * Atomic output: every language folder is staged completely, then swapped in with renames.
 *
 * The stage is `<outDir>/.bale-gen-<pid>-<random>/` (`new/<sub>` being written, `old/<sub>` the
 * folders it replaced). A process killed between a folder's two renames leaves that folder only in
 * `old/`: the next `bale gen` (before it renders anything, so even a run that fails) puts it back and
 * removes the stages of processes that are gone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isAlive, mkdirp } from "../fsutil.js";
import { BaleError } from "../errors.js";


const STAGE = /^\.bale-gen-(\d+)-/;

/** Restores folders a killed `bale gen` left half-swapped under `outDir`, and removes its stage. */
export function recoverFolders(outDir: string): void {
  let names: string[];
  try {
    names = readdirSync(outDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = STAGE.exec(name);
    if (!m || isAlive(m[1] as string)) continue;
    const old = join(outDir, name, "old");
    for (const sub of existsSync(old) ? readdirSync(old) : []) {
      if (!existsSync(join(outDir, sub))) renameSync(join(old, sub), join(outDir, sub));
    }
    rmSync(join(outDir, name), { recursive: true, force: true });
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
    throw new BaleError("gen-write", `cannot create the output directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: outDir, fix: "pass -o with a directory in a place you may write to", cause: e });
  }
  const stage = mkdtempSync(join(outDir, `.bale-gen-${process.pid}-`));
  const swapped: { sub: string; backup: string | undefined }[] = [];
  try {
    for (const [sub, files] of folders) {
      for (const [rel, text] of files) {
        const p = join(stage, "new", sub, rel);
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, text);
      }
      mkdirSync(join(stage, "new", sub), { recursive: true });
    }
    mkdirSync(join(stage, "old"), { recursive: true });
    try {
      for (const sub of folders.keys()) {
        const target = join(outDir, sub);
        let backup: string | undefined;
        if (existsSync(target)) {
          backup = join(stage, "old", sub);
          renameSync(target, backup);
        }
        swapped.push({ sub, backup });
        renameSync(join(stage, "new", sub), target);
      }
    } catch (e) {
      for (const { sub, backup } of swapped.reverse()) {
        const target = join(outDir, sub);
        if (existsSync(join(stage, "new", sub)) === false && existsSync(target) && backup !== undefined) {
          rmSync(target, { recursive: true, force: true });
        }
        if (backup !== undefined && existsSync(backup)) renameSync(backup, target);
      }
      throw e;
    }
  } catch (e) {
    if (e instanceof BaleError) throw e;
    throw new BaleError("gen-write", `cannot write bindings here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: outDir, fix: "check permissions and free space; the previous output was left as it was", cause: e });
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
