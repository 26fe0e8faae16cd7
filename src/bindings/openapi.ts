/** OpenAPI 3.1 documents, one per service, describing the Connect unary JSON endpoints. */
import { SchemaRefs } from "../schema/ref.js";
import type { BindingsModel, JsonObject, JsonValue, SchemaFile } from "./model.js";
import { diag } from "../diagnostics/create.js";

const ERROR_SCHEMA: JsonObject = {
  type: "object",
  description: "A Connect error.",
  required: ["code"],
  properties: {
    code: {
      type: "string",
      enum: [
        "canceled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists", "permission_denied",
        "resource_exhausted", "failed_precondition", "aborted", "out_of_range", "unimplemented", "internal", "unavailable",
        "data_loss", "unauthenticated",
      ],
    },
    message: { type: "string" },
    details: { type: "array", items: {} },
  },
};

/** Rewrites $refs so they point into #/components/schemas of the document. */
function rewrite(v: JsonValue, self: SchemaFile, refs: SchemaRefs, deps: Set<string>): JsonValue {
  if (Array.isArray(v)) return v.map((x) => rewrite(x, self, refs, deps));
  if (typeof v !== "object" || v === null) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "$ref" && typeof x === "string") {
      const r = refs.resolve(x, self.name);
      if (!r.ok) throw diag(`gen-ref:${r.problem}`, { ref: JSON.stringify(x) }, { file: self.file });
      if (r.external) deps.add(r.schema);
      out[k] = `#/components/schemas/${r.schema}${r.fragment}`;
    } else if (k === "$schema" || k === "$id") {
      continue;
    } else {
      out[k] = rewrite(x, self, refs, deps);
    }
  }
  return out;
}

export function generateOpenApi(model: BindingsModel): Map<string, string> {
  const byName = new Map<string, SchemaFile>(model.schemas.map((s) => [s.name, s]));
  const refs = new SchemaRefs(model.schemas);
  const files = new Map<string, string>();
  for (const s of model.services) {
    const components: Record<string, JsonValue> = {};
    const pending = [...new Set(s.methods.flatMap((m) => [m.input, m.output]))];
    const done = new Set<string>();
    while (pending.length) {
      const n = pending.shift() as string;
      if (done.has(n)) continue;
      done.add(n);
      const file = byName.get(n);
      if (!file) continue;
      const deps = new Set<string>();
      components[n] = rewrite(file.schema, file, refs, deps);
      for (const d of [...deps].sort()) if (!done.has(d)) pending.push(d);
    }
    const schemas: JsonObject = {};
    for (const k of Object.keys(components).sort()) schemas[k] = components[k] ?? null;
    schemas["ConnectError"] = ERROR_SCHEMA;
    const paths: JsonObject = {};
    for (const m of s.methods) {
      const op: JsonObject = {
        operationId: `${s.shortName}_${m.name}`,
        summary: m.description ?? `${s.fullName}/${m.name}`,
        tags: [s.fullName],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: `#/components/schemas/${m.input}` } } },
        },
        responses: {
          "200": {
            description: `The ${m.output} reply.`,
            content: { "application/json": { schema: { $ref: `#/components/schemas/${m.output}` } } },
          },
          default: {
            description: "A Connect error (status per the Connect protocol, e.g. 400 invalid_argument).",
            content: { "application/json": { schema: { $ref: "#/components/schemas/ConnectError" } } },
          },
        },
      };
      paths[`/${s.fullName}/${m.name}`] = { post: op };
    }
    const info: JsonObject = { title: s.fullName, version: "1" };
    if (s.description) info.description = s.description;
    const doc: JsonObject = {
      openapi: "3.1.0",
      "x-generated-by": "bale",
      info,
      tags: [{ name: s.fullName }],
      paths,
      components: { schemas },
    };
    files.set(`${s.fullName}.json`, JSON.stringify(doc, null, 2) + "\n");
  }
  return files;
}
