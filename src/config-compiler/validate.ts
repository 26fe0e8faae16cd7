/**
 * Main-thread checks of an evaluated value: the constructor matches the file kind, ajv
 * validation against the named schema, service input/output names, then the validator
 * module's verdict (computed in the worker, used only when the schema validates).
 */
import { createRequire } from "node:module";
import type { ValidateFunction } from "./ajv.js";
import { appendPointer, formatPointer, getPointer } from "../schema/pointer.js";
import type { EvalResult } from "./protocol.js";
import { serviceSource, type LoadedSchema } from "./schemas.js";

/** Compiled validators of one schema set, by ajv key. */
export type Validators = (key: string) => ValidateFunction | undefined;

/**
 * A schema set's validators as ajv's standalone code, kept in `<out>/.bale-cache.json` (like the rest of
 * the cache, trusted as the project is): a build whose schemas did not change loads them from there
 * instead of loading ajv (~100 ms) and compiling the meta-schema and the schemas (~100 ms more).
 */
export interface StandaloneValidators {
  schemasKey: string;
  /** ajv keys, in the order of the module's exports v0, v1, … */
  keys: string[];
  code: string;
}

/** Validators by schemas key: a watch session compiles each schema set once. */
const memo = new Map<string, { get: Validators; standalone: StandaloneValidators | undefined }>();
const requireHere = createRequire(import.meta.url);

function loadStandalone(s: StandaloneValidators): Validators {
  const module = { exports: {} as Record<string, ValidateFunction> };
  new Function("exports", "require", "module", s.code)(module.exports, requireHere, module);
  const byKey = new Map(s.keys.map((k, i) => [k, module.exports[`v${i}`]]));
  if ([...byKey.values()].some((f) => typeof f !== "function")) throw new Error("incomplete standalone validators");
  return (key) => byKey.get(key);
}

/** The validators of `schemas` (plus Service): from `cached` when it is of this schema set, else compiled with ajv (and returned as standalone code for the next build). */
export async function validatorsFor(schemasKey: string, schemas: LoadedSchema[], cached: StandaloneValidators | undefined): Promise<{ get: Validators; standalone: StandaloneValidators | undefined }> {
  const hit = memo.get(schemasKey);
  if (hit) return hit;
  if (memo.size > 4) memo.clear();
  const sources = [...schemas.map((s) => ({ name: s.name, key: s.key, json: s.json })), serviceSource()];
  const keys = sources.map((s) => s.key);
  let r: { get: Validators; standalone: StandaloneValidators | undefined } | undefined;
  if (cached && cached.schemasKey === schemasKey && cached.keys.length === keys.length && cached.keys.every((k, i) => k === keys[i])) {
    try {
      r = { get: loadStandalone(cached), standalone: cached };
    } catch {
      r = undefined; // a damaged cache entry: compile again
    }
  }
  if (!r) {
    const { makeAjv, standaloneOf } = await import("./ajv.js");
    const ajv = makeAjv(sources, { source: true });
    let standalone: StandaloneValidators | undefined;
    try {
      standalone = { schemasKey, keys, code: standaloneOf(ajv, keys) };
    } catch {
      standalone = undefined; // not every schema has standalone code; such a set is compiled on every build
    }
    r = { get: (key) => ajv.getSchema(key), standalone };
  }
  memo.set(schemasKey, r);
  return r;
}

export interface CheckContext {
  validators: Validators;
  byName: Map<string, LoadedSchema>;
  /** Validator modules (schemas/<Schema>.validate.ts) by schema name. */
  scripts: Map<string, string>;
}

export function checkValue(kind: "config" | "service", r: EvalResult, c: CheckContext): EvalResult {
  if (r.status !== "ok") return r;
  const { schema, logs } = r;
  if ((kind === "service") !== (schema === "Service")) return { status: "wrong-kind", schema, logs };
  const key = schema === "Service" ? serviceSource().key : c.byName.get(schema)?.key;
  if (key === undefined) return { status: "unknown-schema-value", schema, logs };
  const value = JSON.parse(r.json ?? r.text) as unknown;
  const validate = c.validators(key);
  if (!validate) throw new Error(`schema ${key} is not registered`);
  if (!validate(value)) {
    const errors = (validate.errors ?? []).map((e) => {
      const params = e.params as Record<string, unknown>;
      const extra = e.keyword === "additionalProperties" || e.keyword === "unevaluatedProperties" ? String(params.additionalProperty ?? params.unevaluatedProperty) : undefined;
      return {
        instancePath: e.instancePath,
        schemaPath: e.schemaPath,
        keyword: e.keyword,
        params,
        message: e.message ?? "",
        actual: snippet(getPointer(value, extra === undefined ? e.instancePath : appendPointer(e.instancePath, extra))),
      };
    });
    return { status: "schema", schema, errors, logs };
  }
  if (schema === "Service") {
    const bad: { pointer: string; name: string }[] = [];
    const methods = (value as { methods: Record<string, { input: string; output: string }> }).methods;
    for (const [m, def] of Object.entries(methods)) {
      for (const io of ["input", "output"] as const) if (!c.byName.has(def[io])) bad.push({ pointer: formatPointer(["methods", m, io]), name: def[io] });
    }
    if (bad.length) return { status: "service-unknown-schema", schema, bad, logs };
  }
  const v = r.validator;
  const validator = c.scripts.get(schema);
  if (v && validator) {
    if (v.status === "throw") return { status: "validator-throw", schema, validator, error: v.error, logs };
    if (v.status === "bad") return { status: "validator-bad", schema, validator, got: v.got, logs };
    if (v.status === "timeout") return { status: "validator-timeout", schema, validator, logs };
    if (v.status === "memory") return { status: "memory", ...(v.error ? { error: v.error } : {}), logs };
    if (v.messages.length) return { status: "validator-failed", schema, validator, messages: v.messages, logs };
  }
  return r;
}

function snippet(v: unknown): string {
  if (v === undefined) return "(absent)";
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}
