/**
 * A language-neutral view of the schemas: named types (structs and aliases)
 * and type nodes. Emitters for every language work from this, so TypeScript
 * and Python agree on names and shapes. JSON Schema constructs that have no
 * natural type (general unions, conditionals) become `any`; the TypeScript
 * side still validates them fully with ajv.
 */
import type { JsonObject, JsonValue, SchemaFile } from "./model.js";
import { pascalCase } from "./names.js";
import { appendPointer, getPointer, parsePointer } from "../schema/pointer.js";
import { SchemaRefs } from "../schema/ref.js";
import { diag } from "../diagnostics/create.js";

export type Primitive = string | number | boolean | null;

export interface StringRules {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}
export interface NumberRules {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
}
export interface CollectionRules {
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}
export interface ObjectRules {
  minProperties?: number;
  maxProperties?: number;
}

export type TypeNode =
  | { kind: "string"; rules: StringRules }
  | { kind: "integer"; rules: NumberRules }
  | { kind: "number"; rules: NumberRules }
  | { kind: "boolean" }
  | { kind: "null" }
  | { kind: "any" }
  | { kind: "literal"; values: Primitive[] }
  | { kind: "array"; items: TypeNode; rules: CollectionRules }
  | { kind: "map"; values: TypeNode; rules: ObjectRules }
  | { kind: "ref"; name: string }
  | { kind: "nullable"; inner: TypeNode };

export interface Field {
  /** The JSON property name. */
  name: string;
  required: boolean;
  type: TypeNode;
  description?: string;
}

export interface StructType {
  kind: "struct";
  name: string;
  description?: string;
  fields: Field[];
  /** additionalProperties (or unevaluatedProperties) is false: unknown keys are rejected. */
  closed: boolean;
  rules: ObjectRules;
  /** "schemas/X.schema.json#/pointer" */
  origin: string;
}

export interface AliasType {
  kind: "alias";
  name: string;
  description?: string;
  type: TypeNode;
  origin: string;
}

export type NamedType = StructType | AliasType;

export interface TypeModel {
  /** In a stable order: schemas by name, each followed by the types nested in it. */
  types: NamedType[];
  byName: Map<string, NamedType>;
}

function isObj(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: JsonValue | undefined): number | undefined {
  return typeof v === "number" ? v : undefined;
}

function isPrimitive(v: JsonValue): v is Primitive {
  return v === null || typeof v !== "object";
}

export function buildTypeModel(schemas: SchemaFile[]): TypeModel {
  const files = new Map(schemas.map((s) => [s.name, s]));
  const refs = new SchemaRefs(schemas);
  const types: NamedType[] = [];
  const byName = new Map<string, NamedType>();
  /** "<schema>#<pointer>" -> type name */
  const named = new Map<string, string>();
  const taken = new Set(schemas.map((s) => s.name));
  const resolving = new Set<string>();

  function at(file: SchemaFile, pointer: string): JsonValue | undefined {
    return getPointer(file.schema, pointer) as JsonValue | undefined;
  }

  function nameFor(file: SchemaFile, pointer: string): string {
    if (pointer === "") return file.name;
    const segs = parsePointer(pointer);
    let name = file.name;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i] ?? "";
      if ((s === "$defs" || s === "definitions" || s === "properties") && i + 1 < segs.length) {
        name += pascalCase(segs[++i] ?? "");
      } else if (s === "items") name += "Item";
      else if (s === "additionalProperties") name += "Value";
      else if (s === "prefixItems" || s === "anyOf" || s === "oneOf" || s === "allOf") name += (s === "prefixItems" ? "Item" : "Variant") + (segs[++i] ?? "");
      else name += pascalCase(s);
    }
    let unique = name;
    for (let n = 2; taken.has(unique); n++) unique = `${name}${n}`;
    taken.add(unique);
    return unique;
  }

  function resolveRef(ref: string, file: SchemaFile): { file: SchemaFile; pointer: string } {
    const r = refs.resolve(ref, file.name);
    if (!r.ok) {
      throw diag(`gen-ref:${r.problem}`, { ref: JSON.stringify(ref) }, { file: file.file });
    }
    const target = files.get(r.schema) ?? file;
    if (at(target, r.pointer) === undefined) {
      throw diag("gen-ref", { ref: JSON.stringify(ref) }, { file: file.file });
    }
    return { file: target, pointer: r.pointer };
  }

  function struct(file: SchemaFile, pointer: string, s: JsonObject, name: string): void {
    const props = isObj(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : []);
    const t: StructType = {
      kind: "struct",
      name,
      fields: [],
      closed: s.additionalProperties === false || s.unevaluatedProperties === false,
      rules: objectRules(s),
      origin: `${file.file}#${pointer}`,
    };
    if (typeof s.description === "string") t.description = s.description;
    types.push(t);
    byName.set(name, t);
    for (const [key, sub] of Object.entries(props)) {
      const f: Field = { name: key, required: required.has(key), type: node(file, appendPointer(`${pointer}/properties`, key), sub) };
      if (isObj(sub) && typeof sub.description === "string") f.description = sub.description;
      t.fields.push(f);
    }
  }

  /** The named type for the (object) schema at file#pointer, created on first use. */
  function namedStruct(file: SchemaFile, pointer: string, s: JsonObject): TypeNode {
    const key = `${file.name}#${pointer}`;
    let name = named.get(key);
    if (name === undefined) {
      name = nameFor(file, pointer);
      named.set(key, name);
      struct(file, pointer, s, name);
    }
    return { kind: "ref", name };
  }

  function node(file: SchemaFile, pointer: string, s: JsonValue): TypeNode {
    if (s === true) return { kind: "any" };
    if (!isObj(s)) return { kind: "any" };
    if (typeof s.$ref === "string") {
      const target = resolveRef(s.$ref, file);
      if (target.pointer === "") return { kind: "ref", name: target.file.name };
      const key = `${target.file.name}#${target.pointer}`;
      const ts = at(target.file, target.pointer);
      if (isObj(ts) && isStructSchema(ts)) return namedStruct(target.file, target.pointer, ts);
      if (resolving.has(key)) return { kind: "any" };
      resolving.add(key);
      try {
        return node(target.file, target.pointer, ts ?? true);
      } finally {
        resolving.delete(key);
      }
    }
    if ("const" in s) {
      const c = s.const;
      return c !== undefined && isPrimitive(c) ? { kind: "literal", values: [c] } : { kind: "any" };
    }
    if (Array.isArray(s.enum)) {
      return s.enum.every(isPrimitive) ? { kind: "literal", values: s.enum } : { kind: "any" };
    }
    for (const k of ["anyOf", "oneOf"] as const) {
      const alts = s[k];
      if (Array.isArray(alts)) {
        const nonNull = alts.map((a, i) => ({ a, i })).filter(({ a }) => !(isObj(a) && a.type === "null"));
        if (alts.length === 2 && nonNull.length === 1 && nonNull[0]) {
          return nullable(node(file, `${pointer}/${k}/${nonNull[0].i}`, nonNull[0].a));
        }
        return { kind: "any" };
      }
    }
    if (Array.isArray(s.allOf)) {
      const first = s.allOf[0];
      return s.allOf.length === 1 && first !== undefined ? node(file, `${pointer}/allOf/0`, first) : { kind: "any" };
    }
    let type = s.type;
    if (Array.isArray(type)) {
      const others = type.filter((t) => t !== "null");
      if (others.length === 1 && type.length === 2) return nullable(node(file, pointer, { ...s, type: others[0] ?? null }));
      if (others.length === 0 && type.length === 1) type = "null";
      else return { kind: "any" };
    }
    if (type === undefined && (isObj(s.properties) || s.additionalProperties !== undefined)) type = "object";
    switch (type) {
      case "string": {
        const rules: StringRules = {};
        if (num(s.minLength) !== undefined) rules.minLength = num(s.minLength) as number;
        if (num(s.maxLength) !== undefined) rules.maxLength = num(s.maxLength) as number;
        if (typeof s.pattern === "string") rules.pattern = s.pattern;
        if (typeof s.format === "string") rules.format = s.format;
        return { kind: "string", rules };
      }
      case "integer":
      case "number": {
        const rules: NumberRules = {};
        for (const k of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"] as const) {
          const v = num(s[k]);
          if (v !== undefined) rules[k] = v;
        }
        return { kind: type, rules };
      }
      case "boolean":
        return { kind: "boolean" };
      case "null":
        return { kind: "null" };
      case "array": {
        const rules: CollectionRules = {};
        if (num(s.minItems) !== undefined) rules.minItems = num(s.minItems) as number;
        if (num(s.maxItems) !== undefined) rules.maxItems = num(s.maxItems) as number;
        if (s.uniqueItems === true) rules.uniqueItems = true;
        const items = s.items !== undefined && !Array.isArray(s.prefixItems) ? node(file, `${pointer}/items`, s.items) : ({ kind: "any" } as const);
        return { kind: "array", items, rules };
      }
      case "object": {
        if (isStructSchema(s)) return namedStruct(file, pointer, s);
        const ap = s.additionalProperties;
        const values = ap === undefined || ap === true ? ({ kind: "any" } as const) : node(file, `${pointer}/additionalProperties`, ap);
        return { kind: "map", values, rules: objectRules(s) };
      }
      default:
        return { kind: "any" };
    }
  }

  for (const file of schemas) {
    const s = file.schema;
    if (isStructSchema(s)) {
      named.set(`${file.name}#`, file.name);
      struct(file, "", s, file.name);
    } else {
      const t: AliasType = { kind: "alias", name: file.name, type: { kind: "any" }, origin: `${file.file}#` };
      if (typeof s.description === "string") t.description = s.description;
      types.push(t);
      byName.set(file.name, t);
      t.type = node(file, "", s);
    }
  }
  return { types, byName };
}

/** An object schema with declared properties (or closed and empty): becomes a struct / dataclass. */
function isStructSchema(s: JsonObject): boolean {
  if (typeof s.$ref === "string" || Array.isArray(s.enum) || "const" in s) return false;
  if (s.type !== "object" && !(s.type === undefined && isObj(s.properties))) return false;
  if (isObj(s.properties)) return true;
  return s.additionalProperties === false;
}

function objectRules(s: JsonObject): ObjectRules {
  const r: ObjectRules = {};
  if (num(s.minProperties) !== undefined) r.minProperties = num(s.minProperties) as number;
  if (num(s.maxProperties) !== undefined) r.maxProperties = num(s.maxProperties) as number;
  return r;
}

function nullable(t: TypeNode): TypeNode {
  if (t.kind === "nullable" || t.kind === "null" || t.kind === "any") return t;
  if (t.kind === "literal") return t.values.includes(null) ? t : { kind: "literal", values: [...t.values, null] };
  return { kind: "nullable", inner: t };
}
