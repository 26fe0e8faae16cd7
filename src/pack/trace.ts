/**
 * Finds what an app needs at run time besides its bundled code, with
 * @vercel/nft (TypeScript is transpiled for it on the fly):
 *
 * - "native" packages: any package under node_modules in which nft found a
 *   `.node` addon, a shared library or an asset file read at run time. These
 *   stay external to the bundle and are copied whole, with their node_modules
 *   layout, so `$ORIGIN` rpaths, `bindings()` and `__dirname`-relative reads
 *   keep working. A package that depends on a native package is external too
 *   (so every `require` of a native package resolves exactly as it did), and so
 *   is everything an external package depends on.
 * - the app's own assets (outside node_modules): files nft sees it read, and
 *   `.node` files it loads; they are packed at their own relative paths.
 */
import { readFile } from "node:fs/promises";
import { existsSync, lstatSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { nodeFileTrace } from "@vercel/nft";
import { transformSync } from "esbuild";

export interface TraceResult {
  /** Absolute package root directories to copy whole (external to the bundle). */
  externalPackages: Map<string, string>; // root dir -> package name
  /** Absolute paths of the app's own runtime files (assets, addons) to pack as they are. */
  ownAssets: Set<string>;
  /** Symlinks nft followed (pnpm layouts, linked workspaces): absolute path -> raw target. */
  symlinks: Map<string, string>;
  warnings: string[];
}

const TS_RE = /\.[cm]?tsx?$/;
const CODE_RE = /\.(c|m)?(j|t)sx?$|\.json$/;

/** The package root that contains `file`, e.g. /p/node_modules/@img/sharp-linux-x64, or null. */
export function packageRootOf(file: string): string | null {
  const marker = `${sep}node_modules${sep}`;
  const i = file.lastIndexOf(marker);
  if (i < 0) return null;
  const rest = file.slice(i + marker.length).split(sep);
  const n = rest[0]?.startsWith("@") ? 2 : 1;
  if (rest.length <= n) return null;
  return file.slice(0, i + marker.length) + rest.slice(0, n).join(sep);
}

interface PkgJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const pkgCache = new Map<string, PkgJson | null>();
function readPkg(root: string): PkgJson | null {
  let v = pkgCache.get(root);
  if (v === undefined) {
    try {
      v = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PkgJson;
    } catch {
      v = null;
    }
    pkgCache.set(root, v);
  }
  return v;
}

/** Node's lookup of a dependency's package root from inside `fromRoot` (walking up node_modules dirs). */
export function resolvePackageDir(name: string, fromRoot: string): string | null {
  let dir = fromRoot;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function depNames(p: PkgJson): string[] {
  return [...Object.keys(p.dependencies ?? {}), ...Object.keys(p.optionalDependencies ?? {}), ...Object.keys(p.peerDependencies ?? {})];
}

export async function traceApp(entryFile: string, extraEntries: string[] = []): Promise<TraceResult> {
  const result = await nodeFileTrace([entryFile, ...extraEntries], {
    base: "/",
    processCwd: dirname(entryFile),
    ts: true,
    mixedModules: true,
    readFile: async (p: string) => {
      let buf: Buffer;
      try {
        buf = await readFile(p);
      } catch {
        return null;
      }
      if (!TS_RE.test(p) || p.endsWith(".d.ts")) return buf;
      try {
        return transformSync(buf.toString("utf8"), { loader: p.endsWith("x") ? "tsx" : "ts", sourcefile: p, format: "cjs" }).code;
      } catch {
        return buf; // esbuild reports syntax errors properly when it bundles
      }
    },
  });
  const externalPackages = new Map<string, string>();
  const ownAssets = new Set<string>();
  const symlinks = new Map<string, string>();
  const tracedPackages = new Set<string>();
  const warnings: string[] = [];
  for (const rel of result.fileList) {
    const abs = "/" + rel;
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      continue;
    }
    const root = packageRootOf(abs);
    if (st.isSymbolicLink()) {
      const { readlinkSync } = await import("node:fs");
      symlinks.set(abs, readlinkSync(abs));
      continue;
    }
    if (!st.isFile()) continue;
    const reasons = result.reasons.get(rel)?.type ?? [];
    const runtimeFile = abs.endsWith(".node") || reasons.includes("asset") || reasons.includes("sharedlib") || !CODE_RE.test(abs);
    if (root !== null) {
      tracedPackages.add(root);
      if (runtimeFile) externalPackages.set(root, readPkg(root)?.name ?? root);
    } else if (runtimeFile && abs !== entryFile) {
      ownAssets.add(abs);
    }
  }
  // A package that depends on an external package is external too (fixpoint).
  let grew = true;
  while (grew) {
    grew = false;
    for (const root of tracedPackages) {
      if (externalPackages.has(root)) continue;
      const pkg = readPkg(root);
      if (!pkg) continue;
      for (const dep of depNames(pkg)) {
        const d = resolvePackageDir(dep, root);
        if (d !== null && externalPackages.has(d)) {
          externalPackages.set(root, pkg.name ?? root);
          grew = true;
          break;
        }
      }
    }
  }
  // Everything an external package depends on (that is installed) comes along.
  const queue = [...externalPackages.keys()];
  while (queue.length > 0) {
    const root = queue.pop() as string;
    const pkg = readPkg(root);
    for (const dep of pkg ? depNames(pkg) : []) {
      const d = resolvePackageDir(dep, root);
      if (d !== null && !externalPackages.has(d)) {
        externalPackages.set(d, readPkg(d)?.name ?? dep);
        queue.push(d);
      }
    }
  }
  for (const w of result.warnings) {
    const m = w.message.split("\n")[0] ?? "";
    // Optional platform packages that are not installed, and binaries nft tried to parse, are expected.
    if (!/^Failed to (resolve dependency|parse .* as (script|module))/.test(m)) warnings.push(m);
  }
  return { externalPackages, ownAssets, symlinks, warnings };
}
