/**
 * Main-thread checks of an evaluated value: the constructor matches the file kind, ajv
 * validation against the named schema, service input/output names, then the validator
 * module's verdict (computed in the worker, used only when the schema validates).
 */
import { makeAjv, type Ajv } from "./ajv.js";
import { appendPointer, formatPointer, getPointer } from "../schema/pointer.js";
import type { EvalResult } from "./protocol.js";
import { serviceSource, type LoadedSchema } from "./schemas.js";

/** Compiled ajv instances by schemas key: a watch session compiles each schema set once. */
const ajvCache = new Map<string, Ajv>();

export function ajvFor(schemasKey: string, schemas: LoadedSchema[]): Ajv {
  let ajv = ajvCache.get(schemasKey);
  if (!ajv) {
    if (ajvCache.size > 4) ajvCache.clear();
    ajv = makeAjv([...schemas.map((s) => ({ name: s.name, key: s.key, json: s.json })), serviceSource()]);
    ajvCache.set(schemasKey, ajv);
  }
  return ajv;
}

export interface CheckContext {
  ajv: Ajv;
  byName: Map<string, LoadedSchema>;
  validators: Map<string, string>;
}

export function checkValue(kind: "config" | "service", r: EvalResult, c: CheckContext): EvalResult {
  if (r.status !== "ok") return r;
  const { schema, logs } = r;
  if ((kind === "service") !== (schema === "Service")) return { status: "wrong-kind", schema, logs };
  const key = schema === "Service" ? serviceSource().key : c.byName.get(schema)?.key;
  if (key === undefined) return { status: "unknown-schema-value", schema, logs };
  const value = JSON.parse(r.json ?? r.text) as unknown;
  const validate = c.ajv.getSchema(key);
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
  const validator = c.validators.get(schema);
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
