/**
 * Library side of the admin commands: inspect, verify, extract, cache list/prune.
 * They return data or throw BaleError; the CLI prints.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { BaleError, userIoError } from "../errors.js";
import { extractorCode } from "../pack/assemble.js";
import { decoderFor } from "../pack/runtime.js";
import { preludeForIndex } from "../runtime-stub/prelude.js";
import { VERSION } from "../version.js";
import { type ArchiveIndex, pinnedIndexSha256, readIndexFromFd, type RuntimeInfo, type Segment } from "./format.js";
import { extractPayload, listPayload } from "./extract.js";
import { decodeRuntime } from "../pack/zstd.js";
import type { TarEntry } from "./tar.js";
import {
  acquireLock,
  cacheRoot,
  checkCacheRoot,
  cleanStale,
  entryProblem,
  type Env,
  isAlive,
  lstatOrNull,
  MARKER,
  readMarker,
  RUNTIMES,
  uniqueSuffix,
} from "./cache.js";

function openArchive(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new BaleError("archive-unreadable", `cannot open the archive (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      file,
      fix: "check the path and that you may read the file",
    });
  }
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new BaleError("archive-unreadable", "this is a directory, not an archive", { file, fix: "pass the archive file that `bale pack` wrote" });
  }
  return fd;
}

export interface InspectOptions {
  archive: string;
  /** Also list every entry of the payload (decompresses it). */
  files?: boolean;
}

export interface InspectResult {
  archive: string;
  size: number;
  index: ArchiveIndex;
  files?: Array<{ path: string; type: TarEntry["type"]; size: number; mode: string; target?: string }>;
}

function readExact(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

export async function inspect(o: InspectOptions): Promise<InspectResult> {
  const fd = openArchive(o.archive);
  try {
    const { index, size } = readIndexFromFd(fd, o.archive);
    const r: InspectResult = { archive: o.archive, size, index };
    if (o.files) {
      // Decoding is bounded by the index's declared sizes: a decompression bomb is refused, not inflated.
      const { entries } = await listPayload(fd, index, o.archive);
      r.files = entries.map((e) => {
        const f: NonNullable<InspectResult["files"]>[number] = { path: e.path, type: e.type, size: e.size, mode: e.mode.toString(8).padStart(4, "0") };
        if (e.type === "symlink") f.target = e.linkTarget;
        return f;
      });
    }
    return r;
  } finally {
    closeSync(fd);
  }
}

export interface VerifyResult {
  archive: string;
  ok: boolean;
  /** One line per problem found (empty when ok). */
  problems: string[];
  index: ArchiveIndex | null;
  /** This archive's entry in the cache (BALE_CACHE_DIR etc.), when it was extracted there. */
  cacheEntry?: { path: string; problem: string | null };
  /** The cached runtime this archive embeds, when it was unpacked there (format 2). */
  runtimeEntry?: { path: string; problem: string | null };
}

/**
 * The decoder and runtime segments of a format 2 archive: each must match its pinned hash, the
 * decoder must be this bale's for the platform (when built by this version), and the runtime must
 * decode to exactly the node binary the index names (size and sha256).
 */
function checkRuntimeSegments(fd: number, index: ArchiveIndex, rt: RuntimeInfo, sameBale: boolean): string[] {
  const problems: string[] = [];
  const dec = index.segments.decoder;
  const seg = index.segments.runtime;
  if (!dec || !seg) return ["the index names a runtime but not its segments (corrupted)"];
  const decBuf = readExact(fd, dec.length, dec.offset);
  if (sha256(decBuf) !== dec.sha256) problems.push("the embedded runtime decoder does not match its sha256 (damaged)");
  else if (sameBale) {
    let ours: Buffer | null = null;
    try {
      ours = decoderFor(rt.platform);
    } catch {
      /* this installation has no decoder for that platform: the hash above is all we can check */
    }
    if (ours && !ours.equals(decBuf)) problems.push(`the embedded runtime decoder is not the one bale ${VERSION} builds for ${rt.platform} (modified)`);
  }
  const r = embeddedRuntime(fd, seg, rt);
  if ("problem" in r) problems.push(r.problem);
  return problems;
}

/**
 * The node binary the runtime segment holds, checked: the segment matches its sha256 and decodes to
 * exactly the binary the index names; else what is wrong. Shared by `verify` and `extract`.
 */
function embeddedRuntime(fd: number, seg: Segment & { sha256: string }, rt: RuntimeInfo): { node: Buffer } | { problem: string } {
  const segBuf = readExact(fd, seg.length, seg.offset);
  if (sha256(segBuf) !== seg.sha256) return { problem: "the embedded runtime does not match its sha256 (damaged)" };
  let node: Buffer;
  try {
    node = decodeRuntime(segBuf, rt.size);
  } catch (e) {
    return { problem: `the embedded runtime does not decode (${(e as Error).message})` };
  }
  if (node.length !== rt.size || sha256(node) !== rt.sha256) {
    return { problem: `the embedded runtime does not decode to the node binary its index names (sha256 ${rt.sha256.slice(0, 16)}…, ${rt.size} bytes)` };
  }
  return { node };
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

export interface RuntimeEntry {
  sha256: string;
  version: string;
  platform: string;
  path: string;
  /** Bytes on disk (the node binary). */
  bytes: number;
  /** The size its marker records. */
  size: number;
  /** Apps in the cache that run on it (app ids). */
  usedBy: string[];
  /** PIDs of running processes that hold it. */
  inUseBy: number[];
  damaged?: string | null;
  repair?: "removed" | "invalidated";
}

/** `<root>/runtimes/<sha>` when it is complete (its marker names it) and ours; else null. */
function runtimeEntry(root: string, sha: string): Omit<RuntimeEntry, "usedBy" | "inUseBy"> | null {
  const path = join(root, RUNTIMES, sha);
  const st = lstatOrNull(path);
  if (!st?.isDirectory() || (typeof process.getuid === "function" && st.uid !== process.getuid())) return null;
  let text: string;
  try {
    text = readFileSync(join(path, MARKER), "utf8");
  } catch {
    return null;
  }
  const [first, second] = text.split("\n");
  if (first !== sha) return null;
  let meta: { version?: unknown; platform?: unknown; size?: unknown } = {};
  try {
    meta = JSON.parse(second ?? "{}") as typeof meta;
  } catch {
    /* damaged metadata: shown as unknown */
  }
  return {
    sha256: sha,
    version: typeof meta.version === "string" ? meta.version : "?",
    platform: typeof meta.platform === "string" ? meta.platform : "?",
    path,
    bytes: lstatOrNull(join(path, "node"))?.size ?? 0,
    size: typeof meta.size === "number" ? meta.size : -1,
  };
}

/** What is wrong with a cached runtime: missing or resized node (cheap); with `hash`, its sha256 too. */
function runtimeProblem(e: Pick<RuntimeEntry, "path" | "size" | "sha256">, hash: boolean): string | null {
  const node = join(e.path, "node");
  const st = lstatOrNull(node);
  if (!st?.isFile()) return "node is missing";
  if (st.size !== e.size) return `node has changed (expected ${e.size} bytes, found ${st.size})`;
  if (hash && sha256(readFileSync(node)) !== e.sha256) return "node has changed (its sha256 differs)";
  return null;
}

/** The first byte at which two buffers differ (or the shorter length). */
function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Full integrity check. The sh prelude is fully determined by the index, so it is rendered again and
 * compared byte for byte; the extractor must match its hash (pinned by that prelude) and, for an
 * archive built by this bale version, be this bale's extractor byte for byte; the payload must match
 * its hash and read back as a clean tar within the sizes the index declares, its symlinks resolved as
 * the kernel would. The archive's cache entry, if there is one, must still hold every file it had.
 */
export async function verify(o: { archive: string; env?: Env }): Promise<VerifyResult> {
  const fd = openArchive(o.archive);
  try {
    let opened: ReturnType<typeof readIndexFromFd>;
    try {
      opened = readIndexFromFd(fd, o.archive);
    } catch (e) {
      if (e instanceof BaleError) return { archive: o.archive, ok: false, problems: [e.message], index: null };
      throw e;
    }
    const { index, indexSha256 } = opened;
    const problems: string[] = [];
    const sameBale = index.build.bale === VERSION;
    const ex = index.segments.extractor;
    const exBuf = readExact(fd, ex.length, ex.offset);
    if (createHash("sha256").update(exBuf).digest("hex") !== ex.sha256) problems.push("the embedded extractor does not match its sha256 (damaged)");
    else if (sameBale && !exBuf.equals(extractorCode())) problems.push(`the embedded extractor is not the one bale ${VERSION} builds (modified)`);
    const pre = index.segments.prelude;
    const actual = readExact(fd, Math.min(pre.length, 1 << 20), 0);
    const expected = Buffer.from(preludeForIndex(index, indexSha256), "utf8");
    if (!actual.equals(expected)) {
      const at = firstDifference(actual, expected);
      const line = actual.subarray(0, at).toString("latin1").split("\n").length;
      if (pinnedIndexSha256(actual.toString("latin1")) !== indexSha256) problems.push("the index does not match the hash its prelude pins (tampered or damaged)");
      else if (sameBale) problems.push(`the sh prelude is not what its index implies: it differs at byte ${at} (line ${line}) (edited or damaged)`);
      else problems.push(`the sh prelude differs at byte ${at} (line ${line}) from what bale ${VERSION} writes for this index; the archive was built by bale ${index.build.bale}: verify it with that version or rebuild it`);
    }
    if (index.runtime) problems.push(...checkRuntimeSegments(fd, index, index.runtime, sameBale));
    try {
      await listPayload(fd, index, o.archive);
    } catch (e) {
      if (!(e instanceof BaleError)) throw e;
      problems.push(e.message);
    }
    const r: VerifyResult = { archive: o.archive, ok: false, problems, index };
    const root = cacheRoot(o.env ?? process.env);
    if (index.runtime) {
      const rt = runtimeEntry(root, index.runtime.sha256);
      if (rt) {
        const problem = runtimeProblem(rt, true);
        r.runtimeEntry = { path: rt.path, problem };
        if (problem) problems.push(`its runtime in the cache ${rt.path} is damaged (${problem}); \`bale cache list --check\` removes it and the next run unpacks it again`);
      }
    }
    if (readMarker(root, index.appId)) {
      const path = join(root, index.appId);
      const problem = entryProblem(path);
      r.cacheEntry = { path, problem };
      if (problem) problems.push(`its cache entry ${path} is damaged (${problem}); \`bale cache list --check\` removes it and the next run extracts it again`);
    }
    r.ok = problems.length === 0;
    return r;
  } finally {
    closeSync(fd);
  }
}

export interface ExtractOptions {
  archive: string;
  /** Directory to create; must not exist (or be empty). */
  output: string;
}

/** Extracts the payload into a new directory, atomically (temp sibling, verified, renamed). */
export async function extract(o: ExtractOptions): Promise<{ output: string; files: number; bytes: number }> {
  const out = resolve(o.output);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new BaleError("extract-output-exists", "the output directory exists and is not empty", {
      file: o.output,
      fix: "pass -o with a new directory, or remove this one",
    });
  }
  if (!existsSync(dirname(out))) {
    throw new BaleError("extract-output-parent-missing", "the output's parent directory does not exist", { file: o.output, fix: "create it first" });
  }
  const fd = openArchive(o.archive);
  const tmp = join(dirname(out), `.${basename(out)}.tmp-${uniqueSuffix()}`);
  try {
    const { index } = readIndexFromFd(fd, o.archive);
    try {
      mkdirSync(tmp, { mode: 0o755 });
    } catch (e) {
      userIoError(e, "extract-output-unwritable", "cannot create the output directory", o.output, "pass -o with a directory in a place you may write to");
    }
    let stats: Awaited<ReturnType<typeof extractPayload>>;
    try {
      stats = await extractPayload(fd, index, tmp, o.archive);
      if (index.runtime) writeRuntime(fd, index, index.runtime, tmp, o.archive);
      if (existsSync(out)) rmSync(out, { recursive: true }); // an empty dir
      renameSync(tmp, out);
    } catch (e) {
      userIoError(e, "extract-output-unwritable", "cannot write the extracted files", o.output, "pass -o with a directory on a file system with room that you can write");
    }
    return { output: out, files: stats.files, bytes: stats.bytes };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** `bale extract` of a format 2 archive also writes its runtime, checked, as `.bale-runtime/node`. */
export const EXTRACTED_RUNTIME = ".bale-runtime/node";

function writeRuntime(fd: number, index: ArchiveIndex, rt: RuntimeInfo, into: string, archive: string): void {
  const seg = index.segments.runtime;
  const r = seg ? embeddedRuntime(fd, seg, rt) : { problem: "the index names a runtime but not its segments (corrupted)" };
  if ("problem" in r) {
    throw new BaleError("archive-corrupt", `not a valid bale archive: ${r.problem}`, {
      file: archive,
      fix: "copy the archive again or rebuild it with `bale pack`",
    });
  }
  const node = r.node;
  mkdirSync(join(into, ".bale-runtime"), { mode: 0o755 });
  writeFileSync(join(into, EXTRACTED_RUNTIME), node, { mode: 0o755 });
}

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

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/** Does `text` name a path inside the entry `real` (its app id as a path component, resolved from `cwd`)? */
function namesEntry(text: string, appId: string, real: string, cwd: string | null): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(`/${appId}`, from);
    if (at < 0) return false;
    from = at + 1;
    const end = at + 1 + appId.length;
    const next = text[end];
    if (next !== undefined && next !== "/" && next !== "\0" && next !== "\n" && next !== " ") continue;
    // The start of this path: after the previous NUL/newline/space/"=" (environ: NAME=value).
    let begin = at;
    while (begin > 0 && !"\0\n =".includes(text[begin - 1] as string)) begin--;
    const spelled = text.slice(begin, end);
    const abs = spelled.startsWith("/") ? spelled : cwd ? resolve(cwd, spelled) : null;
    const r = abs === null ? null : realOrNull(abs);
    // Whatever the spelling (trailing "/", "./", a symlinked dir): the real path decides; unknown = in use.
    if (r === null || r === real) return true;
  }
}

/**
 * Running processes (Linux /proc) that hold the entry `<root>/<appId>`: its path in their command
 * line, in their environment (the prelude exports BALE_APP_DIR, which survives a renamed process
 * title), or among their mapped files (native addons). Paths are compared by real path.
 */
export function processesUsing(root: string, appId: string): number[] {
  const pids: number[] = [];
  const real = realOrNull(join(root, appId));
  if (real === null) return pids;
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return pids;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    let cwd: string | null = null;
    try {
      cwd = readlinkSync(`/proc/${n}/cwd`);
    } catch {
      /* not ours to read, or gone */
    }
    for (const f of ["cmdline", "environ", "maps"]) {
      let text: string;
      try {
        text = readFileSync(`/proc/${n}/${f}`, "latin1");
      } catch {
        continue;
      }
      if (text.includes(appId) && namesEntry(text, appId, real, cwd)) {
        pids.push(Number(n));
        break;
      }
    }
  }
  return pids;
}

export interface CacheOptions {
  env?: Env;
  /** `list --check`: compare every entry with its file list; damaged ones are removed (or invalidated if in use). */
  check?: boolean;
}

export function cacheList(o: CacheOptions = {}): { root: string; entries: CacheEntry[]; runtimes: RuntimeEntry[] } {
  const root = cacheRoot(o.env ?? process.env);
  const entries: CacheEntry[] = [];
  const runtimes: RuntimeEntry[] = [];
  if (lstatOrNull(root) === null) return { root, entries, runtimes };
  checkCacheRoot(root);
  const users = new Map<string, string[]>();
  for (const name of readdirSync(root).sort()) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const m = readMarker(root, name);
    if (!m) continue;
    const path = join(root, name);
    const e: CacheEntry = { appId: name, name: m.name, path, bytes: dirSize(path), extractedAt: m.extractedAt, inUseBy: processesUsing(root, name) };
    if (m.runtime) {
      e.runtime = m.runtime;
      users.set(m.runtime, [...(users.get(m.runtime) ?? []), name]);
    }
    if (o.check) {
      e.damaged = entryProblem(path) ?? (m.entry && lstatOrNull(join(path, m.entry)) === null ? `${m.entry} is missing` : null);
      if (e.damaged) e.repair = invalidate(root, e);
    }
    entries.push(e);
  }
  entries.sort((a, b) => a.name.localeCompare(b.name) || b.extractedAt - a.extractedAt);
  const rtRoot = join(root, RUNTIMES);
  const rtNames = lstatOrNull(rtRoot)?.isDirectory() ? readdirSync(rtRoot).sort() : [];
  for (const name of rtNames) {
    if (!/^[0-9a-f]{64}$/.test(name)) continue;
    const base = runtimeEntry(root, name);
    if (!base) continue;
    const e: RuntimeEntry = { ...base, usedBy: users.get(name) ?? [], inUseBy: processesUsing(rtRoot, name) };
    if (o.check) {
      e.damaged = runtimeProblem(e, true);
      if (e.damaged) e.repair = invalidateRuntime(e);
    }
    runtimes.push(e);
  }
  return { root, entries, runtimes };
}

/** A damaged runtime is unpacked again by the next run that needs it: removed, or (in use) its marker only. */
function invalidateRuntime(e: RuntimeEntry): "removed" | "invalidated" {
  if (e.inUseBy.length > 0) {
    rmSync(join(e.path, MARKER), { force: true });
    return "invalidated";
  }
  const trash = join(dirname(e.path), `.trash-${e.sha256}-${uniqueSuffix()}`);
  renameSync(e.path, trash);
  rmSync(trash, { recursive: true, force: true });
  return "removed";
}

/** Makes a damaged entry extract again on its next run: removed, or (while in use) its marker only. */
function invalidate(root: string, e: CacheEntry): "removed" | "invalidated" {
  const lock = acquireLock(join(root, `${e.appId}.lock`), () => false);
  try {
    if (e.inUseBy.length > 0) {
      rmSync(join(e.path, MARKER), { force: true });
      return "invalidated";
    }
    const trash = join(root, `.trash-${e.appId}-${uniqueSuffix()}`);
    renameSync(e.path, trash);
    rmSync(trash, { recursive: true, force: true });
    return "removed";
  } finally {
    lock?.release();
  }
}

export interface PruneResult {
  root: string;
  removed: CacheEntry[];
  kept: CacheEntry[];
  /** Runtimes no kept app runs on and no process holds: removed. */
  removedRuntimes: RuntimeEntry[];
  keptRuntimes: RuntimeEntry[];
  /** Work dirs, trash, locks and half-decoded runtimes left by dead processes that were cleaned. */
  staleCleaned: number;
}

/**
 * Removes cache entries no running app holds, keeping the newest entry of each app name, then the
 * runtimes that no kept app runs on and no process holds. Each app removal takes the entry's lock, so
 * it never races an extraction; a runtime that a first run is unpacking right now (a live `.tmp-<pid>`)
 * is kept.
 */
export function cachePrune(o: CacheOptions = {}): PruneResult {
  const { root, entries, runtimes } = cacheList(o);
  const removed: CacheEntry[] = [];
  const kept: CacheEntry[] = [];
  const newest = new Set<string>();
  for (const e of entries) {
    if (!newest.has(e.name)) {
      newest.add(e.name);
      kept.push(e);
      continue;
    }
    if (e.inUseBy.length > 0) {
      kept.push(e);
      continue;
    }
    const lock = acquireLock(join(root, `${e.appId}.lock`), () => false);
    try {
      const trash = join(root, `.trash-${e.appId}-${uniqueSuffix()}`);
      renameSync(e.path, trash);
      rmSync(trash, { recursive: true, force: true });
      removed.push(e);
    } finally {
      lock?.release();
    }
  }
  let staleCleaned = existsSync(root) ? cleanStale(root) : 0;
  staleCleaned += cleanRuntimeTemps(root);
  const needed = new Set(kept.map((e) => e.runtime).filter((r): r is string => r !== undefined));
  const removedRuntimes: RuntimeEntry[] = [];
  const keptRuntimes: RuntimeEntry[] = [];
  for (const rt of runtimes) {
    const busy = needed.has(rt.sha256) || rt.inUseBy.length > 0 || readdirSync(rt.path).some((n) => n.startsWith(".tmp-"));
    if (busy || !existsSync(rt.path)) {
      keptRuntimes.push(rt);
      continue;
    }
    const trash = join(root, RUNTIMES, `.trash-${rt.sha256}-${uniqueSuffix()}`);
    renameSync(rt.path, trash);
    rmSync(trash, { recursive: true, force: true });
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
  const rtRoot = join(root, RUNTIMES);
  if (!lstatOrNull(rtRoot)?.isDirectory()) return 0;
  let n = 0;
  for (const name of readdirSync(rtRoot)) {
    const path = join(rtRoot, name);
    const trash = /^\.trash-[0-9a-f]{64}-(\d+)-/.exec(name);
    if (trash) {
      if (!isAlive(trash[1] as string)) {
        rmSync(path, { recursive: true, force: true });
        n++;
      }
      continue;
    }
    if (!/^[0-9a-f]{64}$/.test(name) || !lstatOrNull(path)?.isDirectory()) continue;
    let live = false;
    for (const f of readdirSync(path)) {
      const m = /^\.tmp-(\d+)/.exec(f);
      if (!m) continue;
      if (isAlive(m[1] as string)) live = true;
      else {
        rmSync(join(path, f), { force: true });
        n++;
      }
    }
    // A marker-less dir with nothing in progress, old enough not to be a first run between its mkdir and its decode.
    if (!live && !existsSync(join(path, MARKER)) && Date.now() - (lstatOrNull(path)?.mtimeMs ?? 0) > 60_000) {
      rmSync(path, { recursive: true, force: true });
      n++;
    }
  }
  return n;
}
