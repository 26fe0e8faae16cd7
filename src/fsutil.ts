/** File-system helpers shared by both halves. */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";

/**
 * `mkdir -p` that fails fast. Node's `mkdirSync(p, { recursive: true })` never returns when a parent
 * exists but refuses new entries with ENOENT (e.g. under /proc: seen on Node 20); this creates the
 * missing directories one by one, so any refusal surfaces as the error of that one mkdir.
 */
export function mkdirp(dir: string, mode?: number): void {
  const missing: string[] = [];
  let d = resolve(dir);
  while (!existsSync(d)) {
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m, mode === undefined ? undefined : { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** True if `path` lies strictly below the directory `dir` (both absolute and normalized). */
export function isBelow(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

// Process liveness, temp names and crash recovery: src/atomic.ts.
