/** Finds a config project's schemas, validators and scripts, and reads bale.config.json. */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { isBelow } from "../fsutil.js";
import { suggest } from "./diagnostics.js";
import { listSchemaFiles } from "../schema/load.js";
import { diag } from "../diagnostics/create.js";

/** Directories never searched for scripts (besides dot-directories and the output dir). */
export const SKIP_DIRS = new Set(["node_modules", "out", "gen"]);

export interface Discovered {
  /** Root-relative POSIX paths, sorted. */
  schemas: string[];
  validators: string[];
  scripts: string[];
}

export const SCRIPT_SUFFIXES = [".config.ts", ".service.ts"] as const;

export function validatorNameOf(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1, -".validate.ts".length);
}

/** `configs/prod/greeter.config.ts` -> `configs/prod/greeter.json`. */
export function outputOf(script: string): string {
  for (const s of SCRIPT_SUFFIXES) if (script.endsWith(s)) return script.slice(0, -s.length) + ".json";
  throw new Error(`not a script: ${script}`);
}

export function kindOf(script: string): "config" | "service" {
  return script.endsWith(".service.ts") ? "service" : "config";
}

export function toPosix(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}

/** A project root must be a directory: `config-root-missing` otherwise (a build, and a watch before it starts). */
export function checkRoot(root: string): void {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw diag("config-root-missing", {}, { file: root });
  }
}

/**
 * Walks `root`. `outAbs` (the output directory) and its temp siblings are skipped wherever
 * they are, as are node_modules, out, gen and dot-directories.
 */
export function discover(root: string, outAbs: string): Discovered {
  checkRoot(root);
  const schemas = listSchemaFiles(root);
  const validators: string[] = [];
  const scripts: string[] = [];
  const schemaDir = join(root, "schemas");
  if (existsSync(schemaDir) && statSync(schemaDir).isDirectory()) {
    for (const name of readdirSync(schemaDir).sort()) {
      if (name.endsWith(".validate.ts")) validators.push(`schemas/${name}`);
    }
  }
  const outName = relative(root, outAbs);
  const realRoot = realpathSync(root);
  const walk = (dir: string, rel: string): void => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const name = d.name;
      const relPath = rel ? `${rel}/${name}` : name;
      if (d.isDirectory()) {
        if (name.startsWith(".") || SKIP_DIRS.has(name) || toPosix(relPath) === toPosix(outName)) continue;
        walk(join(dir, name), relPath);
      } else if (d.isFile() && !name.endsWith(".d.ts") && SCRIPT_SUFFIXES.some((s) => name.endsWith(s))) {
        scripts.push(relPath);
      } else if (d.isSymbolicLink() && !name.endsWith(".d.ts") && SCRIPT_SUFFIXES.some((s) => name.endsWith(s))) {
        // A script that is a link is followed when it leads to a file inside the root.
        let real: string | undefined;
        try {
          real = realpathSync(join(dir, name));
        } catch {
          real = undefined;
        }
        if (real === undefined || !statSync(real).isFile()) {
          throw diag("config-link-outside-root:dangling", {}, { file: toPosix(relPath), line: 1 });
        }
        if (!isBelow(real, realRoot)) {
          throw diag("config-link-outside-root", {}, { file: toPosix(relPath), line: 1 });
        }
        scripts.push(relPath);
      }
    }
  };
  walk(root, "");
  scripts.sort();
  return { schemas, validators, scripts };
}

export interface ProjectFile {
  /** Bare package names scripts may import (their own dependencies included). */
  allowPackages: string[];
  timeoutMs?: number;
  memoryLimitMb?: number;
}

/**
 * bale.config.json's JSON Schema (2020-12). Unknown keys are errors: a misspelled limit would
 * otherwise be silently the default. `$schema` is allowed, for editors.
 */
export const PROJECT_FILE_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "bale.config.json",
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: { type: "string" },
    allowPackages: { type: "array", items: { type: "string", minLength: 1 }, description: "Bare package names scripts may import (their own dependencies included)" },
    timeoutMs: { type: "integer", minimum: 1, description: "Time limit per script, ms (default 5000)" },
    memoryLimitMb: { type: "integer", minimum: 16, description: "Heap limit of each evaluation worker, and ArrayBuffer budget per script, MiB (default 256)" },
  },
} as const;

/** What each key must be, in the words of the README. */
const MUST: Record<Exclude<keyof typeof PROJECT_FILE_SCHEMA.properties, "$schema">, string> = {
  allowPackages: "an array of package names",
  timeoutMs: "a positive integer",
  memoryLimitMb: "an integer >= 16",
};

/**
 * The first way `raw` breaks PROJECT_FILE_SCHEMA, or undefined when it holds. Written out by hand so
 * that a build does not load ajv (~100-200 ms) for a four-key file; test/unit/project-file.test.ts
 * checks it agrees with ajv on the schema itself.
 */
export function projectFileProblem(raw: unknown): { kind: "not-object" } | { kind: "unknown-key" | "bad-value"; key: string } | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { kind: "not-object" };
  const int = (v: unknown, min: number): boolean => typeof v === "number" && Number.isInteger(v) && v >= min;
  for (const [key, v] of Object.entries(raw)) {
    const ok =
      key === "$schema" ? typeof v === "string"
      : key === "allowPackages" ? Array.isArray(v) && v.every((x) => typeof x === "string" && [...x].length >= 1)
      : key === "timeoutMs" ? int(v, 1)
      : key === "memoryLimitMb" ? int(v, 16)
      : undefined;
    if (ok === undefined) return { kind: "unknown-key", key };
    if (!ok) return { kind: "bad-value", key };
  }
  return undefined;
}

/** Reads `<root>/bale.config.json` (optional), checked against PROJECT_FILE_SCHEMA. */
export function readProjectFile(root: string): ProjectFile {
  const file = join(root, "bale.config.json");
  if (!existsSync(file)) return { allowPackages: [] };
  let raw: unknown;
  const text = readFileSync(file, "utf8");
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw diag("config-project-file:json", { reason: (e as Error).message }, { file: "bale.config.json" });
  }
  const problem = projectFileProblem(raw);
  if (problem) {
    const known = Object.keys(MUST);
    if (problem.kind === "not-object") {
      throw diag("config-project-file:not-object", { keys: known.join(", ") }, { file: "bale.config.json", line: 1 });
    }
    const { key } = problem;
    const line = lineOfKey(text, key) ?? 1;
    if (problem.kind === "unknown-key") {
      const near = suggest(key, known);
      const at = { file: "bale.config.json", line };
      throw near !== undefined
        ? diag("config-project-file:unknown-key", { key, near }, at)
        : diag("config-project-file:unknown-key-other", { key, keys: known.join(", ") }, at);
    }
    const must = MUST[key as keyof typeof MUST] ?? "a string";
    throw diag("config-project-file", { key, must }, { file: "bale.config.json", line });
  }
  const o = raw as { allowPackages?: string[]; timeoutMs?: number; memoryLimitMb?: number };
  return {
    allowPackages: [...(o.allowPackages ?? [])].sort(),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.memoryLimitMb !== undefined ? { memoryLimitMb: o.memoryLimitMb } : {}),
  };
}

function lineOfKey(text: string, key: string): number | undefined {
  const i = text.indexOf(JSON.stringify(key));
  return i < 0 ? undefined : text.slice(0, i).split("\n").length;
}
