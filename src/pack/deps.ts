/**
 * The production dependency closure, as node_modules lays it out: every package the project
 * declares (dependencies, optionalDependencies and peerDependencies that are installed), every
 * package the tracer saw the code load, every package named by `external`, and, recursively, what
 * those packages declare. Each package is resolved with node's own algorithm (walking up
 * `node_modules` directories from the package's real path), so hoisted, nested, workspace and
 * pnpm layouts come out as they are on disk.
 *
 * Pruned, because they never run:
 * - a dependency that a package needs only for its install script (`prebuild-install` in
 *   better-sqlite3's `"install": "prebuild-install || node-gyp rebuild"`): dropped when the tracer
 *   followed the package's code and never reached the dependency, and the project itself does not
 *   declare it;
 * - native build leftovers inside a package (C/C++ sources, object files, static libraries,
 *   `build/Release/obj.target`, `build/Release/.deps`, gyp makefiles): compiled code is in the
 *   `.node` file and the shared libraries it loads, which are kept.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import type { PackageJson } from "./project.js";

export interface PackageInfo {
  /** Real directory of the package. */
  root: string;
  name: string;
  version: string;
  /** Why it is in: "declared" (by the project or --external), "traced", or "dependency of <name>". */
  why: string;
}

export interface Closure {
  packages: Map<string, PackageInfo>; // real root -> info
  /** Symlinks on the way to a package (pnpm, workspaces): link path -> raw target. */
  symlinks: Map<string, string>;
  /** Dependencies left out because only an install script uses them: "<dep> (install script of <pkg>)". */
  prunedInstallOnly: string[];
  /** Declared, non-optional dependencies that are not installed. */
  missing: string[];
}

const pkgCache = new Map<string, PackageJson | null>();
export function readPkg(root: string): PackageJson | null {
  let v = pkgCache.get(root);
  if (v === undefined) {
    try {
      v = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageJson;
    } catch {
      v = null;
    }
    pkgCache.set(root, v);
  }
  return v;
}

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

export interface Resolved {
  /** Real directory of the package. */
  real: string;
  /** The `node_modules/<name>` path node found it at (may be a symlink). */
  at: string;
}

/** Node's lookup of a package directory from inside `fromDir` (walking up node_modules dirs). */
export function resolvePackageDir(name: string, fromDir: string): Resolved | null {
  let dir = fromDir;
  for (;;) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return { real: realpathSync(candidate), at: candidate };
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

interface Edge {
  name: string;
  optional: boolean;
}

function edges(p: PackageJson): Edge[] {
  const out: Edge[] = [];
  const seen = new Set<string>();
  const add = (deps: Record<string, string> | undefined, optional: boolean): void => {
    for (const name of Object.keys(deps ?? {})) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, optional });
    }
  };
  add(p.dependencies, false);
  add(p.optionalDependencies, true);
  add(p.peerDependencies, true);
  return out;
}

/** The names a package depends on at run time: dependencies, optionalDependencies, peerDependencies. */
export function depNames(p: PackageJson): string[] {
  return edges(p).map((e) => e.name);
}

function binNames(name: string, p: PackageJson | null): string[] {
  const names = [name, name.replace(/^@[^/]+\//, "")];
  if (p && typeof p.bin === "object" && p.bin !== null) names.push(...Object.keys(p.bin));
  return names;
}

/** True if `dep` appears only as a command of `pkg`'s install-time scripts. */
function installScriptUses(pkg: PackageJson, dep: string, depPkg: PackageJson | null): boolean {
  const scripts = ["preinstall", "install", "postinstall"].map((k) => pkg.scripts?.[k] ?? "").join(" ");
  if (scripts.trim() === "") return false;
  return binNames(dep, depPkg).some((b) => new RegExp(`(^|[\\s;&|(])${b.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(\\s|$|[;&|)])`).test(scripts));
}

/**
 * True if any JavaScript file of the package (not of its nested node_modules) names `dep` in a
 * string: `require("dep")`, `import("dep/x")`, `resolve('dep')`. Conservative: a mention keeps it.
 */
function codeMentions(root: string, dep: string): boolean {
  const needle = new RegExp(`["'\`]${dep.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(["'\`/])`);
  const walk = (dir: string): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && walk(p)) return true;
      } else if (/\.(c|m)?js$/.test(e.name) && needle.test(readFileSync(p, "latin1"))) return true;
    }
    return false;
  };
  return walk(root);
}

function recordLinks(at: string, links: Map<string, string>): void {
  // The node_modules/<name> entry itself, or its @scope dir, may be a link (pnpm, npm workspaces).
  const candidates = [at];
  if (/[\\/]@[^\\/]+$/.test(dirname(at))) candidates.push(dirname(at));
  for (const p of candidates) {
    try {
      if (lstatSync(p).isSymbolicLink()) links.set(p, readlinkSync(p));
    } catch {
      /* gone */
    }
  }
}

export interface ClosureInput {
  /** Directory the project's own dependencies resolve from. */
  projectRoot: string;
  /** The project's package.json (its dependencies start the closure), or null. */
  projectPkg: PackageJson | null;
  /** True when the project itself is a package (entry inside node_modules): it is packed whole. */
  projectIsPackage: boolean;
  /** Package roots (real paths) the tracer saw the code load. */
  traced: Set<string>;
  /** Package names to pack whole even if nothing names them statically. */
  external: string[];
}

export function dependencyClosure(i: ClosureInput): Closure {
  const packages = new Map<string, PackageInfo>();
  const symlinks = new Map<string, string>();
  const prunedInstallOnly: string[] = [];
  const missing: string[] = [];
  const queue: string[] = [];
  const declared = new Set<string>(i.external);
  for (const e of i.projectPkg ? edges(i.projectPkg) : []) declared.add(e.name);

  const enter = (real: string, why: string): void => {
    if (packages.has(real)) return;
    const p = readPkg(real);
    packages.set(real, { root: real, name: p?.name ?? real, version: p?.version ?? "", why });
    queue.push(real);
  };
  const follow = (from: string, fromPkg: PackageJson, fromName: string): void => {
    for (const e of edges(fromPkg)) {
      const r = resolvePackageDir(e.name, from);
      if (r === null) continue; // optional platform packages for other systems, peers not installed
      if (!i.traced.has(r.real) && !declared.has(e.name) && installScriptUses(fromPkg, e.name, readPkg(r.real)) && !codeMentions(from, e.name)) {
        prunedInstallOnly.push(`${e.name} (install script of ${fromName})`);
        continue;
      }
      recordLinks(r.at, symlinks);
      enter(r.real, `dependency of ${fromName}`);
    }
  };

  if (i.projectIsPackage) enter(i.projectRoot, "declared");
  if (i.projectPkg) {
    for (const e of edges(i.projectPkg)) {
      const r = resolvePackageDir(e.name, i.projectRoot);
      if (r === null) {
        if (!e.optional && !i.projectIsPackage) missing.push(e.name);
        continue;
      }
      recordLinks(r.at, symlinks);
      enter(r.real, "declared");
    }
  }
  for (const name of i.external) {
    const r = resolvePackageDir(name, i.projectRoot);
    if (r === null) {
      missing.push(name);
      continue;
    }
    recordLinks(r.at, symlinks);
    enter(r.real, "declared");
  }
  for (const t of i.traced) enter(t, "traced");
  while (queue.length > 0) {
    const root = queue.shift() as string;
    const p = readPkg(root);
    if (p) follow(root, p, p.name ?? root);
  }
  // An install-only dependency that another path brought in after all is not pruned.
  const kept = new Set([...packages.values()].map((p) => p.name));
  return {
    packages,
    symlinks,
    prunedInstallOnly: [...new Set(prunedInstallOnly.filter((s) => !kept.has(s.split(" ")[0] as string)))].sort(),
    missing: [...new Set(missing)].sort(),
  };
}

const SOURCE_EXT = /\.(c|cc|cpp|cxx|h|hh|hpp|hxx|gyp|gypi)$/i;
const OBJECT_EXT = /\.(o|obj|a|lib|mk|pdb|exp|ilk|tlog|d)$/i;

/**
 * True for a file or directory inside a package that only a native build needs. `rel` is relative to
 * the package root, with `/` separators; `native` is true for a package built from source (it has a
 * binding.gyp). Only such packages lose their C/C++ sources; any package loses object files, static
 * libraries and makefiles under `build/`, and `build/<config>/obj.target`, `obj` and `.deps`.
 */
export function isBuildLeftover(rel: string, isDir: boolean, native: boolean): boolean {
  if (isDir) return /^build\/(Release|Debug)\/(obj\.target|obj|\.deps)$|^build\/node_gyp_bins$/.test(rel);
  if (native && SOURCE_EXT.test(rel)) return true;
  if (!rel.startsWith("build/")) return false;
  return OBJECT_EXT.test(rel) || /^build\/(Makefile|config\.gypi|binding\.Makefile|[^/]+\.target\.mk)$/.test(rel);
}
