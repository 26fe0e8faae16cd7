/**
 * Every path rule of the archive half in one place: where the cache is, what its entries, runtimes,
 * markers, locks and temps are called, and which archive-relative paths are safe. Used by the sh
 * prelude (rendered at pack time), the embedded extractor, the admin commands and the packer, so they
 * cannot disagree. Bundled into the extractor: small, no heavy imports.
 *
 *   <cache>/CACHEDIR.TAG
 *   <cache>/<key>/               a complete extraction (published by rename); <key> is the app id's
 *                                first 32 hex digits (entryName; the whole id before bale 0.3)
 *   <cache>/<key>/.bale-ok       marker: app id, then a JSON line of metadata
 *   <cache>/<key>/.bale-ok-<boot id>  the same marker, written before the tree was known to be on
 *                                disk: trusted only during that boot (see bootMarker)
 *   <cache>/<key>/.bale-files    what was extracted ("<type> <size> <path>" lines): `cache list --check`
 *   <cache>/<key>/.bale-node     the node binary whose version was last checked against the app's range
 *   <cache>/runtimes/<sha256>/node       an embedded Node.js runtime (format 2 archives), shared
 *   <cache>/runtimes/<sha256>/.bale-ok   its marker: the sha256, then {"version","platform","size"}
 *   <cache>/runtimes/<sha256>/.tmp-<pid> a runtime being decoded by the sh prelude of process <pid>
 *   <cache>/<app id>.lock        held while one process extracts
 *   <cache>/.work-<app id>-<pid>-<rand>/   private, in-progress extraction
 *   <cache>/.trash-<app id>-<pid>-<rand>/  an entry being removed (renamed aside first)
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";

export const MARKER = ".bale-ok";
/**
 * The marker of a tree published before it was synced to disk, named for the boot that wrote it:
 * `.bale-ok-<boot id>`. Until the crash that could lose its data, the page cache serves the tree as
 * written, so it is trusted while the kernel's boot id is the same; a background `sync -f` then renames
 * it to MARKER (or removes it if the sync fails). After a restart it names another boot, and the entry
 * is extracted again. Lets a first run skip waiting for the sync without ever trusting lost data.
 */
export const bootMarker = (bootId: string): string => `${MARKER}-${bootId}`;
/** Where Linux says which boot this is (a UUID, new at every boot). */
export const BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id";
export const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const FILES = ".bale-files";
export const NODE_STAMP = ".bale-node";
/** `<cache>/runtimes/<sha256 of node>/{node,.bale-ok}`: Node.js runtimes embedded in archives, shared by them. */
export const RUNTIMES = "runtimes";
export const CACHEDIR_TAG_NAME = "CACHEDIR.TAG";
/** `bale extract` of a format 2 archive also writes its runtime, checked, as `.bale-runtime/node`. */
export const EXTRACTED_RUNTIME = ".bale-runtime/node";

/** App ids and runtime names: sha256 in hex. */
export const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The name of an app's cache entry: the first 128 bits of its id. Node spends time in proportion to
 * the length of every module path it resolves (the lookup keys join a module's whole chain of
 * `node_modules` directories), so the app's files sit under a path 32 characters shorter than the
 * whole id would make it: ~4 % of a warm start for apps of a thousand modules (eslint). 128 bits keep
 * accidental collisions out of reach; the marker inside still names the whole id, and is checked.
 */
export const entryName = (appId: string): string => appId.slice(0, 32);
/** A cache entry's directory name: entryName of an app id, or (archives of bale 0.2 and before) the whole id. */
export const ENTRY_NAME = /^[0-9a-f]{32}(?:[0-9a-f]{32})?$/;
/** True when `name` is the entry directory of `appId` (for this bale, or as bale 0.2 and before named it). */
export const isEntryOf = (name: string, appId: string): boolean => HEX64.test(appId) && (name === entryName(appId) || name === appId);

export const entryDir = (root: string, appId: string): string => join(root, entryName(appId));
export const lockPath = (root: string, appId: string): string => join(root, `${appId}.lock`);
export const runtimesDir = (root: string): string => join(root, RUNTIMES);
export const runtimeDir = (root: string, sha256: string): string => join(root, RUNTIMES, sha256);

/** Temp-name prefixes (src/atomic.ts adds `<pid>-<random>`): an extraction in progress, an entry being removed. */
export const workPrefix = (appId: string): string => `.work-${appId}-`;
export const trashPrefix = (id: string): string => `.trash-${id}-`;
/** Any cache temp (work or trash) of any app id or runtime; group 1 is the pid. */
export const CACHE_TEMP = /^\.(?:work|trash)-[0-9a-f]{32}(?:[0-9a-f]{32})?-(\d+)-/;
/** The sh prelude's temps while it decodes a runtime (`.tmp-$$`, `.tmp-$$.unzstd`, `.tmp-$$.ok`); group 1 is the pid. */
export const RUNTIME_TEMP = /^\.tmp-(\d+)/;

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

/**
 * An archive-relative path (a tar entry, the index's entry or configDir) normalized (no "" or "."
 * segments), or why it is unsafe: a NUL byte, absolute, climbing out with "..", or empty.
 */
export function payloadPath(raw: string): { path: string } | { problem: string } {
  const parts = raw.split("/").filter((s) => s !== "" && s !== ".");
  const q = JSON.stringify(raw);
  if (raw.includes("\0")) return { problem: `path ${q} contains a NUL byte` };
  if (raw.startsWith("/")) return { problem: `absolute path ${q}` };
  if (parts.includes("..")) return { problem: `path ${q} climbs out with ".."` };
  if (parts.length === 0) return { problem: `empty path ${q}` };
  return { path: parts.join("/") };
}
