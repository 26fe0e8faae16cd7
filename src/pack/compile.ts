/**
 * The app's own module graph, and its TypeScript compiled file by file in place.
 *
 * `ownGraph()` asks esbuild which of the project's own files the entry points reach (packages are
 * left out: they are packed whole and resolved by node at run time), and collects what esbuild
 * cannot follow statically in them (`require(expr)`, `import(expr)`), so `bale pack` can name the
 * file and line.
 *
 * `compileTs()` turns each own `.ts/.tsx/.mts/.cts` file into a JavaScript file beside it
 * (`x.ts` -> `x.js`, `x.mts` -> `x.mjs`, `x.cts` -> `x.cjs`): one module per source module, so
 * `__dirname`, `import.meta.url`, module identity and load order are what they are in the project.
 * Relative imports are rewritten to the compiled files' names; package imports stay as written.
 * The module format follows node's own rules (`.mts` ESM, `.cts` CommonJS, `.ts` by the nearest
 * package.json `type`), as node's type stripping and tsx do. Two cases switch a CommonJS graph to
 * ESM (`.mjs` files, with `require`/`__dirname`/`__filename` defined as in CommonJS): top-level
 * `await`, and an import of an ESM-only package (which `require()` cannot load on Node < 22.12).
 */
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import * as esbuild from "esbuild";
import { BaleError } from "../errors.js";
import { packageTypeOf } from "./project.js";

export interface GraphResult {
  /** Absolute paths of the own (non-node_modules) files the entries reach, entries included. */
  inputs: Set<string>;
  /** "file:line: what" for each computed require/import in own code. */
  dynamic: string[];
}

const TS_FILE = /\.(ts|tsx|mts|cts)$/;
const inNodeModules = (p: string): boolean => p.includes(`${sep}node_modules${sep}`);

function bundleError(e: unknown, entry: string): BaleError {
  const errors = (e as esbuild.BuildFailure).errors;
  const m = errors?.[0];
  if (!m) return new BaleError("pack-bundle-failed", `compiling failed: ${(e as Error).message}`, { file: entry });
  const loc = m.location;
  const init: { file: string; line?: number; column?: number; fix: string; details: string[] } = {
    file: loc?.file ?? entry,
    fix: /Could not resolve "([^"]+)"/.test(m.text) ? "install the package (npm install), or fix the import path" : "fix the code at that location",
    details: errors.slice(1, 5).map((x) => `${x.location ? `${x.location.file}:${x.location.line}:${x.location.column + 1}: ` : ""}${x.text}`),
  };
  if (loc) {
    init.line = loc.line;
    init.column = loc.column + 1;
  }
  return new BaleError("pack-bundle-failed", m.text, init);
}
export { bundleError };

/** A plugin that keeps everything but the project's own files out of the graph. */
function ownOnly(): esbuild.Plugin {
  return {
    name: "bale-own-only",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point" || args.pluginData?.baleInner) return undefined;
        if (args.path.endsWith(".node")) return { path: args.path, external: true };
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { baleInner: true } });
        // A static import that does not resolve fails in node before any code runs: let esbuild report it.
        if (r.errors.length > 0 && args.kind === "import-statement") return undefined;
        if (r.errors.length > 0 || r.external || !isAbsolute(r.path) || inNodeModules(r.path)) return { path: args.path, external: true };
        return { path: r.path };
      });
    },
  };
}

export async function ownGraph(entries: string[], cwd: string): Promise<GraphResult> {
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: entries,
      absWorkingDir: cwd,
      bundle: true,
      platform: "node",
      format: "esm",
      outdir: join(cwd, ".bale-graph"),
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [ownOnly()],
      loader: { ".node": "empty" },
    });
  } catch (e) {
    throw bundleError(e, entries[0] as string);
  }
  const inputs = new Set(Object.keys(result.metafile.inputs).map((p) => resolve(cwd, p.replace(/^[a-z-]+:/, ""))));
  const dynamic: string[] = [];
  for (const w of result.warnings) {
    if (!/will not be bundled|cannot be bundled|not a string literal|import\(\) of a computed|Indirect calls to "require"/.test(w.text)) continue;
    const loc = w.location;
    dynamic.push(`${loc ? `${relative(cwd, resolve(cwd, loc.file))}:${loc.line}: ` : ""}${w.text}`);
  }
  return { inputs, dynamic: [...new Set(dynamic)] };
}

export interface CompiledFile {
  /** Absolute path of the JavaScript file, beside its source. */
  file: string;
  code: Buffer;
  map: Buffer | null;
}

export interface CompileResult {
  /** Source .ts path -> its compiled file. */
  files: Map<string, CompiledFile>;
  format: "cjs" | "esm";
}

function outName(src: string, format: "cjs" | "esm"): string {
  const ext = extname(src);
  const stem = src.slice(0, -ext.length);
  if (ext === ".mts") return `${stem}.mjs`;
  if (ext === ".cts") return `${stem}.cjs`;
  const type = packageTypeOf(dirname(src));
  if (format === "esm") return `${stem}.${type === "module" ? "js" : "mjs"}`;
  return `${stem}.${type === "module" ? "cjs" : "js"}`;
}

function naturalFormat(src: string): "cjs" | "esm" {
  const ext = extname(src);
  if (ext === ".mts") return "esm";
  if (ext === ".cts") return "cjs";
  return packageTypeOf(dirname(src)) === "module" ? "esm" : "cjs";
}

const CJS_SHIM = 'var __bale_import_meta_url=require("url").pathToFileURL(__filename).href;';
const ESM_SHIM =
  'import{createRequire as __bale_cr}from"node:module";import{fileURLToPath as __bale_fu}from"node:url";' +
  'import{dirname as __bale_dn}from"node:path";const require=__bale_cr(import.meta.url);' +
  "const __filename=__bale_fu(import.meta.url),__dirname=__bale_dn(__filename);";

function spec(fromFile: string, to: string): string {
  const rel = relative(dirname(fromFile), to).split(sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/** Compiles the own TypeScript files in `inputs` beside themselves. */
export async function compileTs(inputs: Set<string>, entries: string[], cwd: string, sourcemap: boolean, target: string): Promise<CompileResult> {
  // Own TypeScript, and a TypeScript entry even inside a package (node cannot run it as it is).
  const sources = [...inputs].filter((f) => TS_FILE.test(f) && !f.endsWith(".d.ts") && (!inNodeModules(f) || entries.includes(f))).sort();
  let format: "cjs" | "esm" = "cjs";
  // Mixed graphs keep each file's own format; a CommonJS file that cannot be CommonJS turns the graph to ESM.
  const formats = new Map(sources.map((s) => [s, naturalFormat(s)] as const));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return { files: await emit(sources, formats, cwd, sourcemap, target), format };
    } catch (e) {
      if (!(e instanceof NeedsEsm) || attempt === 1) throw e instanceof NeedsEsm ? bundleError(e.cause, sources[0] as string) : e;
      format = "esm";
      for (const s of sources) if (extname(s) !== ".cts") formats.set(s, "esm");
    }
  }
  throw new Error("internal: unreachable");
}

class NeedsEsm extends Error {}

function esmOnly(resolved: string): boolean {
  if (resolved.endsWith(".mjs")) return true;
  if (resolved.endsWith(".cjs")) return false;
  return /\.js$/.test(resolved) && packageTypeOf(dirname(resolved)) === "module";
}

async function emit(
  sources: string[],
  formats: Map<string, "cjs" | "esm">,
  cwd: string,
  sourcemap: boolean,
  target: string,
): Promise<Map<string, CompiledFile>> {
  const out = new Map<string, CompiledFile>();
  const own = new Set(sources);
  for (const format of ["cjs", "esm"] as const) {
    const group = sources.filter((s) => formats.get(s) === format);
    for (const src of group) {
      const plugin: esbuild.Plugin = {
        name: "bale-per-file",
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.kind === "entry-point" || args.pluginData?.baleInner) return undefined;
            const opts = { resolveDir: args.resolveDir, importer: args.importer, pluginData: { baleInner: true } };
            const r = await b.resolve(args.path, { ...opts, kind: args.kind });
            if (r.errors.length > 0 || r.external || !isAbsolute(r.path)) return { path: args.path, external: true };
            if (inNodeModules(r.path) || !/^[./]/.test(args.path)) {
              if (format === "cjs" && args.kind === "import-statement" && inNodeModules(r.path)) {
                // This import becomes require(): it must resolve to CommonJS, as node will see it.
                const rr = await b.resolve(args.path, { ...opts, kind: "require-call" });
                if (rr.errors.length > 0 || esmOnly(rr.path)) throw new NeedsEsm(`${args.path} is an ES module`);
              }
              return { path: args.path, external: true };
            }
            if (own.has(r.path)) return { path: spec(src, outName(r.path, formats.get(r.path) ?? format)), external: true };
            if (r.path.endsWith(".json") && format === "esm") return { path: r.path }; // inlined: ESM JSON imports need attributes
            return { path: spec(src, r.path), external: true };
          });
        },
      };
      const code = await import("node:fs").then((fs) => fs.readFileSync(src, "utf8"));
      const usesMeta = /\bimport\.meta\b/.test(code);
      const cjsGlobals = /\b(__dirname|__filename|require)\b/.test(code);
      const shimEsm = format === "esm" && naturalFormat(src) === "cjs" && cjsGlobals;
      let result: esbuild.BuildResult<{ write: false }>;
      try {
        result = await esbuild.build({
          entryPoints: [src],
          absWorkingDir: cwd,
          bundle: true,
          platform: "node",
          target,
          format,
          outfile: outName(src, format),
          write: false,
          sourcemap: sourcemap ? "linked" : false,
          sourcesContent: false,
          logLevel: "silent",
          legalComments: "inline",
          plugins: [plugin],
          ...(format === "cjs" && usesMeta
            ? { banner: { js: CJS_SHIM }, define: { "import.meta.url": "__bale_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename" } }
            : {}),
          ...(shimEsm ? { banner: { js: ESM_SHIM } } : {}),
        });
      } catch (e) {
        const errs = (e as esbuild.BuildFailure).errors ?? [];
        if (format === "cjs" && errs.some((m) => /Top-level await is currently not supported|is an ES module/.test(m.text))) throw new NeedsEsm("esm needed", { cause: e });
        throw bundleError(e, src);
      }
      let js: Buffer | undefined;
      let map: Buffer | null = null;
      for (const f of result.outputFiles) {
        if (f.path.endsWith(".map")) map = Buffer.from(f.contents);
        else js = Buffer.from(f.contents);
      }
      if (!js) throw new Error(`internal: esbuild produced no output for ${src}`);
      out.set(src, { file: outName(src, format), code: js, map });
    }
  }
  return out;
}
