/**
 * `$ref` resolution between the schemas of a project, the way ajv resolves them during
 * `bale config build` (so whatever the build accepted, gen and every emitter read the same way):
 * the part before `#` is resolved as a URI against the referring schema's base (its `$id`, or
 * else its file name), then looked up among the schemas' file names and `$id`s; the part after
 * `#` is a percent-encoded JSON pointer (an `#anchor` is not supported). Nested `$id`s inside a
 * schema are not followed.
 */
import { fragmentToPointer } from "./pointer.js";
import { schemaKeyOf } from "./names.js";

export interface RefSchema {
  /** Type name (file stem). */
  name: string;
  /** The schema's `$id`, if it has one. */
  id?: string | undefined;
}

export type RefProblem =
  /** The fragment's percent-encoding is malformed. */
  | "encoding"
  /** The part before `#` names no schema of the project. */
  | "unknown-schema"
  /** The fragment is an anchor (`#name`), not a JSON pointer. */
  | "anchor";

// What each problem says, and its fix: the variants of "gen-ref" in src/diagnostics/catalog.ts.

export type RefResolution =
  | {
      ok: true;
      /** The schema referred to (the referring one itself for `#...`). */
      schema: string;
      /** The JSON pointer inside it ("" for the whole schema), decoded. */
      pointer: string;
      /** The fragment as written after `#` (percent-encoded), "" when there is none. */
      fragment: string;
      /** True when the `$ref` names a schema file or `$id` (even its own), false for `#...`. */
      external: boolean;
    }
  | { ok: false; problem: RefProblem };

/**
 * File names and relative `$id`s resolve inside this made-up base. ajv resolves against the bare
 * file name, where `../Tag.schema.json` and `/Tag.schema.json` name nothing; here they leave the
 * base's one odd directory, and so name nothing too (only `../-bale-schemas-/…` would differ).
 */
const BASE = "https://bale.invalid/-bale-schemas-/";

function absolute(uri: string, base: string): string | undefined {
  try {
    const u = new URL(uri, base);
    u.hash = "";
    return u.href;
  } catch {
    return undefined;
  }
}

/** Resolves `$ref`s among one set of schemas. */
export class SchemaRefs {
  private readonly byUri = new Map<string, string>();
  private readonly baseOf = new Map<string, string>();

  constructor(schemas: Iterable<RefSchema>) {
    for (const s of schemas) {
      const key = absolute(schemaKeyOf(s.name), BASE) as string;
      this.byUri.set(key, s.name);
      const id = s.id === undefined ? undefined : absolute(s.id, BASE);
      if (id !== undefined && !this.byUri.has(id)) this.byUri.set(id, s.name);
      this.baseOf.set(s.name, id ?? key);
    }
  }

  /** What `ref`, written inside schema `from`, refers to. */
  resolve(ref: string, from: string): RefResolution {
    const hash = ref.indexOf("#");
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? "" : ref.slice(hash + 1);
    const pointer = fragmentToPointer(fragment);
    if (pointer === undefined) return { ok: false, problem: "encoding" };
    if (pointer !== "" && !pointer.startsWith("/")) return { ok: false, problem: "anchor" };
    if (base === "") return { ok: true, schema: from, pointer, fragment, external: false };
    const uri = absolute(base, this.baseOf.get(from) ?? BASE);
    const schema = uri === undefined ? undefined : this.byUri.get(uri);
    if (schema === undefined) return { ok: false, problem: "unknown-schema" };
    return { ok: true, schema, pointer, fragment, external: true };
  }

  /** The other schemas `json` (schema `from`) refers to directly, sorted. */
  directRefs(json: unknown, from: string): string[] {
    const out = new Set<string>();
    walkRefs(json, (ref) => {
      const r = this.resolve(ref, from);
      if (r.ok && r.schema !== from) out.add(r.schema);
    });
    return [...out].sort();
  }
}

/** Calls `f` with every `$ref` string in a schema, in document order. */
export function walkRefs(v: unknown, f: (ref: string) => void): void {
  if (Array.isArray(v)) for (const x of v) walkRefs(x, f);
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") f(x);
      else walkRefs(x, f);
    }
  }
}

/** A copy of `v` with every `$ref` string replaced by `f(ref)` (other values shared). */
export function mapRefs<T>(v: T, f: (ref: string) => string): T {
  if (Array.isArray(v)) return v.map((x: unknown) => mapRefs(x, f)) as T;
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === "$ref" && typeof x === "string" ? f(x) : mapRefs(x, f);
  return out as T;
}
