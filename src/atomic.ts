/**
 * Atomic files and directories: the one module for every writer whose output must be the old one or
 * the new one, never half of each — `bale pack`'s archive, `bale extract`, the cache's entries and
 * small files (the embedded extractor), the config compiler's out dir and `bale gen`'s folders.
 *
 * - Temp names: `<prefix><pid>-<random>` in the output's directory; beside an output `<name>` the
 *   prefix is `.<name>.<kind>-` (tempBeside). The pid says whose it is.
 * - Crash recovery: a temp is removable only when the process that made it is gone (`ownerGone`): no
 *   process has its pid, or the one that has it started after the temp was last modified (the pid was
 *   reused — a fresh container hands out the same pids again). A live writer's temp is never touched.
 * - Files: written to a temp, fsynced where durability matters, renamed over the output.
 * - Directories: built in a temp, made durable where it matters (syncTree: one `sync -f`), then
 *   published with one rename (a new output) or swapped in with
 *   two (the old one aside first); a crash between the two leaves the old one aside, and the next
 *   writer puts it back (recoverSwaps) before it does anything else.
 * - errno: one rule turns a file-system error on the user's path into a BaleError naming that path.
 *
 * The embedded extractor bundles this file: it must import nothing heavy.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fchmodSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BaleError, type DiagnosticCode } from "./errors.js";

// ---- process liveness ----

function statFields(pid: number | "self"): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name (which may contain spaces); [19] is field 22, starttime.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** "pid starttime" identifies a process even across PID reuse (Linux); elsewhere just the pid. */
export function selfToken(): string {
  return `${process.pid} ${statFields(process.pid)?.[19] ?? "-"}`;
}

/** Is the process named by a token ("pid" or "pid starttime") running? Unknown counts as alive. */
export function isAlive(token: string): boolean {
  const [pidText, start] = token.trim().split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (start && start !== "-") {
    const now = statFields(pid)?.[19];
    if (now !== undefined && now !== start) return false; // the pid was reused
  }
  return true;
}

/** When process `pid` started (ms since the epoch, to a second or so), or null where /proc cannot say. */
export function startedAt(pid: number): number | null {
  try {
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    // starttime counts clock ticks since boot; USER_HZ is 100 on every Linux architecture bale runs on.
    const at = boot * 1000 + Number(statFields(pid)?.[19]) * 10;
    return Number.isFinite(at) && boot > 0 ? at : null;
  } catch {
    return null;
  }
}

/** /proc's boot time has whole seconds: a process counts as younger than a temp only beyond this. */
const START_SLACK_MS = 3000;

/**
 * The recovery rule: did the process `pid` that made a temp last modified at `mtimeMs` go away? Yes
 * when no process has that pid, or the one that has it started after the temp was last touched
 * (whoever made it had the pid before: reused).
 */
export function ownerGone(pid: number, mtimeMs: number): boolean {
  if (!isAlive(String(pid))) return true;
  const start = startedAt(pid);
  return start !== null && start > mtimeMs + START_SLACK_MS;
}

// ---- temp names ----

/** A fresh temp name `<dir>/<prefix><pid>-<random>`. */
export function tempIn(dir: string, prefix: string): string {
  return join(dir, `${prefix}${process.pid}-${randomBytes(6).toString("hex")}`);
}

/** `.<name>.<kind>-<pid>-<random>` beside `path`. */
export function tempBeside(path: string, kind: string): string {
  return tempIn(dirname(path), `.${basename(path)}.${kind}-`);
}

/**
 * Temps in `dir` whose process is gone (ownerGone). `match` is a name prefix, followed by the pid
 * (a name with no pid after it counts as a dead one's), or a RegExp whose group `pid` (else its first) is the pid.
 */
export function deadTemps(dir: string, match: string | RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const dead: string[] = [];
  for (const n of names) {
    let pid: string | undefined;
    if (typeof match === "string") {
      if (!n.startsWith(match)) continue;
      pid = /^(\d+)-/.exec(n.slice(match.length))?.[1];
    } else {
      const m = match.exec(n);
      if (!m) continue;
      pid = m.groups?.pid ?? m[1];
    }
    const path = join(dir, n);
    let mtime: number;
    try {
      mtime = lstatSync(path).mtimeMs;
    } catch {
      continue; // gone meanwhile
    }
    if (pid === undefined || ownerGone(Number(pid), mtime)) dead.push(path);
  }
  return dead;
}

/** Dead temps of `kind` beside `path` (see tempBeside). */
export function deadTempsBeside(path: string, kind: string): string[] {
  return deadTemps(dirname(path), `.${basename(path)}.${kind}-`);
}

/** Removes `paths` (files or trees) that may be gone already; returns how many there were. */
export function removeAll(paths: readonly string[]): number {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  return paths.length;
}

// ---- files ----

export interface WriteOptions {
  /** The file's mode, whatever the umask (default 0o644). */
  mode?: number;
  /** fsync before the rename: for outputs that must survive a power cut once written. */
  durable?: boolean;
}

/**
 * Writes `data` to `path` atomically: a temp beside it (`.<name>.tmp-<pid>-<rand>`, dead ones first
 * cleaned), then rename. On error the temp is removed and the error rethrown as it is.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[], o: WriteOptions = {}): void {
  removeAll(deadTempsBeside(path, "tmp"));
  const tmp = tempBeside(path, "tmp");
  const mode = o.mode ?? 0o644;
  const fd = openSync(tmp, "wx", mode);
  let open = true;
  try {
    const parts = typeof data === "string" ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += writeSync(fd, p, off, p.length - off);
    }
    fchmodSync(fd, mode);
    if (o.durable) fsyncSync(fd);
    open = false;
    closeSync(fd);
    renameSync(tmp, path);
  } catch (e) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

// ---- directories ----

/**
 * Makes everything under `dir` durable before the caller publishes it (by rename): `paths` are the
 * files and directories in it, relative. One syncfs(2) of the file system (`sync -f`, coreutils and
 * busybox) writes them all with one journal commit: 1,210 files of the eslint app took 0.1-0.2 s
 * this way and 0.5-3.6 s with an fsync(2) per file, each its own commit and disk flush. Where `sync -f`
 * is missing or fails, every file and directory is fsynced (files in parallel on the thread pool).
 */
export async function syncTree(dir: string, paths: readonly string[]): Promise<void> {
  const r = spawnSync("sync", ["-f", dir], { stdio: "ignore" });
  if (r.status === 0) return;
  const dirs = [""];
  const files: string[] = [];
  for (const p of paths) (lstatSync(join(dir, p)).isDirectory() ? dirs : files).push(p);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const h = await open(join(dir, files[next++] as string), "r");
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
  for (const d of dirs.reverse()) syncPath(join(dir, d));
}

export function syncPath(p: string): void {
  const fd = openSync(p, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Publishes the finished tree `tmp` as the new `final` with one rename. When `final` appeared
 * meanwhile and `published()` says it is complete (another process published first), `tmp` is removed
 * and the answer is false; otherwise the rename's error is thrown.
 */
export function publishDir(tmp: string, final: string, published: () => boolean): boolean {
  try {
    renameSync(tmp, final);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== "ENOTEMPTY" && code !== "EEXIST") || !published()) throw e;
    rmSync(tmp, { recursive: true, force: true });
    return false;
  }
}

/**
 * Swaps the finished tree `tmp` in as `out`: the old `out` goes aside (`.<out>.bale-old-<pid>-*`), then
 * `tmp` is renamed in; if that fails the old one is put back. Returns the old tree for the caller to
 * delete (null when there was none).
 */
export function swapDir(tmp: string, out: string): string | null {
  if (!existsSync(out)) {
    renameSync(tmp, out);
    return null;
  }
  const old = tempBeside(out, "bale-old");
  renameSync(out, old);
  try {
    renameSync(tmp, out);
  } catch (e) {
    renameSync(old, out);
    throw e;
  }
  return old;
}

/** Renames `path` aside (to `<dir>/<trashPrefix><pid>-<rand>`) and removes it: it is gone at once, whatever the rm takes. */
export function discardDir(path: string, trashPrefix: string): void {
  const trash = tempIn(dirname(path), trashPrefix);
  renameSync(path, trash);
  rmSync(trash, { recursive: true, force: true });
}

const SWAP = /^\.(.+)\.bale-(new|old|trash)-(?<pid>\d+)-/;

/**
 * Recovery for swapDir's writers, before they do anything else: in `dir`, an output a dead process
 * left aside (`.<name>.bale-old-…`) comes back when `<name>` is missing; then every dead temp tree
 * (new, old, trash) is removed. Only outputs named `name` when given. Returns how many were removed.
 */
export function recoverSwaps(dir: string, name?: string): number {
  const dead = deadTemps(dir, SWAP).filter((p) => name === undefined || SWAP.exec(basename(p))?.[1] === name);
  for (const p of dead) {
    const [, out, kind] = SWAP.exec(basename(p)) as RegExpExecArray;
    const target = join(dir, out as string);
    if (kind === "old" && !existsSync(target)) renameSync(p, target);
  }
  return removeAll(dead.filter((p) => existsSync(p)));
}

// ---- the one errno -> user-error rule ----

/**
 * errno codes that mean "this path cannot be used as asked" are the user's to fix, not a bug in bale;
 * each gets a plain-words reason and, where there is one, a fix of its own before the caller's.
 */
const USER_IO: Record<string, { says: string; fix?: string }> = {
  EACCES: { says: "permission denied" },
  EPERM: { says: "operation not permitted" },
  EROFS: { says: "read-only file system" },
  ENOSPC: { says: "no space left on the device", fix: "free some space there" },
  EDQUOT: { says: "disk quota exceeded", fix: "free some space there" },
  ENOENT: { says: "no such file or directory" },
  ENOTDIR: { says: "a part of the path is not a directory" },
  EISDIR: { says: "it is a directory" },
  EEXIST: { says: "something is already in the way" },
  ENAMETOOLONG: { says: "the path is too long", fix: "use a shorter path" },
  ELOOP: { says: "too many levels of symlinks" },
  EXDEV: { says: "cannot move across file systems" },
  EMFILE: { says: "too many open files", fix: "raise the open-file limit (ulimit -n)" },
  ENFILE: { says: "too many open files in the system" },
  EIO: { says: "an I/O error from the device" },
};

/**
 * What a file-system error caused by the path the user gave says ("permission denied (EACCES)"), and
 * the fix that comes before the site's own (e.g. "free some space there"), or null if it is not one.
 */
export function ioProblem(e: unknown): { reason: string; fix: string | undefined } | null {
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const known = typeof errno === "string" ? USER_IO[errno] : undefined;
  return known ? { reason: `${known.says} (${errno})`, fix: known.fix } : null;
}

/**
 * The user error for a file-system error caused by the path the user gave, or null if it is not one.
 * For the extractor's sites (no catalog text in archives); elsewhere `ioDiag` (src/diagnostics/create.ts).
 */
export function ioErrorToUser(e: unknown, code: DiagnosticCode, what: string, file: string, fix: string): BaleError | null {
  if (e instanceof BaleError) return e;
  const p = ioProblem(e);
  if (!p) return null;
  return new BaleError(code, `${what}: ${p.reason}`, { file, fix: p.fix ? `${p.fix}, or ${fix}` : fix, cause: e });
}

/**
 * Turns a file-system error caused by the path the user gave (unwritable, read-only, full, missing)
 * into a BaleError naming that path; a BaleError passes as it is; anything else is rethrown (a bug
 * gets its stack).
 */
export function userIoError(e: unknown, code: DiagnosticCode, what: string, file: string, fix: string): never {
  throw ioErrorToUser(e, code, what, file, fix) ?? e;
}
