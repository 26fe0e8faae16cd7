/**
 * Atomic replacement of the whole output directory: the new tree is built in a sibling temp
 * dir (unchanged files hard-linked from the old tree), then swapped in with two renames.
 * A crash between the renames leaves `.<out>.bale-old-<pid>-*`, which the next build restores (only a
 * dead process's: src/atomic.ts, swapDir / recoverSwaps).
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { recoverSwaps, swapDir, tempBeside } from "../atomic.js";
import { mkdirp } from "../fsutil.js";
import { diag, ioDiag } from "../diagnostics/create.js";

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
  recoverSwaps(dirname(out), basename(out));
}

/** Refuses to replace a directory that bale did not create. */
export function assertReplaceable(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) {
    throw diag("config-output:not-dir", {}, { file: out });
  }
  if (!existsSync(join(out, MANIFEST)) && readdirSync(out).length > 0) {
    throw diag("config-output", { manifest: MANIFEST }, { file: out });
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
    const old = swapDir(tmp, out);
    if (old !== null) {
      // The new tree is in place; the old one is removed off the critical path.
      const p: Promise<void> = rm(old, { recursive: true, force: true })
        .catch(() => undefined)
        .finally(() => deleting.delete(p));
      deleting.add(p);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw ioDiag(e, "config-output:write", {}, out) ?? e;
  }
}
