/**
 * Turns evaluation results into BaleErrors: one line each (file:line:col, what is wrong, a fix),
 * then details (expected/actual, code frame, mapped stack). Source maps locate exceptions;
 * the TypeScript parser (locate.ts) locates the literal behind a JSON pointer.
 */
import { join } from "node:path";
import { SourceMap } from "node:module";
import type { BaleError } from "../errors.js";
import { codeFrame, suggest } from "./diagnostics.js";
import type { EvalResult, SchemaErrorInfo, ThrowInfo } from "./protocol.js";
import type { SourceLocator, Located } from "./locate.js";
import type { LoadedSchema } from "./schemas.js";
import { appendPointer, getPointer, parsePointer } from "../schema/pointer.js";
import { SchemaRefs } from "../schema/ref.js";
import { schemaFileOf } from "../schema/names.js";
import { diag } from "../diagnostics/create.js";

/** Globals a Node.js script might expect that hermetic evaluation does not provide. */
export const HOST_GLOBALS = new Set([
  "process", "require", "module", "exports", "__dirname", "__filename", "Buffer", "global", "fetch", "setTimeout", "setInterval",
  "setImmediate", "clearTimeout", "clearInterval", "queueMicrotask", "structuredClone", "performance", "crypto", "navigator",
  "XMLHttpRequest", "WebSocket", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa", "Deno", "Bun", "WeakRef",
  "FinalizationRegistry", "localStorage", "location", "document", "window",
]);

export interface ExplainContext {
  root: string;
  /** Source maps of bundled entries, by root-relative source (JSON text). */
  maps: Map<string, string>;
  locator: () => Promise<SourceLocator>;
  schemas: Map<string, LoadedSchema>;
  timeoutMs: number;
  memoryLimitMb: number;
}

interface Frame {
  file: string;
  line: number;
  column: number;
}

const mapCache = new WeakMap<ExplainContext, Map<string, SourceMap>>();

/** Maps the user frames of a stack (bundled coordinates) back to the original files. */
export function mappedFrames(stack: string, bundleOf: string, ctx: ExplainContext): Frame[] {
  let cache = mapCache.get(ctx);
  if (!cache) mapCache.set(ctx, (cache = new Map()));
  const frames: Frame[] = [];
  for (const raw of stack.split("\n")) {
    const m = /bale-bundle:(.+?):(\d+):(\d+)\)?\s*$/.exec(raw);
    if (!m) continue;
    const source = m[1] as string;
    const mapText = ctx.maps.get(source);
    if (!mapText) continue;
    let sm = cache.get(source);
    if (!sm) cache.set(source, (sm = new SourceMap(JSON.parse(mapText) as never)));
    const e = sm.findEntry(Number(m[2]) - 1, Number(m[3]) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (e.originalSource === undefined || e.originalLine === undefined) continue;
    frames.push({ file: normalizeSource(e.originalSource, ctx.root), line: e.originalLine + 1, column: (e.originalColumn ?? 0) + 1 });
  }
  void bundleOf;
  return frames;
}

function normalizeSource(s: string, root: string): string {
  let r = s.replace(/^file:\/\//, "");
  if (r.startsWith(root + "/")) r = r.slice(root.length + 1);
  return r;
}

function at(loc: { file: string; line?: number; column?: number }, root: string): { file: string; line?: number; column?: number; details: string[] } {
  return {
    file: loc.file,
    ...(loc.line !== undefined ? { line: loc.line } : {}),
    ...(loc.column !== undefined ? { column: loc.column } : {}),
    details: codeFrame(join(root, loc.file), loc.line, loc.column),
  };
}

function throwError(source: string, info: ThrowInfo, ctx: ExplainContext, validator?: string): BaleError {
  const script = validator ?? source;
  const frames = mappedFrames(info.stack, script, ctx);
  const top = frames[0] ?? { file: script };
  const loc = at(top, ctx.root);
  const where = top.file !== source ? ` (while evaluating ${source})` : "";
  const stackLines = frames.slice(0, 8).map((f) => `at ${f.file}:${f.line}:${f.column}`);
  const undef = /^(\S+) is not defined$/.exec(info.message);
  if (info.hermetic) {
    const key = info.hermetic.startsWith("Math.random") ? "config-hermetic:random" : /Date|format/.test(info.hermetic) ? "config-hermetic:date" : "config-hermetic";
    return diag(key, { message: info.message, where }, { ...loc, details: [...loc.details, ...stackLines] });
  }
  if (info.name === "ReferenceError" && undef && HOST_GLOBALS.has(undef[1] as string)) {
    const api = undef[1] as string;
    return diag("config-hermetic:host", { api, where }, { ...loc, details: [...loc.details, ...stackLines] });
  }
  if (info.name === "RangeError" && /Maximum call stack/.test(info.message)) {
    return diag(validator ? "config-validator-error:overflow" : "config-throw:overflow", { message: info.message, where }, { ...loc, details: [...loc.details, ...stackLines] });
  }
  const what = info.thrown ? `threw a non-Error value: ${info.thrown}` : `threw ${info.name ? info.name + ": " : ""}${info.message}`;
  return diag(validator ? "config-validator-error" : "config-throw", { what, where }, { ...loc, details: [...loc.details, ...stackLines] });
}

async function located(source: string, pointer: string, ctx: ExplainContext): Promise<Located | undefined> {
  try {
    return (await ctx.locator()).locate(source, pointer);
  } catch {
    return undefined;
  }
}

/** The subject (`in a.config.ts, \`/x\``, or "the value") and location of a problem at `pointer` of `source`'s value. */
async function atPointer(source: string, pointer: string, extra: string[], ctx: ExplainContext): Promise<{ subject: string; init: { file: string; line?: number; column?: number; details: string[] } }> {
  const loc = await located(source, pointer, ctx);
  const where = loc && loc.file !== source ? `in ${source}, ` : "";
  const l = loc ? at(loc, ctx.root) : { file: source, details: [] as string[] };
  const details = [...extra];
  if (loc && !loc.exact) details.push(`(computed value: the line above is the nearest source bale could find)`);
  details.push(...l.details);
  return { subject: `${where}${pointer ? "`" + pointer + "`" : "the value"}`, init: { ...l, details } };
}

function jsonType(actual: string): string {
  if (actual === "(absent)") return "absent";
  if (actual === "null") return "null";
  if (actual.startsWith("{")) return "an object";
  if (actual.startsWith("[")) return "an array";
  if (actual.startsWith('"')) return `a string (${actual})`;
  if (actual === "true" || actual === "false") return `a boolean (${actual})`;
  return /\./.test(actual) || /e/i.test(actual) ? `a number (${actual})` : `an integer (${actual})`;
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** A plain-English reason for one ajv error; the pointer it is about; expected text. */
export function describeSchemaError(e: SchemaErrorInfo, schemaProps: (pointer: string) => string[]): { pointer: string; text: string; expected?: string; hint?: string } {
  const p = e.params;
  const list = (v: unknown): string => (Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(", ") : JSON.stringify(v));
  const got = `, but it is ${e.actual === "(absent)" ? "absent" : e.actual}`;
  switch (e.keyword) {
    case "required":
      return { pointer: e.instancePath, text: `is missing the required property "${String(p.missingProperty)}"`, expected: `the property "${String(p.missingProperty)}"` };
    case "additionalProperties":
    case "unevaluatedProperties": {
      const prop = String(p.additionalProperty ?? p.unevaluatedProperty);
      const s = suggest(prop, schemaProps(e.instancePath));
      return {
        pointer: appendPointer(e.instancePath, prop),
        text: `is not a property the schema allows`,
        expected: schemaProps(e.instancePath).length ? `one of the properties ${schemaProps(e.instancePath).map((x) => `"${x}"`).join(", ")}` : "no extra properties",
        ...(s ? { hint: `did you mean "${s}"?` } : {}),
      };
    }
    case "type": {
      const types = String(p.type).split(",");
      const exp = types.map((t) => article(t)).join(" or ");
      return { pointer: e.instancePath, text: `must be ${exp}, but it is ${jsonType(e.actual)}`, expected: exp };
    }
    case "enum":
      return { pointer: e.instancePath, text: `must be one of ${list(p.allowedValues)}${got}`, expected: `one of ${list(p.allowedValues)}` };
    case "const":
      return { pointer: e.instancePath, text: `must be ${JSON.stringify(p.allowedValue)}${got}`, expected: JSON.stringify(p.allowedValue) };
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const word = { minimum: "at least", maximum: "at most", exclusiveMinimum: "greater than", exclusiveMaximum: "less than" }[e.keyword];
      return { pointer: e.instancePath, text: `must be ${word} ${String(p.limit)}${got}`, expected: `${word} ${String(p.limit)}` };
    }
    case "multipleOf":
      return { pointer: e.instancePath, text: `must be a multiple of ${String(p.multipleOf)}${got}`, expected: `a multiple of ${String(p.multipleOf)}` };
    case "minLength":
    case "maxLength": {
      const word = e.keyword === "minLength" ? "at least" : "at most";
      return { pointer: e.instancePath, text: `must be ${word} ${String(p.limit)} characters long${got}`, expected: `${word} ${String(p.limit)} characters` };
    }
    case "pattern":
      return { pointer: e.instancePath, text: `must match the pattern ${String(p.pattern)}${got}`, expected: `a string matching ${String(p.pattern)}` };
    case "format":
      return { pointer: e.instancePath, text: `must be a valid ${String(p.format)}${got}`, expected: `a ${String(p.format)}` };
    case "minItems":
    case "maxItems": {
      const word = e.keyword === "minItems" ? "at least" : "at most";
      return { pointer: e.instancePath, text: `must have ${word} ${String(p.limit)} item${p.limit === 1 ? "" : "s"}`, expected: `${word} ${String(p.limit)} items` };
    }
    case "minProperties":
    case "maxProperties": {
      const word = e.keyword === "minProperties" ? "at least" : "at most";
      return { pointer: e.instancePath, text: `must have ${word} ${String(p.limit)} propert${p.limit === 1 ? "y" : "ies"}`, expected: `${word} ${String(p.limit)} properties` };
    }
    case "uniqueItems":
      return { pointer: e.instancePath, text: `must not contain duplicates (items ${String(p.j)} and ${String(p.i)} are equal)`, expected: "unique items" };
    case "propertyNames":
      return { pointer: e.instancePath, text: `has a property named "${String(p.propertyName)}", which the schema does not allow`, expected: "allowed property names" };
    case "dependentRequired":
      return { pointer: e.instancePath, text: `must also have "${String(p.missingProperty)}" because it has "${String(p.property)}"` };
    case "anyOf":
      return { pointer: e.instancePath, text: `does not match any of the allowed alternatives (anyOf)${got}` };
    case "oneOf":
      return { pointer: e.instancePath, text: p.passingSchemas ? `matches more than one alternative (oneOf needs exactly one)` : `does not match any of the alternatives (oneOf)${got}` };
    case "not":
      return { pointer: e.instancePath, text: `matches a shape the schema excludes (not)${got}` };
    case "if":
      return { pointer: e.instancePath, text: `does not satisfy the "${String(p.failingKeyword)}" branch of an if/then/else` };
    case "contains":
      return { pointer: e.instancePath, text: `must contain at least ${String(p.minContains ?? 1)} matching item(s)` };
    case "false schema":
      return { pointer: e.instancePath, text: `is not allowed here` };
    default:
      return { pointer: e.instancePath, text: `${e.message}${got}` };
  }
}

/** Property names a schema declares at an instance location (for "did you mean"), through `$ref`s. */
function propsAt(schema: LoadedSchema | undefined, schemas: Map<string, LoadedSchema>): (pointer: string) => string[] {
  const refs = new SchemaRefs(schemas.values());
  return (pointer: string) => {
    let within = schema?.name ?? "";
    const follow = (s: unknown): unknown => {
      for (let i = 0; i < 5 && s && typeof s === "object" && typeof (s as { $ref?: unknown }).$ref === "string"; i++) {
        const r = refs.resolve((s as { $ref: string }).$ref, within);
        const target = r.ok ? getPointer(schemas.get(r.schema)?.json, r.pointer) : undefined;
        if (!r.ok || target === undefined) return s;
        s = target;
        within = r.schema;
      }
      return s;
    };
    let cur = follow(schema?.json);
    for (const seg of parsePointer(pointer)) {
      if (!cur || typeof cur !== "object") return [];
      const c = cur as { properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
      cur = follow(/^\d+$/.test(seg) && c.items ? c.items : ((c.properties && Object.hasOwn(c.properties, seg) ? c.properties[seg] : undefined) ?? c.additionalProperties));
    }
    const props = (cur as { properties?: Record<string, unknown> } | undefined)?.properties;
    return props ? Object.keys(props) : [];
  };
}

export async function explain(source: string, r: EvalResult, ctx: ExplainContext): Promise<BaleError[]> {
  switch (r.status) {
    case "ok":
      return [];
    case "throw":
      return [throwError(source, r.error, ctx)];
    case "timeout": {
      const hot = r.hot ? mappedFrames(`at bale-bundle:${source}:${r.hot.line}:${r.hot.column}`, source, ctx)[0] : undefined;
      return [
        diag("config-timeout", { ms: ctx.timeoutMs }, {
          file: hot?.file ?? source,
          ...(hot ? { line: hot.line, column: hot.column } : {}),
          details: hot ? [`the script spent its time here${hot.file !== source ? ` (while evaluating ${source})` : ""}:`, ...codeFrame(join(ctx.root, hot.file), hot.line, hot.column)] : [],
        }),
      ];
    }
    case "memory": {
      if (r.error) {
        // Refused by the sandbox's ArrayBuffer accounting: the error's stack says where.
        const top = mappedFrames(r.error.stack, source, ctx)[0];
        const loc = at(top ?? { file: source }, ctx.root);
        return [
          diag("config-memory:array-buffer", { mb: ctx.memoryLimitMb, where: top && top.file !== source ? ` (while evaluating ${source})` : "" }, loc),
        ];
      }
      const hot = r.hot ? mappedFrames(`at bale-bundle:${source}:${r.hot.line}:${r.hot.column}`, source, ctx)[0] : undefined;
      return [
        diag("config-memory", { mb: ctx.memoryLimitMb }, {
          file: hot?.file ?? source,
          ...(hot ? { line: hot.line, column: hot.column } : {}),
          details: hot ? [`the script was busy here (found by a short profiled re-run)${hot.file !== source ? ` while evaluating ${source}` : ""}:`, ...codeFrame(join(ctx.root, hot.file), hot.line, hot.column)] : [],
        }),
      ];
    }
    case "no-default":
      return [
        diag("config-no-default-export", {}, { file: source, line: 1 }),
      ];
    case "never-settled":
      return [
        diag("config-throw:never-settles", {}, await defaultExportLoc(source, ctx)),
      ];
    case "not-constructed": {
      const loc = await defaultExportLoc(source, ctx);
      return [
        diag("config-not-constructed", { got: r.got, schema: suggestSchema(source, ctx) }, loc),
      ];
    }
    case "wrong-kind": {
      const loc = await defaultExportLoc(source, ctx);
      return r.schema === "Service"
        ? [diag("config-wrong-kind:service-in-config", { renamed: source.replace(/\.config\.ts$/, ".service.ts") }, loc)]
        : [diag("config-wrong-kind", { schema: r.schema, renamed: source.replace(/\.service\.ts$/, ".config.ts") }, loc)];
    }
    case "unknown-schema-value":
      return [diag("config-unknown-schema:constructor", { name: r.schema, schemaFile: schemaFileOf(r.schema) }, await defaultExportLoc(source, ctx))];
    case "non-json":
      return Promise.all(
        r.issues.map(async ([pointer, what]) => {
          const p = await atPointer(source, pointer, [], ctx);
          return diag("config-non-json", { subject: p.subject, what }, p.init);
        }),
      );
    case "schema": {
      const schema = ctx.schemas.get(r.schema);
      const props = propsAt(schema, ctx.schemas);
      return Promise.all(
        r.errors.map(async (e) => {
          const d = describeSchemaError(e, props);
          const schemaLoc = e.schemaPath.startsWith("#") ? `${schema?.file ?? r.schema}${e.schemaPath}` : schemaPathOf(e.schemaPath, ctx.schemas);
          const details = [
            ...(d.expected ? [`expected: ${d.expected}`] : []),
            `actual:   ${e.actual === "(absent)" ? "(absent)" : e.actual}`,
            `schema:   ${r.schema} (${schemaLoc})`,
          ];
          const p = await atPointer(source, d.pointer, details, ctx);
          return diag("config-schema-violation", { subject: p.subject, text: d.text }, { ...p.init, fix: d.hint ?? `change the value to match ${schema?.file ?? r.schema}, or change the schema` });
        }),
      );
    }
    case "service-unknown-schema":
      return Promise.all(
        r.bad.map(async ({ pointer, name }) => {
          const s = suggest(name, ctx.schemas.keys());
          const p = await atPointer(source, pointer, [], ctx);
          return diag("config-unknown-schema:service", { subject: p.subject, name, schemaFile: schemaFileOf(name) }, {
            ...p.init,
            fix: s ? `did you mean "${s}"?` : `create ${schemaFileOf(name)}, or use one of: ${[...ctx.schemas.keys()].join(", ") || "(no schemas yet)"}`,
          });
        }),
      );
    case "validator-throw":
      return [throwError(source, r.error, ctx, r.validator)];
    case "validator-bad":
      return [
        diag("config-validator-error:bad-return", { got: r.got, source }, { file: r.validator, line: 1 }),
      ];
    case "validator-timeout":
      return [diag("config-timeout:validator", { ms: ctx.timeoutMs, source }, { file: r.validator, line: 1 })];
    case "validator-failed":
      return Promise.all(
        r.messages.map(async (msg) => {
          const m = /^(\/[^:\s]*|\(root\)):\s*(.*)$/s.exec(msg);
          const pointer = m ? (m[1] === "(root)" ? "" : (m[1] as string)) : "";
          const text = m ? (m[2] as string) : msg;
          const p = await atPointer(source, pointer, [], ctx);
          return diag("config-validator-failed", { subject: p.subject, validator: r.validator, text }, p.init);
        }),
      );
    case "internal":
      throw new Error(`evaluating ${source} failed inside bale: ${r.message}`);
  }
}

async function defaultExportLoc(source: string, ctx: ExplainContext): Promise<{ file: string; line?: number; column?: number; details: string[] }> {
  const loc = await located(source, "", ctx);
  return loc && loc.file === source ? at(loc, ctx.root) : { file: source, details: [] };
}

function suggestSchema(source: string, ctx: ExplainContext): string {
  const stem = source.slice(source.lastIndexOf("/") + 1).replace(/\.(config|service)\.ts$/, "");
  return suggest(stem, ctx.schemas.keys()) ?? [...ctx.schemas.keys()][0] ?? "MySchema";
}

/** ajv's schemaPath for a referenced schema ("Person.schema.json/required") as file#pointer. */
function schemaPathOf(path: string, schemas: Map<string, LoadedSchema>): string {
  for (const s of schemas.values()) {
    for (const k of [s.key, s.id]) {
      if (k && path.startsWith(k)) {
        const rest = path.slice(k.length).replace(/^#/, "");
        return `${s.file}#${rest}`;
      }
    }
  }
  return path;
}
