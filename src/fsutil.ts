/** File-system helpers shared by both halves. */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";

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

// ---- process liveness (locks, work dirs and temp trees left by dead processes) ----

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime) counts from the end of the parenthesised command name, which may contain spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** "pid starttime" identifies a process even across PID reuse (Linux); elsewhere just the pid. */
export function selfToken(): string {
  return `${process.pid} ${startTime(process.pid) ?? "-"}`;
}

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
    const now = startTime(pid);
    if (now !== null && now !== start) return false; // the pid was reused
  }
  return true;
}


// ---- one temp-name scheme for every writer that builds beside its output and renames into place ----

/**
 * `.<name>.<kind>-<pid>-<random>` beside `path`: the pid says whose it is, so crash recovery
 * (`deadTemps`) touches only what a process that is gone left behind, never a live writer's tree.
 */
export function tempBeside(path: string, kind: string): string {
  return join(dirname(path), `.${basename(path)}.${kind}-${process.pid}-${randomBytes(6).toString("hex")}`);
}

/** Temp trees of `kind` beside `path` whose process is gone (or whose name carries no pid). */
export function deadTemps(path: string, kind: string): string[] {
  const prefix = `.${basename(path)}.${kind}-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix))
    .filter((n) => {
      const pid = /^(\d+)-/.exec(n.slice(prefix.length))?.[1];
      return pid === undefined || !isAlive(pid);
    })
    .map((n) => join(dirname(path), n));
}
