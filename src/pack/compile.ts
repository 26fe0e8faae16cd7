/**
 * The app's own module graph, and its TypeScript compiled file by file in place.
 *
 * `ownGraph()` asks esbuild which of the project's own files the entry points reach (packages are
 * left out: they are packed whole and resolved by node at run time), and collects what esbuild
 * resolves each of their imports to (see dynamic.ts for what no tool can resolve).
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
import { readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import * as esbuild from "esbuild";
import type { BaleError } from "../errors.js";
import { packageTypeOf } from "./project.js";
import { diag } from "../diagnostics/create.js";

export interface ImportEdge {
  /** The specifier as written. */
  spec: string;
  kind: esbuild.ImportKind;
  /** Absolute path it resolves to, or null (a builtin, or unresolvable). */
  resolved: string | null;
  /** For a package import: true if `require()` of it would load an ES module (or fail to resolve). */
  esmForRequire: boolean;
}

export interface GraphResult {
  /** Absolute paths of the own (non-node_modules) files the entries reach, entries included. */
  inputs: Set<string>;
  /** Each own file's imports, as esbuild resolved them. */
  imports: Map<string, ImportEdge[]>;
}

/** A TypeScript source (a `.d.ts` matches too: callers that compile exclude it). */
export const TS_FILE = /\.(ts|tsx|mts|cts)$/;
const inNodeModules = (p: string): boolean => p.includes(`${sep}node_modules${sep}`);

export function bundleError(e: unknown, entry: string): BaleError {
  const errors = (e as esbuild.BuildFailure).errors;
  const m = errors?.[0];
  if (!m) return diag("pack-bundle-failed:unknown", { reason: (e as Error).message }, { file: entry });
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
  return diag("pack-bundle-failed", { text: m.text }, init);
}

/** A plugin that keeps everything but the project's own files out of the graph, and records every import. */
function ownOnly(imports: Map<string, ImportEdge[]>): esbuild.Plugin {
  return {
    name: "bale-own-only",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point" || args.pluginData?.baleInner) return undefined;
        const list = imports.get(args.importer) ?? [];
        imports.set(args.importer, list);
        const opts = { resolveDir: args.resolveDir, importer: args.importer, pluginData: { baleInner: true } };
        const r = await b.resolve(args.path, { ...opts, kind: args.kind });
        const ok = r.errors.length === 0 && !r.external && isAbsolute(r.path);
        let esmForRequire = false;
        if (ok && inNodeModules(r.path) && args.kind === "import-statement") {
          const rr = await b.resolve(args.path, { ...opts, kind: "require-call" });
          esmForRequire = rr.errors.length > 0 || esmOnly(rr.path);
        }
        list.push({ spec: args.path, kind: args.kind, resolved: ok ? r.path : null, esmForRequire });
        // A static import that does not resolve fails in node before any code runs: let esbuild report it.
        if (r.errors.length > 0 && args.kind === "import-statement") return undefined;
        if (!ok || inNodeModules(r.path) || args.path.endsWith(".node")) return { path: args.path, external: true };
        return { path: r.path };
      });
    },
  };
}

export async function ownGraph(entries: string[], cwd: string): Promise<GraphResult> {
  let result: esbuild.BuildResult<{ metafile: true; write: false }>;
  const imports = new Map<string, ImportEdge[]>();
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
      plugins: [ownOnly(imports)],
      loader: { ".node": "empty" },
    });
  } catch (e) {
    throw bundleError(e, entries[0] as string);
  }
  const inputs = new Set(Object.keys(result.metafile.inputs).map((p) => resolve(cwd, p.replace(/^[a-z-]+:/, ""))));
  const byAbs = new Map([...imports].map(([k, v]) => [resolve(cwd, k), v] as const));
  return { inputs, imports: byAbs };
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

/** Compiles the own TypeScript files of `graph` beside themselves. */
export async function compileTs(graph: GraphResult, entries: string[], sourcemap: boolean, target: string): Promise<CompileResult> {
  // Own TypeScript, and a TypeScript entry even inside a package (node cannot run it as it is).
  const sources = [...graph.inputs].filter((f) => TS_FILE.test(f) && !f.endsWith(".d.ts") && (!inNodeModules(f) || entries.includes(f))).sort();
  const formats = new Map(sources.map((s) => [s, naturalFormat(s)] as const));
  // A CommonJS file whose imports require() cannot load turns the graph to ESM.
  let format = "cjs" as "cjs" | "esm";
  const toEsm = (): void => {
    format = "esm";
    for (const s of sources) if (extname(s) !== ".cts") formats.set(s, "esm");
  };
  if (sources.some((s) => formats.get(s) === "cjs" && (graph.imports.get(s) ?? []).some((e) => e.esmForRequire))) toEsm();
  try {
    return { files: await emit(sources, formats, graph, sourcemap, target) };
  } catch (e) {
    if (!(e instanceof NeedsEsm) || format === "esm") throw e instanceof NeedsEsm ? bundleError(e.cause, sources[0] as string) : e;
    toEsm();
    try {
      return { files: await emit(sources, formats, graph, sourcemap, target) };
    } catch (e2) {
      throw e2 instanceof NeedsEsm ? bundleError(e2.cause, sources[0] as string) : e2;
    }
  }
}

class NeedsEsm extends Error {}

function esmOnly(resolved: string): boolean {
  if (resolved.endsWith(".mjs")) return true;
  if (resolved.endsWith(".cjs")) return false;
  return /\.js$/.test(resolved) && packageTypeOf(dirname(resolved)) === "module";
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Points each relative import of `src` at the file node must load in the archive. */
function rewriteImports(code: string, src: string, format: "cjs" | "esm", formats: Map<string, "cjs" | "esm">, edges: ImportEdge[]): string {
  for (const e of edges) {
    if (e.resolved === null || !/^[./]/.test(e.spec)) continue;
    let to: string | null = null;
    const f = formats.get(e.resolved);
    if (f !== undefined) to = spec(src, outName(e.resolved, f));
    else if (format === "esm" && e.spec !== spec(src, e.resolved) && !inNodeModules(e.resolved)) to = spec(src, e.resolved); // ESM needs the full name
    if (to === null || to === e.spec) continue;
    const re = new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\brequire\\s*\\(\\s*|\\bimport\\s*)(["'])${escapeRe(e.spec)}\\2`, "g");
    code = code.replace(re, (_m, pre: string, q: string) => `${pre}${q}${to}${q}`);
  }
  return code;
}

async function emit(
  sources: string[],
  formats: Map<string, "cjs" | "esm">,
  graph: GraphResult,
  sourcemap: boolean,
  target: string,
): Promise<Map<string, CompiledFile>> {
  const out = new Map<string, CompiledFile>();
  for (const src of sources) {
    const format = formats.get(src) ?? "cjs";
    const text = readFileSync(src, "utf8");
    const usesMeta = /\bimport\.meta\b/.test(text);
    const shimEsm = format === "esm" && naturalFormat(src) === "cjs" && /\b(__dirname|__filename|require)\b/.test(text);
    const file = outName(src, format);
    let r: esbuild.TransformResult;
    try {
      r = await esbuild.transform(text, {
        loader: extname(src) === ".tsx" ? "tsx" : "ts",
        sourcefile: src,
        format,
        platform: "node",
        target,
        sourcemap: sourcemap ? "external" : false,
        sourcesContent: false,
        legalComments: "inline",
        logLevel: "silent",
        ...(format === "cjs" && usesMeta
          ? { banner: CJS_SHIM, define: { "import.meta.url": "__bale_import_meta_url", "import.meta.dirname": "__dirname", "import.meta.filename": "__filename" } }
          : {}),
        ...(shimEsm ? { banner: ESM_SHIM } : {}),
      });
    } catch (e) {
      const errs = (e as esbuild.TransformFailure).errors ?? [];
      if (format === "cjs" && errs.some((m) => /Top-level await is currently not supported/.test(m.text))) throw new NeedsEsm("esm needed", { cause: e });
      throw bundleError(e, src);
    }
    let code = rewriteImports(r.code, src, format, formats, graph.imports.get(src) ?? []);
    let map: Buffer | null = null;
    if (sourcemap && r.map) {
      const m = JSON.parse(r.map) as { sources: string[]; file?: string };
      m.sources = m.sources.map((s) => relative(dirname(file), resolve(dirname(src), s)).split(sep).join("/"));
      m.file = file.split(sep).pop() as string;
      map = Buffer.from(JSON.stringify(m));
      code += `//# sourceMappingURL=${m.file}.map\n`;
    }
    out.set(src, { file, code: Buffer.from(code), map });
  }
  return out;
}
