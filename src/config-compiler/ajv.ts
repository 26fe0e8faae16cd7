/** One ajv setup for the main thread and the workers: JSON Schema 2020-12, strict, allErrors, formats. */
import Ajv2020Module from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { ErrorObject, ValidateFunction } from "ajv";

type AjvCtor = typeof Ajv2020Module.default;
const Ajv2020 = ((Ajv2020Module as unknown as { default?: AjvCtor }).default ?? Ajv2020Module) as AjvCtor;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

export type Ajv = InstanceType<AjvCtor>;
export type { ErrorObject, ValidateFunction };

export interface SchemaSource {
  /** Type name (file stem), e.g. "GreeterConfig"; "Service" for the built-in one. */
  name: string;
  /** ajv key: the file name (e.g. "GreeterConfig.schema.json"); the schema's `$id` (if any) resolves too. */
  key: string;
  json: unknown;
}

export function makeAjv(schemas: SchemaSource[]): Ajv {
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: false });
  addFormats(ajv);
  for (const s of schemas) ajv.addSchema(s.json as object, s.key);
  return ajv;
}

/** bale's built-in schema for `Service({...})` values (the contract in types.ts). */
export const SERVICE_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Service",
  type: "object",
  additionalProperties: false,
  required: ["name", "methods"],
  properties: {
    name: {
      type: "string",
      pattern: "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$",
      description: 'Fully qualified "<package>.<Service>", e.g. "demo.v1.Greeter"',
    },
    description: { type: "string" },
    methods: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[A-Za-z][A-Za-z0-9_]*$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["input", "output"],
        properties: {
          input: { type: "string", description: "Schema name of the request message" },
          output: { type: "string", description: "Schema name of the response message" },
          description: { type: "string" },
        },
      },
    },
  },
} as const;

export const SERVICE_KEY = "bale:Service.schema.json";
