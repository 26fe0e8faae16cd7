/**
 * The content-addressed cache that archives extract into.
 *
 *   <cache>/CACHEDIR.TAG
 *   <cache>/<app id>/            a complete extraction (published by rename)
 *   <cache>/<app id>/.bale-ok    marker: app id, then a JSON line of metadata
 *   <cache>/<app id>/.bale-files what was extracted ("<type> <size> <path>" lines): `cache list --check`
 *   <cache>/<app id>/.bale-node  the node binary whose version was last checked against the app's range
 *   <cache>/runtimes/<sha256>/node       an embedded Node.js runtime (format 2 archives), shared
 *   <cache>/runtimes/<sha256>/.bale-ok   its marker: the sha256, then {"version","platform","size"}
 *   <cache>/runtimes/<sha256>/.tmp-<pid> a runtime being decoded by the sh prelude of process <pid>
 *   <cache>/<app id>.lock        held while one process extracts
 *   <cache>/.work-<app id>-<pid>-<rand>/   private, in-progress extraction
 *
 * Correctness never depends on the lock: an extraction is built in a private
 * work dir and published with one rename(2), which fails if another process
 * published first. The lock only keeps concurrent first runs from all doing
 * the same work; a lock left by a dead process is broken.
 */
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Stats } from "node:fs";
import { BaleError, userIoError } from "../errors.js";
import { isAlive, mkdirp, selfToken } from "../fsutil.js";

export const MARKER = ".bale-ok";
export const FILES = ".bale-files";
export const NODE_STAMP = ".bale-node";
/** `<cache>/runtimes/<sha256 of node>/{node,.bale-ok}`: Node.js runtimes embedded in archives, shared by them. */
export const RUNTIMES = "runtimes";
export const CACHEDIR_TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by bale (extracted executable archives).\n" +
  "# For information about cache directory tags, see https://bford.info/cachedir/\n";

export type Env = Record<string, string | undefined>;

function euid(): number {
  return typeof process.geteuid === "function" ? process.geteuid() : 0;
}

/** A directory owned by us (following symlinks, as sh's `test -d && test -O` do). */
function ownDir(p: string): boolean {
  try {
    const st = statSync(p);
    return st.isDirectory() && st.uid === euid();
  } catch {
    return false;
  }
}

/**
 * The cache root, computed exactly as the sh prelude computes it: BALE_CACHE_DIR; else
 * $XDG_CACHE_HOME/bale or $HOME/.cache/bale when that base is a directory we own (never create
 * directories in another user's home, as `sudo -E` would have us do; a not yet existing XDG_CACHE_HOME
 * counts as ours when HOME is); else ${TMPDIR:-/tmp}/bale-<euid>.
 */
export function cacheRoot(env: Env = process.env): string {
  if (env.BALE_CACHE_DIR) return env.BALE_CACHE_DIR;
  const home = Boolean(env.HOME && ownDir(env.HOME));
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && xdg.startsWith("/") && (ownDir(xdg) || (home && !existsSync(xdg)))) return `${xdg}/bale`;
  if (home) return `${env.HOME}/.cache/bale`;
  return `${env.TMPDIR || "/tmp"}/bale-${euid()}`;
}

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
  const tag = join(dir, "CACHEDIR.TAG");
  if (lstatOrNull(tag) === null) writeFileAtomic(tag, CACHEDIR_TAG);
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

let seq = 0;
export function uniqueSuffix(): string {
  return `${process.pid}-${Date.now().toString(36)}${(seq++).toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  const fd = openSync(tmp, "wx", mode);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export interface MarkerInfo {
  appId: string;
  name: string;
  entry: string;
  extractedAt: number;
  bale: string;
  /** sha256 of the embedded runtime the app runs on (format 2 archives). */
  runtime?: string;
}

/** Reads the marker of `<root>/<id>`; null unless the entry is complete, ours and for this id. */
export function readMarker(root: string, appId: string): MarkerInfo | null {
  const dir = join(root, appId);
  const st = lstatOrNull(dir);
  if (!st || !st.isDirectory()) return null;
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) return null;
  let text: string;
  try {
    text = readFileSync(join(dir, MARKER), "utf8");
  } catch {
    return null;
  }
  const [first, second] = text.split("\n");
  if (first !== appId) return null;
  try {
    const meta = JSON.parse(second ?? "{}") as Partial<MarkerInfo>;
    const info: MarkerInfo = { appId, name: meta.name ?? "", entry: meta.entry ?? "", extractedAt: meta.extractedAt ?? 0, bale: meta.bale ?? "" };
    if (typeof meta.runtime === "string" && /^[0-9a-f]{64}$/.test(meta.runtime)) info.runtime = meta.runtime;
    return info;
  } catch {
    return { appId, name: "", entry: "", extractedAt: 0, bale: "" };
  }
}

export function markerText(info: MarkerInfo): string {
  const meta = { name: info.name, entry: info.entry, extractedAt: info.extractedAt, bale: info.bale, ...(info.runtime ? { runtime: info.runtime } : {}) };
  return `${info.appId}\n${JSON.stringify(meta)}\n`;
}

// ---- process liveness: src/fsutil.ts (shared with the config compiler's and gen's crash recovery)
export { isAlive, selfToken } from "../fsutil.js";

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

/** Removes in-progress work dirs and trash left in `root` by dead processes (for `appId`, or all). */
export function cleanStale(root: string, appId?: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = /^\.(work|trash)-([0-9a-f]{64})-(\d+)-/.exec(name);
    if (!m || (appId !== undefined && m[2] !== appId)) continue;
    if (isAlive(m[3] as string)) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

// ---- the file list of a cache entry (cheap damage detection) ----

export function filesText(listing: ReadonlyArray<readonly [string, number, string]>): string {
  return listing.map(([type, size, path]) => `${type[0]} ${size} ${path}\n`).join("");
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
    return lstatOrNull(join(dir, MARKER)) && lstatOrNull(dir)?.isDirectory() ? null : "it is incomplete";
  }
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([fdl]) (\d+) (.+)$/.exec(line);
    if (!m) return `its file list is damaged (${JSON.stringify(line.slice(0, 80))})`;
    const [, type, size, path] = m as unknown as [string, string, string, string];
    const st = lstatOrNull(join(dir, path));
    if (st === null) return `${path} is missing`;
    if (type === "f" && (!st.isFile() || st.size !== Number(size))) return `${path} has changed (expected a ${size}-byte file)`;
    if (type === "d" && !st.isDirectory()) return `${path} is not a directory any more`;
    if (type === "l" && !st.isSymbolicLink()) return `${path} is not a symlink any more`;
  }
  return null;
}
