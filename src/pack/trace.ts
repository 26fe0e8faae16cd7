/**
 * What the app's code loads and reads at run time, found by @vercel/nft (TypeScript is transpiled
 * for it on the fly). The tracer never walks the kernel's pseudo file systems (`/proc`, `/sys`,
 * `/dev`): a read of `/proc/self/stat` is a read of the running system, not a file to pack.
 */
import { readFile } from "node:fs/promises";
import { lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";
import { nodeFileTrace } from "@vercel/nft";
import { transformSync } from "esbuild";
import { depNames, packageRootOf, readPkg, resolvePackageDir } from "./deps.js";

export interface TracedFile {
  /** nft's reasons: "initial", "dependency", "asset", "sharedlib", ... */
  reasons: string[];
  /** Absolute paths of the files whose code led to this one. */
  parents: string[];
}

export interface TraceResult {
  /** Regular files, by absolute path. */
  files: Map<string, TracedFile>;
  /** Symlinks nft followed (pnpm layouts, linked workspaces): absolute path -> raw target. */
  symlinks: Map<string, string>;
  /** Package roots (real paths) with at least one traced file. */
  packages: Set<string>;
  warnings: string[];
}

const TS_RE = /\.[cm]?tsx?$/;
const CODE_RE = /\.(c|m)?(j|t)sx?$|\.json$/;
const PSEUDO_FS = /^(proc|sys|dev)(\/|$)/;

export interface TraceOptions {
  /**
   * Do not follow code into packages outside this directory: the app's own code is all that needs
   * tracing when packages are packed whole (tracing eslint's 1,200 files costs seconds for nothing).
   */
  ownCodeOnly?: string;
}

export async function traceApp(entryFiles: string[], o: TraceOptions = {}): Promise<TraceResult> {
  const first = entryFiles[0] as string;
  const own = o.ownCodeOnly === undefined ? null : o.ownCodeOnly.replace(/^\//, "") + "/";
  const result = await nodeFileTrace(entryFiles, {
    base: "/",
    processCwd: dirname(first),
    ts: true,
    mixedModules: true,
    ignore: (p: string) => PSEUDO_FS.test(p) || (own !== null && p.includes("node_modules/") && !p.startsWith(own)),
    readFile: async (p: string) => {
      if (PSEUDO_FS.test(p.replace(/^\//, ""))) return null;
      let buf: Buffer;
      try {
        buf = await readFile(p);
      } catch (e) {
        // A directory the code names (through a symlink, nft takes it for a module): no code in it to
        // follow, but not missing either (null makes nft throw "File ... does not exist").
        return (e as NodeJS.ErrnoException).code === "EISDIR" ? Buffer.alloc(0) : null;
      }
      if (!TS_RE.test(p) || p.endsWith(".d.ts")) return buf;
      try {
        return transformSync(buf.toString("utf8"), { loader: p.endsWith("x") ? "tsx" : "ts", sourcefile: p, format: "cjs" }).code;
      } catch {
        return buf; // esbuild reports syntax errors properly when it compiles
      }
    },
  });
  const files = new Map<string, TracedFile>();
  const symlinks = new Map<string, string>();
  const packages = new Set<string>();
  for (const rel of result.fileList) {
    if (PSEUDO_FS.test(rel)) continue;
    const abs = "/" + rel;
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) {
      symlinks.set(abs, readlinkSync(abs));
      continue;
    }
    if (!st.isFile()) continue;
    const r = result.reasons.get(rel);
    files.set(abs, { reasons: [...(r?.type ?? [])], parents: [...(r?.parents ?? [])].map((x) => "/" + x) });
    const root = packageRootOf(abs);
    if (root !== null) packages.add(root);
  }
  const warnings: string[] = [];
  for (const w of result.warnings) {
    const m = w.message.split("\n")[0] ?? "";
    // Optional platform packages that are not installed, and binaries nft tried to parse, are expected.
    if (!/^Failed to (resolve dependency|parse .* as (script|module))/.test(m)) warnings.push(m);
  }
  return { files, symlinks, packages, warnings };
}

/** True for a file the code needs as a file at run time (an addon, a shared library, data it reads). */
export function isRuntimeFile(abs: string, f: TracedFile): boolean {
  return abs.endsWith(".node") || f.reasons.includes("asset") || f.reasons.includes("sharedlib") || !CODE_RE.test(abs);
}

/**
 * For `--bundle`: the packages that must stay out of the bundle and be packed whole. A package in
 * which nft found an addon, a shared library or a file read at run time; every traced package that
 * depends on one of those (so each `require` of it resolves as before); and all of their dependencies.
 */
export function unbundledPackages(t: TraceResult, always: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [abs, f] of t.files) {
    const root = packageRootOf(abs);
    if (root !== null && isRuntimeFile(abs, f)) out.set(root, readPkg(root)?.name ?? root);
  }
  for (const root of always) out.set(root, readPkg(root)?.name ?? root);
  let grew = true;
  while (grew) {
    grew = false;
    for (const root of t.packages) {
      if (out.has(root)) continue;
      const pkg = readPkg(root);
      if (!pkg) continue;
      for (const dep of depNames(pkg)) {
        const d = resolvePackageDir(dep, root);
        if (d !== null && out.has(d.real)) {
          out.set(root, pkg.name ?? root);
          grew = true;
          break;
        }
      }
    }
  }
  const queue = [...out.keys()];
  while (queue.length > 0) {
    const root = queue.pop() as string;
    const pkg = readPkg(root);
    for (const dep of pkg ? depNames(pkg) : []) {
      const d = resolvePackageDir(dep, root);
      if (d !== null && !out.has(d.real)) {
        out.set(d.real, readPkg(d.real)?.name ?? dep);
        queue.push(d.real);
      }
    }
  }
  return out;
}
