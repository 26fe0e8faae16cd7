/** bale's built-in Service schema and the shape of a schema as ajv gets it: kept apart from ajv.ts so that importing them does not load ajv. */

export interface SchemaSource {
  /** Type name (file stem), e.g. "GreeterConfig"; "Service" for the built-in one. */
  name: string;
  /** ajv key: the file name (e.g. "GreeterConfig.schema.json"); the schema's `$id` (if any) resolves too. */
  key: string;
  json: unknown;
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
