/**
 * Reads what bindings are generated from: the schema files of a config
 * project and the compiled service definitions listed in its manifest.
 * This is the only module that knows the on-disk contract with the config
 * compiler (src/config-compiler/types.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Manifest, ServiceDefinition } from "../config-compiler/types.js";
import { words } from "./names.js";
import { appendPointer } from "../schema/pointer.js";
import { listSchemaFiles, parseSchemaFile, type JsonObject, type JsonValue } from "../schema/load.js";
import { schemaFileOf, schemaNameOf } from "../schema/names.js";
import { diag } from "../diagnostics/create.js";

export type { JsonObject, JsonValue };

export interface SchemaFile {
  /** Type name: the file stem, e.g. "HelloRequest" (the rule is src/schema/names.ts's). */
  name: string;
  /** Root-relative path with POSIX separators. */
  file: string;
  schema: JsonObject;
  /** `$id`, if the schema has one (other schemas may `$ref` it by that). */
  id?: string;
}

export interface MethodModel {
  /** As written in the service definition, e.g. "SayHello". */
  name: string;
  input: string;
  output: string;
  description?: string;
}

export interface ServiceModel {
  /** "demo.v1.Greeter" */
  fullName: string;
  /** "demo.v1" ("" when the name has no dots). */
  packageName: string;
  /** "Greeter" */
  shortName: string;
  description?: string;
  /** Sorted by name. */
  methods: MethodModel[];
  /** The compiled JSON it came from (out-relative). */
  output: string;
}

export interface BindingsModel {
  root: string;
  configOut: string;
  /** Sorted by name. */
  schemas: SchemaFile[];
  /** Sorted by full name. */
  services: ServiceModel[];
  /** Names of schemas that get typed loaders, sorted. */
  configSchemas: string[];
  /** Names of schemas used by config artifacts (for information), sorted. */
  usedByConfigs: string[];
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

function rel(root: string, p: string): string {
  return relative(root, p).split("\\").join("/") || ".";
}

function readJson(path: string, shown: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw diag("gen-read", { what, reason: (e as Error).message }, { file: shown, cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw diag("gen-json", { what, reason: (e as Error).message }, { file: shown, cause: e });
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface LoadOptions {
  root: string;
  /** Compiled config dir; default `<root>/out`. */
  configOut?: string;
}

export function loadModel(opts: LoadOptions): BindingsModel {
  const root = resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw diag("gen-root", { root: opts.root }, { file: opts.root });
  }
  const configOut = resolve(root, opts.configOut ?? "out");
  const manifestPath = join(configOut, "bale-manifest.json");
  if (!existsSync(manifestPath)) {
    throw diag("gen-no-manifest", { manifest: rel(process.cwd(), manifestPath), root: rel(process.cwd(), root) }, { file: rel(process.cwd(), manifestPath) });
  }
  const schemas = readSchemas(root);
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const manifestShown = rel(process.cwd(), manifestPath);
  const manifest = readJson(manifestPath, manifestShown, "the manifest") as Manifest;
  if (!isObject(manifest) || manifest.version !== 1 || !Array.isArray(manifest.artifacts)) {
    throw diag("gen-manifest", {}, { file: manifestShown });
  }
  const services: ServiceModel[] = [];
  const usedByConfigs = new Set<string>();
  for (const a of manifest.artifacts) {
    if (a.kind === "config") {
      usedByConfigs.add(a.schema);
      continue;
    }
    if (a.kind !== "service") continue;
    const file = join(configOut, a.output);
    const shown = rel(process.cwd(), file);
    const def = readJson(file, shown, "the service definition") as ServiceDefinition;
    services.push(serviceModel(def, a.output, shown, byName));
  }
  services.sort((a, b) => cmp(a.fullName, b.fullName));
  for (let i = 1; i < services.length; i++) {
    const prev = services[i - 1];
    const cur = services[i];
    if (prev && cur && prev.fullName === cur.fullName) {
      throw diag("gen-service-duplicate", { service: cur.fullName, first: prev.output, second: cur.output }, { file: cur.output });
    }
  }
  checkShortNames(services);
  for (const s of services) checkMethodNames(s);
  const messages = new Set<string>();
  for (const s of services) for (const m of s.methods) messages.add(m.input).add(m.output);
  const configSchemas = schemas.map((s) => s.name).filter((n) => usedByConfigs.has(n) || !messages.has(n));
  checkLoaderNames(configSchemas, byName);
  return { root, configOut, schemas, services, configSchemas, usedByConfigs: [...usedByConfigs].sort(cmp) };
}

/**
 * Every language names a service's client, server and file after its short name (the part after the
 * last dot), so two services whose short names are equal, or differ only in case and separators
 * ("FooBar", "foo_bar": the same file name once split into words), cannot live in one output.
 * Checked here, once, so that every language refuses it the same way.
 */
function checkShortNames(services: readonly ServiceModel[]): void {
  const clash = wordClash(services, (s) => s.shortName);
  if (clash === undefined) return;
  const [other, s] = clash;
  const same = other.shortName === s.shortName ? `the same name ${s.shortName}` : `names (${other.shortName}, ${s.shortName}) that differ only in case or separators`;
  throw diag("gen-service-clash", { first: other.fullName, second: s.fullName, same }, { file: s.output });
}

/** The first two items whose names are one once split into words ("SayHello", "say_hello", "sayHello"). */
function wordClash<T>(items: readonly T[], name: (t: T) => string): [T, T] | undefined {
  const seen = new Map<string, T>();
  for (const item of items) {
    const key = words(name(item)).join("_");
    const other = seen.get(key);
    if (other !== undefined) return [other, item];
    seen.set(key, item);
  }
  return undefined;
}

/**
 * A method is a TypeScript method in camelCase and a Python one in snake_case, so methods whose
 * names differ only in case and separators ("SayHello", "sayHello", "Say_Hello") would be defined
 * twice in every language (each shadowing the other).
 */
function checkMethodNames(s: ServiceModel): void {
  const clash = wordClash(s.methods.map((m) => m.name), (n) => n);
  if (clash !== undefined) {
    throw diag("gen-method-clash", { first: clash[0], second: clash[1], service: s.fullName }, { file: s.output });
  }
}

/**
 * Config loaders are named after their schema in snake_case in Python (`load_foo_bar`), so two config
 * schemas whose names differ only in case and separators ("FooBar", "Foo_Bar") would get one loader.
 */
function checkLoaderNames(configSchemas: readonly string[], byName: Map<string, SchemaFile>): void {
  const clash = wordClash(configSchemas, (n) => n);
  if (clash !== undefined) {
    throw diag("gen-schema-clash", { first: clash[0], second: clash[1] }, { file: byName.get(clash[1])?.file ?? schemaFileOf(clash[1]) });
  }
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readSchemas(root: string): SchemaFile[] {
  const out: SchemaFile[] = [];
  for (const file of listSchemaFiles(root)) {
    const f = file.slice(file.lastIndexOf("/") + 1);
    let text: string;
    try {
      text = readFileSync(join(root, file), "utf8");
    } catch (e) {
      throw diag("gen-read:schema", { reason: (e as Error).message }, { file, cause: e });
    }
    const parsed = parseSchemaFile(file, text);
    if (!parsed.ok) {
      const p = parsed.problem;
      if (p.kind === "name") {
        throw diag("gen-schema-name", { file: f, reason: p.message }, { file });
      }
      if (p.kind === "json") {
        throw diag("gen-json", { what: "the schema", reason: p.message }, { file });
      }
      throw diag("gen-schema", { schema: schemaNameOf(f) }, { file });
    }
    const { name, json: schema, id } = parsed.schema;
    const bad = illFormedText(schema, "");
    if (bad !== undefined) {
      throw diag("gen-schema:unicode", { schema: name, pointer: JSON.stringify(bad || "/") }, { file });
    }
    out.push(id === undefined ? { name, file, schema } : { name, file, schema, id });
  }
  return out;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The JSON pointer of the first object key or string with a lone surrogate, if any (such text has no UTF-8 form). */
function illFormedText(v: JsonValue, at: string): string | undefined {
  if (typeof v === "string") return LONE_SURROGATE.test(v) ? at : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = illFormedText(v[i] ?? null, `${at}/${i}`);
      if (r !== undefined) return r;
    }
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (LONE_SURROGATE.test(k)) return appendPointer(at, k);
      const r = illFormedText(x, appendPointer(at, k));
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

function serviceModel(def: ServiceDefinition, output: string, shown: string, schemas: Map<string, SchemaFile>): ServiceModel {
  if (!isObject(def) || typeof def.name !== "string" || !isObject(def.methods)) {
    throw diag("gen-service", {}, { file: shown });
  }
  const parts = def.name.split(".");
  const shortName = parts.pop() ?? "";
  if (!NAME.test(shortName) || parts.some((p) => !NAME.test(p))) {
    throw diag("gen-service-name", { name: JSON.stringify(def.name) }, { file: shown });
  }
  const methods: MethodModel[] = [];
  for (const name of Object.keys(def.methods).sort(cmp)) {
    const m = def.methods[name] as unknown;
    if (!NAME.test(name)) {
      throw diag("gen-method-name", { name: JSON.stringify(name), service: def.name }, { file: shown });
    }
    if (!isObject(m) || typeof m.input !== "string" || typeof m.output !== "string") {
      throw diag("gen-method", { method: `${def.name}.${name}` }, { file: shown });
    }
    for (const role of ["input", "output"] as const) {
      const t = m[role] as string;
      const s = schemas.get(t);
      if (!s) {
        throw diag("gen-method-type", { method: `${def.name}.${name}`, role, type: t, schemaFile: schemaFileOf(t), schemas: [...schemas.keys()].join(", ") || "(no schemas)" }, { file: shown });
      }
      const st = s.schema.type;
      if (st !== undefined && st !== "object") {
        throw diag("gen-method-type:not-object", { method: `${def.name}.${name}`, role, type: t }, { file: s.file });
      }
    }
    const mm: MethodModel = { name, input: m.input, output: m.output };
    if (typeof m.description === "string") mm.description = m.description;
    methods.push(mm);
  }
  const sm: ServiceModel = { fullName: def.name, packageName: parts.join("."), shortName, methods, output };
  if (typeof def.description === "string") sm.description = def.description;
  return sm;
}
