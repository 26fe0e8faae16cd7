/**
 * Finding and parsing a project's schema files, for the config compiler and `bale gen` alike.
 * Pure results: each caller turns a problem into its own diagnostic (config-… or gen-…).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_DIR, isSchemaFileName, schemaNameOf, schemaNameProblem } from "./names.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface SchemaDoc {
  /** Type name: the file stem, e.g. "HelloRequest". */
  name: string;
  /** Root-relative path with POSIX separators, e.g. "schemas/HelloRequest.schema.json". */
  file: string;
  json: JsonObject;
  /** `$id`, if the schema has a string one. */
  id?: string;
}

export type SchemaProblem =
  /** The file stem cannot be a type name; `message` says why. */
  | { kind: "name"; name: string; message: string }
  /** The text is not JSON; `message` is the parser's. */
  | { kind: "json"; message: string }
  /** The JSON is not an object. */
  | { kind: "not-object" };

/** The schema files of the project at `root` ("schemas/<Name>.schema.json"), sorted. */
export function listSchemaFiles(root: string): string[] {
  const dir = join(root, SCHEMA_DIR);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter(isSchemaFileName)
    .sort()
    .map((f) => `${SCHEMA_DIR}/${f}`);
}

/** Parses one schema file's text: its name is checked first, then its JSON. */
export function parseSchemaFile(file: string, text: string): { ok: true; schema: SchemaDoc } | { ok: false; problem: SchemaProblem } {
  const name = schemaNameOf(file);
  const bad = schemaNameProblem(name);
  if (bad !== undefined) return { ok: false, problem: { kind: "name", name, message: bad } };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: { kind: "json", message: (e as Error).message } };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) return { ok: false, problem: { kind: "not-object" } };
  const schema: SchemaDoc = { name, file, json: json as JsonObject };
  const id = (json as JsonObject).$id;
  if (typeof id === "string") schema.id = id;
  return { ok: true, schema };
}
