/**
 * Packing for another platform (`--target linux-arm64` on an x64 host, or the reverse).
 *
 * The app's own files come from the project as always; its production dependencies are installed
 * again, for the target, into a staging directory that mirrors the project's install root (the
 * project, or its npm workspace root): the package.json files and the lockfile are copied there and
 * `npm ci --omit=dev --os=linux --cpu=<arch> --libc=glibc --ignore-scripts` fetches the packages,
 * with npm choosing the optional platform packages (`@img/sharp-linux-arm64`, `@esbuild/linux-arm64`)
 * for the target. A finished staging directory is published with one rename into the pack cache,
 * keyed by the lockfile, the package.json files and the target, so a second pack reuses it and
 * concurrent packs never see half an install.
 *
 * Then every ELF file headed for the payload is checked against the target machine: a package whose
 * native code has no build for the target (an addon built from source by node-gyp, an x64-only
 * binary, platform packages that do not cover the target) is a pack error naming it.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { type Platform, PLATFORMS } from "../archive/format.js";
import { BaleError } from "../errors.js";
import type { BaleWarning, Diagnostics } from "../diagnostics/collector.js";
import { isBelow, mkdirp } from "../fsutil.js";
import type { PayloadTree } from "./payload.js";
import type { PackageJson } from "./project.js";
import { dependencyClosure, readPkg, resolvePackageDir, type Closure, type ClosureInput } from "./deps.js";
import { diag, userIo, warning } from "../diagnostics/create.js";

/** The platforms bale packs for: the same list and type as the index's runtime platform. */
export const TARGETS = PLATFORMS;
export type Target = Platform;

const MACHINE: Record<Target, number> = { "linux-x64": 0x3e, "linux-arm64": 0xb7 };
const MACHINE_NAMES = new Map<number, string>([
  [0x03, "x86 (32-bit)"],
  [0x08, "MIPS"],
  [0x14, "PowerPC"],
  [0x15, "PowerPC 64"],
  [0x16, "s390"],
  [0x28, "ARM (32-bit)"],
  [0x3e, "x86-64"],
  [0xb7, "aarch64"],
  [0xf3, "RISC-V"],
]);

/** The platform this process runs on, in the same spelling: "linux-x64", "darwin-arm64", ... */
export function hostPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

/** Checks a `--target` value; returns it, or throws a usage error naming the supported ones. */
export function checkTarget(t: unknown): Target {
  if (typeof t === "string" && (TARGETS as readonly string[]).includes(t)) return t as Target;
  throw diag("pack-bad-target", { target: JSON.stringify(t), targets: TARGETS.join(" or --target ") });
}

/** A machine's name for messages: "aarch64", "x86-64", else "machine 0x..". */
export function machineName(m: number): string {
  return MACHINE_NAMES.get(m) ?? `machine 0x${m.toString(16)}`;
}

/** The ELF e_machine of a file's first bytes (at least 20), or null when it is not an ELF file. */
export function elfMachine(head: Buffer): number | null {
  if (head.length < 20 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46) return null;
  // e_ident[EI_DATA]: 1 little-endian, 2 big-endian; e_machine is the half-word at offset 18.
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

/** The bale platform an ELF file is built for (x86-64 or aarch64, 64-bit little-endian), else null. */
export function elfPlatform(path: string): Platform | null {
  const head = fileHead(path);
  if (head[4] !== 2 || head[5] !== 1) return null;
  const m = elfMachine(head);
  return m === 0x3e ? "linux-x64" : m === 0xb7 ? "linux-arm64" : null;
}

function fileHead(path: string): Buffer {
  const b = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const n = readSync(fd, b, 0, 20, 0);
    return b.subarray(0, n);
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// The staging install

const LOCKFILES = ["npm-shrinkwrap.json", "package-lock.json"] as const;
const STAGE_FORMAT = "bale-target-stage 1";
const MARKER = ".bale-staged";

/** Where the packer caches target installs: $BALE_PACK_CACHE_DIR, else $XDG_CACHE_HOME/bale-pack, ~/.cache/bale-pack, $TMPDIR/bale-pack-<uid>. */
export function packCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BALE_PACK_CACHE_DIR) return env.BALE_PACK_CACHE_DIR;
  if (env.XDG_CACHE_HOME?.startsWith("/")) return join(env.XDG_CACHE_HOME, "bale-pack");
  if (env.HOME?.startsWith("/") && existsSync(env.HOME)) return join(env.HOME, ".cache", "bale-pack");
  return join(tmpdir(), `bale-pack-${typeof process.getuid === "function" ? process.getuid() : 0}`);
}

interface InstallRoot {
  /** The directory npm installs into for the project: the project itself or its workspace root. */
  root: string;
  lockfile: string | null;
  /** Other directories (relative to root) whose package.json npm needs: workspace members, linked file: deps. */
  members: string[];
}

interface Lock {
  packages?: Record<string, { os?: string[]; cpu?: string[]; libc?: string[]; link?: boolean }>;
}

function readLock(file: string): Lock {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Lock;
  } catch (e) {
    throw diag("pack-target-bad-lockfile", { reason: (e as Error).message }, { file });
  }
}

function lockMembers(lock: Lock): string[] {
  return Object.keys(lock.packages ?? {})
    .filter((k) => k !== "" && !k.split("/").includes("node_modules") && !k.split("/").includes(".."))
    .sort();
}

function lockfileIn(dir: string): string | null {
  for (const l of LOCKFILES) if (existsSync(join(dir, l))) return join(dir, l);
  return null;
}

/** The project's own lockfile, else that of the npm workspace it belongs to, else none. */
function installRootOf(projectRoot: string): InstallRoot {
  const own = lockfileIn(projectRoot);
  if (own !== null) return { root: projectRoot, lockfile: own, members: lockMembers(readLock(own)) };
  if (!projectRoot.split(sep).includes("node_modules")) {
    for (let d = dirname(projectRoot); d !== dirname(d); d = dirname(d)) {
      const lock = lockfileIn(d);
      if (lock === null) continue;
      const pkg = readPkg(d) as (PackageJson & { workspaces?: unknown }) | null;
      const members = lockMembers(readLock(lock));
      if (pkg?.workspaces !== undefined && members.includes(relative(d, projectRoot).split(sep).join("/"))) {
        return { root: d, lockfile: lock, members };
      }
      break; // the nearest lockfile above belongs to another project
    }
  }
  return { root: projectRoot, lockfile: null, members: [] };
}

export interface Staging {
  target: Target;
  /** The project's install root on disk (the project, or its workspace root). */
  installRoot: string;
  /** The staged mirror of installRoot whose node_modules hold the packages for the target. */
  dir: string;
  lockfile: string | null;
  /** True when a finished staging directory from an earlier pack was used. */
  reused: boolean;
  /** Removes the directory when it is not a cache entry (installs without a lockfile are not cached). */
  dispose(): void;
}

/** installRoot/x -> staging/x (other paths unchanged). */
export function toStage(s: Staging, p: string): string {
  return p === s.installRoot || isBelow(p, s.installRoot) ? join(s.dir, relative(s.installRoot, p)) : p;
}

/** staging/x -> installRoot/x, where the file stands in the app (other paths unchanged). */
export function fromStage(s: Staging, p: string): string {
  return p === s.dir || isBelow(p, s.dir) ? join(s.installRoot, relative(s.dir, p)) : p;
}

/** True for a staged path inside a node_modules directory: a package npm installed for the target. */
export function isStagedPackage(s: Staging, p: string): boolean {
  return isBelow(p, s.dir) && relative(s.dir, p).split(sep).includes("node_modules");
}

/** Creates a pack cache directory (0700) and refuses one that is not a private directory of ours. */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirp(dir, 0o700);
  } catch (e) {
    userIo(e, "pack-cache-unwritable", {}, dir);
  }
  const st = lstatSync(dir);
  const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    // What is installed here ends up in executables: nobody else may write to it.
    throw diag("pack-cache-unsafe", {}, { file: dir });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Work directories of packs that died mid-install. */
function cleanDeadWork(dir: string): void {
  for (const n of readdirSync(dir)) {
    const m = /^\.work-[0-9a-f]+-(\d+)-/.exec(n);
    if (m && !pidAlive(Number(m[1]))) rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** npm's own configuration from the environment that would change what `npm ci` installs where. */
const NPM_ENV_DROP = /^npm_config_(prefix|global|location|workspaces?|include_workspace_root|include|omit|production|only|also|dev|os|cpu|libc|dry_run|package_lock(_only)?|lockfile_version|install_strategy|legacy_bundling|global_style|ignore_scripts|save.*)$/i;

function runNpm(args: string[], cwd: string): Promise<{ code: number | null; output: string; error: Error | null }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!NPM_ENV_DROP.test(k)) env[k] = v;
  return new Promise((res) => {
    let output = "";
    const keep = (c: Buffer): void => {
      if (output.length < 256_000) output += c.toString("utf8");
    };
    const p = spawn("npm", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => p.kill("SIGTERM"), 20 * 60_000);
    p.stdout.on("data", keep);
    p.stderr.on("data", keep);
    p.on("error", (e) => {
      clearTimeout(timer);
      res({ code: null, output, error: e });
    });
    p.on("close", (code) => {
      clearTimeout(timer);
      res({ code, output, error: null });
    });
  });
}

/** The lines of npm's output that say what went wrong: its "npm error" message, without the usage text and stack. */
function npmErrorLines(output: string): string[] {
  const lines = output.split("\n").map((l) => l.trimEnd());
  const out: string[] = [];
  for (const l of lines) {
    if (!/^npm error ./.test(l) || /^npm error\s+at /.test(l)) continue;
    if (/^npm error Usage:/.test(l)) {
      out.pop(); // the command's one-line description
      break;
    }
    if (/^npm error A complete log of this run/.test(l)) break;
    out.push(l);
    if (out.length === 10) break;
  }
  return out.length > 0 ? out : lines.filter((l) => l.trim() !== "").slice(-10);
}

/**
 * Installs the project's production dependencies for `target` into a staging directory (or reuses
 * the cached one). `warnings` gets a line when there is no lockfile.
 */
export async function stageInstall(projectRoot: string, target: Target, d: Diagnostics): Promise<Staging> {
  const ir = installRootOf(projectRoot);
  const copies: string[] = ["package.json", ".npmrc", ...(ir.lockfile ? [relative(ir.root, ir.lockfile)] : []), ...ir.members.map((m) => `${m}/package.json`)];
  const present = copies.filter((c) => existsSync(join(ir.root, c)));
  const h = createHash("sha256").update(`${STAGE_FORMAT}\0${target}\0`);
  for (const c of present) h.update(`${c}\0`).update(readFileSync(join(ir.root, c))).update("\0");
  const key = h.digest("hex").slice(0, 32);
  const cacheDir = join(packCacheDir(), "targets");
  ensurePrivateDir(cacheDir);
  const finalDir = join(cacheDir, key);
  const base = { target, installRoot: ir.root, lockfile: ir.lockfile };
  if (ir.lockfile !== null && existsSync(join(finalDir, MARKER))) return { ...base, dir: finalDir, reused: true, dispose: () => {} };
  if (ir.lockfile === null) {
    d.warn("pack-target-no-lockfile", { root: ir.root, target });
  }
  cleanDeadWork(cacheDir);
  const work = join(cacheDir, `.work-${key}-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
  const dispose = (): void => rmSync(work, { recursive: true, force: true });
  try {
    for (const c of present) {
      mkdirp(dirname(join(work, c)));
      copyFileSync(join(ir.root, c), join(work, c));
    }
    const [os, cpu] = target.split("-") as [string, string];
    const args = [ir.lockfile ? "ci" : "install", "--omit=dev", `--os=${os}`, `--cpu=${cpu}`, "--libc=glibc", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"];
    const r = await runNpm(args, work);
    if (r.error !== null || r.code !== 0) {
      const init = { file: ir.lockfile ?? join(ir.root, "package.json"), details: npmErrorLines(r.output) };
      throw r.error !== null
        ? diag("pack-target-install:spawn", { target, reason: r.error.message }, init)
        : diag("pack-target-install", { args: args.join(" "), target, exit: String(r.code) }, init);
    }
    rmSync(join(work, ".npmrc"), { force: true }); // registry credentials stay in the project only
    if (ir.lockfile === null) return { ...base, dir: work, reused: false, dispose };
    writeFileSync(join(work, MARKER), `${STAGE_FORMAT}\n${target}\n${ir.lockfile}\n`);
    try {
      renameSync(work, finalDir);
    } catch (e) {
      // Another pack published the same install first: use theirs.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || !existsSync(join(finalDir, MARKER))) throw e;
      dispose();
      return { ...base, dir: finalDir, reused: true, dispose: () => {} };
    }
    return { ...base, dir: finalDir, reused: false, dispose: () => {} };
  } catch (e) {
    dispose();
    if (e instanceof BaleError) throw e;
    return userIo(e, "pack-cache-unwritable:stage", { target }, cacheDir);
  }
}

/** False when a package.json's `os`/`cpu` fields rule the target out (npm's rules: a list of allowed values, "!x" excludes). */
export function forPlatform(p: { os?: unknown; cpu?: unknown }, target: Target): boolean {
  const [os, cpu] = target.split("-") as [string, string];
  const allows = (list: unknown, v: string): boolean => {
    if (!Array.isArray(list) || list.length === 0) return true;
    const items = list.filter((x): x is string => typeof x === "string");
    if (items.includes(`!${v}`)) return false;
    const positive = items.filter((x) => !x.startsWith("!"));
    return positive.length === 0 || positive.includes(v);
  };
  return allows(p.os, os) && allows(p.cpu, cpu);
}

export interface StagedClosure {
  closure: Closure;
  /** Place in the app (project-side path) -> package name. */
  packages: Map<string, string>;
  /** Place in the app -> directory its files are read from. */
  sources: Map<string, string>;
  /** Symlinks on the way to packages, at their place in the app: link -> raw target. */
  symlinks: Map<string, string>;
}

/**
 * The dependency closure resolved in the staging install instead of the project's node_modules.
 * `i` is in project terms (the project's root, package roots the tracer saw there); the result is
 * too: every package at the place it would have in the project, with the directory its files come
 * from (the staged package; a workspace member's own files stay the project's).
 */
export function stagedClosure(s: Staging, i: ClosureInput, d: Diagnostics): StagedClosure {
  const projectDir = toStage(s, i.projectRoot);
  const traced = new Set<string>();
  for (const h of i.traced) {
    const staged = toStage(s, h);
    if (staged !== h && existsSync(join(staged, "package.json"))) {
      traced.add(realpathSync(staged));
      continue;
    }
    const hp = readPkg(h) as (PackageJson & { os?: unknown; cpu?: unknown }) | null;
    const name = hp?.name;
    const r = name === undefined ? null : resolvePackageDir(name, projectDir);
    if (r !== null && isBelow(r.real, s.dir)) traced.add(r.real);
    else if (hp !== null && !forPlatform(hp, s.target)) continue; // the host's platform package: the target has its own
    else {
      d.warn("pack-target-not-installed:loaded", { module: name ?? h, target: s.target });
    }
  }
  const closure = dependencyClosure({ ...i, projectRoot: projectDir, traced });
  const packages = new Map<string, string>();
  const sources = new Map<string, string>();
  for (const [real, p] of closure.packages) {
    if (real !== s.dir && !isBelow(real, s.dir)) {
      // Found by walking up past the staging dir: not part of the install for the target.
      d.warn("pack-target-not-installed:outside", { module: p.name, target: s.target, path: real });
      continue;
    }
    const at = fromStage(s, real);
    packages.set(at, p.name);
    sources.set(at, isStagedPackage(s, real) ? real : at);
  }
  const symlinks = new Map<string, string>();
  for (const [link, target] of closure.symlinks) symlinks.set(fromStage(s, link), target.startsWith("/") ? fromStage(s, target) : target);
  return { closure, packages, sources, symlinks };
}

// ---------------------------------------------------------------------------------------------
// Checks of what goes into the payload

/** A package of the closure as the target check sees it: where it stands in the app, where its files come from. */
export interface TargetPackage {
  /** Its place in the app (project-side path). */
  at: string;
  /** Where its files are read from (the staging dir for packages installed for the target). */
  source: string;
  name: string;
}

export interface TargetCheckInput {
  target: Target;
  tree: PayloadTree;
  /** The archive path of a package's root, e.g. "app/node_modules/sharp" -> the package. */
  packages: Map<string, TargetPackage>;
  /** The staging install, or null when the project has no package.json (nothing was staged). */
  staging: Staging | null;
  /** The file a package error names: the project's package.json, where the package is declared. */
  declaredIn: string | null;
}

export interface TargetCheckResult {
  /** Binaries for other machines left out of packages that also hold a build for the target (multi-platform prebuilds). */
  pruned: string[];
  warnings: BaleWarning[];
}

interface Owned {
  path: string;
  /** The file on disk it comes from (or the archive path for generated content). */
  source: string;
  machine: number;
}

/** The package (archive root path) an archive path lies in, or null for the app's own files. */
function ownerOf(archivePath: string): string | null {
  const m = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(archivePath);
  return m ? (m[1] as string) : null;
}

function hasNativeBuild(p: PackageJson & { gypfile?: boolean }, source: string): boolean {
  return p.gypfile === true || existsSync(join(source, "binding.gyp"));
}

/** Names of packages some package of the app (or the app) needs without being optional about it. */
function requiredNames(pkgs: Iterable<TargetPackage>, projectPkg: PackageJson | null): Set<string> {
  const out = new Set<string>(Object.keys(projectPkg?.dependencies ?? {}));
  for (const p of pkgs) for (const n of Object.keys(readPkg(p.source)?.dependencies ?? {})) out.add(n);
  return out;
}

function lockEntries(s: Staging): Map<string, { os?: string[]; cpu?: string[] }> {
  const out = new Map<string, { os?: string[]; cpu?: string[] }>();
  const lf = lockfileIn(s.dir);
  if (lf === null) return out;
  for (const [k, v] of Object.entries(readLock(lf).packages ?? {})) {
    const i = k.lastIndexOf("node_modules/");
    if (i < 0) continue;
    const name = k.slice(i + "node_modules/".length);
    if (!out.has(name)) out.set(name, v);
  }
  return out;
}

function platformsOf(e: { os?: string[]; cpu?: string[] }): string {
  return `${(e.os ?? ["any"]).join("/")}-${(e.cpu ?? ["any"]).join("/")}`;
}

/**
 * Every ELF file headed for the payload must be for the target machine. Throws pack-target-binary
 * (an ELF for another machine, in the app or in a package with no build for the target) or
 * pack-target-no-build (a package that builds its addon from source, or whose platform packages do
 * not cover the target). Foreign binaries in a package that also has the target's build are left out.
 */
export function checkTargetBinaries(i: TargetCheckInput, projectPkg: PackageJson | null): TargetCheckResult {
  const want = MACHINE[i.target];
  const byOwner = new Map<string | null, { ok: Owned[]; foreign: Owned[] }>();
  for (const [path, e] of i.tree.entries) {
    if (e.type !== "file") continue;
    const m = elfMachine(typeof e.source === "string" ? fileHead(e.source) : e.source.subarray(0, 20));
    if (m === null) continue;
    const owner = ownerOf(path);
    const o = byOwner.get(owner) ?? { ok: [], foreign: [] };
    byOwner.set(owner, o);
    (m === want ? o.ok : o.foreign).push({ path, source: typeof e.source === "string" ? e.source : path, machine: m });
  }
  const problems: BaleError[] = [];
  const pruned: string[] = [];
  const warnings: BaleWarning[] = [];
  for (const [owner, o] of byOwner) {
    if (o.foreign.length === 0) continue;
    const first = o.foreign[0] as Owned;
    if (owner === null) {
      problems.push(
        diag("pack-target-binary:own", { path: first.path.replace(/^app\//, ""), machine: machineName(first.machine), target: i.target, targetMachine: machineName(want) }, {
          file: first.source,
          details: o.foreign.slice(1, 6).map((f) => `also ${f.path}: ${machineName(f.machine)}`),
        }),
      );
      continue;
    }
    const pkg = i.packages.get(owner);
    const name = pkg?.name ?? owner.slice(owner.lastIndexOf("node_modules/") + 13);
    if (o.ok.length > 0) {
      // Prebuilds for several platforms in one package (prebuildify's prebuilds/<platform>-<arch>/):
      // the others can never load on the target.
      for (const f of o.foreign) {
        i.tree.entries.delete(f.path);
        pruned.push(f.path);
      }
      continue;
    }
    problems.push(
      diag("pack-target-binary", { package: name, target: i.target, path: first.path.slice(owner.length + 1), machine: machineName(first.machine) }, {
        file: first.path,
        details: o.foreign.slice(1, 6).map((f) => `also ${f.path}: ${machineName(f.machine)}`),
      }),
    );
  }
  const required = requiredNames(i.packages.values(), projectPkg);
  const lock = i.staging ? lockEntries(i.staging) : new Map<string, { os?: string[]; cpu?: string[] }>();
  for (const [owner, p] of i.packages) {
    const pj = readPkg(p.source) as (PackageJson & { gypfile?: boolean }) | null;
    if (pj === null || (byOwner.get(owner)?.ok.length ?? 0) > 0) continue;
    if (hasNativeBuild(pj, p.source)) {
      if (required.has(p.name)) problems.push(diag("pack-target-no-build:script", { package: p.name, target: i.target }, { file: i.declaredIn ?? p.at }));
      else warnings.push(warning("pack-target-optional-no-build", { package: p.name, target: i.target }));
      continue;
    }
    // Optional platform packages (os/cpu in the lockfile): the target's must be among those installed.
    const family = Object.keys(pj.optionalDependencies ?? {}).filter((n) => {
      const l = lock.get(n);
      return l !== undefined && (l.os !== undefined || l.cpu !== undefined);
    });
    // Only a family with builds for the target's OS says anything: chokidar's optional fsevents is macOS-only.
    if (!family.some((n) => forPlatform({ os: lock.get(n)?.os }, i.target))) continue;
    const installed = family.filter((n) => resolvePackageDir(n, p.source) !== null);
    if (installed.length > 0) continue;
    problems.push(
      diag("pack-target-no-build", { package: p.name, target: i.target }, {
        file: i.declaredIn ?? p.at,
        details: [`its platform packages: ${family.map((n) => `${n} (${platformsOf(lock.get(n) as { os?: string[]; cpu?: string[] })})`).join(", ")}`],
      }),
    );
  }
  if (problems.length > 0) {
    const [head, ...rest] = problems as [BaleError, ...BaleError[]];
    if (rest.length === 0) throw head;
    throw new BaleError(head.code, head.message, {
      ...(head.file !== undefined ? { file: head.file } : {}),
      ...(head.fix !== undefined ? { fix: head.fix } : {}),
      details: [...head.details, ...rest.map((r) => `also: ${r.message}`)],
    });
  }
  return { pruned: pruned.sort(), warnings };
}

