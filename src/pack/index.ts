/**
 * `pack()`: entry -> esbuild bundle -> trace native/asset files -> reproducible
 * tar -> zstd -> prelude + extractor + payload + index + trailer.
 */
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { BaleError } from "../errors.js";
import { isBelow } from "../fsutil.js";
import type { ArchiveIndex } from "../archive/format.js";
import { resolveEntry } from "./entry.js";
import { traceApp } from "./trace.js";
import { bundle } from "./bundle.js";
import { PayloadTree, writeTar } from "./payload.js";
import { compress, checkLevel, DEFAULT_LEVEL } from "./zstd.js";
import { assemble, writeExecutable } from "./assemble.js";

export interface PackOptions {
  /** A .ts/.js/.mjs/.cjs file or a package directory (its `bin` or `main`). */
  entry: string;
  /** Output file; default `./<name>`. */
  output?: string;
  /** App name recorded in the index (and used for the default output). */
  name?: string;
  /** Extra files or directories, relative to the entry's directory; they keep their place relative to the entry. */
  include?: string[];
  /** A compiled config directory (`bale config build` output) packed at `config/`; the app finds it via BALE_CONFIG_DIR. */
  config?: string;
  /** Options for node, e.g. "--max-old-space-size=512"; split on whitespace. */
  nodeOptions?: string;
  /** zstd level 1..19 (default 12). */
  level?: number;
  /**
   * Emit a source map and run with --enable-source-maps. Default: on for a bundled entry; off for an
   * entry inside a package that is packed whole (nothing bale compiled, so nothing to map).
   */
  sourcemap?: boolean;
  /** Node.js range the archive requires (default ">=20"). */
  node?: string;
  /** Timestamps in the payload (default: $SOURCE_DATE_EPOCH, else 0). */
  sourceDateEpoch?: number;
  /** Resolve relative paths against this directory (default process.cwd()). */
  cwd?: string;
}

export interface PackResult {
  output: string;
  index: ArchiveIndex;
  size: number;
  externalPackages: string[];
  warnings: string[];
  /** The zstd implementation that compressed the payload (zstd-napi unless it is not installed). */
  compressor: "zstd-napi" | "node-zlib" | "zstd-wasm";
  timings: { traceMs: number; bundleMs: number; tarMs: number; compressMs: number; totalMs: number };
}

const APP = "app";
const CONFIG = "config";

function commonDir(paths: string[]): string {
  let common = dirname(paths[0] as string);
  for (const p of paths) {
    while (common !== "/" && !(p === common || isBelow(p, common))) common = dirname(common);
  }
  return common;
}

function sourceDateEpoch(o: PackOptions): number {
  if (o.sourceDateEpoch !== undefined) return o.sourceDateEpoch;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env === undefined || env === "") return 0;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BaleError("pack-bad-epoch", `SOURCE_DATE_EPOCH=${env} is not a whole number of seconds`, {
      fix: "set SOURCE_DATE_EPOCH to a Unix timestamp, e.g. $(git log -1 --format=%ct)",
    });
  }
  return n;
}

function minNodeMajor(range: string): number {
  const m = /(\d+)/.exec(range);
  return m ? Math.max(16, Number(m[1])) : 20;
}

export async function pack(o: PackOptions): Promise<PackResult> {
  const t0 = performance.now();
  const cwd = o.cwd ?? process.cwd();
  const level = o.level ?? DEFAULT_LEVEL;
  checkLevel(level);
  const epoch = sourceDateEpoch(o);
  const entry = resolveEntry(o.entry, cwd);
  const name = o.name ?? entry.name;
  if (!/^[\w.@+-][\w.@+ -]*$/.test(name)) {
    throw new BaleError("pack-bad-name", `app name ${JSON.stringify(name)} has characters that do not belong in a file name`, {
      fix: "pass --name with letters, digits, '.', '-', '_' or '@'",
    });
  }
  const output = resolve(cwd, o.output ?? name);
  if (existsSync(output) && statSync(output).isDirectory()) {
    throw new BaleError("pack-output-is-dir", "the output path is a directory", { file: output, fix: "pass -o with a file path" });
  }
  if (!existsSync(dirname(output))) {
    throw new BaleError("pack-output-dir-missing", "the output's directory does not exist", { file: output, fix: "create it first, or pass another -o" });
  }
  const entryDir = dirname(entry.file);
  const includes = (o.include ?? []).map((p) => {
    const abs = resolve(entryDir, p);
    if (!existsSync(abs)) {
      throw new BaleError("pack-include-missing", "an --include path does not exist", {
        file: abs,
        fix: "--include paths are relative to the entry's directory; check the path",
      });
    }
    return abs;
  });
  let configDir: string | null = null;
  if (o.config !== undefined) {
    configDir = resolve(cwd, o.config);
    if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
      throw new BaleError("pack-config-missing", "the --config directory does not exist", {
        file: o.config,
        fix: "run `bale config build` first and pass its output directory",
      });
    }
  }

  const tTrace = performance.now();
  const trace = await traceApp(entry.file);
  const tBundle = performance.now();
  const externalNames = [...new Set(trace.externalPackages.values())].sort();
  const externalRoots = [...trace.externalPackages.keys()];
  // An entry inside a package that is packed whole (e.g. `typescript/bin/tsc`) runs in place: the
  // package's own files are the app, and bundling would only copy them.
  const entryReal = realpathSync(entry.file);
  // Only JavaScript runs in place (node cannot run a package's .ts sources); anything else is bundled.
  const inPackage =
    !/\.(ts|mts|cts|tsx|jsx)$/.test(entryReal) &&
    externalRoots.some((r) => isBelow(entryReal, r));
  const sourcemap = o.sourcemap ?? !inPackage;
  const b = inPackage
    ? null
    : await bundle({
        entryFile: entry.file,
        external: externalNames,
        externalRoots,
        sourcemap,
        target: `node${minNodeMajor(o.node ?? ">=20")}`,
      });
  const tTar = performance.now();

  // Everything that goes in, by absolute path; the archive root is their common directory.
  const entryInArchive = b ? b.file : entryReal;
  const nativeFiles = b ? [...b.nativeFiles] : [];
  const absPaths = [entryInArchive, ...externalRoots, ...trace.ownAssets, ...nativeFiles, ...includes, ...trace.symlinks.keys()];
  if (entry.packageJson) absPaths.push(entry.packageJson);
  const root = commonDir(absPaths.map((p) => resolve(p)));
  const at = (abs: string): string => `${APP}/${relative(root, abs).split(sep).join("/")}`;

  const tree = new PayloadTree();
  if (b) {
    tree.add(at(b.file), { type: "file", source: b.code, executable: false });
    if (b.map) tree.add(at(b.file) + ".map", { type: "file", source: b.map, executable: false });
  }
  for (const f of [...trace.ownAssets, ...nativeFiles]) tree.addFile(at(f), f);
  for (const [pkgRoot] of trace.externalPackages) {
    // The package's own files; its nested node_modules hold separate packages, copied if they are needed.
    tree.addTree(at(pkgRoot), pkgRoot, (n, abs) => n === "node_modules" && dirname(abs) === pkgRoot);
  }
  for (const [link, target] of trace.symlinks) {
    if (target.startsWith("/")) {
      const rel = relative(dirname(link), target);
      tree.add(at(link), { type: "symlink", target: rel.split(sep).join("/") }, link);
    } else tree.add(at(link), { type: "symlink", target }, link);
  }
  for (const inc of includes) {
    if (statSync(inc).isDirectory()) tree.addTree(at(inc), inc);
    else tree.addFile(at(inc), inc);
  }
  if (entry.packageJson) tree.addFile(at(entry.packageJson), entry.packageJson);
  if (configDir !== null) {
    const cfg = configDir;
    if (readdirSync(cfg).length === 0) {
      throw new BaleError("pack-config-empty", "the --config directory is empty", { file: o.config ?? cfg, fix: "run `bale config build` first" });
    }
    tree.addTree(CONFIG, cfg, (n) => n.startsWith(".") && n !== ".well-known");
  }
  const tar = await writeTar(tree, epoch);
  const tCompress = performance.now();
  const z = await compress(tar.tar, level);
  const nodeOptions = [...(sourcemap ? ["--enable-source-maps"] : []), ...(o.nodeOptions ?? "").split(/\s+/).filter(Boolean)];
  const a = assemble({
    name,
    entry: at(entryInArchive),
    node: o.node ?? ">=20",
    nodeOptions,
    configDir: configDir === null ? null : CONFIG,
    payload: z.data,
    level,
    entries: tar.entries,
    files: tar.files,
    unpackedSize: tar.unpackedSize,
    sourceDateEpoch: epoch,
  });
  writeExecutable(output, a.parts);
  const tEnd = performance.now();
  return {
    output,
    index: a.index,
    size: a.size,
    externalPackages: externalNames,
    warnings: trace.warnings,
    compressor: z.implementation,
    timings: {
      traceMs: Math.round(tBundle - tTrace),
      bundleMs: Math.round(tTar - tBundle),
      tarMs: Math.round(tCompress - tTar),
      compressMs: Math.round(tEnd - tCompress),
      totalMs: Math.round(tEnd - t0),
    },
  };
}

export { DEFAULT_LEVEL } from "./zstd.js";
export type { ArchiveIndex };
