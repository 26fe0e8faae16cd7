/**
 * `pack()`: an app and everything it needs at run time -> one executable file.
 *
 * The default keeps the app's view of its files exactly as in its project (the PAR/PEX model):
 * its own files at their own paths, its production dependency closure as whole packages laid out
 * as node_modules lays them out, the entry run in place. TypeScript is compiled file by file beside
 * its source. `bundle: true` opts into esbuild bundling of the app's code and pure-JS packages.
 *
 * Steps, top to bottom (see pack()): check options -> embed a runtime -> collect (trace, stage for
 * another platform, plan: own files, packages, compiled TS) -> build the payload tree -> write the
 * archive. Warnings go to one Diagnostics collector and come back in `PackResult.warnings`.
 */
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Diagnostics, type BaleWarning } from "../diagnostics/collector.js";
import { validateOptions } from "../options.js";
import { satisfies } from "../runtime-stub/node-version.js";
import { isBelow, mkdirp } from "../fsutil.js";
import type { ArchiveIndex } from "../archive/format.js";
import { resolveEntry, type ResolvedEntry } from "./entry.js";
import { findProject, type Project } from "./project.js";
import { traceApp, isRuntimeFile, unbundledPackages, type TraceResult } from "./trace.js";
import { dependencyClosure, isBuildLeftover, packageRootOf, readPkg, resolvePackageDir, type Closure } from "./deps.js";
import { compileTs, ownGraph, TS_FILE } from "./compile.js";
import { dynamicWarnings } from "./dynamic.js";
import { bundle } from "./bundle.js";
import { PayloadTree, writeTar } from "./payload.js";
import { compress, checkLevel, DEFAULT_LEVEL } from "./zstd.js";
import { assemble, writeExecutable } from "./assemble.js";
import { parseRuntimeSpec, prepareRuntime } from "./runtime.js";
import type { Platform, RuntimeInfo } from "../archive/format.js";
import { checkTarget, checkTargetBinaries, forPlatform, hostPlatform, stageInstall, stagedClosure, TARGETS, type Staging, type Target, type TargetPackage } from "./target.js";
import { diag, userIo } from "../diagnostics/create.js";

export interface PackOptions {
  /** A .ts/.js/.mjs/.cjs file or a package directory (its `bin` or `main`). */
  entry: string;
  /** Output file; default `./<name>`. Its directory is created if missing. */
  output?: string;
  /** App name recorded in the index (and used for the default output). */
  name?: string;
  /** Extra files or directories, relative to the entry's directory; they keep their place relative to the entry. */
  include?: string[];
  /** Extra entry points (worker scripts, child scripts), relative to the entry's directory: traced like the entry. */
  extraEntries?: string[];
  /** Package names packed whole with their dependencies even if no code names them statically (plugins loaded by name). */
  external?: string[];
  /** Paths in the project (relative to its package.json's directory) not to pack. */
  exclude?: string[];
  /** Bundle the app's own code and pure-JS packages with esbuild (smaller; may change how code finds its files). */
  bundle?: boolean;
  /** A compiled config directory (`bale config build` output) packed at `config/`; the app finds it via BALE_CONFIG_DIR. */
  config?: string;
  /** Options for node, e.g. "--max-old-space-size=512"; split on whitespace. */
  nodeOptions?: string;
  /** zstd level 1..19 (default 12). */
  level?: number;
  /** Emit source maps for code bale compiled and run with --enable-source-maps (default: on when bale compiled TypeScript or bundled). */
  sourcemap?: boolean;
  /** Node.js range the archive requires (default ">=20"; with a runtime, its version, which must satisfy this range if given). */
  node?: string;
  /**
   * The Node.js runtime: "system" (default: the host's node), a version of the npm package
   * node-<platform> ("22", "22.23.5"), or a path to a node binary. A runtime makes the archive run
   * on hosts without node; it is shared in the cache by every archive that embeds the same binary.
   */
  runtime?: string;
  /** zstd level of the embedded runtime, 1..19 (default 19; compressed once per binary and level, then cached). */
  runtimeLevel?: number;
  /** Timestamps in the payload (default: $SOURCE_DATE_EPOCH, else 0). */
  sourceDateEpoch?: number;
  /** Resolve relative paths against this directory (default process.cwd()). */
  cwd?: string;
  /**
   * The platform the archive is for (default: this host's). Another one installs the production
   * dependencies for it into a staging dir (npm's --os/--cpu) and checks every ELF file is for it.
   * With `runtime`, the runtime is the target's too.
   */
  target?: Target;
}

export interface PackResult {
  output: string;
  index: ArchiveIndex;
  size: number;
  /** "in-place": the project's files and whole packages; "bundle": esbuild bundle plus packages kept whole. */
  mode: "in-place" | "bundle";
  /** Packages in the archive, as name@version, sorted. */
  packages: string[];
  /** Packages kept out of the bundle (bundle mode), or every package (in-place mode), by name. */
  externalPackages: string[];
  /** What was left out because it never runs. */
  pruned: { installOnly: string[]; buildFiles: number; buildBytes: number; otherPlatforms?: string[] };
  /** Things that may make the archive behave differently from the app in its project (catalog codes of severity "warning"). */
  warnings: BaleWarning[];
  /** The embedded Node.js runtime, or null when the archive runs on the host's node. */
  runtime: RuntimeInfo | null;
  /** The zstd implementation that compressed the payload (zstd-napi unless it is not installed). */
  compressor: "zstd-napi" | "node-zlib" | "zstd-wasm";
  timings: { traceMs: number; bundleMs: number; tarMs: number; compressMs: number; runtimeMs: number; totalMs: number };
  /** Set when packed for a platform other than this host's. */
  target?: { platform: Target; stagingDir: string | null; reused: boolean; stageMs: number };
}

const APP = "app";
const CONFIG = "config";

interface Checked {
  cwd: string;
  level: number;
  epoch: number;
  entry: ResolvedEntry;
  project: Project;
  name: string;
  output: string;
  includes: string[];
  extraEntries: string[];
  external: string[];
  exclude: string[];
  bundle: boolean;
  configDir: string | null;
  nodeOptions: string;
  /** "system", a version, or a path (resolved against its base). */
  runtime: string;
  /** The directory a relative runtime path is resolved against. */
  runtimeBase: string;
  /** The target platform when it is not this host's, else null. */
  target: Target | null;
  /** The platform of the archive (the target, else this host's): the embedded runtime's. */
  platform: Platform;
  runtimeLevel: number | undefined;
  /** `node` as given: the range the archive requires. */
  nodeRange: string | undefined;
  /** `sourcemap` as given (its default depends on what is compiled). */
  sourcemap: boolean | undefined;
}

function sourceDateEpoch(o: PackOptions): number {
  if (o.sourceDateEpoch !== undefined) return o.sourceDateEpoch;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === "") return 0;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw diag("pack-bad-epoch", { value: env });
  }
  return n;
}

/** The index's node range for an embedded runtime: exactly its version, which must meet `--node` if given. */
function runtimeRange(rt: RuntimeInfo, wanted: string | undefined): string {
  const v = rt.version;
  if (v === "unknown") return wanted ?? "*";
  if (wanted !== undefined && !satisfies(v, wanted)) {
    throw diag("pack-runtime-version", { version: v, range: wanted, major: minNodeMajor(wanted) });
  }
  return v;
}

function minNodeMajor(range: string): number {
  const m = /(\d+)/.exec(range);
  return m ? Math.max(16, Number(m[1])) : 20;
}

function existing(paths: string[], base: string, what: string, fixBase: string): string[] {
  return paths.map((p) => {
    const abs = resolve(base, p);
    if (!existsSync(abs)) {
      throw diag("pack-include-missing", { what, fix: fixBase }, { file: abs });
    }
    return abs;
  });
}

/** Check options: the options, merged with the project's `"bale"` block, checked. */
function checkOptions(o: PackOptions): Checked {
  validateOptions("pack", o);
  const cwd = o.cwd ?? process.cwd();
  const level = o.level ?? DEFAULT_LEVEL;
  checkLevel(level);
  const platform = o.target === undefined ? null : checkTarget(o.target);
  const target = platform === hostPlatform() ? null : platform;
  const epoch = sourceDateEpoch(o);
  const entry = resolveEntry(o.entry, cwd);
  const project = findProject(entry.file);
  const name = o.name ?? entry.name;
  if (!/^[\w.@+-][\w.@+ -]*$/.test(name)) {
    throw diag("pack-bad-name", { name: JSON.stringify(name) });
  }
  const output = resolve(cwd, o.output ?? name);
  if (existsSync(output) && statSync(output).isDirectory()) {
    throw diag("pack-output-is-dir", {}, { file: output });
  }
  const entryDir = dirname(entry.file);
  const cfgFile = project.packageJsonFile ?? project.root;
  const includes = [
    ...existing(o.include ?? [], entryDir, "an --include path", "--include paths are relative to the entry's directory"),
    ...existing(project.config.include, project.root, `"bale.include" path in ${cfgFile}`, '"bale" paths are relative to the package.json'),
  ];
  const extraEntries = [
    ...existing(o.extraEntries ?? [], entryDir, "an --extra-entry file", "--extra-entry paths are relative to the entry's directory"),
    ...existing(project.config.entries, project.root, `"bale.entries" file in ${cfgFile}`, '"bale" paths are relative to the package.json'),
  ];
  const runtime = o.runtime ?? project.config.runtime ?? "system";
  parseRuntimeSpec(runtime);
  if (runtime !== "system" && platform === null && !(TARGETS as readonly string[]).includes(hostPlatform())) {
    throw diag("pack-bad-target:host", { host: hostPlatform(), targets: TARGETS.join(" or --target ") });
  }
  let configDir: string | null = null;
  if (o.config !== undefined) {
    configDir = resolve(cwd, o.config);
    if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
      throw diag("pack-config-missing", {}, { file: o.config });
    }
    if (readdirSync(configDir).length === 0) {
      throw diag("pack-config-empty", {}, { file: o.config });
    }
  }
  return {
    cwd,
    level,
    epoch,
    entry,
    project,
    name,
    output,
    includes,
    extraEntries,
    external: [...new Set([...(o.external ?? []), ...project.config.external])],
    exclude: [...(o.exclude ?? []), ...project.config.exclude].map((p) => resolve(project.root, p)),
    bundle: o.bundle ?? project.config.bundle ?? false,
    configDir,
    nodeOptions: o.nodeOptions ?? project.config.nodeOptions ?? "",
    runtime,
    runtimeBase: o.runtime !== undefined ? cwd : project.root,
    platform: platform ?? (hostPlatform() as Platform),
    target,
    runtimeLevel: o.runtimeLevel,
    nodeRange: o.node,
    sourcemap: o.sourcemap,
  };
}

function commonDir(paths: string[]): string {
  let common = dirname(paths[0] as string);
  for (const p of paths) {
    while (common !== "/" && !(p === common || isBelow(p, common))) common = dirname(common);
  }
  return common;
}

/** The archive's root: the common directory of everything packed, never inside a node_modules directory. */
function archiveRoot(paths: string[]): string {
  const parts = commonDir(paths).split(sep);
  const nm = parts.indexOf("node_modules");
  return (nm >= 0 ? parts.slice(0, nm) : parts).join(sep) || "/";
}

/** What goes in, by absolute path, before the tree is built. */
interface Plan {
  mode: "in-place" | "bundle";
  entryFile: string;
  /** Generated files (compiled TS, bundle, maps): absolute path they stand for -> content. */
  generated: Map<string, Buffer>;
  ownFiles: Set<string>;
  /** The project directory packed whole (minus node_modules, VCS dirs, caches, archives), or null. */
  projectTree: string | null;
  packages: Map<string, string>; // real root -> name
  /** Packages whose files come from elsewhere (the staging install for a target): place in the app -> source dir. */
  sources?: Map<string, string>;
  symlinks: Map<string, string>;
  /** Files the tracer reported (never pruned as build leftovers). */
  traced: ReadonlyMap<string, unknown>;
  sourcemap: boolean;
  closure: Closure | null;
}

function tracedOwnFiles(c: Checked, trace: TraceResult, packageRoots: string[], skip: Set<string>, d: Diagnostics): Set<string> {
  const own = new Set<string>();
  const inPackage = (f: string): boolean => packageRootOf(f) !== null || packageRoots.some((r) => isBelow(f, r));
  let reached: string[] | null = null; // what the includes reach through their symlinks: walked only if needed
  const included = (f: string): boolean =>
    c.includes.some((i) => f === i || isBelow(f, i)) || (reached ??= includedRealRoots(c.includes)).some((r) => f === r || isBelow(f, r));
  for (const [f, info] of trace.files) {
    if (skip.has(f) || inPackage(f)) continue;
    const loaded = info.reasons.some((r) => r === "initial" || r === "dependency");
    if (f === c.project.root || isBelow(f, c.project.root) || loaded || included(f)) {
      own.add(f);
      continue;
    }
    const by = info.parents.find((p) => !packageRootOf(p)) ?? info.parents[0];
    d.warn("pack-file-outside-project", { file: f, reader: by ? whereNamed(by, f, c.project.root) : "the app", root: c.project.root });
  }
  return own;
}

/**
 * The real paths the includes make available: each include's own, and those of the directories that
 * symlinks inside an included tree point to (PayloadTree.addTree packs them as what the app reads).
 */
function includedRealRoots(includes: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, seen: ReadonlySet<string>): void => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const st = lstatSync(abs);
      if (!st.isDirectory() && !st.isSymbolicLink()) continue;
      let real: string;
      try {
        real = realpathSync(abs);
      } catch {
        continue; // a dangling link
      }
      if (seen.has(real) || !statSync(real).isDirectory()) continue;
      if (st.isSymbolicLink()) out.push(real);
      walk(abs, new Set([...seen, real]));
    }
  };
  for (const inc of includes) {
    const real = realpathSync(inc);
    out.push(real);
    if (statSync(real).isDirectory()) walk(inc, new Set([real]));
  }
  return out;
}

/** `file:line` of the first line of `reader` that names `read`'s base name (the tracer gives no line), else `file`. */
function whereNamed(reader: string, read: string, root: string): string {
  const shown = relative(root, reader) || reader;
  const name = read.split(sep).pop() as string;
  try {
    const i = readFileSync(reader, "utf8").split("\n").findIndex((l) => l.includes(name));
    return i >= 0 ? `${shown}:${i + 1}` : shown;
  } catch {
    return shown;
  }
}

/** Collect (default): the project's files and its dependency closure, the entry run in place. */
async function planInPlace(c: Checked, trace: TraceResult, target: string, staging: Staging | null, d: Diagnostics): Promise<Plan> {
  const sourcemapOpt = c.sourcemap;
  const entries = [c.entry.file, ...c.extraEntries];
  const graph = await ownGraph(entries, c.project.root);
  const hasTs = [...graph.inputs].some((f) => TS_FILE.test(f) && !f.endsWith(".d.ts"));
  const sourcemap = sourcemapOpt ?? hasTs;
  const compiled = hasTs ? await compileTs(graph, entries, sourcemap, target) : null;
  const generated = new Map<string, Buffer>();
  for (const f of compiled?.files.values() ?? []) {
    generated.set(f.file, f.code);
    if (f.map) generated.set(`${f.file}.map`, f.map);
  }
  const projectIsPackage = packageRootOf(join(c.project.root, "package.json")) === c.project.root;
  // Packages the own code loads (declared or not): from the tracer, and from esbuild's resolution.
  const traced = new Set(trace.packages);
  for (const edges of graph.imports.values()) {
    for (const e of edges) {
      const root = e.resolved === null ? null : packageRootOf(e.resolved);
      if (root !== null) traced.add(realpathSync(root));
    }
  }
  const closureInput = { projectRoot: c.project.root, projectPkg: c.project.pkg, projectIsPackage, traced, external: c.external };
  // For another platform, the packages come from the install for it (target.ts), at the same places.
  const staged = staging === null ? null : stagedClosure(staging, closureInput, d);
  const closure = staged?.closure ?? dependencyClosure(closureInput);
  for (const m of closure.missing) {
    if (staging === null) d.warn("pack-dependency-missing", { module: m, packageJson: c.project.packageJsonFile ?? "the app" });
    else d.warn("pack-target-not-installed", { module: m, packageJson: c.project.packageJsonFile ?? "the app", target: staging.target });
  }
  const packages = staged?.packages ?? new Map([...closure.packages].map(([root, p]) => [root, p.name] as const));
  const skip = new Set<string>(compiled ? compiled.files.keys() : []);
  const ownFiles = tracedOwnFiles(c, trace, [...packages.keys()], skip, d);
  // Own files esbuild reached that nft did not report (e.g. JSON imported by compiled TS).
  for (const f of graph.inputs) if (!skip.has(f) && !TS_FILE.test(f) && !packageRootOf(f)) ownFiles.add(f);
  const entryFile = compiled?.files.get(c.entry.file)?.file ?? realpathSync(c.entry.file);
  // A project with a package.json is packed whole: libraries find config files, templates and inputs
  // the app hands them by path (eslint.config.js, .prettierrc, postcss.config.js) that no tracer sees.
  const projectTree = c.project.packageJsonFile !== null && !projectIsPackage ? c.project.root : null;
  const ownCode = [...graph.inputs, ...ownFiles].filter((f) => !packageRootOf(f));
  d.addWarnings(dynamicWarnings(new Set(ownCode), c.project.root, projectTree !== null));
  return {
    mode: "in-place",
    entryFile,
    generated,
    ownFiles,
    projectTree,
    packages,
    ...(staged ? { sources: staged.sources } : {}),
    // The host's links inside node_modules (pnpm's layout) describe its own install, not the target's.
    symlinks: new Map([...[...trace.symlinks].filter(([l]) => staged === null || !l.includes(`${sep}node_modules${sep}`)), ...(staged?.symlinks ?? closure.symlinks)]),
    traced: trace.files,
    sourcemap: sourcemapOpt === true || (sourcemap && compiled !== null),
    closure,
  };
}

/** Collect (`bundle`): esbuild bundles the app and its pure-JS packages; the rest stays whole. */
async function planBundle(c: Checked, trace: TraceResult, target: string, staging: Staging | null, d: Diagnostics): Promise<Plan> {
  const sourcemapOpt = c.sourcemap;
  // --external packages (with what they depend on) stay whole in bundle mode too.
  const closure = dependencyClosure({ projectRoot: c.project.root, projectPkg: null, projectIsPackage: false, traced: new Set(), external: c.external });
  const external = unbundledPackages(trace, new Set(closure.packages.keys()));
  const externalRoots = [...external.keys()];
  const entryReal = realpathSync(c.entry.file);
  // An entry inside a package that is packed whole runs in place (only JavaScript can).
  const inPackage = !/\.(ts|mts|cts|tsx|jsx)$/.test(entryReal) && externalRoots.some((r) => isBelow(entryReal, r));
  const sourcemap = sourcemapOpt ?? !inPackage;
  const generated = new Map<string, Buffer>();
  let entryFile = entryReal;
  const bundledInputs = new Set<string>();
  if (!inPackage) {
    const b = await bundle({ entryFile: c.entry.file, external: [...new Set(external.values())], externalRoots, sourcemap, target });
    entryFile = b.file;
    generated.set(b.file, b.code);
    if (b.map) generated.set(`${b.file}.map`, b.map);
    for (const i of b.inputs) bundledInputs.add(i);
    for (const n of b.nativeFiles) trace.files.set(n, trace.files.get(n) ?? { reasons: ["asset"], parents: [] });
    d.addWarnings(dynamicWarnings(new Set([...bundledInputs].filter((f) => !packageRootOf(f))), c.project.root, false));
  }
  // Own files the bundle does not contain (runtime files, scripts run as processes or workers) stay as files.
  const skip = new Set<string>([c.entry.file, ...[...bundledInputs].filter((f) => !isRuntimeFile(f, trace.files.get(f) ?? { reasons: [], parents: [] }))]);
  const ownFiles = tracedOwnFiles(c, trace, externalRoots, skip, d);
  if (c.entry.packageJson) ownFiles.add(c.entry.packageJson);
  const plan: Plan = { mode: "bundle", entryFile, generated, ownFiles, projectTree: null, packages: external, symlinks: trace.symlinks, traced: trace.files, sourcemap, closure: null };
  if (staging !== null) {
    // Another platform: the packages kept whole come from the install for it, found from the top-level ones.
    const staged = stagedClosure(staging, { projectRoot: c.project.root, projectPkg: null, projectIsPackage: false, traced: new Set(), external: topLevel(c, external, staging.target) }, d);
    for (const m of staged.closure.missing) d.warn("pack-target-not-installed:bundle", { module: m, target: staging.target });
    plan.packages = staged.packages;
    plan.sources = staged.sources;
    plan.symlinks = new Map([...[...trace.symlinks].filter(([l]) => !l.includes(`${sep}node_modules${sep}`)), ...staged.symlinks]);
  }
  return plan;
}

/** The names of the packages kept whole that the project finds directly (the others are their dependencies), except the host's platform packages. */
function topLevel(c: Checked, external: Map<string, string>, platform: Target): string[] {
  const names = new Set<string>();
  for (const [root, name] of external) {
    if (resolvePackageDir(name, c.project.root)?.real !== root) continue;
    const p = readPkg(root) as { os?: unknown; cpu?: unknown } | null;
    if (p === null || forPlatform(p, platform)) names.add(name);
  }
  return [...names].sort();
}

interface Built {
  tree: PayloadTree;
  /** The entry's path in the archive. */
  entry: string;
  pruned: PackResult["pruned"];
  /** The archive path of an absolute path. */
  at: (abs: string) => string;
}

/** The payload tree, at paths relative to the archive root. */
function buildTree(c: Checked, plan: Plan): Built {
  const pkgJsons = c.project.packageJsonFile ? [c.project.packageJsonFile] : [];
  const root = archiveRoot([
    plan.entryFile,
    ...plan.generated.keys(),
    ...plan.ownFiles,
    ...(plan.projectTree !== null ? [plan.projectTree] : []),
    ...plan.packages.keys(),
    ...plan.symlinks.keys(),
    ...c.includes,
    ...pkgJsons,
  ]);
  const at = (abs: string): string => `${APP}/${relative(root, abs).split(sep).join("/")}`;
  const tree = new PayloadTree();
  for (const [abs, code] of plan.generated) tree.add(at(abs), { type: "file", source: code, executable: false });
  const excluded = (abs: string): boolean => c.exclude.some((x) => abs === x || isBelow(abs, x));
  for (const f of [...plan.ownFiles, ...pkgJsons]) if (!plan.generated.has(f) && !excluded(f)) tree.addFile(at(f), f);
  if (plan.projectTree !== null) {
    tree.addTree(at(plan.projectTree), plan.projectTree, (name, abs, isDir) => {
      if (plan.generated.has(abs) || abs === c.output || excluded(abs)) return true;
      if (isDir) return name === "node_modules" || VCS_DIRS.has(name) || isCacheDir(abs);
      return isBaleArchive(abs);
    });
  }
  let buildFiles = 0;
  let buildBytes = 0;
  for (const pkgRoot of plan.packages.keys()) {
    const src = plan.sources?.get(pkgRoot) ?? pkgRoot;
    const native = existsSync(join(src, "binding.gyp"));
    tree.addTree(at(pkgRoot), src, (name, abs, isDir) => {
      // The package's own files; its nested node_modules hold separate packages, packed if they are needed.
      if (name === "node_modules" && dirname(abs) === src) return true;
      const rel = relative(src, abs).split(sep).join("/");
      if (plan.traced.has(src === pkgRoot ? abs : join(pkgRoot, rel)) || !isBuildLeftover(rel, isDir, native)) return false;
      const n = countTree(abs, isDir);
      buildFiles += n.files;
      buildBytes += n.bytes;
      return true;
    });
  }
  for (const [link, target] of plan.symlinks) {
    if (target.startsWith("/")) {
      const rel = relative(dirname(link), target);
      tree.add(at(link), { type: "symlink", target: rel.split(sep).join("/") }, link);
    } else tree.add(at(link), { type: "symlink", target }, link);
  }
  for (const inc of c.includes) {
    if (statSync(inc).isDirectory()) tree.addTree(at(inc), inc);
    else tree.addFile(at(inc), inc);
  }
  if (c.configDir !== null) tree.addTree(CONFIG, c.configDir, (n) => n.startsWith(".") && n !== ".well-known");
  return { tree, entry: at(plan.entryFile), pruned: { installOnly: plan.closure?.prunedInstallOnly ?? [], buildFiles, buildBytes }, at };
}

const VCS_DIRS = new Set([".git", ".hg", ".svn", ".jj"]);

/** A directory marked by a CACHEDIR.TAG (bale's own cache has one): never app content. */
function isCacheDir(abs: string): boolean {
  try {
    return readFileSync(join(abs, "CACHEDIR.TAG"), "latin1").startsWith("Signature: 8a477f597d28d172789f06886806bc55");
  } catch {
    return false;
  }
}

/** A bale archive (an earlier build in dist/, say): its trailer magic. Pack one on purpose with --include. */
function isBaleArchive(abs: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(abs, "r");
    const size = fstatSync(fd).size;
    if (size < 16) return false;
    const b = Buffer.alloc(8);
    readSync(fd, b, 0, 8, size - 8);
    return b.toString("latin1") === "BALE\0IX1";
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function countTree(abs: string, isDir: boolean): { files: number; bytes: number } {
  if (!isDir) return { files: 1, bytes: statSync(abs).size };
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(abs, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      files++;
      bytes += statSync(join(e.parentPath, e.name)).size;
    }
  }
  return { files, bytes };
}

/** Packs an app into one executable file. Steps, top to bottom; nothing is written before the last. */
export async function pack(o: PackOptions): Promise<PackResult> {
  const clock = new Clock();
  const c = checkOptions(o);
  clock.lap("optionsMs");
  const d = new Diagnostics();
  const rt = await embedRuntime(c);
  clock.lap("runtimeMs");
  let staging: Staging | null = null;
  try {
    const trace = await traceApp([c.entry.file, ...c.extraEntries], c.bundle ? {} : { ownCodeOnly: c.project.root });
    for (const m of trace.warnings) d.warn("pack-trace-warning", { text: m });
    clock.lap("traceMs");
    staging = await stage(c, d);
    clock.lap("stageMs");
    const plan = c.bundle ? await planBundle(c, trace, rt.target, staging, d) : await planInPlace(c, trace, rt.target, staging, d);
    clock.lap("bundleMs");
    const built = buildTree(c, plan);
    if (c.target !== null) checkForTarget(c, plan, built, staging, d);
    const tar = await writeTar(built.tree, c.epoch);
    clock.lap("tarMs");
    const archive = await writeArchive(c, rt, plan, built.entry, tar);
    clock.lap("compressMs");
    return result(c, rt, plan, built, archive, staging, d, clock);
  } finally {
    staging?.dispose(); // a staging install that is not a cache entry
  }
}

/** Each step's time, and the total since the clock was made. */
class Clock {
  private readonly t0 = performance.now();
  private mark = this.t0;
  readonly ms = { optionsMs: 0, runtimeMs: 0, traceMs: 0, stageMs: 0, bundleMs: 0, tarMs: 0, compressMs: 0 };
  lap(k: keyof Clock["ms"]): void {
    const now = performance.now();
    this.ms[k] += now - this.mark;
    this.mark = now;
  }
  total(): number {
    return Math.round(performance.now() - this.t0);
  }
}

interface EmbeddedRuntime {
  runtime: Awaited<ReturnType<typeof prepareRuntime>>;
  /** The index's node range. */
  node: string;
  /** esbuild's target for code bale compiles (node<major>). */
  target: string;
}

/** The runtime to embed (none for "system"), checked against the node range the app asks for. */
async function embedRuntime(c: Checked): Promise<EmbeddedRuntime> {
  const runtime = await prepareRuntime({
    spec: c.runtime,
    platform: c.platform,
    cwd: c.runtimeBase,
    ...(c.runtimeLevel !== undefined ? { level: c.runtimeLevel } : {}),
    check: (info) => void runtimeRange(info, c.nodeRange),
  });
  const node = runtime ? runtimeRange(runtime.info, c.nodeRange) : (c.nodeRange ?? ">=20");
  return { runtime, node, target: `node${minNodeMajor(node)}` };
}

/** For another platform: its production dependencies, installed for it (cached); nothing to install without a package.json. */
async function stage(c: Checked, d: Diagnostics): Promise<Staging | null> {
  return c.target !== null && c.project.packageJsonFile !== null ? await stageInstall(c.project.root, c.target, d) : null;
}

/** For another platform: every binary in the tree is for it (others are pruned where the package has the target's too). */
function checkForTarget(c: Checked, plan: Plan, built: Built, staging: Staging | null, d: Diagnostics): void {
  const target = c.target as Target;
  const pkgs = new Map<string, TargetPackage>();
  for (const [root, name] of plan.packages) pkgs.set(built.at(root), { at: root, source: plan.sources?.get(root) ?? root, name });
  const checked = checkTargetBinaries({ target, tree: built.tree, packages: pkgs, staging, declaredIn: c.project.packageJsonFile }, c.project.pkg);
  d.addWarnings(checked.warnings);
  built.pruned.otherPlatforms = checked.pruned;
}

/** Compresses the payload and writes the archive (prelude, extractor, runtime, payload, index). */
async function writeArchive(c: Checked, rt: EmbeddedRuntime, plan: Plan, entry: string, tar: Awaited<ReturnType<typeof writeTar>>): Promise<{ assembled: ReturnType<typeof assemble>; compressor: PackResult["compressor"] }> {
  const z = await compress(tar.tar, c.level);
  const assembled = assemble({
    name: c.name,
    entry,
    node: rt.node,
    nodeOptions: [...(plan.sourcemap ? ["--enable-source-maps"] : []), ...c.nodeOptions.split(/\s+/).filter(Boolean)],
    configDir: c.configDir === null ? null : CONFIG,
    payload: z.data,
    checksum: z.checksum,
    level: c.level,
    entries: tar.entries,
    files: tar.files,
    unpackedSize: tar.unpackedSize,
    sourceDateEpoch: c.epoch,
    runtime: rt.runtime,
  });
  try {
    mkdirp(dirname(c.output));
  } catch (e) {
    userIo(e, "pack-output-unwritable:create-dir", {}, c.output);
  }
  writeExecutable(c.output, assembled.parts);
  return { assembled, compressor: z.implementation };
}

function result(
  c: Checked,
  rt: EmbeddedRuntime,
  plan: Plan,
  built: Built,
  archive: Awaited<ReturnType<typeof writeArchive>>,
  staging: Staging | null,
  d: Diagnostics,
  clock: Clock,
): PackResult {
  const pkgNames = [...plan.packages.keys()].map((r) => {
    const p = readPkg(plan.sources?.get(r) ?? r);
    return `${p?.name ?? r}@${p?.version ?? "?"}`;
  });
  const ms = clock.ms;
  return {
    output: c.output,
    index: archive.assembled.index,
    size: archive.assembled.size,
    mode: plan.mode,
    packages: [...new Set(pkgNames)].sort(),
    externalPackages: [...new Set(plan.packages.values())].sort(),
    pruned: built.pruned,
    warnings: d.warnings,
    runtime: rt.runtime?.info ?? null,
    compressor: archive.compressor,
    ...(c.target !== null ? { target: { platform: c.target, stagingDir: staging?.lockfile ? staging.dir : null, reused: staging?.reused ?? false, stageMs: Math.round(ms.stageMs) } } : {}),
    timings: {
      runtimeMs: Math.round(ms.runtimeMs),
      traceMs: Math.round(ms.traceMs),
      bundleMs: Math.round(ms.bundleMs),
      tarMs: Math.round(ms.tarMs),
      compressMs: Math.round(ms.compressMs),
      totalMs: clock.total(),
    },
  };
}

export { DEFAULT_LEVEL } from "./zstd.js";
export type { ArchiveIndex };
