/** `bale cache list [--check]`: the apps and runtimes in the cache, who holds them, and (--check) damage repaired. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { discardDir } from "../atomic.js";
import { cacheRoot, ENTRY_NAME, type Env, HEX64, runtimesDir, trashPrefix } from "../archive/paths.js";
import { checkCacheRoot, discardEntry, entryProblem, lstatOrNull, markerFile, readEntryMarker, removeMarkers } from "../runtime-stub/cache.js";
import { processesUsing, scanProcesses } from "./processes.js";
import { cachedRuntime, type RuntimeEntry, runtimeProblem } from "./runtime.js";
import { validateOptions } from "../options.js";

export type { RuntimeEntry };

export interface CacheEntry {
  appId: string;
  name: string;
  path: string;
  bytes: number;
  extractedAt: number;
  /** PIDs of running processes that hold this entry (see `processesUsing`). */
  inUseBy: number[];
  /** With `check`: the first problem found (a missing or changed file), or null when intact. */
  damaged?: string | null;
  /** With `check`, for a damaged entry: what was done so that its next run extracts it again. */
  repair?: "removed" | "invalidated";
  /** sha256 of the embedded runtime it runs on (format 2 archives). */
  runtime?: string;
}

export interface CacheOptions {
  env?: Env;
  /** `list --check`: compare every entry with its file list; damaged ones are removed (or invalidated if in use). */
  check?: boolean;
}

function dirSize(p: string): number {
  let n = 0;
  for (const name of readdirSync(p)) {
    const c = join(p, name);
    const st = lstatOrNull(c);
    if (!st) continue;
    if (st.isDirectory()) n += dirSize(c);
    else n += st.size;
  }
  return n;
}

export function cacheList(o: CacheOptions = {}): { root: string; entries: CacheEntry[]; runtimes: RuntimeEntry[] } {
  validateOptions("cacheList", o);
  const root = cacheRoot(o.env ?? process.env);
  const entries: CacheEntry[] = [];
  const runtimes: RuntimeEntry[] = [];
  if (lstatOrNull(root) === null) return { root, entries, runtimes };
  checkCacheRoot(root);
  const procs = scanProcesses();
  const users = new Map<string, string[]>();
  for (const name of readdirSync(root).sort()) {
    if (!ENTRY_NAME.test(name)) continue;
    const m = readEntryMarker(root, name);
    if (!m) continue;
    const path = join(root, name);
    // When it was extracted: the marker's mtime (it is written then), or what a marker before bale 0.2 recorded.
    const marker = markerFile(path);
    const extractedAt = m.extractedAt ?? Math.round((marker === null ? null : lstatOrNull(marker))?.mtimeMs ?? 0);
    const e: CacheEntry = { appId: m.appId, name: m.name, path, bytes: dirSize(path), extractedAt, inUseBy: processesUsing(procs, root, name) };
    if (m.runtime) {
      e.runtime = m.runtime;
      users.set(m.runtime, [...(users.get(m.runtime) ?? []), m.appId]);
    }
    if (o.check) {
      e.damaged = entryProblem(path) ?? (m.entry && lstatOrNull(join(path, m.entry)) === null ? `${m.entry} is missing` : null);
      if (e.damaged) e.repair = discardEntry(root, e.appId, e.inUseBy.length > 0, path);
    }
    entries.push(e);
  }
  entries.sort((a, b) => a.name.localeCompare(b.name) || b.extractedAt - a.extractedAt);
  const rtRoot = runtimesDir(root);
  const rtNames = lstatOrNull(rtRoot)?.isDirectory() ? readdirSync(rtRoot).sort() : [];
  for (const name of rtNames) {
    if (!HEX64.test(name)) continue;
    const base = cachedRuntime(root, name);
    if (!base) continue;
    const e: RuntimeEntry = { ...base, usedBy: users.get(name) ?? [], inUseBy: processesUsing(procs, rtRoot, name) };
    if (o.check) {
      e.damaged = runtimeProblem(e, true);
      if (e.damaged) e.repair = discardRuntime(e);
    }
    runtimes.push(e);
  }
  return { root, entries, runtimes };
}

/** A damaged runtime is unpacked again by the next run that needs it: removed, or (in use) its marker only. */
function discardRuntime(e: RuntimeEntry): "removed" | "invalidated" {
  if (e.inUseBy.length > 0) {
    removeMarkers(e.path);
    return "invalidated";
  }
  discardDir(e.path, trashPrefix(e.sha256));
  return "removed";
}
