/** `bale cache prune`: removes what no running or newest app needs, and what dead processes left. */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { deadTemps, discardDir, isAlive, removeAll } from "../atomic.js";
import { CACHE_TEMP, ENTRY_NAME, HEX64, RUNTIME_TEMP, runtimesDir, trashPrefix } from "../archive/paths.js";
import { discardEntry, lstatOrNull, markerFile } from "../runtime-stub/cache.js";
import { type CacheEntry, cacheList, type CacheOptions } from "./cache-list.js";
import type { RuntimeEntry } from "./runtime.js";
import { processesUsing, scanProcesses } from "./processes.js";
import { validateOptions } from "../options.js";

export interface PruneResult {
  root: string;
  removed: CacheEntry[];
  kept: CacheEntry[];
  /** Runtimes no kept app runs on and no process holds: removed. */
  removedRuntimes: RuntimeEntry[];
  keptRuntimes: RuntimeEntry[];
  /** Work dirs, trash, locks and half-decoded runtimes left by dead processes, and app entries with no valid marker (a crash before their sync), that were cleaned. */
  staleCleaned: number;
}

/**
 * Removes cache entries no running app holds, keeping the newest entry of each app name, then the
 * runtimes that no kept app runs on and no process holds. Each app removal takes the entry's lock, so
 * it never races an extraction; a runtime that a first run is unpacking right now (a live `.tmp-<pid>`)
 * is kept.
 */
export function cachePrune(o: CacheOptions = {}): PruneResult {
  validateOptions("cachePrune", o);
  const { root, entries, runtimes } = cacheList(o);
  const removed: CacheEntry[] = [];
  const kept: CacheEntry[] = [];
  const newest = new Set<string>();
  for (const e of entries) {
    if (!newest.has(e.name)) {
      newest.add(e.name);
      kept.push(e);
    } else if (e.inUseBy.length > 0) {
      kept.push(e);
    } else {
      discardEntry(root, e.appId, false, e.path);
      removed.push(e);
    }
  }
  let staleCleaned = removeAll(deadTemps(root, CACHE_TEMP));
  // App entries with no marker that counts (cache list skips them): left by a crash before their background
  // sync (their marker names a boot that is over), or invalidated by `cache list --check` while in use.
  // Removed once no process holds them; an extraction never shows one (it publishes with its marker inside).
  const listed = new Set(entries.map((e) => e.path));
  let procs: ReturnType<typeof scanProcesses> | null = null;
  for (const name of existsSync(root) ? readdirSync(root) : []) {
    const path = join(root, name);
    if (!ENTRY_NAME.test(name) || listed.has(path) || !lstatOrNull(path)?.isDirectory() || markerFile(path) !== null) continue;
    if (processesUsing((procs ??= scanProcesses()), root, name).length > 0) continue;
    // Its app id is unknown (no marker counts): a whole id names its own lock, as in bale 0.2.
    discardEntry(root, name, false, path);
    staleCleaned++;
  }
  staleCleaned += cleanRuntimeTemps(root);
  const needed = new Set(kept.map((e) => e.runtime).filter((r): r is string => r !== undefined));
  const removedRuntimes: RuntimeEntry[] = [];
  const keptRuntimes: RuntimeEntry[] = [];
  for (const rt of runtimes) {
    const busy = needed.has(rt.sha256) || rt.inUseBy.length > 0 || readdirSync(rt.path).some((n) => RUNTIME_TEMP.test(n));
    if (busy || !existsSync(rt.path)) {
      keptRuntimes.push(rt);
      continue;
    }
    discardDir(rt.path, trashPrefix(rt.sha256));
    removedRuntimes.push(rt);
  }
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (!name.endsWith(".lock")) continue;
      try {
        if (!isAlive(readFileSync(join(root, name), "utf8"))) {
          rmSync(join(root, name), { force: true });
          staleCleaned++;
        }
      } catch {
        /* gone */
      }
    }
  }
  return { root, removed, kept, removedRuntimes, keptRuntimes, staleCleaned };
}

/**
 * Half-decoded runtimes (`runtimes/<sha>/.tmp-<pid>*`) whose sh process is gone (killed mid-decode),
 * trash left by a removal, and runtime dirs with no marker and nothing in progress.
 */
function cleanRuntimeTemps(root: string): number {
  const rtRoot = runtimesDir(root);
  if (!lstatOrNull(rtRoot)?.isDirectory()) return 0;
  let n = removeAll(deadTemps(rtRoot, CACHE_TEMP));
  for (const name of readdirSync(rtRoot)) {
    const path = join(rtRoot, name);
    if (!HEX64.test(name) || !lstatOrNull(path)?.isDirectory()) continue;
    const dead = deadTemps(path, RUNTIME_TEMP);
    n += removeAll(dead);
    const live = readdirSync(path).some((f) => RUNTIME_TEMP.test(f));
    // A marker-less dir with nothing in progress, old enough not to be a first run between its mkdir and its decode.
    if (!live && markerFile(path) === null && Date.now() - (lstatOrNull(path)?.mtimeMs ?? 0) > 60_000) {
      rmSync(path, { recursive: true, force: true });
      n++;
    }
  }
  return n;
}
