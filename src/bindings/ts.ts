/** TypeScript bindings: types, precompiled validators, clients, node:http servers and config loaders. */
import { createRequire } from "node:module";
import type { AnySchema } from "ajv";
import { schemaKeyOf } from "../schema/names.js";
import { mapRefs, SchemaRefs } from "../schema/ref.js";
import { FORMATS } from "./formats.js";
import type { NamedType, TypeModel, TypeNode } from "./ir.js";
import type { BindingsModel, JsonObject, JsonValue } from "./model.js";
import { TS_RESERVED, camelCase, commentText, escape, jsString, tsKey, words } from "./names.js";
import { Printer, TS_HEADER } from "./printer.js";
import { runtimeSource } from "./runtimes.js";
import { WATCH_RUNTIME_EXPORTS, emitTsWatch } from "./ts-watch.js";
import { diag } from "../diagnostics/create.js";

const require = createRequire(import.meta.url);

/** Names exported by runtime.ts (generated type names must not clash with them through index.ts). */
const RUNTIME_EXPORTS = [
  "ConnectCode", "CONNECT_STATUS", "isConnectCode", "codeFromHttpStatus", "ConnectError", "SchemaError", "Validator",
  "describeErrors", "FetchLike", "ClientOptions", "CallOptions", "unaryCall", "CallContext", "Route", "HandlerOptions",
  "RequestListener", "createRouter", "ConfigError", "T", "V", "MAX_JSON_DEPTH", "jsonDepthExceeds", "parseRequestBody",
  "ServerOptions", "createConnectServer",
];

export interface TsNames {
  type(name: string): string;
  service(fullName: string): { client: string; impl: string; handler: string; file: string };
  method(name: string): string;
}

function planNames(model: BindingsModel, types: TypeModel): TsNames {
  const svc = new Map<string, { client: string; impl: string; handler: string; file: string }>();
  const taken = new Set<string>([...RUNTIME_EXPORTS, ...WATCH_RUNTIME_EXPORTS]);
  for (const s of model.services) {
    const n = { client: `${s.shortName}Client`, impl: `${s.shortName}Impl`, handler: `create${s.shortName}Handler`, file: words(s.shortName).join("-") };
    svc.set(s.fullName, n);
    taken.add(n.client).add(n.impl).add(n.handler);
  }
  for (const c of model.configSchemas) taken.add(`load${c}`).add(`parse${c}`).add(`watch${c}`);
  const typeNames = new Map<string, string>();
  for (const t of types.types) {
    const n = escape(t.name, TS_RESERVED, taken);
    taken.add(n);
    typeNames.set(t.name, n);
  }
  return {
    type: (name) => typeNames.get(name) ?? name,
    service: (fullName) => svc.get(fullName) ?? { client: "", impl: "", handler: "", file: "" },
    method: (name) => escape(camelCase(name), new Set(["constructor"])),
  };
}

function tsType(t: TypeNode, names: TsNames, ns = ""): string {
  switch (t.kind) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "any":
      return "unknown";
    case "literal":
      return t.values.map((v) => (typeof v === "string" ? jsString(v) : String(v))).join(" | ");
    case "array": {
      const inner = tsType(t.items, names, ns);
      return /[ |]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
    }
    case "map":
      return `{ [key: string]: ${tsType(t.values, names, ns)} }`;
    case "ref":
      return ns + names.type(t.name);
    case "nullable":
      return `${tsType(t.inner, names, ns)} | null`;
  }
}

function doc(p: Printer, text: string | undefined): void {
  if (text === undefined || text === "") return;
  const lines = commentText(text).split("\n");
  if (lines.length === 1) p.line(`/** ${lines[0]} */`);
  else {
    p.line("/**");
    for (const l of lines) p.line(l === "" ? " *" : ` * ${l}`);
    p.line(" */");
  }
}

function emitTypes(types: TypeModel, names: TsNames): string {
  const p = new Printer();
  p.line(TS_HEADER);
  p.line("// Message and config types, one per schema (and per nested object schema).");
  for (const t of types.types) {
    p.blank();
    emitType(p, t, names);
  }
  if (types.types.length === 0) p.line("export {};");
  return p.toString();
}

function emitType(p: Printer, t: NamedType, names: TsNames): void {
  doc(p, t.description);
  if (t.kind === "alias") {
    p.line(`export type ${names.type(t.name)} = ${tsType(t.type, names)};`);
    return;
  }
  p.block(`export interface ${names.type(t.name)} {`, () => {
    for (const f of t.fields) {
      doc(p, f.description);
      p.line(`${tsKey(f.name)}${f.required ? "" : "?"}: ${tsType(f.type, names)};`);
    }
    if (!t.closed) p.line("[key: string]: unknown;");
  });
}

/** Every string `format` used in the schemas. */
function formatsUsed(v: JsonValue, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) formatsUsed(x, out);
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "format" && typeof x === "string") out.add(x);
      else formatsUsed(x, out);
    }
  }
}

export const SCHEMA_BASE = "https://bale.invalid/schemas/";

const AJV_HELPERS = `function bale_ucs2length(str) {
  const len = str.length;
  let n = 0;
  for (let i = 0; i < len; i++) {
    n++;
    const c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return n;
}
function bale_equal(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!bale_equal(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || !bale_equal(a[k], b[k])) return false;
  return true;
}`;

/** Standalone ajv validators for every schema, as one self-contained ESM module (no ajv at run time). */
function emitValidators(model: BindingsModel): string {
  // ajv is CommonJS; load it through require so this works from both tsx and dist.
  const Ajv2020 = (require("ajv/dist/2020.js") as { default: new (o: object) => AjvLike }).default;
  const standaloneCode = (require("ajv/dist/standalone/index.js") as { default: (ajv: AjvLike, refs: Record<string, string>) => string }).default;
  const used = new Set<string>();
  for (const s of model.schemas) formatsUsed(s.schema, used);
  const formats: Record<string, RegExp | true> = {};
  for (const f of [...used].sort()) {
    const src = FORMATS[f];
    formats[f] = src === undefined ? true : new RegExp(src, "u");
  }
  const ajv = new Ajv2020({
    strict: false,
    logger: false,
    allErrors: false,
    unicodeRegExp: true,
    formats,
    code: { source: true, esm: true, lines: false, optimize: true },
  });
  const refs: Record<string, string> = {};
  const schemaRefs = new SchemaRefs(model.schemas);
  for (const s of model.schemas) {
    // Each schema gets a canonical $id, so a $ref by another base (a schema's own $id) is rewritten to the file name.
    const canonical = mapRefs(s.schema, (ref) => {
      const r = schemaRefs.resolve(ref, s.name);
      const base = ref.split("#", 1)[0];
      if (!r.ok || !r.external || base === schemaKeyOf(r.schema) || base === `./${schemaKeyOf(r.schema)}`) return ref;
      return schemaKeyOf(r.schema) + (ref.includes("#") ? `#${r.fragment}` : "");
    });
    const copy: JsonObject = { ...canonical, $id: SCHEMA_BASE + schemaKeyOf(s.name) };
    delete copy.$schema;
    try {
      ajv.addSchema(copy as AnySchema);
    } catch (e) {
      throw diag("gen-schema-invalid", { schema: s.name, reason: (e as Error).message }, { file: s.file, cause: e });
    }
    refs[`validate_${s.name}`] = SCHEMA_BASE + schemaKeyOf(s.name);
  }
  let code: string;
  try {
    code = model.schemas.length === 0 ? "" : standaloneCode(ajv, refs);
  } catch (e) {
    throw diag("gen-schema-invalid:all", { reason: (e as Error).message }, { file: "schemas/", cause: e });
  }
  code = code.replace(/^"use strict";/, "");
  code = code.replace(/const (\w+) = require\("ajv\/dist\/runtime\/(\w+)"\)\.default;/g, (_all, v: string, mod: string) => {
    if (mod === "ucs2length") return `const ${v} = bale_ucs2length;`;
    if (mod === "equal") return `const ${v} = bale_equal;`;
    throw diag("gen-schema-feature", { module: mod }, { file: "schemas/" });
  });
  if (/\brequire\(/.test(code)) {
    throw diag("gen-schema-feature:import", {}, { file: "schemas/" });
  }
  code = code.replace(/export const (validate_\w+) = (\w+);/g, "export const $1: Validator = $2 as unknown as Validator;");
  const p = new Printer();
  p.line(TS_HEADER);
  p.line("// Validators precompiled by ajv (standalone mode): no schema compilation and no ajv at run time.");
  p.line("// @ts-nocheck");
  p.line("/* eslint-disable */");
  p.line('import type { Validator } from "./runtime.js";');
  p.blank();
  p.lines(AJV_HELPERS);
  p.blank();
  // One statement per line keeps diffs of regenerated code readable.
  p.lines(code.replace(/;(?=(?:export |const |function |var |let ))/g, ";\n"));
  return p.toString();
}

interface AjvLike {
  addSchema(s: AnySchema): unknown;
}

function emitClient(model: BindingsModel, names: TsNames, svcName: string): string {
  const s = model.services.find((x) => x.fullName === svcName);
  if (!s) return "";
  const n = names.service(s.fullName);
  const p = new Printer();
  p.line(TS_HEADER);
  p.line(`// Client of ${s.fullName} (Connect unary JSON over HTTP).`);
  p.line('import type * as T from "./types.js";');
  p.line('import { unaryCall, type CallOptions, type ClientOptions } from "./runtime.js";');
  p.blank();
  doc(p, s.description);
  p.block(`export class ${n.client} {`, () => {
    p.line("readonly #baseUrl: string;");
    p.line("readonly #options: ClientOptions;");
    p.blank();
    doc(p, "@param baseUrl Where the server is, e.g. \"http://127.0.0.1:8080\" (paths are appended to it).");
    p.block("constructor(baseUrl: string, options: ClientOptions = {}) {", () => {
      p.line("this.#baseUrl = baseUrl;");
      p.line("this.#options = options;");
    });
    for (const m of s.methods) {
      p.blank();
      doc(p, m.description);
      p.block(`${names.method(m.name)}(request: T.${names.type(m.input)}, options?: CallOptions): Promise<T.${names.type(m.output)}> {`, () => {
        p.line(
          `return unaryCall(this.#baseUrl, ${jsString(`/${s.fullName}/${m.name}`)}, request, this.#options, options) as Promise<T.${names.type(m.output)}>;`,
        );
      });
    }
  });
  return p.toString();
}

function emitServer(model: BindingsModel, names: TsNames, svcName: string): string {
  const s = model.services.find((x) => x.fullName === svcName);
  if (!s) return "";
  const n = names.service(s.fullName);
  const p = new Printer();
  p.line(TS_HEADER);
  p.line(`// Server binding of ${s.fullName}: a node:http request listener that validates and routes.`);
  p.line('import type * as T from "./types.js";');
  p.line('import * as V from "./validators.js";');
  p.line('import { createRouter, type CallContext, type HandlerOptions, type RequestListener, type Route } from "./runtime.js";');
  p.blank();
  p.line(`/** What a ${s.shortName} server implements. Throw ConnectError to answer with a specific code. */`);
  p.block(`export interface ${n.impl} {`, () => {
    for (const m of s.methods) {
      doc(p, m.description);
      p.line(`${names.method(m.name)}(request: T.${names.type(m.input)}, context: CallContext): T.${names.type(m.output)} | Promise<T.${names.type(m.output)}>;`);
    }
  });
  p.blank();
  p.line(`/** A request listener serving ${s.fullName}: pass it to createConnectServer() (or http.createServer()). */`);
  p.block(`export function ${n.handler}(impl: ${n.impl}, options: HandlerOptions = {}): RequestListener {`, () => {
    p.line("const routes = new Map<string, Route>();");
    for (const m of s.methods) {
      const proc = `${s.fullName}/${m.name}`;
      p.block(`routes.set(${jsString("/" + proc)}, {`, () => {
        p.line(`procedure: ${jsString(proc)},`);
        p.line(`validateInput: V.validate_${m.input},`);
        p.line(`validateOutput: V.validate_${m.output},`);
        p.line(`invoke: (input, context) => impl.${names.method(m.name)}(input as T.${names.type(m.input)}, context),`);
      }, "});");
    }
    p.line("return createRouter(routes, options);");
  });
  return p.toString();
}

function emitConfigs(model: BindingsModel, names: TsNames): string {
  const p = new Printer();
  p.line(TS_HEADER);
  p.line("// Typed config loaders: read a compiled config (JSON) and validate it against its schema.");
  p.line('import { readFileSync } from "node:fs";');
  p.line('import type * as T from "./types.js";');
  p.line('import * as V from "./validators.js";');
  p.line('import { describeErrors } from "./runtime.js";');
  p.blank();
  p.line("/** A config file that cannot be read or does not match its schema. */");
  p.block("export class ConfigError extends Error {", () => {
    p.line('override readonly name = "ConfigError";');
    p.line("/** The file (or description of the value) that was loaded. */");
    p.line("readonly source: string;");
    p.block("constructor(source: string, message: string) {", () => {
      p.line('super(source + ": " + message);');
      p.line("this.source = source;");
    });
  });
  p.blank();
  p.block("function readJson(path: string): unknown {", () => {
    p.line("let text: string;");
    p.block("try {", () => p.line('text = readFileSync(path, "utf8");'), "");
    p.block("} catch (e) {", () => p.line('throw new ConfigError(path, "cannot read: " + (e instanceof Error ? e.message : String(e)));'));
    p.block("try {", () => p.line("return JSON.parse(text) as unknown;"), "");
    p.block("} catch (e) {", () => p.line('throw new ConfigError(path, "not valid JSON: " + (e instanceof Error ? e.message : String(e)));'));
  });
  for (const c of model.configSchemas) {
    const tn = `T.${names.type(c)}`;
    p.blank();
    p.line(`/** Validates a value against ${c}.schema.json and returns it typed; throws ConfigError. */`);
    p.block(`export function parse${c}(value: unknown, source = "value"): ${tn} {`, () => {
      p.line(`if (!V.validate_${c}(value)) throw new ConfigError(source, "does not match ${c}: " + describeErrors(V.validate_${c}));`);
      p.line(`return value as ${tn};`);
    });
    p.blank();
    p.line(`/** Reads a compiled ${c} config (JSON) and validates it; throws ConfigError. */`);
    p.block(`export function load${c}(path: string): ${tn} {`, () => {
      p.line(`return parse${c}(readJson(path), path);`);
    });
  }
  return p.toString();
}

export function generateTs(model: BindingsModel, types: TypeModel): Map<string, string> {
  const names = planNames(model, types);
  const files = new Map<string, string>();
  files.set("types.ts", emitTypes(types, names));
  files.set("runtime.ts", `${TS_HEADER}\n// Connect unary JSON protocol: errors, client transport and server router.\n${runtimeSource("runtime.ts")}`);
  files.set("validators.ts", emitValidators(model));
  files.set("configs.ts", emitConfigs(model, names));
  const index = new Printer();
  index.line(TS_HEADER);
  index.line('export type * from "./types.js";');
  index.line('export * from "./runtime.js";');
  index.line('export * from "./configs.js";');
  for (const [f, text] of emitTsWatch(model, names)) files.set(f, text);
  index.line('export * from "./watch-runtime.js";');
  index.line('export * from "./watchers.js";');
  for (const s of model.services) {
    const n = names.service(s.fullName);
    files.set(`${n.file}-client.ts`, emitClient(model, names, s.fullName));
    files.set(`${n.file}-server.ts`, emitServer(model, names, s.fullName));
    index.line(`export * from "./${n.file}-client.js";`);
    index.line(`export * from "./${n.file}-server.js";`);
  }
  files.set("index.ts", index.toString());
  // The generated modules are ESM (import/export with .js specifiers); this makes that true
  // wherever the folder lives, whatever the enclosing package says.
  files.set("package.json", JSON.stringify({ "x-generated-by": "bale", type: "module", sideEffects: false }, null, 2) + "\n");
  return files;
}
