/** One ajv setup for the main thread and the workers: JSON Schema 2020-12, strict, allErrors, formats. */
import { createRequire } from "node:module";
import type Ajv2020Module from "ajv/dist/2020.js";
import type addFormatsModule from "ajv-formats";
import type standaloneModule from "ajv/dist/standalone/index.js";
import type { ErrorObject, ValidateFunction } from "ajv";

type AjvCtor = typeof Ajv2020Module.default;
type AddFormats = typeof addFormatsModule.default;
type Standalone = typeof standaloneModule.default;

let modules: { Ajv2020: AjvCtor; addFormats: AddFormats; standaloneCode: Standalone } | undefined;
/** ajv, loaded on first use (synchronously: it is CommonJS), so that importing this module costs nothing (~100 ms otherwise). */
function ajvModules(): NonNullable<typeof modules> {
  if (!modules) {
    const req = createRequire(import.meta.url);
    const def = <T>(m: unknown): T => ((m as { default?: T }).default ?? m) as T;
    modules = { Ajv2020: def<AjvCtor>(req("ajv/dist/2020.js")), addFormats: def<AddFormats>(req("ajv-formats")), standaloneCode: def<Standalone>(req("ajv/dist/standalone/index.js")) };
  }
  return modules;
}

export type Ajv = InstanceType<AjvCtor>;
export type { ErrorObject, ValidateFunction };

export type { SchemaSource } from "./service-schema.js";
import type { SchemaSource } from "./service-schema.js";

/** `source`: keep each compiled function's code, so that `standaloneCode` can write it out (see validate.ts). */
export function makeAjv(schemas: SchemaSource[], o: { source?: boolean } = {}): Ajv {
  const { Ajv2020, addFormats } = ajvModules();
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: false, ...(o.source ? { code: { source: true } } : {}) });
  addFormats(ajv);
  for (const s of schemas) ajv.addSchema(s.json as object, s.key);
  return ajv;
}

/**
 * The compiled validators of `keys` as one CommonJS module (ajv's standalone code; `ajv` made with
 * `source: true`), exporting them as v0, v1, … in the order of `keys`. It needs only ajv's small runtime
 * helpers and ajv-formats' format table, not ajv itself.
 */
export function standaloneOf(ajv: Ajv, keys: readonly string[]): string {
  return ajvModules().standaloneCode(ajv, Object.fromEntries(keys.map((k, i) => [`v${i}`, k])));
}

export { SERVICE_KEY, SERVICE_SCHEMA } from "./service-schema.js";
