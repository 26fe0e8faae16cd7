/** One ajv setup for the main thread and the workers: JSON Schema 2020-12, strict, allErrors, formats. */
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import standaloneModule from "ajv/dist/standalone/index.js";
import type { ErrorObject, ValidateFunction } from "ajv";

type AjvCtor = typeof Ajv2020Module.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as AjvCtor;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

type Standalone = typeof standaloneModule.default;
const standaloneCode = ((standaloneModule as unknown as { default?: Standalone }).default ?? standaloneModule) as Standalone;

export type Ajv = InstanceType<AjvCtor>;
export type { ErrorObject, ValidateFunction };

export type { SchemaSource } from "./service-schema.js";
import type { SchemaSource } from "./service-schema.js";

/** `source`: keep each compiled function's code, so that `standaloneCode` can write it out (see validate.ts). */
export function makeAjv(schemas: SchemaSource[], o: { source?: boolean } = {}): Ajv {
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
  return standaloneCode(ajv, Object.fromEntries(keys.map((k, i) => [`v${i}`, k])));
}

export { SERVICE_KEY, SERVICE_SCHEMA } from "./service-schema.js";
