/**
 * The content-addressed cache that archives extract into (its layout: src/archive/paths.ts). This code
 * runs inside every archive (the embedded extractor) and in the admin commands.
 *
 * Correctness never depends on the lock: an extraction is built in a private
 * work dir and published with one rename(2), which fails if another process
 * published first. The lock only keeps concurrent first runs from all doing
 * the same work; a lock left by a dead process is broken.
 */
import { closeSync, lstatSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Stats } from "node:fs";
import { BaleError } from "../errors.js";
import { deadTemps, discardDir, isAlive, removeAll, selfToken, userIoError, writeFileAtomic } from "../atomic.js";
import { mkdirp } from "../fsutil.js";
import { BOOT_ID, BOOT_ID_FILE, bootMarker, CACHEDIR_TAG_NAME, entryDir, HEX64, FILES, isEntryOf, lockPath, MARKER, runtimeDir, trashPrefix, workPrefix } from "../archive/paths.js";

export const CACHEDIR_TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by bale (extracted executable archives).\n" +
  "# For information about cache directory tags, see https://bford.info/cachedir/\n";

function unsafe(dir: string, what: string, fix: string): BaleError {
  return new BaleError("cache-unsafe", `refusing to use the cache directory: ${what}`, { file: dir, fix });
}

/**
 * Makes sure the cache root exists and is safe: a real directory (not a
 * symlink), owned by us, not writable by group or others. Creates it 0700
 * (with CACHEDIR.TAG) when missing.
 */
export function ensureCacheRoot(dir: string): void {
  if (lstatOrNull(dir) === null) {
    try {
      mkdirp(dir, 0o700);
    } catch (e) {
      userIoError(e, "cache-unwritable", "cannot create the cache directory", dir, "set BALE_CACHE_DIR to a directory you can write");
    }
  }
  checkCacheRoot(dir);
  const tag = join(dir, CACHEDIR_TAG_NAME);
  if (lstatOrNull(tag) === null) writeFileAtomic(tag, CACHEDIR_TAG, { mode: 0o600 });
}

/** Throws cache-unsafe unless `dir` (which exists) is a real directory, ours, not group/world-writable. */
export function checkCacheRoot(dir: string): void {
  const st = lstatSync(dir);
  const fix = "remove it (bale recreates it safely) or set BALE_CACHE_DIR to a private directory you own";
  if (st.isSymbolicLink()) throw unsafe(dir, "it is a symlink", fix);
  if (!st.isDirectory()) throw unsafe(dir, "it is not a directory", fix);
  const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (st.uid !== uid) throw unsafe(dir, `it is owned by uid ${st.uid}, not by you (uid ${uid})`, fix);
  if (st.mode & 0o022) {
    throw unsafe(dir, `it is writable by ${st.mode & 0o020 ? "group" : "others"} (mode ${(st.mode & 0o777).toString(8)})`, `run \`chmod 700 ${dir}\`, or ${fix}`);
  }
}

export function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

export interface MarkerInfo {
  appId: string;
  name: string;
  entry: string;
  /** When it was extracted, as markers before bale 0.2 recorded it; since then the marker's mtime says it (`cache list`). */
  extractedAt?: number;
  bale: string;
  /** sha256 of the embedded runtime the app runs on (format 2 archives). */
  runtime?: string;
}

let bootIdMemo: string | null | undefined;
/** This boot's id (Linux), or null where the kernel does not say: then only synced markers count. */
export function bootId(): string | null {
  if (bootIdMemo === undefined) {
    let id: string | null = null;
    try {
      id = readFileSync(BOOT_ID_FILE, "latin1").trim();
    } catch {
      // not Linux, or no /proc
    }
    bootIdMemo = id !== null && BOOT_ID.test(id) ? id : null;
  }
  return bootIdMemo;
}

/**
 * The markers that make a directory complete: this boot's (not yet synced), then the synced one. In that
 * order because the background sync renames the first to the second.
 */
function markerNames(): string[] {
  const boot = bootId();
  return boot === null ? [MARKER] : [bootMarker(boot), MARKER];
}

/** The marker file that makes `dir` complete (see markerNames), or null when there is none. */
export function markerFile(dir: string): string | null {
  for (const name of markerNames()) {
    const p = join(dir, name);
    if (lstatOrNull(p)?.isFile()) return p;
  }
  return null;
}

/** Removes every marker of `dir` (synced or of this boot), so that its next run extracts it again. */
export function removeMarkers(dir: string): void {
  for (const name of markerNames()) rmSync(join(dir, name), { force: true });
}

/**
 * The two lines of the marker of the cache directory `dir` — the id it holds (app id or runtime
 * sha256), then a JSON line — or null unless `dir` is a real directory, ours, whose marker names `id`
 * (or an id that `id` accepts).
 */
export function readMarkerFile(dir: string, id: string | ((first: string) => boolean)): Record<string, unknown> | null {
  const st = lstatOrNull(dir);
  if (!st?.isDirectory()) return null;
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) return null;
  let text: string;
  try {
    const file = markerFile(dir);
    if (file === null) return null;
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const [first = "", second] = text.split("\n");
  if (typeof id === "string" ? first !== id : !id(first)) return null;
  try {
    return Object(JSON.parse(second ?? "{}")) as Record<string, unknown>;
  } catch {
    return {}; // damaged metadata: shown as unknown
  }
}

const str = (v: unknown, or = ""): string => (typeof v === "string" ? v : or);

/** Reads the marker of the entry of `appId`; null unless the entry is complete, ours and for this id. */
export function readMarker(root: string, appId: string): MarkerInfo | null {
  return markerInfo(appId, readMarkerFile(entryDir(root, appId), appId));
}

/**
 * Reads the marker of the entry directory `<root>/<name>` (ENTRY_NAME), whichever app it holds: null
 * unless it is complete, ours, and its marker names an app id whose entry `name` is.
 */
export function readEntryMarker(root: string, name: string): MarkerInfo | null {
  let appId = "";
  const meta = readMarkerFile(join(root, name), (first) => isEntryOf(name, (appId = first)));
  return markerInfo(appId, meta);
}

function markerInfo(appId: string, m: Record<string, unknown> | null): MarkerInfo | null {
  const meta = m as Partial<MarkerInfo> | null;
  if (meta === null) return null;
  const info: MarkerInfo = { appId, name: meta.name ?? "", entry: meta.entry ?? "", bale: meta.bale ?? "" };
  if (typeof meta.extractedAt === "number") info.extractedAt = meta.extractedAt;
  if (typeof meta.runtime === "string" && HEX64.test(meta.runtime)) info.runtime = meta.runtime;
  return info;
}

export interface RuntimeMarker {
  version: string;
  platform: string;
  /** The size of node the marker records (-1 when unknown). */
  size: number;
}

/** Reads the marker of `<root>/runtimes/<sha256>`; null unless that runtime is complete, ours and for this hash. */
export function readRuntimeMarker(root: string, sha256: string): RuntimeMarker | null {
  const meta = readMarkerFile(runtimeDir(root, sha256), sha256);
  if (meta === null) return null;
  return { version: str(meta.version, "?"), platform: str(meta.platform, "?"), size: typeof meta.size === "number" ? meta.size : -1 };
}

/** The marker's text: the app id, then its metadata (the time of extraction is the file's mtime). */
export function markerText(info: Omit<MarkerInfo, "extractedAt">): string {
  const meta = { name: info.name, entry: info.entry, bale: info.bale, ...(info.runtime ? { runtime: info.runtime } : {}) };
  return `${info.appId}\n${JSON.stringify(meta)}\n`;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export interface Lock {
  path: string;
  release(): void;
}

/**
 * Takes `<path>` as an exclusive lock file holding our process token.
 * While another live process holds it, polls until it is released or
 * `stop()` returns true (then returns null: the holder did the work).
 * A lock whose holder died is removed and taken over.
 */
export function acquireLock(path: string, stop: () => boolean, onWait?: () => void): Lock | null {
  let delay = 2;
  let waited = 0;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, selfToken() + "\n");
      } finally {
        closeSync(fd);
      }
      return {
        path,
        release() {
          try {
            unlinkSync(path);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (stop()) return null;
    let holder = "";
    let age = 0;
    try {
      holder = readFileSync(path, "utf8");
      age = Date.now() - statSync(path).mtimeMs;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // released between our open and read: try again at once
      throw new BaleError("cache-unsafe", `refusing to use the cache directory: the lock ${path} is not a file (${(e as NodeJS.ErrnoException).code ?? e})`, {
        file: path,
        fix: "remove it; bale recreates it as needed",
      });
    }
    // An empty lock file is a holder that died between creating and writing it (or is about to write).
    const dead = holder.trim() === "" ? age > 2000 : !isAlive(holder);
    if (dead) {
      try {
        unlinkSync(path);
      } catch {
        /* someone else broke it first */
      }
      continue;
    }
    if (!announced && waited > 3000 && onWait) {
      announced = true;
      onWait();
    }
    sleepMs(delay);
    waited += delay;
    delay = Math.min(delay * 2, 50);
  }
}

/** Removes the in-progress work dirs and trash of `appId` left in `root` by dead processes (all ids: `bale cache prune`). */
export function cleanStale(root: string, appId: string): number {
  return removeAll([...deadTemps(root, workPrefix(appId)), ...deadTemps(root, trashPrefix(appId))]);
}

/**
 * Removes the entry of `appId` (at `dir`: where an older bale named it otherwise) so that its next run
 * extracts it again: renamed aside at once (under its lock, so never under an extraction), or — while
 * `inUse` — only its marker. Returns which.
 */
export function discardEntry(root: string, appId: string, inUse: boolean, dir = entryDir(root, appId)): "removed" | "invalidated" {
  const lock = acquireLock(lockPath(root, appId), () => false);
  try {
    if (inUse) {
      removeMarkers(dir);
      return "invalidated";
    }
    discardDir(dir, trashPrefix(appId));
    return "removed";
  } finally {
    lock?.release();
  }
}

// ---- the file list of a cache entry (cheap damage detection) ----

const FILE_LIST_TYPE: Record<string, string> = { file: "f", directory: "d", symlink: "l" };

/**
 * The file list of an entry, one "<f|d|l> <size> <path>" line per payload entry in tar order. The packer
 * writes it into the payload as its last member (FILES), so every extractor publishes the same list.
 */
export function filesText(listing: ReadonlyArray<readonly [string, number, string]>): string {
  return listing.map(([type, size, path]) => `${FILE_LIST_TYPE[type] ?? "?"} ${size} ${path}\n`).join("");
}

/**
 * Checks a complete entry against the file list written at extraction: every file present with its
 * size, every directory and symlink present. Returns the first problem, or null when intact (or when
 * the entry predates file lists). Costs one lstat per entry: for `cache list --check` and cold starts.
 */
export function entryProblem(dir: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(dir, FILES), "utf8");
  } catch {
    return markerFile(dir) !== null && lstatOrNull(dir)?.isDirectory() ? null : "it is incomplete";
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    // "s" is how bale 0.1 archives wrote a symlink (a bug that made every such entry look damaged).
    const m = /^([fdls]) (\d+) (.+)$/.exec(line);
    if (!m) return `its file list is damaged (${JSON.stringify(line.slice(0, 80))})`;
    const [, type, size, path] = m as unknown as [string, string, string, string];
    const st = lstatOrNull(join(dir, path));
    if (st === null) return `${path} is missing`;
    if (type === "f" && (!st.isFile() || st.size !== Number(size))) return `${path} has changed (expected a ${size}-byte file)`;
    if (type === "d" && !st.isDirectory()) return `${path} is not a directory any more`;
    if ((type === "l" || type === "s") && !st.isSymbolicLink()) return `${path} is not a symlink any more`;
  }
  return null;
}
