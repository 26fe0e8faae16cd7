/**
 * The project an entry belongs to: the directory of the nearest package.json above it (the package
 * itself for an entry inside node_modules), that package.json, and its `"bale"` block of pack
 * settings, checked strictly (an unknown key is an error, not a silent no-op).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readPkg } from "./deps.js";
import { diag } from "../diagnostics/create.js";

export interface PackageJson {
  name?: string;
  version?: string;
  type?: string;
  bin?: string | Record<string, string>;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  bale?: unknown;
}

/** The `"bale"` block of package.json: the same settings as `bale pack`'s flags. */
export interface BaleConfig {
  /** Extra files or directories to pack, relative to the package.json's directory. */
  include: string[];
  /** Extra entry points (workers, child scripts), relative to the package.json's directory. */
  entries: string[];
  /** Packages to pack whole (with their dependencies) even if no code names them statically. */
  external: string[];
  /** Paths in the project not to pack, relative to the package.json's directory. */
  exclude: string[];
  /** Opt into esbuild bundling of the app's own code and pure-JS dependencies. */
  bundle: boolean | undefined;
  /** Options node gets before the entry. */
  nodeOptions: string | undefined;
  /** The Node.js runtime to embed ("22", "22.23.5", a path relative to the package.json, or "system"). */
  runtime: string | undefined;
}

export interface Project {
  /** Absolute directory of the project's package.json (or the entry's directory when there is none). */
  root: string;
  /** Absolute path of that package.json, or null. */
  packageJsonFile: string | null;
  pkg: PackageJson | null;
  config: BaleConfig;
}

const CONFIG_KEYS: Record<keyof BaleConfig, "strings" | "boolean" | "string"> = {
  include: "strings",
  entries: "strings",
  external: "strings",
  exclude: "strings",
  bundle: "boolean",
  nodeOptions: "string",
  runtime: "string",
};

export function readPackageJson(file: string): PackageJson {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
  } catch (e) {
    throw diag("pack-bad-package-json", { reason: (e as Error).message }, { file });
  }
}

function parseConfig(raw: unknown, file: string): BaleConfig {
  const c: BaleConfig = { include: [], entries: [], external: [], exclude: [], bundle: undefined, nodeOptions: undefined, runtime: undefined };
  if (raw === undefined) return c;
  const bad = (what: string): never => {
    throw diag("pack-bad-config", { problem: what, keys: Object.keys(CONFIG_KEYS).map((k) => `"${k}"`).join(", ") }, { file });
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) bad("is not an object");
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const kind = CONFIG_KEYS[k as keyof BaleConfig];
    if (kind === undefined) bad(`has an unknown key "${k}"`);
    if (kind === "strings") {
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x !== "")) bad(`"${k}" must be a list of non-empty strings`);
      (c[k as "include" | "entries" | "external" | "exclude"] as string[]) = v as string[];
    } else if (kind === "boolean") {
      if (typeof v !== "boolean") bad(`"${k}" must be true or false`);
      c.bundle = v as boolean;
    } else {
      if (typeof v !== "string") bad(`"${k}" must be a string`);
      c[k as "nodeOptions" | "runtime"] = v as string;
    }
  }
  return c;
}

/** The nearest package.json at or above `dir` (not crossing into a parent of a node_modules package). */
export function findProject(entryFile: string): Project {
  let dir = dirname(resolve(entryFile));
  for (;;) {
    const pj = join(dir, "package.json");
    if (existsSync(pj)) {
      const pkg = readPackageJson(pj);
      return { root: dir, packageJsonFile: pj, pkg, config: parseConfig(pkg.bale, pj) };
    }
    const parent = dirname(dir);
    if (parent === dir || /[\\/]node_modules$/.test(parent)) break;
    dir = parent;
  }
  const root = dirname(resolve(entryFile));
  return { root, packageJsonFile: null, pkg: null, config: parseConfig(undefined, root) };
}

/** The module format node gives a `.js`/`.ts` file in `dir`: the `type` of the nearest package.json. */
export function packageTypeOf(dir: string): "module" | "commonjs" {
  let d = dir;
  for (;;) {
    // Through deps.ts's cache: this runs for every compiled file and every import it resolves.
    if (existsSync(join(d, "package.json"))) return readPkg(d)?.type === "module" ? "module" : "commonjs";
    const parent = dirname(d);
    if (parent === d) return "commonjs";
    d = parent;
  }
}
