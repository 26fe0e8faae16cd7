/** Loads `schemas/*.schema.json`: names, ajv keys, strict compilation, and `$ref` closures. */
import { createHash } from "node:crypto";
import { codeFrame } from "./diagnostics.js";
import { makeAjv, SERVICE_KEY, SERVICE_SCHEMA, type SchemaSource } from "./ajv.js";
import { SchemaRefs } from "../schema/ref.js";
import { schemaKeyOf, suggestedSchemaFile } from "../schema/names.js";
import { parseSchemaFile } from "../schema/load.js";
import type { Diagnostics } from "../diagnostics/collector.js";
import { diag } from "../diagnostics/create.js";

export interface LoadedSchema extends SchemaSource {
  /** Root-relative path. */
  file: string;
  sha256: string;
  /** `$id`, if the schema has one. */
  id?: string;
  /** Names of schemas this one `$ref`s, directly. */
  refs: string[];
  /** The file's text (for locating problems). */
  text: string;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses schema files (given their text). Collects every problem before throwing. */
export function loadSchemas(files: { file: string; text: string }[], d: Diagnostics): LoadedSchema[] {
  const out: LoadedSchema[] = [];
  for (const { file, text } of files) {
    const parsed = parseSchemaFile(file, text);
    if (!parsed.ok) {
      const p = parsed.problem;
      if (p.kind === "name") {
        d.error(diag("config-schema-name", { name: p.name, reason: p.message, suggested: suggestedSchemaFile(p.name) }, { file, line: 1 }));
      } else if (p.kind === "json") {
        const pos = /position (\d+)/.exec(p.message);
        const lc = pos ? lineCol(text, Number(pos[1])) : undefined;
        d.error(
          diag("config-schema-json", { reason: p.message }, {
            file,
            ...(lc ? { line: lc.line, column: lc.column } : {}),
            details: lc ? codeFrame("", lc.line, lc.column, text) : [],
          }),
        );
      } else {
        d.error(diag("config-schema-invalid:not-object", {}, { file, line: 1 }));
      }
      continue;
    }
    const { name, json, id } = parsed.schema;
    const s: LoadedSchema = { name, key: schemaKeyOf(name), json, file, sha256: sha256(text), refs: [], text };
    if (id !== undefined) s.id = id;
    out.push(s);
  }
  // Direct refs, by file name or $id, resolved as ajv resolves them.
  const refs = new SchemaRefs(out);
  for (const s of out) s.refs = refs.directRefs(s.json, s.name);
  return out;
}

/** Compiles every schema with ajv (strict) so broken schemas are reported even if unused. */
export function compileAll(schemas: LoadedSchema[], d: Diagnostics): void {
  const ajv = makeAjv([...schemas, serviceSource()]);
  const byName = new Map(schemas.map((s) => [s.name, s]));
  const seen = new Set<string>();
  for (const s of schemas) {
    try {
      ajv.getSchema(s.key);
    } catch (e) {
      const msg = (e as Error).message.replace(/^strict mode: /, "");
      const kw = /keyword: "([^"]+)"/.exec(msg)?.[1] ?? /can't resolve reference (\S+)/.exec(msg)?.[1];
      // A problem in a referenced schema surfaces while compiling the referrer: blame the file that has it.
      let culprit = s;
      let loc = kw ? findText(s, kw) : undefined;
      if (kw && !loc) {
        for (const n of closure(s.name, byName)) {
          const other = byName.get(n) as LoadedSchema;
          const l = findText(other, kw);
          if (l) {
            culprit = other;
            loc = l;
            break;
          }
        }
      }
      const key = `${culprit.file}\0${msg}`;
      if (seen.has(key)) continue;
      seen.add(key);
      d.error(
        diag(/resolve reference/.test(msg) ? "config-schema-invalid:ref" : "config-schema-invalid", { reason: msg }, { file: culprit.file, ...(loc ?? { line: 1 }) }),
      );
    }
  }
}

export function serviceSource(): SchemaSource {
  return { name: "Service", key: SERVICE_KEY, json: SERVICE_SCHEMA };
}

/** Names reachable through `$ref` from `name`, itself included, sorted. */
export function closure(name: string, byName: Map<string, LoadedSchema>): string[] {
  const seen = new Set<string>();
  const stack = [name];
  while (stack.length) {
    const n = stack.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const r of byName.get(n)?.refs ?? []) stack.push(r);
  }
  return [...seen].sort();
}

function findText(s: LoadedSchema, needle: string): { line: number; column: number; details: string[] } | undefined {
  const i = s.text.indexOf(JSON.stringify(needle));
  if (i < 0) return undefined;
  const lc = lineCol(s.text, i + 1);
  return { ...lc, details: codeFrame("", lc.line, lc.column, s.text) };
}

export function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
