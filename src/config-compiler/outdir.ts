/**
 * Atomic replacement of the whole output directory: the new tree is built in a sibling temp
 * dir (unchanged files hard-linked from the old tree), then swapped in with two renames.
 * A crash between the renames leaves `.<out>.bale-old-<pid>-*`, which the next build restores (only a dead process's: see tempBeside/deadTemps in src/fsutil.ts).
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { configError } from "./diagnostics.js";
import { deadTemps, mkdirp, tempBeside } from "../fsutil.js";

export const MANIFEST = "bale-manifest.json";
export const CACHE = ".bale-cache.json";

/** Old trees being deleted in the background (the swap itself is done; only cleanup remains). */
const deleting = new Set<Promise<void>>();

/** Waits for background deletions of replaced output trees. */
export async function settleDeletes(): Promise<void> {
  await Promise.all([...deleting]);
}

/**
 * Cleans up after an interrupted build: restores a half-swapped out dir, deletes temp trees. Only
 * what a process that is gone left behind: a build running now keeps its own trees.
 */
export function recoverOut(out: string): void {
  const olds = deadTemps(out, "bale-old");
  if (!existsSync(out) && olds.length) renameSync(olds[0] as string, out);
  for (const d of [...deadTemps(out, "bale-new"), ...deadTemps(out, "bale-old")]) rmSync(d, { recursive: true, force: true });
}

/** Refuses to replace a directory that bale did not create. */
export function assertReplaceable(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw configError("config-output", "the output path exists and is not a directory", { file: out, fix: "pass another -o, or remove the file" });
  }
  if (!existsSync(join(out, MANIFEST)) && readdirSync(out).length > 0) {
    throw configError("config-output", `the output directory is not empty and was not made by bale (no ${MANIFEST}); bale replaces its output directory as a whole`, {
      file: out,
      fix: "pass an empty or new directory with -o",
    });
  }
}

export interface TreeFile {
  /** Path relative to the output dir. */
  path: string;
  /** New content, or undefined to hard-link the same path from the old tree. */
  text?: string;
}

export function writeTree(out: string, files: TreeFile[]): void {
  const tmp = tempBeside(out, "bale-new");
  try {
    mkdirp(dirname(out));
    mkdirSync(tmp);
    const made = new Set<string>([tmp]);
    for (const f of files) {
      const dest = join(tmp, f.path);
      const d = dirname(dest);
      if (!made.has(d)) {
        mkdirSync(d, { recursive: true });
        made.add(d);
      }
      if (f.text !== undefined) writeFileSync(dest, f.text);
      else {
        const src = join(out, f.path);
        try {
          linkSync(src, dest);
        } catch {
          copyFileSync(src, dest);
        }
      }
    }
    if (existsSync(out)) {
      const old = tempBeside(out, "bale-old");
      renameSync(out, old);
      try {
        renameSync(tmp, out);
      } catch (e) {
        renameSync(old, out);
        throw e;
      }
      // The new tree is in place; the old one is removed off the critical path.
      const p: Promise<void> = rm(old, { recursive: true, force: true })
        .catch(() => undefined)
        .finally(() => deleting.delete(p));
      deleting.add(p);
    } else {
      renameSync(tmp, out);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if ((e as NodeJS.ErrnoException).code) {
      throw configError("config-output", `cannot write the output directory (${(e as NodeJS.ErrnoException).code}: ${(e as Error).message})`, {
        file: out,
        fix: "check permissions and free space; the previous output was left as it was",
      });
    }
    throw e;
  }
}
