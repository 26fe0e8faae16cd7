/**
 * Bundles every script (and validator module) in ONE esbuild call: many entry points, an
 * IIFE per entry, external source maps, and a metafile that gives each entry's source files.
 * A plugin serves the virtual module `bale:schemas` and enforces hermetic imports.
 */
import { builtinModules, createRequire } from "node:module";
import { isAbsolute, join, relative, resolve } from "node:path";
import { realpathSync } from "node:fs";
import type * as esbuild from "esbuild";
import { BaleErrors, type BaleError } from "../errors.js";
import { isBelow } from "../fsutil.js";
import { suggest } from "./diagnostics.js";
import { toPosix } from "./discover.js";
import { schemaFileOf } from "../schema/names.js";
import { diag } from "../diagnostics/create.js";

export const GLOBAL_NAME = "__bale_module";
export const TAG_GLOBAL = "__bale_tag__";

export interface BundledEntry {
  /** Root-relative source path of the entry. */
  source: string;
  code: string;
  /** Source map JSON text (sources are root-relative). */
  map: string;
  /** Root-relative project files in the bundle, sorted (the entry itself included). */
  dependencies: string[];
}

export interface BundleOptions {
  root: string;
  entries: string[];
  schemaNames: string[];
  allowPackages: string[];
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

let loaded: typeof esbuild | undefined;
/** esbuild, loaded on first use (synchronously: it is CommonJS), so that a build with nothing to bundle never loads it (~50 ms). */
const esb = (): typeof esbuild => (loaded ??= createRequire(import.meta.url)("esbuild") as typeof esbuild);

let started = false;
/** Starts esbuild's service process now (it boots on another core while the build hashes files); bundleAll would start it anyway. */
export function startBundler(): void {
  if (started) return;
  started = true;
  esb().initialize({}).catch(() => undefined);
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

export function schemasModule(names: string[]): string {
  const lines = [`const tag = globalThis.${TAG_GLOBAL};`];
  for (const n of [...names, "Service"]) lines.push(`export const ${n} = (value) => tag(${JSON.stringify(n)}, value);`);
  return lines.join("\n") + "\n";
}

export async function bundleAll(o: BundleOptions): Promise<Map<string, BundledEntry>> {
  const result = new Map<string, BundledEntry>();
  if (o.entries.length === 0) return result;
  const outdir = join(o.root, ".bale-bundle");
  const allow = new Set(o.allowPackages);
  const realRoot = realpathSync(o.root);
  const INNER = Symbol("bale.inner-resolve");
  const plugin: esbuild.Plugin = {
    name: "bale",
    setup(b) {
      // Relative imports (and the entries): resolved here first, and refused when the file (links
      // followed) lies outside the root, so esbuild never reads, parses or quotes such a file.
      b.onResolve({ filter: /^\.\.?(\/|$)/ }, async (args) => {
        if (args.pluginData === INNER) return undefined;
        const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: INNER });
        if (r.errors.length || r.external || r.namespace !== "file" || !isAbsolute(r.path)) return undefined;
        let real: string;
        try {
          real = realpathSync(r.path);
        } catch {
          return undefined;
        }
        // Inside an allow-listed package (a workspace may hoist node_modules above the root),
        // its own relative imports stay inside node_modules.
        const inPackage = args.importer.includes("/node_modules/") && real.includes("/node_modules/");
        if (real !== realRoot && !isBelow(real, realRoot) && !inPackage) {
          return fail((init) => diag("config-import-outside-root", { spec: args.path }, init));
        }
        return { path: r.path, ...(r.sideEffects === false ? { sideEffects: false } : {}) };
      });
      b.onResolve({ filter: /^bale:schemas$/ }, () => ({ path: "schemas", namespace: "bale" }));
      b.onLoad({ filter: /.*/, namespace: "bale" }, () => ({ contents: schemasModule(o.schemaNames), loader: "js", resolveDir: o.root }));
      // Anything that is not a relative import: built-ins, packages, absolute paths, other schemes.
      b.onResolve({ filter: /^([^.]|\.[^./]|\.\.[^/])/ }, (args) => {
        const p = args.path;
        if (BUILTINS.has(p) || p.startsWith("node:")) return fail((init) => diag("config-import-builtin", { spec: p }, init));
        if (isAbsolute(p)) return fail((init) => diag("config-import-outside-root:absolute", { spec: p }, init));
        if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return fail((init) => diag("config-import-package:scheme", { spec: p, package: packageName(p) }, init));
        if (allow.has(packageName(p)) || args.importer.includes(`/node_modules/`)) return undefined;
        return fail((init) => diag("config-import-package", { package: packageName(p) }, init));
      });
    },
  };
  let built: esbuild.BuildResult<{ metafile: true; write: false }>;
  try {
    built = await esb().build({
      absWorkingDir: o.root,
      entryPoints: o.entries.map((e, i) => ({ in: `./${e}`, out: `e${i}` })),
      outdir,
      bundle: true,
      write: false,
      metafile: true,
      format: "iife",
      globalName: GLOBAL_NAME,
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions: ["import", "default"],
      resolveExtensions: [".ts", ".mts", ".js", ".mjs", ".json"],
      target: "es2022",
      sourcemap: "external",
      sourcesContent: false,
      legalComments: "none",
      charset: "utf8",
      logLevel: "silent",
      logLimit: 0,
      plugins: [plugin],
    });
  } catch (e) {
    const f = e as esbuild.BuildFailure;
    if (!Array.isArray(f.errors)) throw e;
    throw new BaleErrors(bundleErrors(o.root, f.errors, o.schemaNames));
  }
  const meta = built.metafile;
  const files = new Map(built.outputFiles.map((f) => [f.path, f]));
  o.entries.forEach((source, i) => {
    const js = join(outdir, `e${i}.js`);
    const code = files.get(js)?.text;
    const mapText = files.get(js + ".map")?.text;
    const metaOut = meta.outputs[toPosix(relative(o.root, js))];
    if (code === undefined || mapText === undefined || !metaOut) throw new Error(`esbuild produced no output for ${source}`);
    const map = JSON.parse(mapText) as { sources: string[] };
    map.sources = map.sources.map((s) => toPosix(relative(o.root, resolve(outdir, s))));
    // The entry itself always counts (when it is a link, esbuild lists only the file it leads to).
    const deps = [...new Set([source, ...Object.keys(metaOut.inputs).filter((k) => !k.includes(":")).map(toPosix)])].sort();
    result.set(source, { source, code, map: JSON.stringify(map), dependencies: deps });
  });
  return result;
}

/** An import the resolver refused: makes its error once esbuild says where the import is. */
interface RefusedImport {
  make(init: { file?: string; line?: number; column?: number; details?: string[] }): BaleError;
}

/** An esbuild resolve failure carrying the error of a refused import. */
function fail(make: RefusedImport["make"]): { errors: { text: string; detail: RefusedImport }[] } {
  return { errors: [{ text: make({}).message, detail: { make } }] };
}

function bundleErrors(root: string, messages: esbuild.Message[], schemaNames: string[]): BaleError[] {
  const out: BaleError[] = [];
  const seen = new Set<string>();
  for (const m of messages) {
    const loc = m.location;
    const file = loc ? toPosix(loc.file) : undefined;
    const line = loc?.line;
    const column = loc ? loc.column + 1 : undefined;
    const key = `${file}:${line}:${column}:${m.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = file !== undefined ? { file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) } : {};
    const details = file !== undefined && loc ? frameFromEsbuild(loc) : [];
    const detail = m.detail as RefusedImport | undefined;
    if (detail && typeof detail === "object" && typeof detail.make === "function") {
      out.push(detail.make({ ...at, details }));
      continue;
    }
    const noExport = /^No matching export in "bale:schemas" for import "([^"]+)"/.exec(m.text);
    if (noExport) {
      const name = noExport[1] as string;
      const s = suggest(name, schemaNames);
      out.push(
        diag("config-unknown-schema", { name, schemaFile: schemaFileOf(name) }, {
          ...at,
          details,
          fix: s ? `did you mean "${s}"?` : `create ${schemaFileOf(name)}, or import one of: ${schemaNames.join(", ") || "(no schemas yet)"}`,
        }),
      );
      continue;
    }
    if (/^Could not resolve/.test(m.text)) {
      out.push(diag("config-import-unresolved", { text: m.text }, { ...at, details }));
      continue;
    }
    const tla = /Top-level await/i.test(m.text);
    out.push(
      diag(tla ? "config-syntax:top-level-await" : "config-syntax", { text: m.text }, { ...at, details }),
    );
  }
  void root;
  return out;
}

function frameFromEsbuild(loc: esbuild.Location): string[] {
  const num = String(loc.line);
  return [`${num} | ${loc.lineText}`, `${" ".repeat(num.length)} | ${" ".repeat(loc.column)}^`];
}
