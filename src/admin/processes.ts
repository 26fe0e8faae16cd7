/**
 * Which running processes hold a cache entry or runtime (Linux /proc), for `bale cache list/prune`:
 * /proc is read once per command (scanProcesses), then matched against every entry.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";

export interface ProcessInfo {
  pid: number;
  /** Its working directory (to resolve relative paths), or null when not ours to read. */
  cwd: string | null;
  /** Its command line, environment and mapped files (those we may read), as text. */
  texts: string[];
}

/** Every other process we may look at: one pass over /proc. Empty where there is no /proc. */
export function scanProcesses(): ProcessInfo[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const procs: ProcessInfo[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    let cwd: string | null = null;
    try {
      cwd = readlinkSync(`/proc/${n}/cwd`);
    } catch {
      /* not ours to read, or gone */
    }
    const texts: string[] = [];
    for (const f of ["cmdline", "environ", "maps"]) {
      try {
        texts.push(readFileSync(`/proc/${n}/${f}`, "latin1"));
      } catch {
        /* not ours to read, or gone */
      }
    }
    procs.push({ pid: Number(n), cwd, texts });
  }
  return procs;
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/** Does `text` name a path inside the entry `real` (its name as a path component, resolved from `cwd`)? */
function namesEntry(text: string, name: string, real: string, cwd: string | null): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(`/${name}`, from);
    if (at < 0) return false;
    from = at + 1;
    const end = at + 1 + name.length;
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
 * The processes that hold `<dir>/<name>`: its path in their command line, in their environment (the
 * prelude exports BALE_APP_DIR, which survives a renamed process title), or among their mapped files
 * (native addons, a runtime's node). Paths are compared by real path.
 */
export function processesUsing(procs: readonly ProcessInfo[], dir: string, name: string): number[] {
  const real = realOrNull(join(dir, name));
  if (real === null) return [];
  return procs.filter((p) => p.texts.some((t) => t.includes(name) && namesEntry(t, name, real, p.cwd))).map((p) => p.pid);
}
