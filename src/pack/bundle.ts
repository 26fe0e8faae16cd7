/**
 * Bundles the app's code with esbuild into one CommonJS file placed where the
 * entry was (so `__dirname`-relative reads of files next to the entry still
 * work), with a linked source map so stack traces point at the user's TS.
 * An entry graph with top-level await is bundled as ESM instead.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import * as esbuild from "esbuild";
import { isBelow } from "../fsutil.js";
import { bundleError } from "./compile.js";

export interface BundleOptions {
  entryFile: string;
  /** Package names kept external (resolved at run time from node_modules). */
  external: string[];
  /**
   * Absolute root directories of the packages kept whole. A relative import that lands inside one
   * (e.g. an entry inside such a package requiring `../lib/x.js`) stays external too, so the
   * archive does not carry that code twice.
   */
  externalRoots: string[];
  sourcemap: boolean;
  /** esbuild target, e.g. "node20". */
  target: string;
}

export interface BundleResult {
  /** Absolute path the bundle stands for (beside the entry). */
  file: string;
  code: Buffer;
  map: Buffer | null;
  format: "cjs" | "esm";
  /** Absolute paths of `.node` files the code loads by relative path (packed at their own paths). */
  nativeFiles: Set<string>;
  /** Absolute paths of every source file in the bundle. */
  inputs: string[];
}

const CJS_BANNER = 'var __bale_import_meta_url=require("url").pathToFileURL(__filename).href;';
const ESM_BANNER =
  'import{createRequire as __bale_cr}from"node:module";import{fileURLToPath as __bale_fu}from"node:url";' +
  'import{dirname as __bale_dn}from"node:path";const require=__bale_cr(import.meta.url);' +
  "const __bale_filename=__bale_fu(import.meta.url),__bale_dirname=__bale_dn(__bale_filename);";

export async function bundle(o: BundleOptions): Promise<BundleResult> {
  try {
    return await build(o, "cjs");
  } catch (e) {
    const tla = (e as esbuild.BuildFailure).errors?.some((m) => /Top-level await is currently not supported/.test(m.text));
    if (!tla) throw bundleError(e, o.entryFile);
    try {
      return await build(o, "esm");
    } catch (e2) {
      throw bundleError(e2, o.entryFile);
    }
  }
}

async function build(o: BundleOptions, format: "cjs" | "esm"): Promise<BundleResult> {
  const dir = dirname(o.entryFile);
  const ext = extname(o.entryFile);
  const stem = ext ? basename(o.entryFile, ext) : basename(o.entryFile);
  const outfile = join(dir, `${stem}.${format === "cjs" ? "cjs" : "mjs"}`);
  const nativeFiles = new Set<string>();
  const fromBundle = (abs: string): string => {
    const rel = relative(dir, abs).split("\\").join("/");
    return rel.startsWith(".") ? rel : "./" + rel;
  };
  const externalPlugin: esbuild.Plugin = {
    name: "bale-external",
    setup(b) {
      // Addons stay where they are; the require path is rewritten relative to the bundle.
      b.onResolve({ filter: /\.node$/ }, (args) => {
        if (!args.path.startsWith(".") && !isAbsolute(args.path)) return { path: args.path, external: true };
        const abs = resolve(args.resolveDir, args.path);
        nativeFiles.add(abs);
        return { path: fromBundle(abs), external: true };
      });
      // Relative imports into a package that is packed whole are left to node at run time.
      b.onResolve({ filter: /^(\.|\/)/ }, (args) => {
        if (args.kind === "entry-point" || o.externalRoots.length === 0) return undefined;
        const abs = resolve(args.resolveDir, args.path);
        return o.externalRoots.some((r) => isBelow(abs, r)) ? { path: fromBundle(abs), external: true } : undefined;
      });
    },
  };
  const hasExt = /\.[cm]?[jt]sx?$/.test(o.entryFile);
  const entry: Pick<esbuild.BuildOptions, "entryPoints" | "stdin"> = hasExt
    ? { entryPoints: [o.entryFile] }
    : {
        // Extension-less scripts (e.g. `bin/tsc`) are JavaScript.
        stdin: { contents: readFileSync(o.entryFile, "utf8").replace(/^#!.*/, ""), resolveDir: dir, sourcefile: o.entryFile, loader: "js" },
      };
  const result = await esbuild.build({
    ...entry,
    // Paths in the bundle's comments and metafile are relative to this: the entry's directory, not the
    // caller's cwd, so the output does not depend on where bale was run from.
    absWorkingDir: dir,
    bundle: true,
    platform: "node",
    target: o.target,
    format,
    outfile,
    write: false,
    metafile: true,
    sourcemap: o.sourcemap ? "linked" : false,
    sourcesContent: false,
    external: o.external.flatMap((n) => [n, `${n}/*`]),
    plugins: [externalPlugin],
    logLevel: "silent",
    legalComments: "none",
    banner: { js: format === "cjs" ? CJS_BANNER : ESM_BANNER },
    define:
      format === "cjs"
        ? { "import.meta.url": "__bale_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename" }
        : { __dirname: "__bale_dirname", __filename: "__bale_filename" },
  });
  let code: Buffer | undefined;
  let map: Buffer | null = null;
  for (const f of result.outputFiles) {
    if (f.path.endsWith(".map")) map = Buffer.from(f.contents);
    else code = Buffer.from(f.contents);
  }
  if (!code) throw new Error("internal: esbuild produced no bundle");
  const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(dir, p.replace(/^[a-z-]+:/, "")));
  return { file: outfile, code, map, format, nativeFiles, inputs };
}
