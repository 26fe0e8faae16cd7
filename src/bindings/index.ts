/**
 * `bale gen`: bindings from the schemas and compiled service definitions of a
 * config project. Pure core: renderBindings() returns file texts;
 * generateBindings() also writes them (atomically) and reports what it wrote.
 */
import { resolve } from "node:path";
import { buildTypeModel } from "./ir.js";
import { loadModel } from "./model.js";
import { PY_RESERVED } from "./names.js";
import { generateOpenApi } from "./openapi.js";
import { generatePython } from "./python.js";
import { generateTs } from "./ts.js";
import { recoverFolders, writeFolders } from "./write.js";
import { BINDINGS_LANGS, type BindingsLang } from "./langs.js";
import { validateOptions } from "../options.js";
import { diag } from "../diagnostics/create.js";

export { BINDINGS_LANGS, type BindingsLang };

export interface GenerateBindingsOptions {
  /** Config project root (holds schemas/). */
  root: string;
  /** Where to write; default `<root>/gen`. One subfolder per language plus `openapi/`. */
  outDir?: string;
  /** Languages to emit, e.g. ["ts", "python"]. "go" is reserved and rejected for now. */
  langs: readonly string[];
  /** The compiled config dir holding bale-manifest.json; default `<root>/out`. */
  configOut?: string;
  /** Python package name (folder under `<outDir>/python/`); default "bale_gen". */
  pythonPackage?: string;
}

export interface GenerateBindingsResult {
  outDir: string;
  langs: BindingsLang[];
  /** Every file written, relative to outDir, POSIX separators, sorted. */
  files: string[];
  /** Fully qualified service names. */
  services: string[];
  /** Schema names that got typed config loaders. */
  configLoaders: string[];
}

export interface RenderedBindings {
  /** Subfolder ("ts", "python", "openapi") -> path inside it -> file text. */
  folders: Map<string, Map<string, string>>;
  langs: BindingsLang[];
  services: string[];
  configLoaders: string[];
}

function checkLangs(langs: readonly string[]): BindingsLang[] {
  const out: BindingsLang[] = [];
  if (langs.length === 0) {
    throw diag("gen-lang:none", {});
  }
  for (const l of langs) {
    if (l === "go") {
      throw diag("gen-lang-unsupported", {});
    }
    if (!(BINDINGS_LANGS as readonly string[]).includes(l)) {
      throw diag("gen-lang", { lang: JSON.stringify(l), langs: BINDINGS_LANGS.join(", ") });
    }
    if (!out.includes(l as BindingsLang)) out.push(l as BindingsLang);
  }
  return BINDINGS_LANGS.filter((l) => out.includes(l));
}

/** Generates every file in memory without touching the disk. */
export function renderBindings(opts: GenerateBindingsOptions): RenderedBindings {
  validateOptions("renderBindings", opts);
  const langs = checkLangs(opts.langs);
  const pkg = opts.pythonPackage ?? "bale_gen";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(pkg) || PY_RESERVED.has(pkg)) {
    throw diag("gen-python-package", { name: JSON.stringify(pkg) });
  }
  const model = loadModel(opts.configOut === undefined ? { root: opts.root } : { root: opts.root, configOut: opts.configOut });
  const types = buildTypeModel(model.schemas);
  const folders = new Map<string, Map<string, string>>();
  if (langs.includes("ts")) folders.set("ts", generateTs(model, types));
  if (langs.includes("python")) folders.set("python", generatePython(model, types, { packageName: pkg }));
  folders.set("openapi", generateOpenApi(model));
  return { folders, langs, services: model.services.map((s) => s.fullName), configLoaders: model.configSchemas };
}

/** Generates bindings and writes them under outDir; a failure leaves the previous output intact. */
export function generateBindings(opts: GenerateBindingsOptions): GenerateBindingsResult {
  validateOptions("generateBindings", opts);
  const outDir = resolve(opts.root, opts.outDir ?? "gen");
  recoverFolders(outDir); // a run killed mid-swap: its output comes back first, whatever this run does
  const r = renderBindings(opts);
  writeFolders(outDir, r.folders);
  const files: string[] = [];
  for (const [sub, fs] of r.folders) for (const f of fs.keys()) files.push(`${sub}/${f}`);
  files.sort();
  return { outDir, langs: r.langs, files, services: r.services, configLoaders: r.configLoaders };
}
